/// OpenTelemetry for this file's LLM calls (inserted by voice-otel-fix), through
/// `tracing` and `tracing-opentelemetry` as the rest of the crate: a span named
/// for the product operation around each call, and the `llm.tokens.*` counters
/// with tenant, provider, model, use case, call site and outcome. Never a cost
/// metric: cost is estimated downstream from the token counts.
mod voice_otel_llm {
    use std::future::Future;
    use std::sync::LazyLock;

    use opentelemetry::baggage::BaggageExt;
    use opentelemetry::metrics::Counter;
    use opentelemetry::{global, Context, KeyValue};
    use tracing::field::Empty;
    use tracing::Instrument;

    // voice-otel-fix: common
    /// Runs `future` inside the call's span (current for whatever it does) and
    /// counts its tokens; the result is returned unchanged.
    pub async fn record<T, E: std::fmt::Display>(
        call: Call,
        future: impl Future<Output = Result<T, E>>,
        usage: fn(&T) -> Usage,
    ) -> Result<T, E> {
        let tenant = Context::current().baggage().get("tenant.id").map_or_else(|| "unknown".to_string(), |v| v.to_string());
        let span = tracing::info_span!(
            "llm",
            otel.name = call.span,
            tenant.id = tenant.as_str(),
            llm.provider = call.provider,
            llm.model = call.model,
            llm.use_case = call.use_case,
            llm.call_site = call.call_site,
            llm.tokens.input = Empty,
            llm.tokens.output = Empty,
            outcome = Empty,
            otel.status_code = Empty,
            otel.status_message = Empty,
        );
        let result = future.instrument(span.clone()).await;
        match &result {
            Ok(response) => {
                let usage = usage(response);
                let provider = call.provider.map(str::to_string).or(usage.provider).unwrap_or_else(|| "unknown".into());
                let model = call.model.map(str::to_string).or(usage.model).unwrap_or_else(|| "unknown".into());
                span.record("llm.provider", provider.as_str());
                span.record("llm.model", model.as_str());
                span.record("outcome", "success");
                let attributes = [
                    KeyValue::new("tenant.id", tenant),
                    KeyValue::new("llm.provider", provider),
                    KeyValue::new("llm.model", model),
                    KeyValue::new("llm.use_case", call.use_case),
                    KeyValue::new("llm.call_site", call.call_site),
                    KeyValue::new("outcome", "success"),
                ];
                if let Some(tokens) = usage.input {
                    span.record("llm.tokens.input", tokens as i64);
                    TOKENS_INPUT.add(tokens, &attributes);
                }
                if let Some(tokens) = usage.output {
                    span.record("llm.tokens.output", tokens as i64);
                    TOKENS_OUTPUT.add(tokens, &attributes);
                }
            }
            Err(error) => {
                span.record("outcome", "error");
                span.record("otel.status_code", "error");
                span.record("otel.status_message", error.to_string().as_str());
            }
        }
        result
    }
    // voice-otel-fix: readers
}
