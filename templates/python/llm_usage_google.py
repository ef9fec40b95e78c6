def __google_usage__(response):
    """google-genai: `usage_metadata`; input includes cached content and tool-use prompts, output thinking."""
    usage = getattr(response, "usage_metadata", None)
    if usage is None:
        return None
    input_tokens = getattr(usage, "prompt_token_count", None)
    if input_tokens is not None:
        input_tokens += getattr(usage, "tool_use_prompt_token_count", None) or 0
    output_tokens = getattr(usage, "candidates_token_count", None)
    thoughts = getattr(usage, "thoughts_token_count", None) or 0
    if output_tokens is not None or thoughts:
        output_tokens = (output_tokens or 0) + thoughts
    return input_tokens, output_tokens, getattr(usage, "cached_content_token_count", None) or 0
