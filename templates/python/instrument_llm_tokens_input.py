__llm_tokens_input__ = __meter__.create_counter(
    "llm.tokens.input",
    unit="{token}",
    description="LLM input tokens, cached ones included.",
)
