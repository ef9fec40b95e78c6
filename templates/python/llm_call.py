class __LlmCall__:
    """What LLM calls under one span reported: tokens (input with cache, output, cache read) and model.

    Reading usage never raises: telemetry must not break the call.
    """

    def __init__(self, usage):
        self._usage = usage
        self.tokens = None
        self.model = None

    def record(self, response):
        """Count a response's usage; return it unchanged (an awaitable: once awaited)."""
        if __inspect__.isawaitable(response):
            return self._record_awaited(response)
        self._add(response, stream=False)
        return response

    async def _record_awaited(self, awaitable):
        response = await awaitable
        self._add(response, stream=False)
        return response

    def _add(self, response, *, stream):
        try:
            if hasattr(response, "http_response") and hasattr(response, "parse"):
                response = response.parse()  # `with_raw_response`
            tokens = self._usage(response)
            model = getattr(response, "model", None)
        except Exception:
            return
        if isinstance(model, str) and model:
            self.model = model
        if tokens is None:
            return
        if self.tokens is None:
            self.tokens = tuple(t or 0 for t in tokens)
        elif stream:
            # Stream events report running totals: keep the largest of each.
            self.tokens = tuple(max(old, new or 0) for old, new in zip(self.tokens, tokens))
        else:
            self.tokens = tuple(old + (new or 0) for old, new in zip(self.tokens, tokens))
