def __cohere_usage__(response):
    """cohere: `usage.tokens` (v2) or `meta.tokens` (v1), floats.

    Streams: v2's `message-end` event has `delta.usage`, v1's `stream-end` event `response.meta`.
    """
    usage = (
        getattr(response, "usage", None)
        or getattr(getattr(response, "delta", None), "usage", None)
        or getattr(response, "meta", None)
        or getattr(getattr(response, "response", None), "meta", None)
    )
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
