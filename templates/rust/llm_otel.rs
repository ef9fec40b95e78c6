/// OpenTelemetry for this file's LLM calls (inserted by voice-otel-fix): a span
/// named for the product operation around each call, and the `llm.tokens.*`
/// counters with tenant, provider, model, use case, call site and outcome.
/// Never a cost metric: cost is estimated downstream from the token counts.
mod voice_otel_llm {
    use std::future::Future;
    use std::sync::LazyLock;

    use opentelemetry::baggage::BaggageExt;
    use opentelemetry::metrics::Counter;
    use opentelemetry::trace::{FutureExt, Status, TraceContextExt, Tracer};
    use opentelemetry::{global, Context, KeyValue};

    // voice-otel-fix: common
    /// Runs `future` inside the call's span (current for whatever it does) and
    /// counts its tokens; the result is returned unchanged.
    pub async fn record<T, E: std::fmt::Display>(
        call: Call,
        future: impl Future<Output = Result<T, E>>,
        usage: fn(&T) -> Usage,
    ) -> Result<T, E> {
        let tracer = global::tracer(env!("CARGO_PKG_NAME"));
        let parent = Context::current();
        let tenant = parent.baggage().get("tenant.id").map_or_else(|| "unknown".to_string(), |v| v.to_string());
        let mut attributes = vec![
            KeyValue::new("tenant.id", tenant),
            KeyValue::new("llm.use_case", call.use_case),
            KeyValue::new("llm.call_site", call.call_site),
        ];
        let mut span_attributes = attributes.clone();
        span_attributes.extend(call.provider.map(|p| KeyValue::new("llm.provider", p)));
        span_attributes.extend(call.model.map(|m| KeyValue::new("llm.model", m)));
        let span = tracer.span_builder(call.span).with_attributes(span_attributes).start_with_context(&tracer, &parent);
        let cx = parent.with_span(span);
        let result = future.with_context(cx.clone()).await;
        let span = cx.span();
        match &result {
            Ok(response) => {
                let usage = usage(response);
                let provider = call.provider.map(str::to_string).or(usage.provider).unwrap_or_else(|| "unknown".into());
                let model = call.model.map(str::to_string).or(usage.model).unwrap_or_else(|| "unknown".into());
                span.set_attribute(KeyValue::new("llm.provider", provider.clone()));
                span.set_attribute(KeyValue::new("llm.model", model.clone()));
                span.set_attribute(KeyValue::new("outcome", "success"));
                attributes.push(KeyValue::new("llm.provider", provider));
                attributes.push(KeyValue::new("llm.model", model));
                attributes.push(KeyValue::new("outcome", "success"));
                if let Some(tokens) = usage.input {
                    span.set_attribute(KeyValue::new("llm.tokens.input", tokens as i64));
                    TOKENS_INPUT.add(tokens, &attributes);
                }
                if let Some(tokens) = usage.output {
                    span.set_attribute(KeyValue::new("llm.tokens.output", tokens as i64));
                    TOKENS_OUTPUT.add(tokens, &attributes);
                }
            }
            Err(error) => {
                span.set_attribute(KeyValue::new("outcome", "error"));
                span.set_status(Status::error(error.to_string()));
            }
        }
        span.end();
        result
    }
    // voice-otel-fix: readers
}
