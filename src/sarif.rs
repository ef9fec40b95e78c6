//! SARIF 2.1.0 for `--check --format sarif`: one result per fix the tool would
//! make (with the fix attached as SARIF replacements) and per diagnostic.
//! Columns are Unicode code points (`columnKind: unicodeCodePoints`).
//!
//! Every fix needs the file's module setup (`VOF000`: imports, tracer, meter,
//! instruments); it is attached to a result of its own, to apply with the others.

use serde_json::{json, Value};

use crate::edit::Edit;
use crate::python::Fix;
use crate::report::{FileStatus, FindingKind, Report};

/// A fix as SARIF shows it.
#[derive(Debug, Clone)]
pub struct SarifFix {
    pub rule: &'static str,
    pub message: String,
    pub line: usize,
    pub column: usize,
    /// (start line, start column, end line, end column, inserted text), 1-based.
    pub replacements: Vec<(usize, usize, usize, usize, String)>,
}

/// The rules of the results this module writes.
pub const RULES: &[(&str, &str, &str)] = &[
    ("VOF000", "module-setup", "Imports, tracer, meter and instruments the file's other fixes use."),
    (
        "VOF001",
        "missing-session-span",
        "A LiveKit job entrypoint without the whole-session `voice.session` span and session metrics.",
    ),
    ("VOF002", "missing-helper-span", "Bounded session work without its own span."),
    ("VOF003", "missing-greeting-counter", "A delivered greeting that `voice.greetings.delivered` does not count."),
    ("VOF004", "missing-llm-instrumentation", "An LLM call without a product-named span and token counters."),
    ("VOF005", "missing-framework-llm-usage", "An AgentSession whose LLM tokens are not counted."),
    (
        "VOF006",
        "shutdown-callback-outside-session",
        "A shutdown callback that makes LLM calls outside the session's context.",
    ),
    (
        "VOF007",
        "executor-call-outside-session",
        "A function run by `loop.run_in_executor` that makes LLM calls outside the caller's context.",
    ),
    ("VOF900", "unparsable-file", "A file that is not Python the tool can read."),
];

/// The SARIF fixes of one file's planned change (`text`: the file's text the edits apply to).
pub fn fixes_of(text: &str, fixes: &[Fix], setup: &[Edit]) -> Vec<SarifFix> {
    let replacements = |edits: &[Edit]| -> Vec<(usize, usize, usize, usize, String)> {
        let mut edits = edits.to_vec();
        edits.sort_by_key(|e| (e.start, e.order));
        edits
            .into_iter()
            .map(|e| {
                let (sl, sc) = crate::source::line_col(text, e.start);
                let (el, ec) = crate::source::line_col(text, e.end);
                (sl, sc, el, ec, e.text)
            })
            .collect()
    };
    let mut out = Vec::new();
    if !setup.is_empty() {
        let (line, column) = crate::source::line_col(text, setup[0].start);
        out.push(SarifFix {
            rule: "VOF000",
            message: "add the imports, tracer, meter and instruments the other fixes use".into(),
            line,
            column,
            replacements: replacements(setup),
        });
    }
    for fix in fixes {
        let rule = fix.code;
        let column = fix.edits.first().map_or(1, |e| crate::source::line_col(text, e.start).1);
        out.push(SarifFix {
            rule,
            message: format!("add {}", fix.title),
            line: fix.line,
            column,
            replacements: replacements(&fix.edits),
        });
    }
    out
}

/// The whole report as one SARIF 2.1.0 log.
pub fn to_sarif(report: &Report) -> String {
    let mut results = Vec::new();
    for file in &report.files {
        let location = |line: usize, column: usize| {
            json!({"physicalLocation": {
                "artifactLocation": {"uri": file.path},
                "region": {"startLine": line.max(1), "startColumn": column.max(1)}
            }})
        };
        if file.status == FileStatus::Error {
            let (line, column) = file.error_at.unwrap_or((1, 1));
            results.push(json!({
                "ruleId": "VOF900",
                "level": "error",
                "message": {"text": file.reason.clone().unwrap_or_default()},
                "locations": [location(line, column)],
            }));
        }
        for fix in &file.sarif {
            let replacements: Vec<Value> = fix
                .replacements
                .iter()
                .map(|(sl, sc, el, ec, text)| {
                    json!({
                        "deletedRegion": {"startLine": sl, "startColumn": sc, "endLine": el, "endColumn": ec},
                        "insertedContent": {"text": text},
                    })
                })
                .collect();
            results.push(json!({
                "ruleId": fix.rule,
                "level": "warning",
                "message": {"text": fix.message},
                "locations": [location(fix.line, fix.column)],
                "fixes": [{
                    "description": {"text": fix.message},
                    "artifactChanges": [{"artifactLocation": {"uri": file.path}, "replacements": replacements}],
                }],
            }));
        }
        // Missing instrumentation is reported above, with its fix.
        let fix_rule = |code: &Option<String>| code.as_deref().is_some_and(crate::python::rules::is_fix_rule);
        for finding in file.findings.iter().filter(|f| f.kind == FindingKind::Diagnostic && !fix_rule(&f.code)) {
            results.push(json!({
                "ruleId": finding.code.clone().unwrap_or_else(|| "VOF100".into()),
                "level": "warning",
                "message": {"text": finding.message.clone().unwrap_or_default()},
                "locations": [location(finding.line, finding.column)],
            }));
        }
    }
    let mut rules: Vec<Value> = RULES
        .iter()
        .map(|(id, name, text)| json!({"id": id, "name": name, "shortDescription": {"text": text}}))
        .collect();
    for rule in crate::python::rules::STYLE_RULES.iter().map(|(rule, _)| rule) {
        rules.push(json!({
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.doc},
        }));
    }
    let mut diagnostic_codes: Vec<String> = report
        .files
        .iter()
        .flat_map(|f| f.findings.iter().filter_map(|x| x.code.clone()))
        .filter(|c| !RULES.iter().any(|(id, _, _)| id == c))
        .filter(|c| !crate::python::rules::STYLE_RULES.iter().any(|(rule, _)| rule.code == c))
        .collect();
    diagnostic_codes.sort();
    diagnostic_codes.dedup();
    rules.extend(diagnostic_codes.iter().map(|c| match crate::diagnostics::notice_for(c) {
        Some(notice) => json!({
            "id": notice.code,
            "name": notice.name,
            "shortDescription": {"text": notice.summary},
            "fullDescription": {"text": notice.doc},
        }),
        None => json!({"id": c, "shortDescription": {"text": c}}),
    }));
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "voice-otel-fix",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/superloglabs/skills",
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).expect("SARIF serialises")
}
