//! What LLM instrumentation shares across languages: the product operation a
//! function's name says, and the provider an endpoint's host says.

/// Leading verbs that say "make the call", not what it is for.
const VERBS: &[&str] =
    &["call", "invoke", "run", "do", "ask", "query", "request", "get", "fetch", "create", "make", "send", "generate"];

/// Words that name a vendor, a model family or the transport: never the product operation.
const TRANSPORT: &[&str] = &[
    "llm",
    "llms",
    "openai",
    "anthropic",
    "claude",
    "gpt",
    "gemini",
    "groq",
    "mistral",
    "cohere",
    "litellm",
    "bedrock",
    "completion",
    "completions",
    "api",
    "ai",
    "model",
    "converse",
    "azure",
    "vertex",
    "aws",
    "deepseek",
    "xai",
    "ollama",
];

/// Words for the model's output in general: a name made of nothing else
/// (`get_groq_response`, `claude_stream`) does not say what it is for.
const GENERIC: &[&str] =
    &["response", "responses", "stream", "streaming", "result", "output", "message", "messages", "content"];

/// Words that end a name only to lead to a transport word (`draft_reply_with_claude`), or say
/// only what kind of thing holds the code (`SupportAgent`).
const FILLERS: &[&str] =
    &["with", "via", "using", "chat", "agent", "service", "client", "bot", "handler", "provider", "sync", "async"];

/// The product operation a function's name says, without the verbs and
/// transport words around it: `_call_mug_copy_llm` → `mug_copy`,
/// `run_llm_scorer` → `scorer`, `draft_reply_with_claude` → `draft_reply`.
/// A name that says nothing else (`call_llm`, `ask_claude`) gives way to the
/// first of `fallbacks` that does (its class, its module), then to `call`.
pub fn operation_name(function: &str, fallbacks: &[&str]) -> String {
    std::iter::once(function)
        .chain(fallbacks.iter().copied())
        .map(operation)
        .find(|name| !name.is_empty())
        .unwrap_or_else(|| "call".to_string())
}

fn operation(name: &str) -> String {
    let mut words = words(name);
    while words.len() > 1 && VERBS.contains(&words[0].as_str()) {
        words.remove(0);
    }
    words.retain(|w| !TRANSPORT.contains(&w.as_str()));
    while words.last().is_some_and(|w| FILLERS.contains(&w.as_str())) {
        words.pop();
    }
    while words.first().is_some_and(|w| FILLERS.contains(&w.as_str())) {
        words.remove(0);
    }
    if words.iter().all(|w| GENERIC.contains(&w.as_str())) {
        return String::new();
    }
    words.join("_")
}

/// `snake_case` or `CamelCase` words, lowercased (`ChatGPTAgent` → chat, gpt,
/// agent). Vendors written in mixed case are one word (`OpenAI`, `DeepSeek`),
/// and a run of capitals made of known acronyms is split into them
/// (`OpenAILLMProvider` → openai, llm, provider; not open, aillm, provider).
pub fn words(name: &str) -> Vec<String> {
    let mut name = name.to_string();
    for (written, word) in BRANDS {
        name = name.replace(written, word);
    }
    let mut words = Vec::new();
    let mut word = String::new();
    let mut capitals = true;
    let chars: Vec<char> = name.chars().collect();
    let mut push = |word: &mut String, capitals: bool| {
        if !word.is_empty() {
            let word = std::mem::take(word);
            match acronyms(&word).filter(|_| capitals) {
                Some(parts) => words.extend(parts.into_iter().map(str::to_lowercase)),
                None => words.push(word.to_lowercase()),
            }
        }
    };
    for (i, &c) in chars.iter().enumerate() {
        let boundary = c.is_uppercase()
            && !word.is_empty()
            && (chars[i - 1].is_lowercase() || chars.get(i + 1).is_some_and(|n| n.is_lowercase()));
        let separator = !c.is_alphanumeric();
        if separator || boundary {
            push(&mut word, capitals);
            capitals = true;
            if separator {
                continue;
            }
        }
        capitals &= c.is_uppercase();
        word.push(c);
    }
    push(&mut word, capitals);
    // Numbers say nothing of the operation (`2-1_invoke-converse.py`, `step1`).
    words.retain(|w| !w.chars().all(|c| c.is_ascii_digit()));
    words
}

/// Vendors written in mixed case, as one word each.
const BRANDS: &[(&str, &str)] =
    &[("OpenAI", "Openai"), ("DeepSeek", "Deepseek"), ("xAI", "Xai"), ("LiveKit", "Livekit")];

/// Acronyms that run together in names (`AILLM`).
const ACRONYMS: &[&str] = &["LLM", "GPT", "API", "AI", "TTS", "STT", "SDK", "RAG", "HTTP", "JSON", "SQL", "URL", "ID"];

/// A run of capitals as the acronyms it is made of, when it is made of nothing else.
fn acronyms(run: &str) -> Option<Vec<&str>> {
    if run.len() <= 3 {
        return None;
    }
    let mut parts = Vec::new();
    let mut rest = run;
    while !rest.is_empty() {
        let acronym = ACRONYMS.iter().filter(|a| rest.starts_with(**a)).max_by_key(|a| a.len())?;
        parts.push(&rest[..acronym.len()]);
        rest = &rest[acronym.len()..];
    }
    Some(parts)
}

/// The provider of an openai-shaped client whose `base_url` is written out:
/// a vendor's host names the vendor (`provider_from_base_url`); a server on
/// this machine or a container's host is `ollama` on Ollama's port, else
/// `self_hosted`; any other host is named by itself (`llm.internal.acme.com`),
/// never `openai`, whose tokens it is not. `None` for what is not a URL.
pub fn provider_of_endpoint(url: &str) -> Option<String> {
    if let Some(vendor) = provider_from_base_url(url) {
        return Some(vendor.to_string());
    }
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    let authority = authority.rsplit('@').next()?.to_string();
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6.split_once(']')?;
            (host.to_string(), after.strip_prefix(':').map(str::to_string))
        }
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host.to_string(), Some(port.to_string())),
            None => (authority.clone(), None),
        },
    };
    if host.is_empty() {
        return None;
    }
    let local = matches!(host.as_str(), "localhost" | "127.0.0.1" | "0.0.0.0" | "::1" | "host.docker.internal");
    Some(match (local, port.as_deref()) {
        (true, Some("11434")) => "ollama".to_string(),
        (true, _) => "self_hosted".to_string(),
        (false, _) => host,
    })
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
        ("cerebras.ai", "cerebras"),
        ("perplexity.ai", "perplexity"),
        // The vendors' own openai-compatible endpoints.
        ("api.anthropic.com", "anthropic"),
        ("api.cohere.", "cohere"),
        ("azure.com", "azure_openai"),
        ("mistral.ai", "mistral"),
        ("generativelanguage.googleapis.com", "google"),
        // Vertex AI's openai-compatible endpoint, one host per region.
        ("aiplatform.googleapis.com", "google"),
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
        assert_eq!(operation_name("_call_mug_copy_llm", &[]), "mug_copy");
        assert_eq!(operation_name("summarize_call", &[]), "summarize_call");
        assert_eq!(operation_name("draft_reply_with_claude", &[]), "draft_reply");
        assert_eq!(operation_name("run_llm_scorer", &[]), "scorer");
        assert_eq!(operation_name("claude_triage_llm", &[]), "triage");
        // Only the model's output, in general: the class, then the module, say what it is for.
        assert_eq!(operation_name("get_groq_response", &["faq"]), "faq");
        assert_eq!(operation_name("_create_openai_stream", &[]), "call");
        assert_eq!(operation_name("claude_stream", &["ConciergeBot"]), "concierge");
        assert_eq!(operation_name("stream_summary", &[]), "stream_summary");
        assert_eq!(operation_name("classify_with_ai", &[]), "classify");
        // An echo of the API (`generate_content`, `converse`) or of the client (`sync_client`) says nothing.
        assert_eq!(operation_name("generate_content", &["menu"]), "menu");
        assert_eq!(operation_name("converse", &["triage"]), "triage");
        assert_eq!(operation_name("generate_summary", &[]), "summary");
        assert_eq!(operation_name("sync_client", &["notes"]), "notes");
        // Nothing but the call and its transport: the class, then the module, say what it is for.
        assert_eq!(operation_name("_call_openai", &["ChatGPTAgent", "triage"]), "triage");
        assert_eq!(operation_name("ask_claude", &["IntentRouter", "agent"]), "intent_router");
        assert_eq!(operation_name("call_llm", &[]), "call");
        assert_eq!(operation_name("get_completion", &["summaries"]), "summaries");
        // Vendors in mixed case and acronyms run together are words of their own: no vendor leaks in.
        assert_eq!(words("OpenAILLMProvider"), ["openai", "llm", "provider"]);
        assert_eq!(words("GPTIntentRouter"), ["gpt", "intent", "router"]);
        assert_eq!(words("HTTPServer"), ["http", "server"]);
        assert_eq!(words("DeepSeekRAGSummarizer"), ["deepseek", "rag", "summarizer"]);
        assert_eq!(words("ACMEBot"), ["acme", "bot"]);
        // File names as modules: dashes and numbers are not words.
        assert_eq!(words("2-1_invoke-converse"), ["invoke", "converse"]);
        assert_eq!(operation_name("", &["", "chat-post"]), "post");
        assert_eq!(operation_name("", &["", "1"]), "call");
        assert_eq!(operation_name("generate_response", &["OpenAILLMProvider", "openai_provider"]), "call");
        assert_eq!(operation_name("respond", &["DeepSeekLLMTriage"]), "respond");
    }

    #[test]
    fn providers_from_hosts() {
        assert_eq!(provider_from_base_url("https://api.groq.com/openai/v1"), Some("groq"));
        assert_eq!(provider_from_base_url("http://localhost:8000/v1"), None);
        assert_eq!(provider_from_base_url("https://api.cerebras.ai/v1"), Some("cerebras"));
        assert_eq!(provider_from_base_url("https://api.anthropic.com/v1/"), Some("anthropic"));
        assert_eq!(provider_from_base_url("https://api.cohere.ai/compatibility/v1"), Some("cohere"));
        let vertex =
            "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/endpoints/openapi";
        assert_eq!(provider_from_base_url(vertex), Some("google"));
        let endpoint = |url: &str| provider_of_endpoint(url);
        assert_eq!(endpoint("https://api.groq.com/openai/v1").as_deref(), Some("groq"));
        assert_eq!(endpoint("http://localhost:11434/v1").as_deref(), Some("ollama"));
        assert_eq!(endpoint("http://127.0.0.1:8000/v1").as_deref(), Some("self_hosted"));
        assert_eq!(endpoint("http://[::1]:8000/v1").as_deref(), Some("self_hosted"));
        assert_eq!(endpoint("https://llm.internal.acme.com:8443/v1").as_deref(), Some("llm.internal.acme.com"));
        assert_eq!(endpoint("not a url"), None);
    }
}
