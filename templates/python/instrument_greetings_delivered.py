__voice_greetings_delivered__ = __meter__.create_counter(
    "voice.greetings.delivered",
    unit="{greeting}",
    description="Initial greetings delivered to the caller.",
)
