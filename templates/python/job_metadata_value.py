def __job_metadata_value__(ctx, key: str) -> str:
    """Read ``key`` from the LiveKit job's JSON metadata; "unknown" when absent."""
    try:
        value = __json__.loads(ctx.job.metadata or "{}").get(key)
    except (AttributeError, TypeError, ValueError):
        return "unknown"
    return "unknown" if value is None else str(value)
