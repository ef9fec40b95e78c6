class __WatchedStream__:
    """A stream manager that hands out the provider's own stream and counts its final usage."""

    def __init__(self, call, manager):
        self._call = call
        self._manager = manager
        self._stream = None

    def __enter__(self):
        self._stream = self._manager.__enter__()
        return self._stream

    def __exit__(self, *exc_info):
        try:
            return self._manager.__exit__(*exc_info)
        finally:
            self._count()

    async def __aenter__(self):
        self._stream = await self._manager.__aenter__()
        return self._stream

    async def __aexit__(self, *exc_info):
        try:
            return await self._manager.__aexit__(*exc_info)
        finally:
            self._count()

    def _count(self):
        try:  # anthropic's MessageStream, else openai's ChatCompletionStream
            snapshot = getattr(self._stream, "current_message_snapshot", None)
            if snapshot is None:
                snapshot = self._stream.current_completion_snapshot
        except Exception:
            return
        self._call._add(snapshot, stream=True)
