//! VOF011: a session span ended inside the entrypoint body.

use super::{span_name, Context, Rule, Violation};
use crate::python::syntax::Field;
use crate::python::syntax::NodeKind;
use crate::python::syntax::{keyword_argument, same_scope_descendants, text};

pub const RULE: Rule = Rule {
    code: "VOF011",
    name: "session-span-ended-in-body",
    summary: "A `voice.session` span that ends before the session does",
    doc: "## What it does\nFinds a `voice.session` span that ends in the function that starts it: `session_span.end()` in the same body, `with tracer.start_as_current_span(\"voice.session\")`, or `trace.use_span(session_span)` without `end_on_exit=False`.\n\n## Why is this bad?\nA LiveKit session outlives its entrypoint: `session.start(...)` returns while the conversation goes on, and cleanup runs in shutdown callbacks. A session span ended in the body measures only the setup.\n\n## Example\n```python\nsession_span = tracer.start_span(\"voice.session\")\nwith trace.use_span(session_span):\n    await session.start(agent=Assistant(), room=ctx.room)\n```\n\nUse instead:\n```python\nwith trace.use_span(session_span, end_on_exit=False):\n    ...\n    ctx.add_shutdown_callback(on_shutdown)  # ends session_span\n```\n\n## Fix safety\nNo fix: where the span should end depends on the callback that ends it.",
    fix: false,
};

pub fn check(cx: &Context) -> Vec<Violation> {
    let source = cx.source;
    let mut out = Vec::new();
    // Tests may well open a short `voice.session` span of their own.
    if cx.file_name.starts_with("test_") || cx.file_name.ends_with("_test.py") {
        return out;
    }
    for function in cx.semantics.nodes.iter().copied().filter(|n| n.kind_name() == "function_definition") {
        let Some(body) = function.field("body") else { continue };
        let nodes = same_scope_descendants(body);
        let mut spans = Vec::new();
        for node in &nodes {
            if node.kind_name() == "assignment" {
                if let (Some(left), Some(right)) = (node.field("left"), node.field("right")) {
                    if span_name(right, source) == Some("voice.session") {
                        spans.push(text(left, source).to_string());
                    }
                }
            }
            if node.kind_name() == "with_item" {
                if let Some(value) = node.named_child(0) {
                    let call = if value.kind_name() == "as_pattern" { value.named_child(0) } else { Some(value) };
                    if call.is_some_and(|c| span_name(c, source) == Some("voice.session")) {
                        out.push(Violation {
                            code: RULE.code,
                            at: value.start_byte(),
                            message: "`with ...start_as_current_span(\"voice.session\")` ends the session span when the block exits, before the session ends".into(),
                        });
                    }
                }
            }
        }
        for node in &nodes {
            if node.kind_name() != "call" {
                continue;
            }
            let Some(callee) = node.field("function").filter(|f| f.kind_name() == "attribute") else {
                continue;
            };
            let method = callee.field("attribute").map_or("", |a| text(a, source));
            let object = callee.field("object").map_or("", |o| text(o, source));
            if method == "end" && spans.iter().any(|s| s == object) {
                out.push(Violation {
                    code: RULE.code,
                    at: node.start_byte(),
                    message: format!(
                        "`{object}.end()` in the function that starts the session span: end it in a shutdown callback"
                    ),
                });
            }
            if method == "use_span" {
                let first = node.field("arguments").and_then(|a| a.named_child(0));
                let ends = keyword_argument(*node, "end_on_exit", source).map(|v| text(v, source));
                if first.is_some_and(|f| spans.iter().any(|s| s == text(f, source))) && ends != Some("False") {
                    out.push(Violation {
                        code: RULE.code,
                        at: node.start_byte(),
                        message:
                            "`use_span` of the session span without `end_on_exit=False` ends it when the block exits"
                                .into(),
                    });
                }
            }
        }
    }
    out
}
