//! What LLM instrumentation shares across languages: the product operation a
//! function's name says, and the provider an endpoint's host says.

/// `_call_mug_copy_llm` → `mug_copy`, `run_llm_scorer` → `scorer`: the product
/// operation, without the verbs and transport words around it.
pub fn operation_name(function: &str) -> String {
    let mut name = function.trim_matches('_').to_lowercase();
    for prefix in ["call_", "invoke_", "run_", "do_", "ask_", "query_", "request_", "get_", "fetch_"] {
        if let Some(rest) = name.strip_prefix(prefix) {
            if !rest.is_empty() {
                name = rest.to_string();
                break;
            }
        }
    }
    // `run_llm_scorer` → `scorer`: a transport word after the verb says no more than a suffix would.
    for prefix in ["llm_", "gpt_", "claude_", "gemini_", "openai_", "anthropic_"] {
        if let Some(rest) = name.strip_prefix(prefix) {
            if !rest.is_empty() {
                name = rest.to_string();
                break;
            }
        }
    }
    for _ in 0..2 {
        for suffix in [
            "_llm",
            "_completion",
            "_completions",
            "_chat",
            "_gpt",
            "_claude",
            "_gemini",
            "_openai",
            "_anthropic",
            "_model",
            "_api",
            "_with",
            "_via",
            "_using",
        ] {
            if let Some(rest) = name.strip_suffix(suffix) {
                if !rest.is_empty() {
                    name = rest.to_string();
                }
            }
        }
    }
    if name.is_empty() {
        "call".to_string()
    } else {
        name
    }
}

/// An openai-shaped SDK's provider, from the host of its `base_url`.
pub fn provider_from_base_url(url: &str) -> Option<&'static str> {
    let url = url.to_ascii_lowercase();
    [
        ("groq.com", "groq"),
        ("together.xyz", "together"),
        ("together.ai", "together"),
        ("fireworks.ai", "fireworks"),
        ("deepseek.com", "deepseek"),
        ("api.x.ai", "xai"),
        ("openrouter.ai", "openrouter"),
        ("azure.com", "azure_openai"),
        ("mistral.ai", "mistral"),
        ("generativelanguage.googleapis.com", "google"),
        ("api.openai.com", "openai"),
    ]
    .into_iter()
    .find_map(|(host, provider)| url.contains(host).then_some(provider))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_are_product_words() {
        assert_eq!(operation_name("_call_mug_copy_llm"), "mug_copy");
        assert_eq!(operation_name("summarize_call"), "summarize_call");
        assert_eq!(operation_name("draft_reply_with_claude"), "draft_reply");
        assert_eq!(operation_name("get_completion"), "completion");
        assert_eq!(operation_name("_llm"), "llm");
        assert_eq!(operation_name("run_llm_scorer"), "scorer");
        assert_eq!(operation_name("claude_triage_llm"), "triage");
        assert_eq!(operation_name("llm_"), "llm");
    }

    #[test]
    fn providers_from_hosts() {
        assert_eq!(provider_from_base_url("https://api.groq.com/openai/v1"), Some("groq"));
        assert_eq!(provider_from_base_url("http://localhost:8000/v1"), None);
    }
}
