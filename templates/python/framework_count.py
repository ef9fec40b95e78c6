def __count_framework_llm_tokens__(tokens, provider, model, plugin, tenant_id, use_case, call_site):
    """Add one framework LLM report to the token counters (same attributes as direct call sites)."""
    input_tokens, output_tokens, cache_read = (int(t or 0) for t in tokens)
    if not (input_tokens or output_tokens or cache_read):
        return
    attributes = {
        "tenant.id": tenant_id,
        "llm.provider": __llm_provider_name__(provider, model, plugin),
        "llm.model": model or "unknown",
        "llm.use_case": use_case,
        "llm.call_site": call_site,
        "outcome": "success",
    }
    __llm_tokens_input__.add(input_tokens, attributes)
    __llm_tokens_output__.add(output_tokens, attributes)
    if cache_read:
        __llm_tokens_cache_read__.add(cache_read, attributes)
