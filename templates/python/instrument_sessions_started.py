__voice_sessions_started__ = __meter__.create_counter(
    "voice.sessions.started",
    unit="{session}",
    description="Voice sessions started by a LiveKit job entrypoint.",
)
