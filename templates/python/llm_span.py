@__contextlib__.contextmanager
def __llm_span__(name, *, provider, model, use_case, call_site, usage):
    """A span named for the product operation around LLM calls, and their token counters."""
    attributes = {
        "tenant.id": str(__otel_context__.get_value("voice_otel_fix.tenant_id") or "unknown"),
        "llm.provider": provider,
        "llm.model": str(model) if model else "unknown",
        "llm.use_case": use_case,
        "llm.call_site": call_site,
        "outcome": "success",
    }
    with __tracer__.start_as_current_span(name, attributes=attributes) as span:
        call = __LlmCall__(usage)
        try:
            yield call
        except Exception:
            attributes["outcome"] = "error"
            span.set_attribute("outcome", "error")
            raise
        except BaseException:
            # Cancelled (a barge-in cancels the turn's task) or closed early: not a failure.
            attributes["outcome"] = "cancelled"
            span.set_attribute("outcome", "cancelled")
            raise
        finally:
            if not model and call.model:
                attributes["llm.model"] = call.model
                span.set_attribute("llm.model", call.model)
            if call.tokens is not None:
                input_tokens, output_tokens, cache_read = call.tokens
                span.set_attribute("llm.tokens.input", input_tokens)
                span.set_attribute("llm.tokens.output", output_tokens)
                __llm_tokens_input__.add(input_tokens, attributes)
                __llm_tokens_output__.add(output_tokens, attributes)
                if cache_read:
                    __llm_tokens_cache_read__.add(cache_read, attributes)
