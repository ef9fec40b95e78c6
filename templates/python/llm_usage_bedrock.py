def __bedrock_usage__(response):
    """bedrock-runtime converse: `usage.inputTokens` excludes cache reads and writes, which are added."""
    if not isinstance(response, dict):
        return None
    usage = response.get("usage") or (response.get("metadata") or {}).get("usage")
    if not usage:
        return None
    input_tokens = usage.get("inputTokens")
    cache_read = usage.get("cacheReadInputTokens") or 0
    cache_write = usage.get("cacheWriteInputTokens") or 0
    if input_tokens is not None:
        input_tokens += cache_read + cache_write
    return input_tokens, usage.get("outputTokens"), cache_read
