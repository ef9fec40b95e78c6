"""Smoke test written by `voice-otel-fix smoke`: the agent's telemetry, really emitted.

It imports the agent, runs its LiveKit entrypoint once with a fake JobContext
under in-memory OpenTelemetry exporters, runs the shutdown callbacks as LiveKit
does (after the entrypoint, with the reason), and asserts that the
`voice.session` span and the session metrics came out. Checking that the
tracer or meter is not None would prove nothing: `get_tracer` never returns None.
Run it in a process of its own (it installs the global providers).
"""

import asyncio
import importlib
import importlib.util
import inspect
import json
import pathlib
import sys
import types

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

AGENT = pathlib.Path(__file__).parent / __agent_path__
ENTRYPOINT = __entrypoint__

SPANS = InMemorySpanExporter()
READER = InMemoryMetricReader()
_tracer_provider = TracerProvider()
_tracer_provider.add_span_processor(SimpleSpanProcessor(SPANS))
trace.set_tracer_provider(_tracer_provider)
metrics.set_meter_provider(MeterProvider(metric_readers=[READER]))


class FakeJobContext:
    """Just enough of livekit.agents.JobContext; callbacks run as LiveKit runs them."""

    def __init__(self):
        room = types.SimpleNamespace(name="smoke-room")
        metadata = json.dumps({"tenant_id": "smoke-tenant", "user_id": "smoke-user"})
        self.job = types.SimpleNamespace(id="smoke-job", metadata=metadata, room=room)
        self.room = room
        self.proc = types.SimpleNamespace(userdata={})
        self.shutdown_callbacks = []

    async def connect(self, *args, **kwargs):
        return None

    def add_shutdown_callback(self, callback):
        self.shutdown_callbacks.append(callback)


async def _run_job(entrypoint, ctx):
    try:
        # The agent's own body may need a real room or API keys: whatever it does
        # after the session span started, the span must still end in shutdown.
        await asyncio.wait_for(entrypoint(ctx), timeout=5)
        reason = "room disconnected"
    except BaseException:
        reason = "job crashed"
    for callback in ctx.shutdown_callbacks:
        wants_reason = len(inspect.signature(callback).parameters) >= 1
        await (callback(reason) if wants_reason else callback())


def _load_agent():
    """The agent module, imported as its package's module so relative imports work."""
    path = AGENT.resolve()
    parts = [path.stem]
    directory = path.parent
    while (directory / "__init__.py").exists():
        parts.insert(0, directory.name)
        directory = directory.parent
    if len(parts) == 1:
        spec = importlib.util.spec_from_file_location("voice_otel_smoke_agent", path)
        agent = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(agent)
        return agent
    sys.path.insert(0, str(directory))
    return importlib.import_module(".".join(parts))


def test_the_session_span_and_metrics_are_emitted():
    agent = _load_agent()

    asyncio.run(_run_job(getattr(agent, ENTRYPOINT), FakeJobContext()))

    sessions = [span for span in SPANS.get_finished_spans() if span.name == "voice.session"]
    assert sessions, "no voice.session span was exported: is the entrypoint instrumented?"
    assert {"tenant.id", "voice.room_name", "voice.duration_ms"} <= set(sessions[0].attributes)
    points = {
        metric.name: metric.data.data_points
        for resource in READER.get_metrics_data().resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }
    assert sum(point.value for point in points.get("voice.sessions.started", [])) == 1
    assert sum(point.count for point in points.get("voice.session.duration_ms", [])) == 1
