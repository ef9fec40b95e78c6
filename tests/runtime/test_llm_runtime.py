"""Run the LLM-call instrumentation against the REAL provider SDKs and a loopback mock.

For every call site in ``fixtures/llm_runtime/<case>/before/agent.py`` the
instrumented ``after`` module (``$VOF_LLM_RUNTIME_FIXTURES/<case>/after/agent.py``,
default root ``fixtures/llm_runtime``) is loaded fresh next to the ``before``
module, both pointed (through environment variables) at ``_llm_mock.py``'s
127.0.0.1 server, and the tests check:

* the ``llm.<operation>`` span and its six attributes (tenant from the
  ``voice_otel_fix.tenant_id`` context value, also across an asyncio task);
* ``llm.tokens.input`` / ``llm.tokens.output`` / ``llm.tokens.cache_read``
  equal to the numbers the mock reported, with the same six attributes;
* return values and raised exceptions identical to the un-instrumented module;
  on HTTP 500: outcome="error", status ERROR, no token counted;
* the SDKs' own spans (anthropic 2.x's CLIENT span) are children of ours;
* nothing the mock received carries the tenant id; no instrument is about cost.

A missing ``after`` file skips, unless VOF_RUNTIME_STRICT=1 (then it fails).
No test talks to anything but 127.0.0.1: a guard refuses other connections.
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import itertools
import os
import re
import socket
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

# litellm downloads its model cost map from GitHub at import unless told not to.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_TELEMETRY", "False")
# never let an SDK pick a real endpoint / cloud setting up from the developer's environment
for _var in ("GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_CLOUD_PROJECT", "AWS_PROFILE", "OTEL_PROPAGATORS"):
    os.environ.pop(_var, None)

import pytest  # noqa: E402
from opentelemetry import context as otel_context  # noqa: E402
from opentelemetry.trace import SpanKind, StatusCode  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
DEFAULT_LLM_FIXTURES = REPO_ROOT / "fixtures" / "llm_runtime"

_spec = importlib.util.spec_from_file_location("vof_llm_mock", HERE / "_llm_mock.py")
mock = importlib.util.module_from_spec(_spec)
sys.modules["vof_llm_mock"] = mock
_spec.loader.exec_module(mock)

TENANT = "tenant-7f3a"
TENANT_KEY = "voice_otel_fix.tenant_id"
SIX = ("tenant.id", "llm.provider", "llm.model", "llm.use_case", "llm.call_site", "outcome")
TOKEN_METRICS = ("llm.tokens.input", "llm.tokens.output", "llm.tokens.cache_read")


@dataclass(frozen=True)
class Call:
    case: str  # fixtures/llm_runtime/<case>
    fn: str  # function in agent.py; also the operation: span "llm.<fn>", use_case / call_site "<fn>"
    arg: str
    provider: str
    model: str
    tokens: str  # key into mock.EXPECTED
    model_written: bool = True  # False: the call names no model; the response's labels it (none on an error)

    @property
    def id(self) -> str:
        return f"{self.case}-{self.fn}"

    @property
    def span_name(self) -> str:
        return f"llm.{self.fn}"


CALLS = [
    Call("anthropic", "suggest_mug_name", "red", "anthropic", "claude-haiku-4-5", "anthropic.json"),
    Call("anthropic", "write_mug_copy", "a mug for tea", "anthropic", "claude-sonnet-4-5", "anthropic.json.cache"),
    Call("anthropic", "stream_greeting", "Bo", "anthropic", "claude-haiku-4-5", "anthropic.sse"),
    Call("anthropic", "tell_story", "cats", "anthropic", "claude-sonnet-4-5", "anthropic.sse"),
    Call("openai", "classify_intent", "refund please", "openai", "gpt-4o-mini", "openai.json"),
    Call("openai", "draft_reply", "my mug broke", "openai", "gpt-4o", "openai.json"),
    Call("openai", "stream_summary", "long call", "openai", "gpt-4o-mini", "openai.sse"),
    # the stream held in a name, looped, then closed: the loop's iterable is counted
    Call("openai", "stream_notes", "long call", "openai", "gpt-4o-mini", "openai.sse"),
    # ... and closed in a `finally`: the `try` is wrapped with it
    Call("openai", "stream_minutes", "long call", "openai", "gpt-4o-mini", "openai.sse"),
    Call("openai", "answer_faq", "opening hours?", "openai", "gpt-4.1-mini", "openai.responses"),
    # the chat stream helper as a context manager: the tool adds `include_usage` (async), or finds it (sync)
    Call("openai", "speak_answer", "opening hours?", "openai", "gpt-4o-mini", "openai.sse"),
    Call("openai", "draft_follow_up", "late order", "openai", "gpt-4o-mini", "openai.sse"),
    # a loop that tolerates the usage chunk: the tool adds `include_usage`
    Call("openai", "stream_recap", "long call", "openai", "gpt-4o-mini", "openai.sse"),
    # legacy text completions (`client.completions.create`), and streamed (the tool adds `include_usage`)
    Call("openai", "complete_note", "late order", "openai", "gpt-3.5-turbo-instruct", "openai.text"),
    Call("openai", "stream_note", "late order", "openai", "gpt-3.5-turbo-instruct", "openai.text.sse"),
    # the sync client's method handed to a thread by reference (`asyncio.to_thread(client.chat.completions.create, ...)`)
    Call("openai", "triage_in_thread", "refund please", "openai", "gpt-4o-mini", "openai.json"),
    # ... and in a `functools.partial` given to `loop.run_in_executor`
    Call("openai", "triage_in_executor", "refund please", "openai", "gpt-4o-mini", "openai.json"),
    # the openai module's own client: `import openai; openai.chat.completions.create(...)`
    Call("openai_module", "route_ticket", "refund", "openai", "gpt-4o-mini", "openai.json"),
    Call("openai_module", "summarize_ticket", "refund", "openai", "gpt-4.1-mini", "openai.responses"),
    Call("groq", "quick_reply", "hi", "groq", "llama-3.1-8b-instant", "groq.sse"),
    Call("google", "extract_booking", "table for two", "google", "gemini-2.5-flash", "google.json"),
    Call("google", "stream_confirmation", "table for two", "google", "gemini-2.5-flash", "google.sse"),
    Call("google", "discuss_booking", "table for two", "google", "gemini-2.5-flash", "google.json"),
    Call("mistral", "translate", "hello", "mistral", "mistral-small-latest", "mistral.json"),
    Call("mistral", "stream_translation", "hello", "mistral", "mistral-small-latest", "mistral.sse"),
    # fill-in-the-middle, and an agent (no `model=`: the response's model labels it)
    Call("mistral", "complete_code", "def greet():", "mistral", "codestral-latest", "mistral.json"),
    Call("mistral", "proofread", "hello", "mistral", "mistral-small-latest", "mistral.json", model_written=False),
    # a conversation (beta) with an agent: usage on the response, no model said by either
    Call("mistral", "plan_callback", "late order", "mistral", "unknown", "mistral.conversation", model_written=False),
    Call("cohere", "route_call", "billing", "cohere", "command-a-03-2025", "cohere.json"),
    Call("cohere", "stream_route", "billing", "cohere", "command-a-03-2025", "cohere.sse"),
    # cohere's v1 API (`cohere.Client`): usage in `meta`, streamed as newline-delimited JSON
    Call("cohere", "route_call_v1", "billing", "cohere", "command-r-08-2024", "cohere.v1.json"),
    Call("cohere", "stream_route_v1", "billing", "cohere", "command-r-08-2024", "cohere.v1.stream"),
    Call("cohere", "label_call_v1", "billing", "cohere", "command-r-08-2024", "cohere.v1.generate"),
    Call("bedrock", "should_escalate", "angry caller", "bedrock", "amazon.nova-lite-v1:0", "bedrock.json"),
    Call("bedrock", "stream_hold_message", "long wait", "bedrock", "amazon.nova-lite-v1:0", "bedrock.stream"),
    Call("bedrock", "stream_apology", "long wait", "bedrock", "amazon.nova-lite-v1:0", "bedrock.stream"),
    Call("bedrock", "summarize_escalation", "long wait", "bedrock", "anthropic.claude-3-haiku-20240307-v1:0", "bedrock.invoke"),
    # litellm: the provider is the one litellm routes to (the "openai/" model prefix), as the tool labels it
    Call("litellm", "fallback_answer", "anything", "openai", "openai/gpt-4o-mini", "litellm.json"),
    # litellm's stream object has both __iter__ and __aiter__: each loop keeps its own kind
    Call("litellm", "stream_fallback_answer", "anything", "openai", "openai/gpt-4o-mini", "litellm.sse"),
    Call("litellm", "astream_fallback_answer", "anything", "openai", "openai/gpt-4o-mini", "litellm.sse"),
]
CALL_IDS = [c.id for c in CALLS]
CASES = sorted({c.case for c in CALLS})


# ---------------------------------------------------------------------------
# fixtures / helpers
# ---------------------------------------------------------------------------
def llm_fixtures_root() -> Path:
    return Path(os.environ.get("VOF_LLM_RUNTIME_FIXTURES") or DEFAULT_LLM_FIXTURES)


def llm_fixture_path(case: str, variant: str) -> Path:
    if variant == "before":
        path = DEFAULT_LLM_FIXTURES / case / "before" / "agent.py"
    else:
        path = llm_fixtures_root() / case / "after" / "agent.py"
    if not path.is_file():
        msg = f"llm runtime fixture missing: {path} (run the codemod, or set VOF_LLM_RUNTIME_FIXTURES)"
        if variant == "before" or os.environ.get("VOF_RUNTIME_STRICT") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


_counter = itertools.count()


def load(case: str, variant: str):
    """Import a fixture under a fresh module name (so: its own tracer / meter scope)."""
    path = llm_fixture_path(case, variant)
    name = f"vof_llm_{case}_{variant}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def invoke(module, call: Call):
    """Call the fixture function (driving a coroutine to completion); (result, exception)."""
    try:
        result = getattr(module, call.fn)(call.arg)
        if inspect.iscoroutine(result):
            result = asyncio.run(result)
        return result, None
    except Exception as exc:  # noqa: BLE001 -- compared between before and after
        return None, exc


def invoke_with_tenant(module, call: Call, tenant: str = TENANT):
    token = otel_context.attach(otel_context.set_value(TENANT_KEY, tenant))
    try:
        return invoke(module, call)
    finally:
        otel_context.detach(token)


_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Refuse any connection / name lookup that is not loopback: no real provider is ever contacted."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def _check(address):
        if isinstance(address, tuple) and address and str(address[0]) not in _LOOPBACK:
            raise ConnectionRefusedError(f"test guard: refusing non-loopback connection to {address!r}")

    def connect(self, address):
        _check(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        _check(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        h = host.decode() if isinstance(host, bytes) else host
        if h is not None and str(h) not in _LOOPBACK:
            raise socket.gaierror(f"test guard: refusing to resolve {h!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield


@pytest.fixture(scope="module")
def llm_server():
    server = mock.MockLlmServer().start()
    yield server
    server.stop()


@pytest.fixture
def llm_mock(llm_server, monkeypatch):
    """The mock, reset, with every SDK's base-URL / key environment variable pointing at it."""
    llm_server.reset()
    for key, value in llm_server.env().items():
        monkeypatch.setenv(key, value)
    yield llm_server
    llm_server.reset()


def spans_named(exporter, name):
    return [s for s in exporter.get_finished_spans() if s.name == name]


def only_span(exporter, name):
    found = spans_named(exporter, name)
    names = sorted({s.name for s in exporter.get_finished_spans()})
    assert len(found) == 1, f"expected exactly one {name!r} span, got {len(found)} (spans: {names})"
    return found[0]


def expected_attributes(call: Call, *, tenant: str = TENANT, outcome: str = "success") -> dict:
    return {
        "tenant.id": tenant,
        "llm.provider": call.provider,
        "llm.model": call.model if call.model_written or outcome == "success" else "unknown",
        "llm.use_case": call.fn,
        "llm.call_site": call.fn,
        "outcome": outcome,
    }


def six(attributes) -> dict:
    return {k: attributes.get(k) for k in SIX}


def assert_counter(metric_store, name: str, value: int, attributes: dict):
    points = metric_store.sum_points(name)
    assert points, f"no {name} point recorded"
    assert len(points) == 1, f"{name}: expected one attribute set, got {points}"
    attrs, total = points[0]
    assert attrs == attributes, f"{name} attributes {attrs} != {attributes}"
    assert total == value, f"{name} = {total}, mock reported {value}"


def assert_tokens_counted(metric_store, call: Call, attributes: dict):
    want = mock.EXPECTED[call.tokens]
    assert_counter(metric_store, "llm.tokens.input", want.input, attributes)
    assert_counter(metric_store, "llm.tokens.output", want.output, attributes)
    if want.cache_read:
        assert_counter(metric_store, "llm.tokens.cache_read", want.cache_read, attributes)
    else:
        assert metric_store.sum_total("llm.tokens.cache_read") == 0, "cache_read counted but the mock reported none"
    for name in TOKEN_METRICS:
        if metric_store.sum_points(name):
            assert metric_store.units.get(name) == "{token}"


def assert_no_tenant_sent(requests, tenant: str = TENANT):
    assert requests, "the SDK sent no request to the mock"
    for req in requests:
        for name, value in req.raw_headers:
            assert tenant not in name and tenant not in value, f"header {name}: {value!r} carries the tenant id"
        baggage = req.headers.get("baggage")
        assert baggage is None or tenant not in baggage
        assert tenant.encode() not in req.body, f"request body to {req.path} carries the tenant id"


def run_pair(call: Call, llm_mock, span_exporter, metric_store, *, tenant: str = TENANT):
    """Run before (no telemetry expected) then after; returns (before, after, requests of after)."""
    llm_fixture_path(call.case, "after")  # skip / fail early when the instrumented file is missing
    before = invoke_with_tenant(load(call.case, "before"), call, tenant)
    before_requests = list(llm_mock.requests)
    after_module = load(call.case, "after")  # loaded after `before` ran: its spans / points are the only ones
    span_exporter.clear()
    metric_store.drain()
    with llm_mock.lock:
        llm_mock.requests.clear()
    after = invoke_with_tenant(after_module, call, tenant)
    after_requests = list(llm_mock.requests)
    assert len(after_requests) == len(before_requests), "instrumented code sent a different number of requests"
    for b, a in zip(before_requests, after_requests):
        assert (a.method, a.path) == (b.method, b.path)
        a_body, b_body = a.json(), b.json()
        # The one change the tool may make to a request (SPEC §3): an openai chat stream asks for its usage.
        if "stream_options" not in b_body and a_body.get("stream_options") == {"include_usage": True}:
            del a_body["stream_options"]
        assert a_body == b_body, "instrumented code changed the request body"
    return before, after, after_requests


# ---------------------------------------------------------------------------
# success path
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("call", CALLS, ids=CALL_IDS)
def test_span_counters_and_unchanged_result(call, llm_mock, span_exporter, metric_store):
    (b_result, b_exc), (a_result, a_exc), requests = run_pair(call, llm_mock, span_exporter, metric_store)
    assert b_exc is None, f"before module raised: {b_exc!r}"
    assert a_exc is None, f"after module raised: {a_exc!r}"
    assert a_result == b_result
    assert type(a_result) is type(b_result)

    span = only_span(span_exporter, call.span_name)
    attributes = expected_attributes(call)
    assert six(span.attributes) == attributes
    assert span.kind == SpanKind.INTERNAL
    assert span.status.status_code != StatusCode.ERROR
    want = mock.EXPECTED[call.tokens]
    # the same values feed the counters: ints (cohere's floats cast), not floats / bools
    for key, value in (("llm.tokens.input", want.input), ("llm.tokens.output", want.output)):
        got = span.attributes.get(key)
        assert got == value and type(got) is int, f"span {key}={got!r}, mock reported {value}"

    assert_tokens_counted(metric_store, call, attributes)
    assert_no_tenant_sent(requests)

    # any span an SDK emitted for the call (anthropic's CLIENT span) lives under ours
    by_id = {s.context.span_id: s for s in span_exporter.get_finished_spans()}
    for other in by_id.values():
        if other is span:
            continue
        parent = other
        while parent is not None and parent is not span:
            parent = by_id.get(parent.parent.span_id) if parent.parent is not None else None
        assert parent is span, f"SDK span {other.name!r} is not under {call.span_name!r}"


@pytest.mark.parametrize("call", CALLS, ids=CALL_IDS)
def test_tenant_unknown_without_context(call, llm_mock, span_exporter, metric_store):
    module = load(call.case, "after")
    span_exporter.clear()
    metric_store.drain()
    result, exc = invoke(module, call)
    assert exc is None, repr(exc)
    span = only_span(span_exporter, call.span_name)
    attributes = expected_attributes(call, tenant="unknown")
    assert six(span.attributes) == attributes
    assert_tokens_counted(metric_store, call, attributes)


# ---------------------------------------------------------------------------
# error path (HTTP 500)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("call", CALLS, ids=CALL_IDS)
def test_http_500_propagates_unchanged(call, llm_mock, span_exporter, metric_store):
    llm_mock.fail = True
    (_, b_exc), (_, a_exc), requests = run_pair(call, llm_mock, span_exporter, metric_store)
    assert b_exc is not None, "before module did not raise on HTTP 500"
    assert a_exc is not None, "after module swallowed the HTTP 500 error"
    assert type(a_exc) is type(b_exc)
    assert str(a_exc) == str(b_exc)
    assert getattr(a_exc, "status_code", None) == getattr(b_exc, "status_code", None)

    span = only_span(span_exporter, call.span_name)
    assert six(span.attributes) == expected_attributes(call, outcome="error")
    assert span.status.status_code == StatusCode.ERROR
    assert "llm.tokens.input" not in span.attributes
    for name in TOKEN_METRICS:
        assert metric_store.sum_points(name) == [], f"{name} recorded for a failed call"
    assert_no_tenant_sent(requests)


# ---------------------------------------------------------------------------
# context: asyncio tasks, SDK spans
# ---------------------------------------------------------------------------
ASYNC_CALLS = [c for c in CALLS if c.fn in ("write_mug_copy", "tell_story", "draft_reply")]


@pytest.mark.parametrize("call", ASYNC_CALLS, ids=[c.id for c in ASYNC_CALLS])
def test_tenant_reaches_call_made_in_asyncio_task(call, llm_mock, span_exporter, metric_store):
    module = load(call.case, "after")
    span_exporter.clear()
    metric_store.drain()

    async def session():
        token = otel_context.attach(otel_context.set_value(TENANT_KEY, TENANT))
        try:
            task = asyncio.create_task(getattr(module, call.fn)(call.arg))
        finally:
            otel_context.detach(token)  # the task keeps the context it was created under
        assert otel_context.get_value(TENANT_KEY) is None
        return await task

    asyncio.run(session())
    span = only_span(span_exporter, call.span_name)
    attributes = expected_attributes(call)
    assert six(span.attributes) == attributes
    assert_tokens_counted(metric_store, call, attributes)
    assert_no_tenant_sent(list(llm_mock.requests))


@pytest.mark.parametrize("call", ASYNC_CALLS, ids=[c.id for c in ASYNC_CALLS])
def test_cancelled_call_is_not_an_error(call, llm_mock, span_exporter, metric_store):
    """A barge-in cancels the turn's task while the request is in flight: the CancelledError
    propagates, the span says outcome="cancelled" (not an error: OpenTelemetry sets no ERROR
    for it either), and no token is counted (no response came)."""
    module = load(call.case, "after")
    span_exporter.clear()
    metric_store.drain()
    llm_mock.hold = threading.Event()

    async def turn():
        task = asyncio.create_task(getattr(module, call.fn)(call.arg))
        for _ in range(1000):
            if llm_mock.requests:
                break
            await asyncio.sleep(0.01)
        assert llm_mock.requests, "the call never reached the mock"
        task.cancel()
        try:
            await task
        finally:
            llm_mock.hold.set()

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(turn())
    span = only_span(span_exporter, call.span_name)
    assert span.attributes["outcome"] == "cancelled"
    assert span.status.status_code != StatusCode.ERROR
    for name in TOKEN_METRICS:
        assert metric_store.sum_points(name) == [], f"{name} recorded for a cancelled call"


def test_llm_call_in_a_shutdown_callback_keeps_the_session_context(llm_mock, span_exporter, metric_store):
    """LiveKit runs shutdown callbacks in its own task (the fake job does too): a post-call summary
    registered through `_with_session_context` is a child of `voice.session`, with its tenant."""
    import vof_runtime_fakes as lk

    metadata = '{"tenant_id": "acme-desk", "user_id": "u-9"}'
    outcomes = {}
    for variant in ("before", "after"):
        module = load("shutdown_summary", variant)
        span_exporter.clear()
        metric_store.drain()
        ctx = lk.FakeJobContext(metadata=metadata, room_name="front-desk-3")
        _, error = lk.run_job(module.entrypoint, ctx)
        assert error is None and ctx.shutdown_callback_errors == []
        outcomes[variant] = list(ctx.log)
    assert outcomes["after"] == outcomes["before"]
    assert outcomes["after"][-1][:2] == ("summary", "room disconnected")

    [session] = spans_named(span_exporter, "voice.session")
    [summary] = [s for s in span_exporter.get_finished_spans() if s.name.startswith("llm.")]
    assert summary.parent is not None and summary.parent.span_id == session.context.span_id
    attributes = {
        "tenant.id": "acme-desk",
        "llm.provider": "openai",
        "llm.model": "gpt-4o-mini",
        "llm.use_case": "summarize_call",
        "llm.call_site": "CallRecorder._summarize_call",
        "outcome": "success",
    }
    assert six(summary.attributes) == attributes
    want = mock.EXPECTED["openai.json"]
    assert_counter(metric_store, "llm.tokens.input", want.input, attributes)
    assert_counter(metric_store, "llm.tokens.output", want.output, attributes)


def test_llm_call_in_a_shutdown_callback_from_another_module_keeps_the_session_context(
    llm_mock, span_exporter, metric_store
):
    """The post-call summary is another module's function (`from post_call import log_summary`),
    registered as the shutdown callback: the tool follows the import, so the registration goes through
    `_with_session_context` and the other module's LLM span is a child of `voice.session`, with its tenant."""
    import vof_runtime_fakes as lk

    metadata = '{"tenant_id": "acme-support", "user_id": "u-4"}'
    saved = {}
    for variant in ("before", "after"):
        directory = str(llm_fixture_path("shutdown_summary_module", variant).parent)
        sys.path.insert(0, directory)
        try:
            module = load("shutdown_summary_module", variant)
            span_exporter.clear()
            metric_store.drain()
            ctx = lk.FakeJobContext(metadata=metadata, room_name="support-7")
            _, error = lk.run_job(module.entrypoint, ctx)
            assert error is None and ctx.shutdown_callback_errors == []
            saved[variant] = list(sys.modules["post_call"].saved)
        finally:
            sys.path.remove(directory)
            sys.modules.pop("post_call", None)
    assert saved["after"] == saved["before"] and saved["after"][0][0] == "room disconnected"

    [session] = spans_named(span_exporter, "voice.session")
    [summary] = [s for s in span_exporter.get_finished_spans() if s.name.startswith("llm.")]
    assert summary.parent is not None and summary.parent.span_id == session.context.span_id
    attributes = {
        "tenant.id": "acme-support",
        "llm.provider": "openai",
        "llm.model": "gpt-4o-mini",
        "llm.use_case": "summarize_transcript",
        "llm.call_site": "summarize_transcript",
        "outcome": "success",
    }
    assert six(summary.attributes) == attributes
    want = mock.EXPECTED["openai.json"]
    assert_counter(metric_store, "llm.tokens.input", want.input, attributes)
    assert_counter(metric_store, "llm.tokens.output", want.output, attributes)


def test_a_base_url_set_at_run_time_is_read_off_the_client(llm_mock, span_exporter, metric_store):
    """`AsyncOpenAI(**settings)`: the provider is what the client's base URL says when the call is
    made (the mock on 127.0.0.1 is a self-hosted server), never `openai` by default."""
    before = load("endpoint_at_run_time", "before")
    after = load("endpoint_at_run_time", "after")
    assert asyncio.run(after.draft_reply("hi")) == asyncio.run(before.draft_reply("hi"))
    [span] = [s for s in span_exporter.get_finished_spans() if s.name.startswith("llm.")]
    assert span.attributes["llm.provider"] == "self_hosted"
    attributes = six(span.attributes)
    want = mock.EXPECTED["openai.json"]
    assert_counter(metric_store, "llm.tokens.input", want.input, attributes)
    assert_counter(metric_store, "llm.tokens.output", want.output, attributes)

    from types import SimpleNamespace

    def provider(url):
        return after._llm_endpoint_provider(SimpleNamespace(base_url=url))

    assert provider("https://api.deepseek.com/v1") == "deepseek"
    assert provider("https://api.groq.com/openai/v1/") == "groq"
    assert provider("https://api.openai.com/v1/") == "openai"
    assert provider("http://localhost:11434/v1") == "ollama"
    assert provider("http://[::1]:8000/v1") == "self_hosted"
    assert provider("https://user@llm-gateway.acme.internal:8443/v1") == "llm-gateway.acme.internal"
    assert provider("") == "unknown"
    assert after._llm_endpoint_provider(object()) == "unknown"


def test_with_session_context_passes_the_reason_as_livekit_would(llm_mock):
    """Functions and bound methods, with and without the reason parameter; names kept."""
    after = load("shutdown_summary", "after")
    calls = []

    async def no_reason():
        calls.append("no_reason")

    async def with_reason(reason):
        calls.append(("with_reason", reason))

    class Recorder:
        async def method_with_reason(self, reason):
            calls.append(("method_with_reason", reason))

        async def method_no_reason(self):
            calls.append("method_no_reason")

    recorder = Recorder()
    for callback in (no_reason, with_reason, recorder.method_with_reason, recorder.method_no_reason):
        wrapped = after._with_session_context(callback)
        assert wrapped.__name__ == callback.__name__ and wrapped.__code__.co_argcount == 1
        asyncio.run(wrapped("user requested"))
    assert calls == [
        "no_reason",
        ("with_reason", "user requested"),
        ("method_with_reason", "user requested"),
        "method_no_reason",
    ]


@pytest.mark.parametrize("fn", ["classify", "classify_with_labels"])
def test_llm_call_in_an_executor_keeps_the_callers_context(fn, llm_mock, span_exporter, metric_store):
    """`loop.run_in_executor` does not copy the context into its thread; the rewrite runs the
    function through `contextvars.copy_context().run`: the LLM span is the caller's child, with its tenant."""
    from opentelemetry import trace

    results = {}
    for variant in ("before", "after"):
        module = load("executor_helper", variant)
        span_exporter.clear()
        metric_store.drain()
        tracer = trace.get_tracer("test")

        async def caller():
            with tracer.start_as_current_span("voice.session") as session:
                token = otel_context.attach(otel_context.set_value(TENANT_KEY, TENANT))
                try:
                    return await getattr(module, fn)("my bill is wrong"), session
                finally:
                    otel_context.detach(token)

        results[variant], session = asyncio.run(caller())
    assert results["after"] == results["before"]
    [span] = [s for s in span_exporter.get_finished_spans() if s.name.startswith("llm.")]
    assert span.parent is not None and span.parent.span_id == session.get_span_context().span_id
    assert span.attributes["tenant.id"] == TENANT
    points = metric_store.sum_points("llm.tokens.input")
    assert [attrs["tenant.id"] for attrs, _ in points] == [TENANT]


ANTHROPIC_CALLS = [c for c in CALLS if c.case == "anthropic"]


@pytest.mark.parametrize("call", ANTHROPIC_CALLS, ids=[c.id for c in ANTHROPIC_CALLS])
def test_anthropic_sdk_client_span_is_child_of_llm_span(call, llm_mock, span_exporter, metric_store):
    module = load(call.case, "after")
    span_exporter.clear()
    result, exc = invoke_with_tenant(module, call)
    assert exc is None, repr(exc)
    ours = only_span(span_exporter, call.span_name)
    sdk = [
        s
        for s in span_exporter.get_finished_spans()
        if s.instrumentation_scope is not None and s.instrumentation_scope.name.startswith("com.anthropic.sdk.python")
    ]
    assert len(sdk) == 1, f"expected one anthropic SDK span, got {[s.name for s in sdk]}"
    client_span = sdk[0]
    assert client_span.name == "anthropic.messages.create"
    assert client_span.kind == SpanKind.CLIENT
    assert client_span.parent is not None
    assert client_span.parent.span_id == ours.context.span_id
    assert client_span.context.trace_id == ours.context.trace_id
    assert client_span.end_time <= ours.end_time, "the SDK span outlived the llm span"
    # the SDK propagates its own span (not ours, not the tenant) to the server
    (req,) = llm_mock.requests
    traceparent = req.headers.get("traceparent", "")
    assert f"{ours.context.trace_id:032x}" in traceparent
    assert f"{client_span.context.span_id:016x}" in traceparent
    assert TENANT not in traceparent


# ---------------------------------------------------------------------------
# instruments
# ---------------------------------------------------------------------------
_CREATE = re.compile(r"create_(?:counter|up_down_counter|histogram|gauge|observable_\w+)\(\s*[\"']([^\"']+)[\"']")


@pytest.mark.parametrize("case", CASES)
def test_no_cost_instrument(case, llm_mock, span_exporter, metric_store):
    path = llm_fixture_path(case, "after")
    names = set(_CREATE.findall(path.read_text(encoding="utf-8")))
    assert {"llm.tokens.input", "llm.tokens.output"} <= names
    module = load(case, "after")
    metric_store.drain()
    for call in (c for c in CALLS if c.case == case):
        invoke_with_tenant(module, call)
    names |= metric_store.names()
    assert not [n for n in names if "cost" in n.lower()], f"cost instruments: {sorted(names)}"
    assert not [k for s in span_exporter.get_finished_spans() for k in s.attributes if "cost" in k.lower()]
