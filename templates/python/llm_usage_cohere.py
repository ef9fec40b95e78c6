def __cohere_usage__(response):
    """cohere v2: `usage.tokens` (floats); streams: the `message-end` event's `delta.usage`."""
    usage = getattr(response, "usage", None) or getattr(getattr(response, "delta", None), "usage", None)
    tokens = getattr(usage, "tokens", None)
    if tokens is None:
        return None
    input_tokens = getattr(tokens, "input_tokens", None)
    output_tokens = getattr(tokens, "output_tokens", None)
    return (
        None if input_tokens is None else int(input_tokens),
        None if output_tokens is None else int(output_tokens),
        int(getattr(usage, "cached_tokens", None) or 0),
    )
