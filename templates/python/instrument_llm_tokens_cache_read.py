__llm_tokens_cache_read__ = __meter__.create_counter(
    "llm.tokens.cache_read",
    unit="{token}",
    description="LLM input tokens read from the provider's prompt cache.",
)
