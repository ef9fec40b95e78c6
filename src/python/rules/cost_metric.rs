//! VOF012: a metric or attribute about cost.

use super::{Context, Rule, Violation};
use crate::python::syntax::Field;
use crate::python::syntax::NodeKind;
use crate::python::syntax::{descendants, first_positional, string_value, text};

pub const RULE: Rule = Rule {
    code: "VOF012",
    name: "cost-metric",
    summary: "A cost metric or attribute (`llm.cost_usd`, `*cost*`)",
    doc: "## What it does\nFinds instruments whose name mentions cost, and span or metric attributes about cost.\n\n## Why is this bad?\nThe style guide: \"Do not add llm.cost_usd metrics; Superlog estimates cost centrally from provider/model/token data.\" Prices change; a cost computed in the agent goes stale and disagrees with the central estimate.\n\n## Example\n```python\nllm_cost = meter.create_counter(\"llm.cost_usd\")\n```\n\nUse instead: count tokens (`llm.tokens.input`, `llm.tokens.output`) with provider and model attributes.\n\n## Fix safety\nNo fix: removing a metric is for a person to decide.",
    fix: false,
};

const TELEMETRY_CALLS: &[&str] =
    &["add", "record", "set", "set_attribute", "set_attributes", "start_span", "start_as_current_span", "add_event"];

pub fn check(cx: &Context) -> Vec<Violation> {
    let source = cx.source;
    let mut out = Vec::new();
    for call in cx.semantics.calls.iter().copied() {
        let Some(function) = call.field("function").filter(|f| f.kind_name() == "attribute") else {
            continue;
        };
        let method = function.field("attribute").map_or("", |a| text(a, source));
        let named = first_positional(call).and_then(|a| string_value(a, source).map(|s| (a, s)));
        if method.starts_with("create_") || method == "set_attribute" {
            if let Some((node, name)) = named.filter(|(_, n)| n.to_lowercase().contains("cost")) {
                let what = if method == "set_attribute" { "attribute" } else { "metric" };
                out.push(Violation {
                    code: RULE.code,
                    at: node.start_byte(),
                    message: format!("{what} `{name}`: cost is estimated downstream from provider, model and tokens; do not record it"),
                });
            }
        }
        if TELEMETRY_CALLS.contains(&method) || method.starts_with("create_") {
            let Some(arguments) = call.field("arguments") else { continue };
            for dict in descendants(arguments).into_iter().filter(|n| n.kind_name() == "dictionary") {
                for pair in descendants(dict).into_iter().filter(|n| n.kind_name() == "pair") {
                    let Some(key) = pair.field("key") else { continue };
                    if let Some(name) = string_value(key, source).filter(|k| k.to_lowercase().contains("cost")) {
                        out.push(Violation {
                            code: RULE.code,
                            at: key.start_byte(),
                            message: format!("attribute `{name}`: cost is estimated downstream; do not record it"),
                        });
                    }
                }
            }
        }
    }
    out
}
