//! VOF017: a smoke test that only asserts telemetry objects are not `None`.

use super::{Context, Rule, Violation};
use crate::python::syntax::Field;
use crate::python::syntax::NodeKind;
use crate::python::syntax::{same_scope_descendants, text};

pub const RULE: Rule = Rule {
    code: "VOF017",
    name: "not-none-smoke-test",
    summary: "A test whose only assertions are that a tracer, meter or provider is not `None`",
    doc: "## What it does\nFinds test functions (in `test_*.py` / `*_test.py`) whose every assertion is `x is not None` (or `assertIsNotNone(x)`) about a tracer, meter, provider or exporter.\n\n## Why is this bad?\nThe style guide: \"Checking that tracer/meter objects are non-None is not enough.\" `trace.get_tracer(...)` never returns `None`: such a test passes with telemetry switched off.\n\n## Example\n```python\ndef test_telemetry():\n    assert agent.tracer is not None\n```\n\nUse instead: run one tiny instrumented function under an in-memory exporter and assert the spans and metric points it emitted (`voice-otel-fix smoke` writes such a test).\n\n## Fix safety\nNo fix.",
    fix: false,
};

const TELEMETRY: &[&str] = &["tracer", "meter", "provider", "exporter", "telemetry", "otel"];

pub fn check(cx: &Context) -> Vec<Violation> {
    let source = cx.source;
    let is_test_file = cx.file_name.starts_with("test_") || cx.file_name.ends_with("_test.py");
    if !is_test_file {
        return Vec::new();
    }
    let mut out = Vec::new();
    for function in cx.semantics.nodes.iter().copied().filter(|n| n.kind_name() == "function_definition") {
        let Some(name) = function.field("name").map(|n| text(n, source)) else { continue };
        let Some(body) = function.field("body") else { continue };
        if !name.starts_with("test") {
            continue;
        }
        let nodes = same_scope_descendants(body);
        let asserts: Vec<&str> = nodes
            .iter()
            .filter_map(|n| match n.kind_name() {
                "assert_statement" => n.named_child(0).map(|c| text(c, source)),
                "call" if text(*n, source).contains("assertIsNotNone(") => Some(text(*n, source)),
                "call" if n.field("function").is_some_and(|f| text(f, source).contains(".assert")) => {
                    Some(text(*n, source))
                }
                _ => None,
            })
            .collect();
        let only_not_none = !asserts.is_empty()
            && asserts.iter().all(|a| {
                let lower = a.to_lowercase();
                (lower.ends_with("is not none") || lower.contains("assertisnotnone("))
                    && TELEMETRY.iter().any(|t| lower.contains(t))
            });
        if only_not_none {
            out.push(Violation {
                code: RULE.code,
                at: function.start_byte(),
                message: format!(
                    "`{name}` only asserts that telemetry objects are not None: assert emitted spans and metric points"
                ),
            });
        }
    }
    out
}
