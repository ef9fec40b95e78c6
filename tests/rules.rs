//! Every style rule on its fixture (`fixtures/rules/<CODE>_<name>/before`):
//! the diagnostics, as `--check` prints them, snapshotted with insta.
//! `cargo insta review` (or `INSTA_UPDATE=always`) updates them.

mod common;

use voice_otel_fix::report::FindingKind;
use voice_otel_fix::{plan, Mode, Options};

fn diagnostics(case: &str) -> String {
    let before = common::repo().join("fixtures/rules").join(case).join("before");
    let plan = plan(&Options::new(vec![before.clone()], Mode::DryRun));
    let mut lines = Vec::new();
    for file in &plan.files {
        let result = file.instrument(voice_otel_fix::python::Selection::All);
        let relative = file.path().strip_prefix(&before).unwrap_or(file.path()).display().to_string();
        for finding in result.findings.iter().filter(|f| f.kind == FindingKind::Diagnostic) {
            lines.push(format!(
                "{relative}:{}:{}: {} {}",
                finding.line,
                finding.column,
                finding.code.as_deref().unwrap_or("-"),
                finding.message.as_deref().unwrap_or("")
            ));
        }
    }
    lines.sort();
    lines.join("\n")
}

macro_rules! rule_snapshot {
    ($test:ident, $case:literal) => {
        #[test]
        fn $test() {
            insta::assert_snapshot!($case, diagnostics($case));
        }
    };
}

rule_snapshot!(vof010_shutdown_session_end_span, "VOF010_shutdown_session_end_span");
rule_snapshot!(vof011_session_span_ended_in_body, "VOF011_session_span_ended_in_body");
rule_snapshot!(vof012_cost_metric, "VOF012_cost_metric");
rule_snapshot!(vof013_transport_span_name, "VOF013_transport_span_name");
rule_snapshot!(vof014_vof016_llm_counter_attributes, "VOF014_VOF016_llm_counter_attributes");
rule_snapshot!(vof015_span_decorator_on_generator, "VOF015_span_decorator_on_generator");
rule_snapshot!(vof017_not_none_smoke_test, "VOF017_not_none_smoke_test");
rule_snapshot!(vof018_session_span_before_telemetry_setup, "VOF018_session_span_before_telemetry_setup");
rule_snapshot!(vof111_usage_unreadable, "VOF111_usage_unreadable");
rule_snapshot!(vof114_call_in_elif_condition, "VOF114_call_in_elif_condition");
rule_snapshot!(vof114_call_runs_later, "VOF114_call_runs_later");
rule_snapshot!(vof105_vof122_agent_0x, "VOF105_VOF122_agent_0x");
rule_snapshot!(vof116_unknown_client, "VOF116_unknown_client");
rule_snapshot!(vof118_azure_stream_usage, "VOF118_azure_stream_usage");
rule_snapshot!(vof117_mixed_calls_in_one_statement, "VOF117_mixed_calls_in_one_statement");
rule_snapshot!(suppressions, "suppressions");

#[test]
fn every_rule_has_a_fixture_and_an_explanation() {
    let cases: Vec<String> = std::fs::read_dir(common::repo().join("fixtures/rules"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    for (rule, _) in voice_otel_fix::python::rules::STYLE_RULES {
        assert!(cases.iter().any(|c| c.contains(rule.code)), "{} has no fixture", rule.code);
        for heading in ["## What it does", "## Why is this bad?", "## Example", "## Fix safety"] {
            assert!(rule.doc.contains(heading), "{}: doc lacks {heading}", rule.code);
        }
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_voice-otel-fix"))
        .args(["--explain", "VOF012"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("# cost-metric (VOF012)"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_voice-otel-fix")).arg("rules").output().unwrap();
    let listing = String::from_utf8_lossy(&out.stdout);
    for code in ["VOF001", "VOF005", "VOF010", "VOF017"] {
        assert!(listing.contains(code), "{listing}");
    }
}

/// Every code the tool can emit, read off its sources (`"VOF…"` literals),
/// has a page for `--explain`; every tool diagnostic's page is of a code
/// something emits.
#[test]
fn every_emitted_code_is_explained() {
    let mut emitted = std::collections::BTreeSet::new();
    let mut stack = vec![common::repo().join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("diagnostics.rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (at, _) in text.match_indices("\"VOF") {
                    let code = &text[at + 1..];
                    let digits = code[3..].bytes().take_while(u8::is_ascii_digit).count();
                    if digits == 3 && code.as_bytes()[6] == b'"' {
                        emitted.insert(code[..6].to_string());
                    }
                }
            }
        }
    }
    // VOF100: the SARIF rule of a diagnostic without a code, which no finding is.
    emitted.remove("VOF100");
    assert!(emitted.len() > 20, "{emitted:?}");
    for code in &emitted {
        let page = voice_otel_fix::python::rules::rule(code).or_else(|| voice_otel_fix::diagnostics::notice_for(code));
        let page = page.unwrap_or_else(|| panic!("{code} is emitted but has no --explain page"));
        assert!(page.doc.starts_with("## What it does\n"), "{code}");
    }
    for notice in voice_otel_fix::diagnostics::TOOL_DIAGNOSTICS {
        assert!(emitted.contains(notice.code), "{} is explained but nothing emits it", notice.code);
        assert!(notice.doc.contains("## Why is this"), "{}", notice.code);
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_voice-otel-fix"))
        .args(["--explain", "vof113"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("# openai-stream-usage-unsafe (VOF113)"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_voice-otel-fix")).arg("rules").output().unwrap();
    let listing = String::from_utf8_lossy(&out.stdout);
    for notice in voice_otel_fix::diagnostics::TOOL_DIAGNOSTICS {
        assert!(listing.contains(notice.code), "{listing}");
    }
}
