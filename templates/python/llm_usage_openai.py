def __openai_usage__(response):
    """openai-shaped: chat `prompt_tokens` (cache included) / `completion_tokens`, responses `input_tokens` / `output_tokens`."""
    usage = getattr(response, "usage", None)
    if usage is None:  # groq streams: the last chunk's `x_groq.usage`
        usage = getattr(getattr(response, "x_groq", None), "usage", None)
    if usage is None:  # responses streams: `response.completed`; mistral streams: `data.usage`
        usage = getattr(getattr(response, "response", None), "usage", None)
    if usage is None:
        usage = getattr(getattr(response, "data", None), "usage", None)
    if usage is None:
        return None
    input_tokens = getattr(usage, "prompt_tokens", None)
    if input_tokens is None:
        input_tokens = getattr(usage, "input_tokens", None)
    output_tokens = getattr(usage, "completion_tokens", None)
    if output_tokens is None:
        output_tokens = getattr(usage, "output_tokens", None)
    details = getattr(usage, "prompt_tokens_details", None) or getattr(usage, "input_tokens_details", None)
    return input_tokens, output_tokens, getattr(details, "cached_tokens", None) or 0
