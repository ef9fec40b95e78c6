def __llm_provider_name__(reported, model, plugin):
    """LiveKit's provider label, normalised: a host (`api.openai.com`) becomes its vendor; LiveKit
    inference (`livekit`) the vendor its model names (`openai/gpt-4.1-mini`); a proxy or
    self-hosted host says nothing, so the plugin that made the LLM is used."""
    name = (reported or "").lower()
    vendors = {
        "api.openai.com": "openai",
        "openai.azure.com": "azure_openai",
        "api.anthropic.com": "anthropic",
        "api.groq.com": "groq",
        "generativelanguage.googleapis.com": "google",
        "aiplatform.googleapis.com": "google",
        "api.mistral.ai": "mistral",
        "api.cohere.com": "cohere",
        "api.cohere.ai": "cohere",
        "api.deepseek.com": "deepseek",
        "api.x.ai": "xai",
        "api.together.xyz": "together",
        "api.fireworks.ai": "fireworks",
        "openrouter.ai": "openrouter",
        "api.cerebras.ai": "cerebras",
        "api.perplexity.ai": "perplexity",
    }
    # Plugins that report a product name: the vendor, as direct SDK call sites are labelled.
    labels = {"gemini": "google", "vertex ai": "google", "aws bedrock": "bedrock", "mistralai": "mistral"}
    if name in labels:
        return labels[name]
    host = name.split("://")[-1].split("/")[0].split(":")[0]
    for known, vendor in vendors.items():
        if host == known or host.endswith("." + known):
            return vendor
    if name in ("", "livekit", "unknown") and "/" in (model or ""):
        return model.split("/")[0].lower()
    # A host says nothing of the vendor behind it; a LiveKit LLM of the project's own reports "unknown".
    if "." in host or ":" in name or host in ("localhost", "unknown"):
        return plugin or "unknown"
    return name or plugin or "unknown"
