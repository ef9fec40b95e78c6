//! VOF016: an LLM token counter without `tenant.id`.

use super::llm_counter_attributes::token_counter_adds;
use super::{Context, Rule, Violation};

pub const RULE: Rule = Rule {
    code: "VOF016",
    name: "llm-counter-without-tenant",
    summary: "`llm.tokens.*` recorded without `tenant.id`",
    doc: "## What it does\nFinds `llm.tokens.*` increments whose attributes lack `tenant.id`.\n\n## Why is this bad?\nUsage is billed and watched per tenant; a token count without its tenant cannot be charged or explained.\n\n## Example\n```python\nllm_tokens_output.add(n, {\"llm.provider\": \"openai\", ...})\n```\n\nUse instead: add `\"tenant.id\": tenant_id` (the tool's sessions keep the tenant in the OpenTelemetry context under `voice_otel_fix.tenant_id`).\n\n## Fix safety\nNo fix: where the tenant comes from is the code's to say.",
    fix: false,
};

pub fn check(cx: &Context) -> Vec<Violation> {
    token_counter_adds(cx)
        .into_iter()
        .filter_map(|(call, keys)| {
            (!keys?.contains(&"tenant.id")).then(|| Violation {
                code: RULE.code,
                at: call.start_byte(),
                message: "LLM token counter without `tenant.id`".into(),
            })
        })
        .collect()
}
