def __framework_llm_usage__(call_site, *, plugin=None, model=None, use_case="voice.response"):
    """A sync `session_usage_updated` handler counting an AgentSession's LLM tokens, once each.

    The event carries the session's running totals per model: only what grew is counted.
    """
    tenant_id = str(__otel_context__.get_value("voice_otel_fix.tenant_id") or "unknown")
    counted = {}

    def on_session_usage_updated(event):
        try:
            model_usage = list(event.usage.model_usage)
        except Exception:
            return
        for usage in model_usage:
            if getattr(usage, "type", None) != "llm_usage":
                continue
            key = (usage.provider, usage.model)
            totals = (usage.input_tokens, usage.output_tokens, usage.input_cached_tokens)
            before = counted.get(key, (0, 0, 0))
            counted[key] = totals
            grown = tuple(max(totals[i] - before[i], 0) for i in range(3))
            # LiveKit says "unknown" for an LLM that names no model (one of the project's own): the code's then.
            reported_model = usage.model if usage.model not in (None, "", "unknown") else model
            __count_framework_llm_tokens__(grown, usage.provider, reported_model, plugin, tenant_id, use_case, call_site)

    return on_session_usage_updated
