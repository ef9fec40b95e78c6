with __trace__.use_span(__session_span__, end_on_exit=False):
    # LLM call sites under this session read the tenant from the context (not baggage: never sent out).
    __otel_context__.attach(__otel_context__.set_value("voice_otel_fix.tenant_id", __tenant_id__))
    __voice_sessions_started__.add(1, {
        "tenant.id": __tenant_id__,
        "voice.room_name.present": __room_name__ != "unknown",
    })

    async def __on_shutdown__(__reason_parameter__) -> None:
        duration_ms = int((__asyncio__.get_running_loop().time() - __started_at__) * 1000)
        # LiveKit waits for the entrypoint first; it says "job crashed" unless the room went first,
        # and `use_span` has set ERROR on the span if the body raised.
        session_status = getattr(getattr(__session_span__, "status", None), "status_code", None)
        crashed = reason == "job crashed" or session_status == __trace__.StatusCode.ERROR
        __session_span__.set_attribute("voice.duration_ms", duration_ms)
        __voice_session_duration__.record(duration_ms, {
            "tenant.id": __tenant_id__,
            "voice.disconnect_reason": reason,
            "outcome": "error" if crashed else "success",
        })
        __session_span__.end()

    __ctx__.add_shutdown_callback(__on_shutdown__)
