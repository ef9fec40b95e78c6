//! VOF014: LLM token counters without the attribute set.

use super::{dict_keys, instruments, Context, Rule, Violation};
use crate::python::syntax::Field;
use crate::python::syntax::NodeKind;
use crate::python::syntax::{named_children, text};

pub const RULE: Rule = Rule {
    code: "VOF014",
    name: "llm-counter-attributes",
    summary: "`llm.tokens.*` recorded without `llm.provider`, `llm.model`, `llm.use_case`, `llm.call_site` or `outcome`",
    doc: "## What it does\nFinds `llm.tokens.input` / `llm.tokens.output` / `llm.tokens.cache_read` increments whose attributes (a dict literal, or a name assigned one in the same function) lack any of `llm.provider`, `llm.model`, `llm.use_case`, `llm.call_site`, `outcome` (`tenant.id` is VOF016).\n\n## Why is this bad?\nCost and usage are estimated downstream from provider, model and tokens, and broken down by use case, call site and outcome: a point without them cannot be attributed.\n\n## Example\n```python\nllm_tokens_input.add(usage.input_tokens, {\"llm.provider\": \"anthropic\"})\n```\n\nUse instead:\n```python\nattrs = {\"tenant.id\": tenant_id, \"llm.provider\": \"anthropic\", \"llm.model\": model,\n         \"llm.use_case\": \"voice.initial_greeting\", \"llm.call_site\": \"_call_mug_copy_llm\", \"outcome\": \"success\"}\nllm_tokens_input.add(input_tokens, attrs)\n```\n\n## Fix safety\nNo fix: the values are the code's to say.",
    fix: false,
};

pub const REQUIRED: &[&str] = &["llm.provider", "llm.model", "llm.use_case", "llm.call_site", "outcome"];

/// `counter.add(n, attributes)` calls on `llm.tokens.*` counters, with their attribute keys when visible.
pub(super) fn token_counter_adds<'s, 't>(cx: &Context<'s, 't>) -> Vec<(tree_sitter::Node<'t>, Option<Vec<&'s str>>)> {
    let source = cx.source;
    let counters: Vec<String> =
        instruments(cx).into_iter().filter(|(_, metric)| metric.starts_with("llm.tokens.")).map(|(n, _)| n).collect();
    cx.semantics
        .calls
        .iter()
        .copied()
        .filter_map(|call| {
            let function = call.field("function").filter(|f| f.kind_name() == "attribute")?;
            let object = text(function.field("object")?, source);
            let method = text(function.field("attribute")?, source);
            if method != "add" || !counters.iter().any(|c| c == object) {
                return None;
            }
            let args = named_children(call.field("arguments")?);
            let attributes = args.get(1).copied().or_else(|| {
                args.iter()
                    .find(|a| {
                        a.kind_name() == "keyword_argument"
                            && a.field("name").is_some_and(|n| text(n, source) == "attributes")
                    })
                    .and_then(|a| a.field("value"))
            });
            Some((call, attributes.and_then(|a| dict_keys(a, source))))
        })
        .collect()
}

pub fn check(cx: &Context) -> Vec<Violation> {
    token_counter_adds(cx)
        .into_iter()
        .filter_map(|(call, keys)| {
            let keys = keys?;
            let missing: Vec<&str> = REQUIRED.iter().copied().filter(|k| !keys.contains(k)).collect();
            (!missing.is_empty()).then(|| Violation {
                code: RULE.code,
                at: call.start_byte(),
                message: format!(
                    "LLM token counter without {}",
                    missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
                ),
            })
        })
        .collect()
}
