"""Child process for the OTLP smoke test (own interpreter => own global providers).

usage: python _otlp_child.py <agent.py> <http://127.0.0.1:PORT>

Installs OTLP/HTTP (protobuf) span + metric exporters pointed at the given
endpoint, runs the agent's entrypoint against the fake LiveKit job context,
then shuts both providers down (which flushes), and prints a JSON summary.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

from opentelemetry import metrics, trace
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor


def main() -> int:
    agent_path, base = sys.argv[1], sys.argv[2].rstrip("/")

    resource = Resource.create({"service.name": "voice-otel-fix-runtime-smoke"})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{base}/v1/traces", timeout=10))
    )
    trace.set_tracer_provider(tracer_provider)
    reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(endpoint=f"{base}/v1/metrics", timeout=10),
        export_interval_millis=3_600_000,  # only the shutdown flush exports
    )
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
    metrics.set_meter_provider(meter_provider)

    fakes_path = Path(__file__).resolve().parent / "_livekit_fakes.py"
    spec = importlib.util.spec_from_file_location("vof_runtime_fakes", fakes_path)
    lk = importlib.util.module_from_spec(spec)
    sys.modules["vof_runtime_fakes"] = lk
    spec.loader.exec_module(lk)

    agent = lk.load_module_from_path(agent_path, label="otlp_smoke")
    ctx = lk.FakeJobContext()
    result, error = lk.run_job(agent.entrypoint, ctx)

    tracer_provider.shutdown()
    meter_provider.shutdown()

    print(json.dumps({
        "result": repr(result),
        "error": repr(error) if error else None,
        "said": ctx.session.said,
        "callback_errors": [repr(e) for e in ctx.shutdown_callback_errors],
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
