def __google_usage__(response):
    """google-genai: `usage_metadata` (`prompt_token_count` includes cached content)."""
    usage = getattr(response, "usage_metadata", None)
    if usage is None:
        return None
    return (
        getattr(usage, "prompt_token_count", None),
        getattr(usage, "candidates_token_count", None),
        getattr(usage, "cached_content_token_count", None) or 0,
    )
