__llm_tokens_output__ = __meter__.create_counter(
    "llm.tokens.output",
    unit="{token}",
    description="LLM output tokens.",
)
