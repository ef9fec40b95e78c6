//! The file's `voice_otel_llm` module, appended once at its end: the
//! `llm.tokens.input` / `llm.tokens.output` counters (made once, in a
//! `LazyLock`), `record` (the span and the counts around one call) and a usage
//! reader per API the file calls. Through the `opentelemetry` API by default
//! (the global tracer and meter, so the project's providers apply, with the
//! instrumentation scope the file already uses — `global::tracer("billing")` —
//! or else the crate's own name, `env!("CARGO_PKG_NAME")`); through
//! `tracing::info_span!` when the crate bridges `tracing` to OpenTelemetry.
//!
//! ```rust
//! // after (end of file)
//! /// OpenTelemetry for this file's LLM calls (inserted by voice-otel-fix): …
//! mod voice_otel_llm {
//!     static TOKENS_INPUT: LazyLock<Counter<u64>> = …;
//!     pub async fn record<T, E: std::fmt::Display>(call: Call, future: …, usage: fn(&T) -> Usage) -> Result<T, E> { … }
//!     pub fn openai_chat(response: &CreateChatCompletionResponse) -> Usage { … }
//! }
//! ```

use std::collections::BTreeSet;

use ra_ap_syntax::ast::{self, HasArgList};
use ra_ap_syntax::{AstNode, SourceFile};

use crate::edit::Edit;
use crate::rust::names::{path_text, string_literal, Names};

const OTEL: &str = include_str!("../../../templates/rust/llm_otel.rs");
const TRACING: &str = include_str!("../../../templates/rust/llm_tracing.rs");
const COMMON: &str = include_str!("../../../templates/rust/llm_common.rs");
const READERS: &str = include_str!("../../../templates/rust/llm_readers.rs");

/// Which API the module speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `opentelemetry::global` tracer and meter.
    Otel,
    /// `tracing` spans (exported by `tracing-opentelemetry`), `opentelemetry` counters.
    Tracing,
}

/// The instrumentation scopes the file's own code already uses:
/// `opentelemetry::global::tracer("billing")`, `global::meter("billing")`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Scopes {
    pub tracer: Option<String>,
    pub meter: Option<String>,
}

impl Scopes {
    pub fn of(file: &SourceFile, names: &Names) -> Scopes {
        let mut scopes = Scopes::default();
        for call in file.syntax().descendants().filter_map(ast::CallExpr::cast) {
            let Some(ast::Expr::PathExpr(callee)) = call.expr() else { continue };
            let Some(path) = callee.path() else { continue };
            let slot = match names.qualify(&path_text(&path)).as_str() {
                "opentelemetry::global::tracer" => &mut scopes.tracer,
                "opentelemetry::global::meter" => &mut scopes.meter,
                _ => continue,
            };
            let name = call.arg_list().and_then(|args| args.args().next()).and_then(|arg| string_literal(&arg));
            if slot.is_none() {
                *slot = name;
            }
        }
        scopes
    }
}

/// Whether the file already has the module, and which readers it has.
pub fn existing_readers(source: &str) -> Option<BTreeSet<String>> {
    if !source.contains("mod voice_otel_llm {") {
        return None;
    }
    let module = &source[source.find("mod voice_otel_llm {")?..];
    Some(
        module
            .match_indices("pub fn ")
            .map(|(i, _)| module[i + 7..].split('(').next().unwrap_or("").to_string())
            .collect(),
    )
}

/// The module with the given readers, in the file's indentation unit and line endings.
pub fn render(flavor: Flavor, scopes: &Scopes, readers: &BTreeSet<&str>, unit: &str, line_ending: &str) -> String {
    let template = match flavor {
        Flavor::Otel => OTEL,
        Flavor::Tracing => TRACING,
    };
    let scope = |name: &Option<String>| {
        name.as_ref().map_or_else(|| "env!(\"CARGO_PKG_NAME\")".to_string(), |n| format!("{n:?}"))
    };
    let mut chosen = String::new();
    for (name, body) in reader_bodies() {
        if readers.contains(name) {
            chosen.push('\n');
            chosen.push_str(body);
        }
    }
    // `llm_common.rs` without its own header comment.
    let common = &COMMON[COMMON.find("\n\n").map_or(0, |i| i + 2)..];
    let text = template
        .replace("    // voice-otel-fix: common\n", common)
        .replace("    // voice-otel-fix: readers\n", &chosen)
        .replace("global::tracer(env!(\"CARGO_PKG_NAME\"))", &format!("global::tracer({})", scope(&scopes.tracer)))
        .replace("global::meter(env!(\"CARGO_PKG_NAME\"))", &format!("global::meter({})", scope(&scopes.meter)));
    let text = text.trim_end_matches('\n');
    let text: Vec<String> = text
        .split('\n')
        .map(|line| {
            let spaces = line.len() - line.trim_start_matches(' ').len();
            format!("{}{}", unit.repeat(spaces / 4), &line[spaces - spaces % 4..])
        })
        .collect();
    text.join(line_ending)
}

/// The reader functions of `llm_readers.rs`, by name.
fn reader_bodies() -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    let marker = "// voice-otel-fix: reader ";
    let mut rest = READERS;
    while let Some(at) = rest.find(marker) {
        let after = &rest[at + marker.len()..];
        let name_end = after.find('\n').unwrap_or(after.len());
        let name = &after[..name_end];
        let body_start = name_end + 1;
        let body_end = after[body_start..].find("// voice-otel-fix: ").map_or(after.len(), |i| body_start + i);
        out.push((name, &after[body_start..body_end]));
        rest = &after[body_end..];
    }
    out
}

/// The edit that appends the module at the end of the file.
pub fn append(source: &str, module: &str, line_ending: &str) -> Edit {
    let separator =
        if source.ends_with('\n') { line_ending.to_string() } else { format!("{line_ending}{line_ending}") };
    Edit { start: source.len(), end: source.len(), text: format!("{separator}{module}{line_ending}"), order: 2 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_only_the_readers_asked_for() {
        let readers = BTreeSet::from(["genai_chat"]);
        let text = render(Flavor::Otel, &Scopes::default(), &readers, "    ", "\n");
        assert!(text.contains("pub fn genai_chat("));
        assert!(!text.contains("pub fn openai_chat("));
        assert!(!text.contains("voice-otel-fix: reader"));
        let tabs = render(Flavor::Tracing, &Scopes::default(), &readers, "\t", "\n");
        assert!(tabs.contains("\n\tuse std::future::Future;"));
        assert_eq!(existing_readers(&text).unwrap(), BTreeSet::from(["genai_chat".to_string()]));
    }
}
