def __anthropic_usage__(response):
    """anthropic: `input_tokens` excludes the cache, so cache reads and writes are added to it."""
    usage = getattr(response, "usage", None)
    if usage is None:  # a `message_start` stream event
        usage = getattr(getattr(response, "message", None), "usage", None)
    if usage is None:
        return None
    input_tokens = getattr(usage, "input_tokens", None)
    cache_read = getattr(usage, "cache_read_input_tokens", None) or 0
    cache_write = getattr(usage, "cache_creation_input_tokens", None) or 0
    if input_tokens is not None:
        input_tokens += cache_read + cache_write
    return input_tokens, getattr(usage, "output_tokens", None), cache_read
