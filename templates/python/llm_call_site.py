with __llm_span__(
    __span_name__,
    provider=__provider__,
    model=__model__,
    use_case=__use_case__,
    call_site=__call_site__,
    usage=__usage__,
) as __llm_call__:
    pass  # only the lines above are inserted; the call's statement follows
