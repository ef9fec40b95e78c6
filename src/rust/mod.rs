//! Rust: parse (`ra_ap_syntax`), detect LLM calls of async-openai,
//! anthropic-ai-sdk and genai, and wrap each in a product span with token
//! counters, one file at a time. The same fixes, selection and results as
//! Python (`crate::fix`); the same diff, review and write stages after.

pub mod cargo;
pub mod detect;
pub mod names;
pub mod parse;
pub mod transforms;

use std::collections::BTreeSet;

use ra_ap_syntax::AstNode;

use crate::config::Settings;
use crate::fix::{Dependencies, Fix, FixId, Instrumented, Selection, SyntaxError};
use crate::report::{Finding, FindingKind};
use crate::source::SourceFile;
use transforms::llm_span::{self, Outcome};
use transforms::telemetry_module::{self, Flavor};

/// Plans the selected fixes of one Rust file and applies them in memory.
pub fn instrument(file: &SourceFile, settings: &Settings, selection: Selection) -> Instrumented {
    let mut out = Instrumented::default();
    let source = file.text.as_str();
    let tree = match parse::parse(source) {
        Ok(parse) => parse.tree(),
        Err(err) => {
            out.invalid_input = Some(err);
            return out;
        }
    };
    let at = |offset: usize| file.line_col(offset);
    let enabled = |code: &str| settings.rule_enabled(code, &file.path);
    let names = names::Names::of(&tree);
    let calls = detect::llm_calls::find(&tree, &names);
    if calls.is_empty() {
        return out;
    }
    let manifest_path = cargo::manifest_of(&file.path);
    let manifest = manifest_path.as_ref().and_then(|p| std::fs::read_to_string(p).ok()).unwrap_or_default();
    let flavor = if cargo::uses_tracing_bridge(&manifest) { Flavor::Tracing } else { Flavor::Otel };
    let existing = telemetry_module::existing_readers(source);
    let overrides = settings.llm_overrides(&file.path);

    let mut edits = Vec::new();
    let mut readers: BTreeSet<&str> = BTreeSet::new();
    for call in &calls {
        let start = usize::from(call.call.syntax().text_range().start());
        let position = at(start);
        let mut finding = Finding::new(FindingKind::LlmCall, position);
        finding.symbol = Some(llm_span::call_site(call.call.syntax()));
        finding.form = Some(call.method.clone());
        finding.provider = call.client.provider.map(str::to_string);
        finding.model = call.model.clone();
        match llm_span::plan(call, source, &file.indent_unit, &overrides) {
            Outcome::Planned { span, edit } => {
                let reader = call.api.reader();
                if existing.as_ref().is_some_and(|have| !have.contains(reader)) {
                    finding.message = Some("not instrumented".into());
                    if enabled("VOF133") {
                        out.findings.push(Finding::diagnostic(
                            position,
                            "VOF133",
                            format!("the file's `voice_otel_llm` module has no `{reader}` reader: remove the module and rerun"),
                        ));
                    }
                    out.findings.push(finding);
                    continue;
                }
                finding.message = Some(format!("span {span}"));
                let fix = Fix {
                    id: FixId::new("llm", start),
                    code: "VOF004",
                    at: start,
                    title: format!("LLM span in `{}`", llm_span::call_site(call.call.syntax())),
                    line: position.0,
                    requires: Vec::new(),
                    edits: vec![edit.clone()],
                };
                if enabled(fix.code) {
                    if selection.allows(&fix.id) {
                        edits.push(edit);
                        readers.insert(reader);
                    }
                    out.fixes.push(fix);
                }
            }
            Outcome::AlreadyInstrumented => finding.message = Some("already instrumented".into()),
            Outcome::Unsafe { code, message } => {
                finding.message = Some("not instrumented".into());
                if enabled(code) {
                    out.findings.push(Finding::diagnostic(position, code, message));
                }
            }
        }
        out.findings.push(finding);
    }
    for fix in &out.fixes {
        out.findings.push(Finding::diagnostic(
            at(fix.at),
            fix.code,
            format!("LLM call without a product span and token counters: {} (fix available)", fix.title),
        ));
    }
    if edits.is_empty() {
        return out;
    }
    if existing.is_none() {
        let scopes = telemetry_module::Scopes::of(&tree, &names);
        let module = telemetry_module::render(flavor, &scopes, &readers, &file.indent_unit, file.line_ending);
        out.setup.push(telemetry_module::append(source, &module, file.line_ending));
        edits.extend(out.setup.iter().cloned());
    }

    // The crate must depend on what the inserted code uses.
    if let Some(manifest_path) = manifest_path {
        let mut needed = vec![cargo::OPENTELEMETRY];
        if flavor == Flavor::Tracing {
            needed.push(cargo::TRACING);
        }
        if let Some(version) = cargo::outdated_opentelemetry(&manifest) {
            if enabled("VOF134") {
                out.findings.push(Finding::diagnostic(
                    (1, 1),
                    "VOF134",
                    format!(
                        "{} asks for opentelemetry {version}; the inserted code uses the 0.28+ API \
                         (written against 0.33): upgrade it",
                        manifest_path.display()
                    ),
                ));
            }
        }
        let lines = cargo::missing(&manifest, &needed);
        if !lines.is_empty() {
            if enabled("VOF132") {
                out.findings.push(Finding::diagnostic(
                    (1, 1),
                    "VOF132",
                    format!(
                        "{} lacks {} in [dependencies]: add it, or rerun with --add-deps",
                        manifest_path.display(),
                        lines.join(", ")
                    ),
                ));
            }
            out.dependencies =
                Some(Dependencies { manifest: manifest_path, lines: lines.iter().map(|l| l.to_string()).collect() });
        }
    }

    match crate::edit::apply(source, edits) {
        Ok(text) => match parse::check_syntax(&text) {
            Ok(()) if text != source => out.text = Some(text),
            Ok(()) => {}
            Err(err) => out.invalid_output = Some(err),
        },
        Err(overlap) => {
            let (line, column) = at(overlap.1.start);
            out.invalid_output = Some(SyntaxError { line, column, message: "two planned edits overlap".into() });
        }
    }
    out
}
