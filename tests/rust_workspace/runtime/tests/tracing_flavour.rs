//! The `tracing` flavour: the instrumented `tracing_bridge` fixture, its
//! `tracing` spans exported through tracing-opentelemetry into the SDK's
//! in-memory exporter. The product span is named by `otel.name`, is a child of
//! the function's own `#[tracing::instrument]` span, and carries the attributes;
//! the counters go through the OpenTelemetry meter.

use async_openai::config::OpenAIConfig;
use async_openai::Client;
use opentelemetry::trace::{Status, TracerProvider as _};
use opentelemetry::{global, Value};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use voice_otel_fix_rust_runtime::{attribute, sum_points};
use tracing_subscriber::layer::SubscriberExt;

const CHAT: &str = r#"{"id":"chatcmpl-2","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini",
"choices":[{"index":0,"message":{"role":"assistant","content":"{}"},"finish_reason":"stop"}],
"usage":{"prompt_tokens":23,"completion_tokens":5,"total_tokens":28}}"#;
const ERROR: &str = r#"{"error":{"message":"bad request","type":"invalid_request_error","param":null,"code":null}}"#;


#[tokio::test]
async fn tracing_spans_reach_opentelemetry_with_the_product_name() {
    let spans = InMemorySpanExporter::default();
    let tracer_provider = SdkTracerProvider::builder().with_simple_exporter(spans.clone()).build();
    let metrics = InMemoryMetricExporter::default();
    let meter_provider =
        SdkMeterProvider::builder().with_reader(PeriodicReader::builder(metrics.clone()).build()).build();
    global::set_meter_provider(meter_provider.clone());
    let subscriber =
        tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(tracer_provider.tracer("test")));
    let _guard = tracing::subscriber::set_default(subscriber);

    let mock = voice_otel_fix_rust_runtime::start(vec![(200, CHAT), (400, ERROR)]);
    let client = Client::with_config(OpenAIConfig::new().with_api_base(format!("{}/v1", mock.base)).with_api_key("k"));
    let model = tracing_bridge::extract_order(&client, "two pizzas").await.unwrap();
    assert_eq!(model, "gpt-4o-mini", "the result is returned unchanged");
    assert!(tracing_bridge::extract_order(&client, "again").await.is_err(), "errors propagate");

    tracer_provider.force_flush().unwrap();
    meter_provider.force_flush().unwrap();
    let finished = spans.get_finished_spans().unwrap();
    let names: Vec<_> = finished.iter().map(|s| s.name.to_string()).collect();
    let llm: Vec<_> = finished.iter().filter(|s| s.name == "llm.extract_order").collect();
    assert_eq!(llm.len(), 2, "{names:?}");
    let outer: Vec<_> = finished.iter().filter(|s| s.name == "extract_order").collect();
    assert_eq!(outer.len(), 2, "{names:?}");
    for (span, parent) in llm.iter().zip(&outer) {
        assert_eq!(span.parent_span_id, parent.span_context.span_id(), "a child of the function's own span");
        assert_eq!(attribute(&span.attributes, "llm.provider"), Some(&Value::from("openai")));
        assert_eq!(attribute(&span.attributes, "llm.model"), Some(&Value::from("gpt-4o-mini")));
        assert_eq!(attribute(&span.attributes, "llm.use_case"), Some(&Value::from("extract_order")));
        assert_eq!(attribute(&span.attributes, "llm.call_site"), Some(&Value::from("extract_order")));
        assert_eq!(attribute(&span.attributes, "tenant.id"), Some(&Value::from("unknown")));
    }
    assert_eq!(attribute(&llm[0].attributes, "outcome"), Some(&Value::from("success")));
    assert_eq!(attribute(&llm[0].attributes, "llm.tokens.input"), Some(&Value::I64(23)));
    assert_eq!(attribute(&llm[1].attributes, "outcome"), Some(&Value::from("error")));
    assert!(matches!(llm[1].status, Status::Error { .. }), "{:?}", llm[1].status);

    let exported = metrics.get_finished_metrics().unwrap();
    for (name, value) in [("llm.tokens.input", 23), ("llm.tokens.output", 5)] {
        let points = sum_points(&exported, name);
        assert_eq!(points.len(), 1);
        let (total, attributes) = &points[0];
        assert_eq!(*total, value);
        assert_eq!(attribute(attributes, "outcome"), Some(&Value::from("success")));
        assert_eq!(attribute(attributes, "llm.call_site"), Some(&Value::from("extract_order")));
    }
}
