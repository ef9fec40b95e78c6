def __bedrock_usage__(response):
    """bedrock-runtime: converse's `usage` (`inputTokens` excludes cache reads and writes, which are added);
    invoke_model's response headers (`x-amzn-bedrock-input-token-count`, …), its body left unread."""
    if not isinstance(response, dict):
        return None
    usage = response.get("usage") or (response.get("metadata") or {}).get("usage")
    if not usage:
        headers = (response.get("ResponseMetadata") or {}).get("HTTPHeaders") or {}
        if "x-amzn-bedrock-input-token-count" not in headers:
            return None
        usage = {
            "inputTokens": int(headers["x-amzn-bedrock-input-token-count"]),
            "outputTokens": int(headers.get("x-amzn-bedrock-output-token-count") or 0),
            "cacheReadInputTokens": int(headers.get("x-amzn-bedrock-cache-read-input-token-count") or 0),
            "cacheWriteInputTokens": int(headers.get("x-amzn-bedrock-cache-write-input-token-count") or 0),
        }
    input_tokens = usage.get("inputTokens")
    cache_read = usage.get("cacheReadInputTokens") or 0
    cache_write = usage.get("cacheWriteInputTokens") or 0
    if input_tokens is not None:
        input_tokens += cache_read + cache_write
    return input_tokens, usage.get("outputTokens"), cache_read
