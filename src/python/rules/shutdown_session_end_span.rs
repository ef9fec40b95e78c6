//! VOF010: a short `voice.session.end`-style span opened in a shutdown callback.

use super::{span_name, Context, Rule, Violation};
use crate::python::syntax::Field;
use crate::python::syntax::NodeKind;
use crate::python::syntax::{descendants, first_positional, text, visible_definition};

pub const RULE: Rule = Rule {
    code: "VOF010",
    name: "shutdown-session-end-span",
    summary: "A `voice.session.*` span opened inside a shutdown callback",
    doc: "## What it does\nFinds spans named `voice.session...` (typically `voice.session.end`) started inside a function registered with `ctx.add_shutdown_callback(...)`.\n\n## Why is this bad?\nThe style guide: \"Do not replace this with a short voice.session.end span inside shutdown.\" A span that starts at shutdown measures nothing of the session; the whole-session span must start in the entrypoint and *end* in the shutdown callback.\n\n## Example\n```python\nasync def on_shutdown(reason: str) -> None:\n    with tracer.start_as_current_span(\"voice.session.end\"):\n        ...\n```\n\nUse instead:\n```python\nasync def on_shutdown(reason: str) -> None:\n    session_span.set_attribute(\"voice.duration_ms\", duration_ms)\n    session_span.end()\n```\n\n## Fix safety\nNo fix: the session span has to be started in the entrypoint (run the tool without this span to get that shape).",
    fix: false,
};

pub fn check(cx: &Context) -> Vec<Violation> {
    let source = cx.source;
    let mut out = Vec::new();
    for call in cx.semantics.calls.iter().copied() {
        let Some(function) = call.field("function").filter(|f| f.kind_name() == "attribute") else {
            continue;
        };
        if function.field("attribute").is_none_or(|a| text(a, source) != "add_shutdown_callback") {
            continue;
        }
        let Some(callback) = first_positional(call).filter(|a| a.kind_name() == "identifier") else { continue };
        let Some(def) = visible_definition(callback, text(callback, source), source, true) else { continue };
        for inner in descendants(def) {
            if span_name(inner, source).is_some_and(|name| name.starts_with("voice.session")) {
                out.push(Violation {
                    code: RULE.code,
                    at: inner.start_byte(),
                    message: format!(
                        "`{}` span opened in the shutdown callback `{}`: start `voice.session` in the entrypoint and end it here",
                        span_name(inner, source).unwrap_or_default(),
                        text(callback, source)
                    ),
                });
            }
        }
    }
    out
}
