from opentelemetry import metrics, trace
