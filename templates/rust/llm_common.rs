// The part of the `voice_otel_llm` module both flavours share (llm_otel.rs,
// llm_tracing.rs): the counters, made once, and what a call site and a
// response say. Inserted at `// voice-otel-fix: common`.

    static TOKENS_INPUT: LazyLock<Counter<u64>> = LazyLock::new(|| {
        global::meter(env!("CARGO_PKG_NAME"))
            .u64_counter("llm.tokens.input")
            .with_unit("{token}")
            .with_description("LLM input tokens, cached ones included")
            .build()
    });
    static TOKENS_OUTPUT: LazyLock<Counter<u64>> = LazyLock::new(|| {
        global::meter(env!("CARGO_PKG_NAME"))
            .u64_counter("llm.tokens.output")
            .with_unit("{token}")
            .with_description("LLM output tokens")
            .build()
    });

    /// What the code says about one call site.
    pub struct Call {
        pub span: &'static str,
        pub provider: Option<&'static str>,
        pub model: Option<&'static str>,
        pub use_case: &'static str,
        pub call_site: &'static str,
    }

    /// What a response says about itself.
    pub struct Usage {
        pub provider: Option<String>,
        pub model: Option<String>,
        pub input: Option<u64>,
        pub output: Option<u64>,
    }

