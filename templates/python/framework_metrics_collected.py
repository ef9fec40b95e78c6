def __framework_llm_metrics__(call_site, *, plugin=None, model=None, use_case="voice.response"):
    """A sync `metrics_collected` handler (livekit-agents before 1.5) counting each LLM turn's tokens."""
    tenant_id = str(__otel_context__.get_value("voice_otel_fix.tenant_id") or "unknown")

    def on_metrics_collected(event):
        reported = getattr(event, "metrics", None)
        kind = getattr(reported, "type", None)
        try:
            if kind == "llm_metrics":
                tokens = (reported.prompt_tokens, reported.completion_tokens, reported.prompt_cached_tokens)
            elif kind == "realtime_model_metrics":
                tokens = (reported.input_tokens, reported.output_tokens, reported.input_token_details.cached_tokens)
            else:
                return
        except Exception:
            return
        metadata = getattr(reported, "metadata", None)
        provider = getattr(metadata, "model_provider", None) or ""
        # No metadata (older livekit-agents), or "unknown" for an LLM that names no model: the code's then.
        reported_model = getattr(metadata, "model_name", None)
        reported_model = reported_model if reported_model not in (None, "", "unknown") else model
        __count_framework_llm_tokens__(tokens, provider, reported_model, plugin, tenant_id, use_case, call_site)

    return on_metrics_collected
