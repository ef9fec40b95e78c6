//! VOF013: a span named after the provider transport.

use super::{span_name, Context, Rule, Violation};
use crate::llm::operation_name;
use crate::python::syntax::symbol;
use crate::python::syntax::Field;
use crate::python::syntax::NodeKind;
use crate::python::syntax::{enclosing_function, first_positional, text};

pub const RULE: Rule = Rule {
    code: "VOF013",
    name: "transport-span-name",
    summary: "A span named after the provider call (`llm.anthropic.messages.create`) instead of the product operation",
    doc: "## What it does\nFinds spans whose name is a provider SDK method (`messages.create`, `chat.completions.create`, `generate_content`, ...) or `llm.<provider>.*`.\n\n## Why is this bad?\nThe style guide: \"Name the span for the product operation, not the provider transport call.\" The SDKs emit transport spans of their own; ours says what the product was doing, so dashboards group by use, not by vendor API.\n\n## Example\n```python\nwith tracer.start_as_current_span(\"llm.anthropic.messages.create\"):\n    ...\n```\n\nUse instead:\n```python\nwith tracer.start_as_current_span(\"llm.generate_copy\"):\n    ...\n```\n\n## Fix safety\nNo automatic fix: renaming a span changes what dashboards see. The message suggests a name from the enclosing function.",
    fix: false,
};

const TRANSPORT: &[&str] = &[
    "messages.create",
    "messages.stream",
    "chat.completions",
    "completions.create",
    "responses.create",
    "generate_content",
    "converse",
    "chat_stream",
    "chat.complete",
    "acompletion",
];
const PROVIDERS: &[&str] =
    &["anthropic", "openai", "google", "gemini", "groq", "mistral", "cohere", "bedrock", "litellm", "azure"];

pub fn check(cx: &Context) -> Vec<Violation> {
    let source = cx.source;
    let mut out = Vec::new();
    for call in cx.semantics.calls.iter().copied() {
        let Some(name) = span_name(call, source) else { continue };
        let lower = name.to_lowercase();
        let transport = TRANSPORT.iter().any(|t| lower.contains(t))
            || PROVIDERS.iter().any(|p| lower.starts_with(&format!("llm.{p}.")) || lower.starts_with(&format!("{p}.")));
        if !transport {
            continue;
        }
        let function = decorated_function(call).or_else(|| enclosing_function(call));
        let function_name = function.and_then(|f| f.field("name")).map_or("", |n| text(n, source));
        let site = function.map(|f| symbol(f, source)).unwrap_or_default();
        let class = site.rsplit_once('.').map_or("", |(class, _)| class);
        let module = cx.file_name.strip_suffix(".py").unwrap_or(cx.file_name);
        let operation = operation_name(function_name, &[class, module]);
        let at = first_positional(call).map_or(call.start_byte(), |a| a.start_byte());
        out.push(Violation {
            code: RULE.code,
            at,
            message: format!("span `{name}` is named after the provider call; name it for the product operation, e.g. `llm.{operation}`"),
        });
    }
    out
}

/// The function a decorator call decorates.
fn decorated_function(call: tree_sitter::Node) -> Option<tree_sitter::Node> {
    let decorator = call.parent().filter(|p| p.kind_name() == "decorator")?;
    decorator.parent()?.field("definition")
}
