def __configured_value__(read):
    """A configured attribute's value, read so that it cannot break the session: "unknown" when reading
    it raises (the room not connected yet, a missing key) or gives None."""
    try:
        value = read()
    except Exception:
        return "unknown"
    return "unknown" if value is None else str(value)
