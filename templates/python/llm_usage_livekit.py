def __livekit_usage__(chunk):
    """A LiveKit `ChatChunk`: the last one of a stream carries `usage` (prompt tokens include cache)."""
    usage = getattr(chunk, "usage", None)
    if usage is None:
        return None
    return (
        getattr(usage, "prompt_tokens", None),
        getattr(usage, "completion_tokens", None),
        getattr(usage, "prompt_cached_tokens", None) or 0,
    )
