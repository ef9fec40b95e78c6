//! The instrumented fixture under the real opentelemetry SDK: its span (name,
//! parent, attributes, status) and its `llm.tokens.*` counter points, on a
//! success and on a provider error.

use opentelemetry::baggage::BaggageExt;
use opentelemetry::context::FutureExt;
use opentelemetry::trace::{Span, Status, TraceContextExt, Tracer};
use opentelemetry::{global, Context, KeyValue, Value};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use voice_otel_fix_rust_runtime::{attribute, metric_names, sum_points};
use openai_chat_struct_field::Summariser;

const CHAT: &str = r#"{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini-2024-07-18",
"choices":[{"index":0,"message":{"role":"assistant","content":"A short summary."},"finish_reason":"stop"}],
"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}"#;
const ERROR: &str = r#"{"error":{"message":"overloaded","type":"server_error","param":null,"code":null}}"#;


#[tokio::test]
async fn span_parent_attributes_and_token_counters() {
    let spans = InMemorySpanExporter::default();
    let tracer_provider = SdkTracerProvider::builder().with_simple_exporter(spans.clone()).build();
    global::set_tracer_provider(tracer_provider.clone());
    let metrics = InMemoryMetricExporter::default();
    let meter_provider =
        SdkMeterProvider::builder().with_reader(PeriodicReader::builder(metrics.clone()).build()).build();
    global::set_meter_provider(meter_provider.clone());

    // A 500 and then a success: async-openai retries 5xx with backoff, so the error case uses a 400.
    let mock = voice_otel_fix_rust_runtime::start(vec![(200, CHAT), (400, ERROR)]);
    let summariser = Summariser::new(&format!("{}/v1", mock.base));

    // The caller's own span, with the tenant in baggage: ours must be its child.
    let tracer = global::tracer("test");
    let parent = tracer.start("voice.session");
    let parent_id = parent.span_context().span_id();
    let cx = Context::current_with_span(parent).with_baggage([KeyValue::new("tenant.id", "acme")]);

    let summary = summariser.summarize_call("caller asked for a refund").with_context(cx.clone()).await.unwrap();
    assert_eq!(summary, "A short summary.", "the result is returned unchanged");
    let failed = summariser.summarize_call("again").with_context(cx.clone()).await;
    assert!(failed.is_err(), "the provider's error propagates unchanged");
    cx.span().end();

    tracer_provider.force_flush().unwrap();
    meter_provider.force_flush().unwrap();

    let requests = mock.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2);
    assert!(requests[0].0.starts_with("POST /v1/chat/completions"));
    assert!(!requests[0].1.contains("acme") && !requests[0].2.contains("acme"), "the tenant never leaves the process");

    let finished = spans.get_finished_spans().unwrap();
    let llm: Vec<_> = finished.iter().filter(|s| s.name == "llm.summarize_call").collect();
    assert_eq!(llm.len(), 2, "one span per call: {:?}", finished.iter().map(|s| &s.name).collect::<Vec<_>>());
    let (ok, err) = (llm[0], llm[1]);
    for span in [ok, err] {
        assert_eq!(span.parent_span_id, parent_id, "the product span is a child of the caller's span");
        assert_eq!(attribute(&span.attributes, "tenant.id"), Some(&Value::from("acme")));
        assert_eq!(attribute(&span.attributes, "llm.provider"), Some(&Value::from("openai")));
        assert_eq!(attribute(&span.attributes, "llm.model"), Some(&Value::from("gpt-4o-mini")));
        assert_eq!(attribute(&span.attributes, "llm.use_case"), Some(&Value::from("summarize_call")));
        assert_eq!(attribute(&span.attributes, "llm.call_site"), Some(&Value::from("Summariser::summarize_call")));
    }
    assert_eq!(attribute(&ok.attributes, "outcome"), Some(&Value::from("success")));
    assert_eq!(attribute(&ok.attributes, "llm.tokens.input"), Some(&Value::I64(11)));
    assert_eq!(attribute(&ok.attributes, "llm.tokens.output"), Some(&Value::I64(7)));
    assert_eq!(attribute(&err.attributes, "outcome"), Some(&Value::from("error")));
    assert!(matches!(err.status, Status::Error { .. }), "{:?}", err.status);

    let exported = metrics.get_finished_metrics().unwrap();
    let names = metric_names(&exported);
    assert!(!names.iter().any(|n| n.contains("cost")), "never a cost metric: {names:?}");
    for (name, value) in [("llm.tokens.input", 11), ("llm.tokens.output", 7)] {
        let points = sum_points(&exported, name);
        assert_eq!(points.len(), 1, "only the successful call is counted");
        let (total, attributes) = &points[0];
        assert_eq!(*total, value);
        assert_eq!(attribute(attributes, "tenant.id"), Some(&Value::from("acme")));
        assert_eq!(attribute(attributes, "llm.provider"), Some(&Value::from("openai")));
        assert_eq!(attribute(attributes, "llm.model"), Some(&Value::from("gpt-4o-mini")));
        assert_eq!(attribute(attributes, "llm.use_case"), Some(&Value::from("summarize_call")));
        assert_eq!(attribute(attributes, "llm.call_site"), Some(&Value::from("Summariser::summarize_call")));
        assert_eq!(attribute(attributes, "outcome"), Some(&Value::from("success")));
    }
}
