def __with_session_context__(callback):
    """A shutdown callback run in the context it was registered in: LiveKit runs shutdown callbacks in
    its own job task, where the session's span and tenant are not current (LLM calls made there would
    count under tenant "unknown", outside the session's trace). Takes the reason as LiveKit decides."""
    registered_in = __otel_context__.get_current()
    takes_reason = callback.__code__.co_argcount >= (2 if __inspect__.ismethod(callback) else 1)

    async def in_session_context(reason: str = "unknown") -> None:
        token = __otel_context__.attach(registered_in)
        try:
            if takes_reason:
                await callback(reason)
            else:
                await callback()
        finally:
            __otel_context__.detach(token)

    in_session_context.__name__ = getattr(callback, "__name__", in_session_context.__name__)
    in_session_context.__qualname__ = getattr(callback, "__qualname__", in_session_context.__qualname__)
    return in_session_context
