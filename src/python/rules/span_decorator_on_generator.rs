//! VOF015: a `start_as_current_span` decorator on a generator.

use super::{Context, Rule, Violation};
use crate::python::syntax::Field;
use crate::python::syntax::NodeKind;
use crate::python::syntax::{decorators, is_generator, text};

pub const RULE: Rule = Rule {
    code: "VOF015",
    name: "span-decorator-on-generator",
    summary: "`@tracer.start_as_current_span(...)` on a generator or async generator",
    doc: "## What it does\nFinds span decorators on functions that `yield`.\n\n## Why is this bad?\nCalling a generator function only creates the generator: the decorator's span starts and ends right then, before any item is produced, so it measures nothing and the work done while iterating has the wrong parent.\n\n## Example\n```python\n@tracer.start_as_current_span(\"voice.stream_prompts\")\nasync def _stream_prompts():\n    yield ...\n```\n\nUse instead: a span around the loop that consumes the generator.\n\n## Fix safety\nNo fix: where the span belongs depends on the consumer.",
    fix: false,
};

pub fn check(cx: &Context) -> Vec<Violation> {
    let source = cx.source;
    cx.semantics
        .nodes
        .iter()
        .copied()
        .filter(|n| n.kind_name() == "function_definition" && is_generator(*n))
        .flat_map(|function| {
            decorators(function).into_iter().filter(|d| text(*d, source).contains("start_as_current_span")).map(
                move |d| Violation {
                    code: RULE.code,
                    at: d.start_byte(),
                    message: format!(
                        "span decorator on the generator `{}`: the span ends before iteration starts",
                        function.field("name").map_or("?", |n| text(n, source))
                    ),
                },
            )
        })
        .collect()
}
