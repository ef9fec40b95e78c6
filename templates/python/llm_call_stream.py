class __LlmCall__:  # these methods join the class when a stream is counted
    def stream(self, events):
        """A stream's events, unchanged, counting the usage the provider reports in them."""
        return self._Counted(self, events)

    class _Counted:
        """Iterated as the loop iterates it, `for` or `async for` (litellm's streams have both)."""

        def __init__(self, call, events):
            self._call = call
            self._events = events

        def __iter__(self):
            for event in self._events:
                self._call._add(event, stream=True)
                yield event

        def __aiter__(self):
            return self._aiter()

        async def _aiter(self):
            async for event in self._events:
                self._call._add(event, stream=True)
                yield event
