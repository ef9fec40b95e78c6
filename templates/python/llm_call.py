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
        self._add(self._parsed(response), stream=False)
        return response

    async def _record_awaited(self, awaitable):
        response = await awaitable
        parsed = self._parsed(response)
        if __inspect__.isawaitable(parsed):  # an async `with_raw_response`: `parse()` is a coroutine, cached
            try:
                parsed = await parsed
            except Exception:
                parsed = None
        self._add(parsed, stream=False)
        return response

    @staticmethod
    def _parsed(response):
        """The parsed body of a `with_raw_response` result; anything else as it is."""
        if not (hasattr(response, "http_response") and hasattr(response, "parse")):
            return response
        try:
            return response.parse()
        except Exception:
            return None

    def _add(self, response, *, stream):
        if __inspect__.iscoroutine(response):
            response.close()  # an async `parse()` reached from sync code: not counted
            return
        try:
            tokens = self._usage(response)
            model = getattr(response, "model", None) or getattr(response, "model_version", None)
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
            self.tokens = tuple(max(self.tokens[i], tokens[i] or 0) for i in range(3))
        else:
            self.tokens = tuple(self.tokens[i] + (tokens[i] or 0) for i in range(3))
