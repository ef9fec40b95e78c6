class __LlmCall__:  # these methods join the class when a stream is counted
    def stream(self, events):
        """Yield a stream's events unchanged, counting the usage the provider reports in them."""
        if hasattr(events, "__aiter__"):
            return self._astream(events)
        return self._stream(events)

    def _stream(self, events):
        for event in events:
            self._add(event, stream=True)
            yield event

    async def _astream(self, events):
        async for event in events:
            self._add(event, stream=True)
            yield event
