__voice_session_duration__ = __meter__.create_histogram(
    "voice.session.duration_ms",
    unit="ms",
    description="Duration of a voice session, from entrypoint start to shutdown.",
)
