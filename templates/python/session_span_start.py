__started_at__ = __asyncio__.get_running_loop().time()
__tenant_id__ = __tenant_id_value__
__user_id__ = __user_id_value__
__room_name__ = __room_name_value__
__session_span__ = __tracer__.start_span(
    "voice.session",
    attributes={
        "tenant.id": __tenant_id__,
        "user.id": __user_id__,
        "voice.room_name": __room_name__,
    },
)
