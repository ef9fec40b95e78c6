def __llm_endpoint_provider__(client):
    """The provider of an openai-shaped client whose `base_url` the code sets at run time, read off the
    client when the call is made, as a literal one is labelled: a vendor's host names the vendor, a
    server on this machine is `ollama` on Ollama's port, else `self_hosted`; another host is named by
    itself, never `openai`, whose tokens they are not."""
    url = str(getattr(client, "base_url", "") or "").lower()
    vendors = {
        "groq.com": "groq",
        "together.xyz": "together",
        "together.ai": "together",
        "fireworks.ai": "fireworks",
        "deepseek.com": "deepseek",
        "api.x.ai": "xai",
        "openrouter.ai": "openrouter",
        "cerebras.ai": "cerebras",
        "perplexity.ai": "perplexity",
        "api.anthropic.com": "anthropic",
        "api.cohere.": "cohere",
        "azure.com": "azure_openai",
        "mistral.ai": "mistral",
        "generativelanguage.googleapis.com": "google",
        "aiplatform.googleapis.com": "google",
        "api.openai.com": "openai",
    }
    for host, vendor in vendors.items():
        if host in url:
            return vendor
    authority = url.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
    if authority.startswith("["):
        host, _, port = authority[1:].partition("]")
        port = port[1:]
    else:
        host, _, port = authority.partition(":")
    if not host:
        return "unknown"
    if host in ("localhost", "127.0.0.1", "0.0.0.0", "::1", "host.docker.internal"):
        return "ollama" if port == "11434" else "self_hosted"
    return host
