//! A span named for the product operation around each awaited LLM call, and
//! its token counts (SPEC §3, "LLM Turns", in Rust): the call's future is
//! handed to `voice_otel_llm::record` (see [`super::telemetry_module`]), which
//! makes the span current while it runs and returns its result unchanged, so
//! `?`, `.await` and the value's type stay as they were.
//!
//! ```rust
//! // before
//!     let response = client.chat().create(request).await?;
//! ```
//! ```rust
//! // after
//!     let response = voice_otel_llm::record(
//!         voice_otel_llm::Call {
//!             span: "llm.summarize",
//!             provider: Some("openai"),
//!             model: Some("gpt-4o-mini"),
//!             use_case: "summarize",
//!             call_site: "Summarizer::summarize",
//!         },
//!         client.chat().create(request),
//!         voice_otel_llm::openai_chat,
//!     )
//!     .await?;
//! ```
//!
//! Not rewritten, with a diagnostic: streaming calls (usage arrives on the last
//! event of a stream the caller consumes) and calls not awaited in place
//! (`join!`, a stored future), whose span would not cover the request.

use std::collections::HashMap;

use ra_ap_syntax::ast::{self, HasName};
use ra_ap_syntax::{AstNode, SyntaxKind};

use crate::config::LlmOverride;
use crate::edit::Edit;
use crate::llm::operation_name;
use crate::rust::detect::llm_calls::LlmCall;

/// What became of a call site.
pub enum Outcome {
    Planned { span: String, edit: Edit },
    AlreadyInstrumented,
    Unsafe { code: &'static str, message: String },
}

/// Plans one call site.
pub fn plan(call: &LlmCall, source: &str, unit: &str, overrides: &HashMap<String, LlmOverride>) -> Outcome {
    if already_instrumented(call) {
        return Outcome::AlreadyInstrumented;
    }
    if call.streaming {
        return Outcome::Unsafe {
            code: "VOF130",
            message: format!(
                "streaming `{}`: its usage arrives on the last event the caller's loop consumes; \
                 add the span and counters where the stream ends",
                call.method
            ),
        };
    }
    let Some(awaited) = &call.awaited else {
        return Outcome::Unsafe {
            code: "VOF131",
            message: format!("`{}` is not awaited in place: a span around it would not cover the request", call.method),
        };
    };
    let call_site = call_site(call.call.syntax());
    let function = call.call.syntax().ancestors().find_map(ast::Fn::cast);
    let operation =
        function.and_then(|f| f.name()).map_or_else(|| "call".to_string(), |n| operation_name(n.text(), &[]));
    let overrides = overrides.get(&call_site);
    let span = overrides.and_then(|o| o.span.clone()).unwrap_or_else(|| format!("llm.{operation}"));
    let use_case = overrides.and_then(|o| o.use_case.clone()).unwrap_or(operation);

    let start = usize::from(call.call.syntax().text_range().start());
    let end = usize::from(awaited.syntax().text_range().end());
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let indent: String = source[line_start..].chars().take_while(|c| *c == ' ' || *c == '\t').collect();
    let inner = format!("{indent}{unit}");
    let module = module_path(call.call.syntax());
    let call_text = reindent(call.call.syntax(), source, unit);
    let option = |value: Option<&str>| value.map_or_else(|| "None".to_string(), |v| format!("Some({})", quoted(v)));
    let text = [
        format!("{module}record("),
        format!("{inner}{module}Call {{"),
        format!("{inner}{unit}span: {},", quoted(&span)),
        format!("{inner}{unit}provider: {},", option(call.client.provider)),
        format!("{inner}{unit}model: {},", option(call.model.as_deref())),
        format!("{inner}{unit}use_case: {},", quoted(&use_case)),
        format!("{inner}{unit}call_site: {},", quoted(&call_site)),
        format!("{inner}}},"),
        format!("{inner}{call_text},"),
        format!("{inner}{module}{},", call.api.reader()),
        format!("{indent})"),
        format!("{indent}.await"),
    ]
    .join("\n");
    Outcome::Planned { span, edit: Edit { start, end, text, order: 1 } }
}

/// Already handed to `voice_otel_llm::record`.
fn already_instrumented(call: &LlmCall) -> bool {
    call.call.syntax().ancestors().filter_map(ast::CallExpr::cast).any(|outer| {
        outer.expr().is_some_and(|callee| callee.syntax().text().to_string().ends_with("voice_otel_llm::record"))
    })
}

/// `Type::method` for a method, the function's name otherwise.
pub fn call_site(node: &ra_ap_syntax::SyntaxNode) -> String {
    let Some(function) = node.ancestors().find_map(ast::Fn::cast) else { return "<module>".into() };
    let name = function.name().map(|n| n.text().to_string()).unwrap_or_default();
    let owner = function.syntax().ancestors().skip(1).find_map(|n| {
        if let Some(imp) = ast::Impl::cast(n.clone()) {
            let ast::Type::PathType(ty) = imp.self_ty()? else { return None };
            return Some(ty.path()?.segment()?.name_ref()?.text().to_string());
        }
        ast::Trait::cast(n).and_then(|t| t.name()).map(|n| n.text().to_string())
    });
    match owner {
        Some(owner) => format!("{owner}::{name}"),
        None => name,
    }
}

/// `voice_otel_llm::` as seen from the call: `super::` once per inline module it is in.
fn module_path(node: &ra_ap_syntax::SyntaxNode) -> String {
    let depth = node.ancestors().filter(|n| ast::Module::can_cast(n.kind())).count();
    format!("{}voice_otel_llm::", "super::".repeat(depth))
}

/// The call's text one level deeper: its continuation lines get one more
/// unit, except lines that start inside a string literal (their text is the
/// string's content).
fn reindent(call: &ra_ap_syntax::SyntaxNode, source: &str, unit: &str) -> String {
    let range = call.text_range();
    let (start, end) = (usize::from(range.start()), usize::from(range.end()));
    let strings: Vec<std::ops::Range<usize>> = call
        .descendants_with_tokens()
        .filter_map(|element| element.into_token())
        .filter(|token| matches!(token.kind(), SyntaxKind::STRING | SyntaxKind::BYTE_STRING | SyntaxKind::C_STRING))
        .map(|token| usize::from(token.text_range().start())..usize::from(token.text_range().end()))
        .collect();
    let mut out = String::new();
    let mut offset = start;
    for (i, line) in source[start..end].split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            let in_string = strings.iter().any(|s| s.start < offset && offset < s.end);
            if !in_string && !line.trim().is_empty() {
                out.push_str(unit);
            }
        }
        out.push_str(line);
        offset += line.len() + 1;
    }
    out
}

fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}
