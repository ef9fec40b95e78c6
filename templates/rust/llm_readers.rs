// Each reader turns one crate's response into `Usage`; the ones a file needs
// are inserted into its `voice_otel_llm` module at `// voice-otel-fix: readers`.

// voice-otel-fix: reader openai_chat
    /// async-openai chat completions: `usage.prompt_tokens` (cached included) / `usage.completion_tokens`.
    pub fn openai_chat(response: &async_openai::types::chat::CreateChatCompletionResponse) -> Usage {
        let usage = response.usage.as_ref();
        Usage {
            provider: None,
            model: Some(response.model.clone()),
            input: usage.map(|u| u64::from(u.prompt_tokens)),
            output: usage.map(|u| u64::from(u.completion_tokens)),
        }
    }
// voice-otel-fix: reader openai_responses
    /// async-openai responses: `usage.input_tokens` (cached included) / `usage.output_tokens`.
    pub fn openai_responses(response: &async_openai::types::responses::Response) -> Usage {
        let usage = response.usage.as_ref();
        Usage {
            provider: None,
            model: Some(response.model.clone()),
            input: usage.map(|u| u64::from(u.input_tokens)),
            output: usage.map(|u| u64::from(u.output_tokens)),
        }
    }
// voice-otel-fix: reader anthropic_messages
    /// anthropic-ai-sdk messages: `usage.input_tokens` / `usage.output_tokens`.
    pub fn anthropic_messages(response: &anthropic_ai_sdk::types::message::CreateMessageResponse) -> Usage {
        Usage {
            provider: None,
            model: Some(response.model.clone()),
            input: Some(u64::from(response.usage.input_tokens)),
            output: Some(u64::from(response.usage.output_tokens)),
        }
    }
// voice-otel-fix: reader genai_chat
    /// genai chat: the adapter that served it, `usage.prompt_tokens` / `usage.completion_tokens` (`Option<i32>`).
    pub fn genai_chat(response: &genai::chat::ChatResponse) -> Usage {
        let provider = match response.model_iden.adapter_kind.to_string().to_lowercase().as_str() {
            "openairesp" => "openai".to_string(),
            "gemini" | "geminiix" => "google".to_string(),
            other => other.to_string(),
        };
        let tokens = |n: Option<i32>| n.and_then(|n| u64::try_from(n).ok());
        Usage {
            provider: Some(provider),
            model: Some(response.provider_model_iden.model_name.to_string()),
            input: tokens(response.usage.prompt_tokens),
            output: tokens(response.usage.completion_tokens),
        }
    }
// voice-otel-fix: end
