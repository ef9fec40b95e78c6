"""Run instrumented LiveKit entrypoints under the real OpenTelemetry SDK.

Every test loads fresh copies of the fixture modules (unique module names, so
each has its own tracer/meter scope) and drives them with a fake JobContext
that follows livekit-agents' job lifecycle (see _livekit_fakes.py).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import re
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import vof_runtime_fakes as lk  # registered by conftest.py
from opentelemetry.trace import SpanKind, StatusCode

TENANT_META = json.dumps({"tenant_id": "acme", "user_id": "u-42"})
ROOM = "support-room-7"

CASES = {
    "greeting_session": {
        "helpers": ["voice.load_settings", "voice.deliver_initial_greeting"],
        "crashes": False,
        "connects": True,
    },
    "crash": {
        "helpers": ["voice.announce_maintenance"],
        "crashes": True,
        "connects": True,
    },
    "no_connect_job_param": {
        "helpers": [],
        "crashes": False,
        "connects": False,
    },
    "decorated_helpers": {
        "helpers": ["voice.load_prompt", "voice.lookup_order"],
        "crashes": False,
        "connects": True,
    },
}
ALL_CASES = list(CASES)
HELPER_CASES = [c for c in CASES if CASES[c]["helpers"]]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def spans_named(exporter, name):
    return [s for s in exporter.get_finished_spans() if s.name == name]


def only_session_span(exporter):
    sessions = spans_named(exporter, "voice.session")
    assert len(sessions) == 1, f"expected exactly one voice.session span, got {len(sessions)}"
    return sessions[0]


def run_after(load_agent, case, *, metadata=TENANT_META, room_name=ROOM, reason=lk.DEFAULT_REASON,
              before_shutdown=None):
    module = load_agent(case, "after")
    ctx = lk.FakeJobContext(metadata=metadata, room_name=room_name)
    result, error = lk.run_job(module.entrypoint, ctx, reason=reason, before_shutdown=before_shutdown)
    assert ctx.shutdown_callback_errors == [], "a shutdown callback raised"
    if CASES[case]["crashes"]:
        assert isinstance(error, RuntimeError)
    else:
        assert error is None, f"entrypoint raised: {error!r}"
    return module, ctx, result, error


# ---------------------------------------------------------------------------
# session span lifecycle
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("case", ALL_CASES)
def test_session_span_ends_only_in_shutdown(case, load_agent, span_exporter):
    seen_before_shutdown = {}

    async def before_shutdown():
        seen_before_shutdown["names"] = [s.name for s in span_exporter.get_finished_spans()]
        await asyncio.sleep(0.06)  # time between entrypoint return and shutdown counts

    _, ctx, _, _ = run_after(load_agent, case, before_shutdown=before_shutdown)

    assert "voice.session" not in seen_before_shutdown["names"], (
        "voice.session ended before the job shut down"
    )
    # helper spans end in the body, before shutdown
    for helper in CASES[case]["helpers"]:
        assert helper in seen_before_shutdown["names"]
    session = only_session_span(span_exporter)
    duration = session.attributes.get("voice.duration_ms")
    assert isinstance(duration, int) and not isinstance(duration, bool)
    assert duration >= 50, f"voice.duration_ms={duration} does not cover time until shutdown"
    # exactly one shutdown callback was registered by the instrumentation
    assert len(ctx.shutdown_callbacks) == 1
    assert session.kind == SpanKind.INTERNAL


@pytest.mark.parametrize("case", ALL_CASES)
def test_session_span_attributes_from_job_metadata(case, load_agent, span_exporter):
    run_after(load_agent, case)
    session = only_session_span(span_exporter)
    assert session.attributes["tenant.id"] == "acme"
    assert session.attributes["user.id"] == "u-42"
    assert session.attributes["voice.room_name"] == ROOM
    duration = session.attributes["voice.duration_ms"]
    assert isinstance(duration, int) and not isinstance(duration, bool) and duration >= 0


@pytest.mark.parametrize(
    "metadata",
    ["", "not json {", "[1, 2]", "null", json.dumps({"tenant_id": None}), json.dumps({"other": 1})],
    ids=["empty", "invalid-json", "json-list", "json-null", "null-values", "missing-keys"],
)
def test_unknown_when_metadata_missing_or_invalid(metadata, load_agent, span_exporter, metric_store):
    module, *_ = run_after(load_agent, "greeting_session", metadata=metadata)
    session = only_session_span(span_exporter)
    assert session.attributes["tenant.id"] == "unknown"
    assert session.attributes["user.id"] == "unknown"
    assert session.attributes["voice.room_name"] == ROOM
    assert metric_store.sum_points("voice.sessions.started", module.__name__) == [
        ({"tenant.id": "unknown", "voice.room_name.present": True}, 1)
    ]


def test_unknown_room_name(load_agent, span_exporter, metric_store):
    module, *_ = run_after(load_agent, "greeting_session", room_name="")
    session = only_session_span(span_exporter)
    assert session.attributes["voice.room_name"] == "unknown"
    assert metric_store.sum_points("voice.sessions.started", module.__name__) == [
        ({"tenant.id": "acme", "voice.room_name.present": False}, 1)
    ]


@pytest.mark.parametrize("case", HELPER_CASES)
def test_helper_spans_are_children_of_session(case, load_agent, span_exporter):
    run_after(load_agent, case)
    session = only_session_span(span_exporter)
    for helper in CASES[case]["helpers"]:
        spans = spans_named(span_exporter, helper)
        assert len(spans) == 1, f"expected one {helper} span, got {len(spans)}"
        span = spans[0]
        assert span.parent is not None, f"{helper} has no parent"
        assert span.parent.span_id == session.context.span_id, f"{helper} is not a child of voice.session"
        assert span.context.trace_id == session.context.trace_id
        assert span.end_time <= session.end_time


def test_each_job_gets_its_own_session_trace(load_agent, span_exporter):
    module = load_agent("greeting_session", "after")
    for _ in range(2):
        ctx = lk.FakeJobContext(metadata=TENANT_META, room_name=ROOM)
        lk.run_job(module.entrypoint, ctx)
    sessions = spans_named(span_exporter, "voice.session")
    assert len(sessions) == 2
    assert sessions[0].context.trace_id != sessions[1].context.trace_id
    greetings = spans_named(span_exporter, "voice.deliver_initial_greeting")
    assert {g.parent.span_id for g in greetings} == {s.context.span_id for s in sessions}


def test_span_decorator_goes_under_the_helpers_own_decorators(load_agent, span_exporter):
    """`lru_cache` and a class-based decorator keep what they return; the span covers the body."""
    from opentelemetry import trace

    class SpanAtAppend(list):
        def append(self, item):
            super().append((item, trace.get_current_span().get_span_context().span_id))

    module = load_agent("decorated_helpers", "after")
    userdata = {"session": lk.FakeSession(), "log": SpanAtAppend()}
    ctx = lk.FakeJobContext(metadata=TENANT_META, room_name=ROOM, userdata=userdata)
    _, error = lk.run_job(module.entrypoint, ctx)
    assert error is None and ctx.shutdown_callback_errors == []
    assert module._load_prompt.cache_info().misses == 1  # still the lru_cache wrapper
    module._load_prompt.cache_clear()
    assert type(module.lookup_order).__name__ == "audited" and module.lookup_order.calls == 1
    [lookup] = spans_named(span_exporter, "voice.lookup_order")
    looked_up = [span_id for item, span_id in ctx.log if item[0] == "order_looked_up"]
    assert looked_up == [lookup.context.span_id], "the body ran inside the helper's span"


def test_configured_attributes_that_cannot_be_read_yet_are_unknown(load_agent, span_exporter):
    """`ctx.room.local_participant` raises before the room is connected, and the configured
    userdata key may be missing: the session starts anyway, with "unknown", as the original ran."""
    before = load_agent("configured_attributes", "before")
    after = load_agent("configured_attributes", "after")
    logs = []
    for module in (before, after):
        ctx = lk.FakeJobContext(metadata=TENANT_META, room_name=ROOM)
        _, error = lk.run_job(module.entrypoint, ctx)
        assert error is None, f"{module.__name__} raised {error!r}"
        logs.append((list(ctx.log), list(ctx.session.said)))
    assert logs[0] == logs[1]
    session = only_session_span(span_exporter)
    assert session.attributes["tenant.id"] == "unknown" and session.attributes["user.id"] == "unknown"

    span_exporter.clear()
    ctx = lk.FakeJobContext(metadata=TENANT_META, room_name=ROOM)
    ctx.proc.userdata["tenant"] = "acme"
    ctx.room.connected = True
    _, error = lk.run_job(after.entrypoint, ctx)
    assert error is None
    session = only_session_span(span_exporter)
    assert session.attributes["tenant.id"] == "acme" and session.attributes["user.id"] == "agent-1"


# ---------------------------------------------------------------------------
# metrics
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("case", ALL_CASES)
def test_sessions_started_counter(case, load_agent, metric_store):
    module, *_ = run_after(load_agent, case)
    assert metric_store.sum_points("voice.sessions.started", module.__name__) == [
        ({"tenant.id": "acme", "voice.room_name.present": True}, 1)
    ]
    assert metric_store.units["voice.sessions.started"] == "{session}"


@pytest.mark.parametrize("case", ALL_CASES)
def test_session_duration_histogram(case, load_agent, metric_store):
    module, ctx, _, _ = run_after(load_agent, case)
    crashed = CASES[case]["crashes"]
    assert ctx.shutdown_reason == ("job crashed" if crashed else "room disconnected")
    points = metric_store.histogram_points("voice.session.duration_ms", module.__name__)
    assert len(points) == 1, points
    attrs, count, total = points[0]
    assert count == 1
    assert total >= 0
    assert attrs == {
        "tenant.id": "acme",
        "voice.disconnect_reason": "job crashed" if crashed else "room disconnected",
        "outcome": "error" if crashed else "success",
    }
    assert metric_store.units["voice.session.duration_ms"] == "ms"


def test_session_duration_not_recorded_before_shutdown(load_agent, metric_store):
    seen = {}

    def before_shutdown():
        seen["count"] = metric_store.histogram_count("voice.session.duration_ms", module.__name__)

    module = load_agent("greeting_session", "after")
    ctx = lk.FakeJobContext(metadata=TENANT_META, room_name=ROOM)
    lk.run_job(module.entrypoint, ctx, before_shutdown=before_shutdown)
    assert seen["count"] == 0
    assert metric_store.histogram_count("voice.session.duration_ms", module.__name__) == 1


def test_disconnect_reason_passes_through(load_agent, metric_store):
    module, *_ = run_after(load_agent, "greeting_session", reason="user_initiated")
    [(attrs, count, _)] = metric_store.histogram_points("voice.session.duration_ms", module.__name__)
    assert count == 1
    assert attrs == {"tenant.id": "acme", "voice.disconnect_reason": "user_initiated", "outcome": "success"}


def test_greetings_delivered_counter(load_agent, metric_store):
    module, ctx, _, _ = run_after(load_agent, "greeting_session")
    assert ctx.session.said == ["Hello!"]
    assert metric_store.sum_points("voice.greetings.delivered", module.__name__) == [
        ({"tenant.id": "acme"}, 1)
    ]
    assert metric_store.units["voice.greetings.delivered"] == "{greeting}"


def test_opening_line_said_by_the_entrypoint_is_counted(load_agent, metric_store):
    # no greeting helper: the entrypoint's own first awaited `session.say(...)` is the greeting
    module, ctx, _, _ = run_after(load_agent, "no_connect_job_param")
    assert metric_store.sum_points("voice.greetings.delivered", module.__name__) == [({"tenant.id": "acme"}, 1)]


@pytest.mark.parametrize("case", ALL_CASES)
def test_no_cost_metric(case, load_agent, metric_store):
    module, *_ = run_after(load_agent, case)
    names = metric_store.names()
    assert "voice.sessions.started" in names
    assert not [n for n in names if "cost" in n.lower()], names
    source = Path(module.__file__).read_text()
    declared = re.findall(r"create_\w+\(\s*[\"']([^\"']+)[\"']", source)
    assert declared, "no instruments declared"
    assert not [n for n in declared if "cost" in n.lower()], declared


# ---------------------------------------------------------------------------
# crash
# ---------------------------------------------------------------------------
def test_crash_exception_propagates_unchanged(load_agent):
    before = load_agent("crash", "before")
    after = load_agent("crash", "after")
    b_ctx = lk.FakeJobContext(metadata=TENANT_META, room_name=ROOM)
    a_ctx = lk.FakeJobContext(metadata=TENANT_META, room_name=ROOM)
    _, b_err = lk.run_job(before.entrypoint, b_ctx)
    _, a_err = lk.run_job(after.entrypoint, a_ctx)
    assert b_err is not None and a_err is not None
    assert type(a_err) is type(b_err) is RuntimeError
    assert a_err.args == b_err.args
    assert a_ctx.shutdown_reason == b_ctx.shutdown_reason == "job crashed"


def test_crash_marks_session_span_error(load_agent, span_exporter):
    _, _, _, error = run_after(load_agent, "crash")
    session = only_session_span(span_exporter)
    assert session.status.status_code == StatusCode.ERROR
    events = [e for e in session.events if e.name == "exception"]
    assert len(events) == 1
    assert events[0].attributes["exception.type"] == "RuntimeError"
    assert events[0].attributes["exception.message"] == str(error)
    assert isinstance(session.attributes.get("voice.duration_ms"), int)
    # the helper that returned normally is not an error
    [helper] = spans_named(span_exporter, "voice.announce_maintenance")
    assert helper.status.status_code != StatusCode.ERROR


def test_crash_after_the_room_disconnected_is_an_error(load_agent, metric_store, span_exporter):
    """The room went first (the callee hung up while the agent waited): livekit passes
    "room disconnected", yet the body raised, so the histogram says error, as the span does."""
    module = load_agent("crash", "after")
    ctx = lk.FakeJobContext(metadata=TENANT_META, room_name=ROOM)
    _, error = lk.run_job(module.entrypoint, ctx, crash_reason="room disconnected")
    assert isinstance(error, RuntimeError) and ctx.shutdown_callback_errors == []
    assert only_session_span(span_exporter).status.status_code == StatusCode.ERROR
    [(attrs, count, _)] = metric_store.histogram_points("voice.session.duration_ms", module.__name__)
    assert count == 1
    assert attrs == {"tenant.id": "acme", "voice.disconnect_reason": "room disconnected", "outcome": "error"}


def test_successful_session_span_is_not_error(load_agent, span_exporter):
    run_after(load_agent, "greeting_session")
    session = only_session_span(span_exporter)
    assert session.status.status_code != StatusCode.ERROR
    assert not [e for e in session.events if e.name == "exception"]


# ---------------------------------------------------------------------------
# behaviour unchanged (before vs after)
# ---------------------------------------------------------------------------
def _observe(module, metadata, room_name):
    ctx = lk.FakeJobContext(metadata=metadata, room_name=room_name)
    result, error = lk.run_job(module.entrypoint, ctx)
    return {
        "result": result,
        "error": None if error is None else (type(error), error.args),
        "said": list(ctx.session.said),
        "log": list(ctx.log),
        "connect_calls": list(ctx.connect_calls),
        "shutdown_reason": ctx.shutdown_reason,
        "callback_errors": [repr(e) for e in ctx.shutdown_callback_errors],
    }


@pytest.mark.parametrize("metadata", [TENANT_META, "", json.dumps({"user_id": "u-7"})],
                         ids=["tenant", "empty", "user-only"])
@pytest.mark.parametrize("case", ALL_CASES)
def test_behaviour_unchanged(case, metadata, load_agent):
    before = load_agent(case, "before")
    after = load_agent(case, "after")
    b = _observe(before, metadata, ROOM)
    a = _observe(after, metadata, ROOM)
    assert a == b
    assert bool(b["connect_calls"]) == CASES[case]["connects"]
    assert b["log"], "fixture should record behaviour"
    assert asyncio.iscoroutinefunction(after.entrypoint)
    assert after.entrypoint.__doc__ == before.entrypoint.__doc__
    assert after.entrypoint.__name__ == "entrypoint"


@pytest.mark.parametrize("case", ALL_CASES)
def test_worker_options_still_accepts_entrypoint(case, load_agent):
    from livekit.agents import WorkerOptions

    after = load_agent(case, "after")
    opts = WorkerOptions(entrypoint_fnc=after.entrypoint)
    assert opts.entrypoint_fnc is after.entrypoint


# ---------------------------------------------------------------------------
# OTLP/HTTP smoke test
# ---------------------------------------------------------------------------
class _Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _OtlpHandler)
        self.traces = []
        self.metrics = []
        self.lock = threading.Lock()


class _OtlpHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output quiet
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            body = b"".join(chunks)
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "").lower()
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        return body

    def do_POST(self):
        from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

        body = self._body()
        if self.path == "/v1/traces":
            req = trace_service_pb2.ExportTraceServiceRequest()
            req.ParseFromString(body)
            resp = trace_service_pb2.ExportTraceServiceResponse()
            with self.server.lock:
                self.server.traces.append(req)
        elif self.path == "/v1/metrics":
            req = metrics_service_pb2.ExportMetricsServiceRequest()
            req.ParseFromString(body)
            resp = metrics_service_pb2.ExportMetricsServiceResponse()
            with self.server.lock:
                self.server.metrics.append(req)
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        payload = resp.SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def otlp_receiver():
    server = _Receiver()
    thread = threading.Thread(target=server.serve_forever, name="otlp-receiver", daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _any_value(v):
    return getattr(v, v.WhichOneof("value")) if v.WhichOneof("value") else None


def test_otlp_http_export_smoke(otlp_receiver, agent_path):
    agent = agent_path("greeting_session", "after")
    host, port = otlp_receiver.server_address
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and not k.startswith("OTEL_")}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    child = Path(__file__).resolve().parent / "_otlp_child.py"
    proc = subprocess.run(
        [sys.executable, str(child), str(agent), f"http://{host}:{port}"],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["error"] is None and summary["callback_errors"] == []
    assert summary["said"] == ["Hello!"]

    with otlp_receiver.lock:
        traces = list(otlp_receiver.traces)
        metric_reqs = list(otlp_receiver.metrics)
    spans = [
        span
        for req in traces
        for rs in req.resource_spans
        for ss in rs.scope_spans
        for span in ss.spans
    ]
    sessions = [s for s in spans if s.name == "voice.session"]
    assert len(sessions) == 1, [s.name for s in spans]
    attrs = {kv.key: _any_value(kv.value) for kv in sessions[0].attributes}
    assert attrs["tenant.id"] == "acme"
    assert attrs["user.id"] == "u-42"
    assert isinstance(attrs["voice.duration_ms"], int)
    greeting = [s for s in spans if s.name == "voice.deliver_initial_greeting"]
    assert len(greeting) == 1 and greeting[0].parent_span_id == sessions[0].span_id

    started = [
        m
        for req in metric_reqs
        for rm in req.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
        if m.name == "voice.sessions.started"
    ]
    assert started, "no voice.sessions.started metric received"
    points = [p for m in started for p in m.sum.data_points]
    assert points, "voice.sessions.started has no data points"
    assert sum(p.as_int for p in points) == 1
    point_attrs = {kv.key: _any_value(kv.value) for kv in points[0].attributes}
    assert point_attrs == {"tenant.id": "acme", "voice.room_name.present": True}


def _run_own_providers(agent):
    """Runs an agent that installs its own providers, in a child interpreter (globals are set once)."""
    child = Path(__file__).resolve().parent / "_own_providers_child.py"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    proc = subprocess.run(
        [sys.executable, str(child), str(agent)],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_session_span_starts_after_the_entrypoints_own_telemetry_setup(agent_path):
    """The entrypoint sets the providers itself: the session span, its helper
    span and the sessions counter come after, so all of them are recorded."""
    summary = _run_own_providers(agent_path("telemetry_setup_in_entrypoint", "after"))
    assert summary["error"] is None and summary["said"] == ["Hello!"]
    sessions = [s for s in summary["spans"] if s["name"] == "voice.session"]
    assert len(sessions) == 1, summary["spans"]
    assert sessions[0]["attributes"]["tenant.id"] == "acme"
    assert isinstance(sessions[0]["attributes"]["voice.duration_ms"], int)
    greeting = [s for s in summary["spans"] if s["name"] == "voice.deliver_initial_greeting"]
    assert len(greeting) == 1 and greeting[0]["parent"] == sessions[0]["span_id"]
    assert "voice.setup_otel" not in {s["name"] for s in summary["spans"]}, "no span on the setup itself"
    started = summary["points"]["voice.sessions.started"]
    assert [p["value"] for p in started] == [1]
    assert started[0]["attributes"] == {"tenant.id": "acme", "voice.room_name.present": True}
    assert [p["count"] for p in summary["points"]["voice.session.duration_ms"]] == [1]
    assert [p["value"] for p in summary["points"]["voice.greetings.delivered"]] == [1]


def test_before_the_fix_the_session_would_record_nothing(agent_path, tmp_path):
    """The same agent with the session span started before `setup_otel()` (as
    the tool used to write it): nothing is recorded. This is what the test above guards."""
    after = agent_path("telemetry_setup_in_entrypoint", "after").read_text()
    setup = "    tracer_provider = setup_otel()\n    await ctx.connect()\n"
    # The old place: the rest of the body, after the with block's own first statements.
    registered = "        ctx.add_shutdown_callback(on_shutdown)\n"
    assert after.count(setup) == 1 and after.count(registered) == 1
    inside = "".join("    " + line for line in setup.splitlines(keepends=True))
    moved = after.replace(setup, "", 1).replace(registered, registered + inside, 1)
    broken = tmp_path / "agent.py"
    broken.write_text(moved)
    summary = _run_own_providers(broken)
    assert summary["error"] is None
    assert "voice.session" not in {s["name"] for s in summary["spans"]}
    assert "voice.sessions.started" not in summary["points"]


# ---------------------------------------------------------------------------
# the fake itself follows livekit's shutdown-callback rules
# ---------------------------------------------------------------------------
def test_fake_add_shutdown_callback_matches_livekit():
    from livekit.agents import JobContext

    calls = []

    async def with_reason(reason):
        calls.append(("with_reason", reason))

    async def no_args():
        calls.append(("no_args",))

    class Holder:
        async def method(self, reason):
            calls.append(("method", reason))

        async def method_no_args(self):
            calls.append(("method_no_args",))

    holder = Holder()
    callbacks = [with_reason, no_args, holder.method, holder.method_no_args]

    fake = lk.FakeJobContext()
    real_like = lk.FakeJobContext()  # only its _shutdown_callbacks list is used
    for cb in callbacks:
        fake.add_shutdown_callback(cb)
        JobContext.add_shutdown_callback(real_like, cb)  # livekit's own implementation
    # same callbacks kept as-is vs. wrapped
    assert [cb in callbacks for cb in fake.shutdown_callbacks] == [
        cb in callbacks for cb in real_like.shutdown_callbacks
    ] == [True, False, True, False]

    async def noop(ctx):
        return "done"

    result, error = lk.run_job(noop, fake, reason="room disconnected")
    assert (result, error) == ("done", None)
    assert sorted(calls) == sorted([
        ("with_reason", "room disconnected"), ("no_args",),
        ("method", "room disconnected"), ("method_no_args",),
    ])


def test_fake_run_job_uses_job_crashed_reason():
    reasons = []

    async def boom(ctx):
        async def on_shutdown(reason):
            reasons.append(reason)

        ctx.add_shutdown_callback(on_shutdown)
        raise ValueError("x")

    ctx = lk.FakeJobContext()
    result, error = lk.run_job(boom, ctx, reason="room disconnected")
    assert result is None and isinstance(error, ValueError)
    assert reasons == ["job crashed"] and ctx.shutdown_reason == "job crashed"
