"""Framework-driven LLM turns: the generated `session_usage_updated` handler under a REAL AgentSession.

``fixtures/framework_runtime/<case>/before/agent.py`` runs text turns through a
real livekit-agents ``AgentSession`` whose LLM is a real
``livekit.plugins.openai.LLM`` pointed at ``_llm_mock.py``'s 127.0.0.1
``/framework/v1`` route (streaming chat completions, the final chunk carrying
usage; every turn has its own text and token numbers, ``mock.FRAMEWORK_TURNS``).
The instrumented module (``$VOF_FRAMEWORK_RUNTIME_FIXTURES/<case>/after/agent.py``,
default root ``fixtures/framework_runtime``) subscribes
``_framework_llm_usage("session", plugin="openai")`` to ``session_usage_updated``.
The tests check:

* ``llm.tokens.input`` / ``.output`` / ``.cache_read`` equal the mock's numbers,
  each turn counted exactly once although every ``session_usage_updated`` event
  carries the session's *running* totals (the meter reader is drained, delta
  temporality, after every event: one point set per turn, holding that turn's
  numbers only);
* exactly the six attributes (tenant from the ``voice_otel_fix.tenant_id``
  context value at subscription time; ``llm.provider`` "openai" although the
  plugin reports the mock's ``127.0.0.1:<port>``);
* the replies are those of the un-instrumented module; the handler is a sync
  function (LiveKit's ``.on()`` rejects coroutine functions); no instrument is
  about cost;
* ``_llm_provider_name`` normalises LiveKit's provider labels.

A missing ``after`` file skips, unless VOF_RUNTIME_STRICT=1 (then it fails).
No test talks to anything but 127.0.0.1: a guard refuses other connections.
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import os
import socket
import sys
from pathlib import Path

import pytest
import vof_runtime_fakes as lk  # registered by conftest.py
from opentelemetry import context as otel_context

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
DEFAULT_FRAMEWORK_FIXTURES = REPO_ROOT / "fixtures" / "framework_runtime"

_spec = importlib.util.spec_from_file_location("vof_framework_llm_mock", HERE / "_llm_mock.py")
mock = importlib.util.module_from_spec(_spec)
sys.modules["vof_framework_llm_mock"] = mock
_spec.loader.exec_module(mock)

CASE = "session_turns"
# The same turns with the session held other ways: each case and its `llm.call_site`.
CASES = {
    "session_turns": "session",  # session = AgentSession(...)
    "session_turns_with": "session",  # async with AgentSession(...) as session:
    "session_turns_factory": "build_session",  # session = build_session(), which returns AgentSession(...)
    "session_subclass": "session",  # session = MugShopSession(), a subclass of AgentSession
}
TENANT = "tenant-fw-1"
TENANT_KEY = "voice_otel_fix.tenant_id"
USER_INPUTS = ["How much is a mug?", "Do you ship to Canada?"]
TOKEN_METRICS = ("llm.tokens.input", "llm.tokens.output", "llm.tokens.cache_read")
TURN_TIMEOUT = 60.0

EXPECTED_ATTRIBUTES = {
    "tenant.id": TENANT,
    "llm.provider": "openai",
    "llm.model": "gpt-4o-mini",
    "llm.use_case": "voice.response",
    "llm.call_site": "session",
    "outcome": "success",
}


def _turn_tokens(turn: dict) -> dict[str, int]:
    return {
        "llm.tokens.input": turn["prompt_tokens"],
        "llm.tokens.output": turn["completion_tokens"],
        "llm.tokens.cache_read": turn["cached_tokens"],
    }


# one entry per turn, in order: what that turn alone must add
EXPECTED_TURNS = [_turn_tokens(turn) for turn in mock.FRAMEWORK_TURNS[: len(USER_INPUTS)]]
assert len(EXPECTED_TURNS) == len(USER_INPUTS), "mock.FRAMEWORK_TURNS needs an entry per user input"
EXPECTED_REPLIES = ["".join(turn["text"]) for turn in mock.FRAMEWORK_TURNS[: len(USER_INPUTS)]]


# ---------------------------------------------------------------------------
# fixtures / helpers
# ---------------------------------------------------------------------------
def framework_fixtures_root() -> Path:
    return Path(os.environ.get("VOF_FRAMEWORK_RUNTIME_FIXTURES") or DEFAULT_FRAMEWORK_FIXTURES)


def framework_fixture_path(case: str, variant: str) -> Path:
    if variant == "before":
        path = DEFAULT_FRAMEWORK_FIXTURES / case / "before" / "agent.py"
    else:
        path = framework_fixtures_root() / case / "after" / "agent.py"
    if not path.is_file():
        msg = f"framework runtime fixture missing: {path} (run the codemod, or set VOF_FRAMEWORK_RUNTIME_FIXTURES)"
        if variant == "before" or os.environ.get("VOF_RUNTIME_STRICT") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


def load(case: str, variant: str):
    """Import a fixture under a fresh module name (so: its own meter scope)."""
    return lk.load_module_from_path(framework_fixture_path(case, variant), label=f"fw_{case}_{variant}")


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
def framework_server():
    server = mock.MockLlmServer().start()
    yield server
    server.stop()


@pytest.fixture
def llm_mock(framework_server, monkeypatch):
    framework_server.reset()
    monkeypatch.setenv("OPENAI_BASE_URL", framework_server.env()["FRAMEWORK_OPENAI_BASE_URL"])
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    for var in ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"):
        monkeypatch.delenv(var, raising=False)
    yield framework_server
    framework_server.reset()


class UsageProbe:
    """Spies on ``AgentSession.on``: keeps the ``session_usage_updated`` handlers the module
    subscribes and, right after them, subscribes a probe that drains the meter reader on every
    event, so each event's metric points (delta temporality) are kept apart."""

    def __init__(self, metric_store) -> None:
        self._store = metric_store
        self.handlers: list = []
        self.events: list[dict] = []  # per event: {"totals": [...llm usage...], "store": MetricStore}
        self.sessions: list = []

    def install(self, monkeypatch) -> UsageProbe:
        from livekit.agents import AgentSession

        real_on = AgentSession.on
        probe = self

        def on(session, event, callback=None):
            registered = real_on(session, event, callback)
            if event == "session_usage_updated" and callback is not None:
                probe.handlers.append(callback)
                if session not in probe.sessions:
                    probe.sessions.append(session)
                    real_on(session, "session_usage_updated", probe._on_event)  # after the module's handler
            return registered

        monkeypatch.setattr(AgentSession, "on", on)
        return self

    def _on_event(self, event) -> None:
        totals = [
            (u.provider, u.model, u.input_tokens, u.output_tokens, u.input_cached_tokens)
            for u in event.usage.model_usage
            if getattr(u, "type", None) == "llm_usage"
        ]
        store = type(self._store)(self._store._reader).collect()  # drains: this event's points only
        self.events.append({"totals": totals, "store": store})


def run_turns(module, inputs, tenant: str | None = TENANT):
    async def _run():
        return await asyncio.wait_for(module.run_turns(list(inputs)), TURN_TIMEOUT * len(inputs))

    token = otel_context.attach(otel_context.set_value(TENANT_KEY, tenant)) if tenant is not None else None
    try:
        return asyncio.run(_run())
    finally:
        if token is not None:
            otel_context.detach(token)


def points(store, name: str, scope: str) -> list[tuple[dict, float]]:
    return [(attrs, value) for attrs, value in store.sum_points(name, scope) if value]


def chat_requests(server) -> list:
    return [r for r in server.requests if r.method == "POST" and r.path.endswith("/chat/completions")]


# ---------------------------------------------------------------------------
# tests
# ---------------------------------------------------------------------------
def test_before_module_runs_the_turns_through_the_real_session(llm_mock, metric_store, monkeypatch):
    probe = UsageProbe(metric_store).install(monkeypatch)
    before = load(CASE, "before")
    replies = run_turns(before, USER_INPUTS)
    assert replies == EXPECTED_REPLIES
    assert probe.handlers == [], "the un-instrumented module subscribes nothing"
    requests = chat_requests(llm_mock)
    assert len(requests) == len(USER_INPUTS)
    for request in requests:
        body = request.json()
        assert body["stream"] is True
        assert body["stream_options"] == {"include_usage": True}
        assert body["model"] == "gpt-4o-mini"
    assert not any(points(metric_store, name, before.__name__) for name in TOKEN_METRICS)


@pytest.mark.parametrize("case", list(CASES))
def test_session_turns_are_counted_once_each(case, llm_mock, metric_store, monkeypatch):
    framework_fixture_path(case, "after")  # skip / fail early when the instrumented file is missing
    expected_attributes = {**EXPECTED_ATTRIBUTES, "llm.call_site": CASES[case]}
    before_replies = run_turns(load(case, "before"), USER_INPUTS)
    llm_mock.reset()
    metric_store.drain()

    after = load(case, "after")
    scope = after.__name__
    probe = UsageProbe(metric_store).install(monkeypatch)
    replies = run_turns(after, USER_INPUTS)

    # behaviour unchanged
    assert replies == before_replies == EXPECTED_REPLIES
    assert len(chat_requests(llm_mock)) == len(USER_INPUTS)

    # one sync handler, subscribed once, on the one session
    assert len(probe.sessions) == 1
    assert len(probe.handlers) == 1, probe.handlers
    (handler,) = probe.handlers
    assert callable(handler)
    assert not inspect.iscoroutinefunction(handler), "LiveKit's .on() rejects async handlers"
    assert not inspect.isasyncgenfunction(handler)

    # the framework reports running totals: one event per LLM turn here, the second carrying both turns
    llm_events = [e for e in probe.events if e["totals"]]
    assert len(llm_events) == len(USER_INPUTS), [e["totals"] for e in probe.events]
    running = [0, 0, 0]
    for event, turn in zip(llm_events, EXPECTED_TURNS):
        running = [
            running[0] + turn["llm.tokens.input"],
            running[1] + turn["llm.tokens.output"],
            running[2] + turn["llm.tokens.cache_read"],
        ]
        ((provider, model, *totals),) = event["totals"]
        assert model == "gpt-4o-mini"
        assert provider == llm_mock.base.split("://", 1)[1], "the openai plugin reports its base URL's host:port"
        assert totals == running

    # each event added exactly that turn's tokens: one point set, the six attributes
    for index, (event, turn) in enumerate(zip(llm_events, EXPECTED_TURNS), start=1):
        for name in TOKEN_METRICS:
            got = points(event["store"], name, scope)
            assert got == [(expected_attributes, turn[name])], f"turn {index}, {name}: {got}"

    # nothing counted anywhere else (no other event, not at close)
    for event in probe.events:
        if event not in llm_events:
            assert not any(points(event["store"], name, scope) for name in TOKEN_METRICS)
    assert not any(points(metric_store, name, scope) for name in TOKEN_METRICS)

    # totals
    for name in TOKEN_METRICS:
        total = sum(value for e in llm_events for _, value in points(e["store"], name, scope))
        assert total == sum(turn[name] for turn in EXPECTED_TURNS), name
    assert sum(t["llm.tokens.input"] for t in EXPECTED_TURNS) == 120 + 260
    assert sum(t["llm.tokens.output"] for t in EXPECTED_TURNS) == 30 + 45
    assert sum(t["llm.tokens.cache_read"] for t in EXPECTED_TURNS) == 20 + 100

    # units, and no instrument about cost
    names = set()
    for event in probe.events:
        for name, s in event["store"]._sums:
            if s == scope:
                names.add(name)
    assert set(TOKEN_METRICS) <= names
    assert not [n for n in names if "cost" in n.lower()], names
    for event in llm_events:
        for name in TOKEN_METRICS:
            assert event["store"].units[name] == "{token}"

    # the tenant never reaches the provider
    for request in llm_mock.requests:
        assert TENANT not in request.body.decode("utf-8", "replace")
        assert not any(TENANT in value for value in request.headers.values())


def test_a_livekit_llm_of_the_projects_own_is_counted_once_per_turn(llm_mock, metric_store, monkeypatch):
    """A LiveKit LLM the project writes (an ``llm.LLM`` / ``llm.LLMStream`` subclass calling the
    openai SDK, passing the usage on in a ``ChatChunk``): the session's handler counts each turn, and
    the provider call inside the stream is not wrapped, so no turn is counted twice."""
    case = "own_livekit_llm"
    framework_fixture_path(case, "after")
    before_replies = run_turns(load(case, "before"), USER_INPUTS)
    llm_mock.reset()
    metric_store.drain()
    after = load(case, "after")
    probe = UsageProbe(metric_store).install(monkeypatch)
    replies = run_turns(after, USER_INPUTS)
    assert replies == before_replies == EXPECTED_REPLIES
    assert len(chat_requests(llm_mock)) == len(USER_INPUTS)
    assert len(probe.handlers) == 1
    llm_events = [e for e in probe.events if e["totals"]]
    assert len(llm_events) == len(USER_INPUTS)
    for index, (event, turn) in enumerate(zip(llm_events, EXPECTED_TURNS), start=1):
        for name in ("llm.tokens.input", "llm.tokens.output"):
            got = points(event["store"], name, after.__name__)
            assert [value for _, value in got] == [turn[name]], f"turn {index}, {name}: {got}"
            ((attributes, _),) = got
            assert attributes["llm.call_site"] == "session" and attributes["tenant.id"] == TENANT
            # LiveKit labels an LLM of the project's own "unknown": the SDK its stream calls names it
            assert attributes["llm.provider"] == "openai" and attributes["llm.model"] == "gpt-4o-mini"
    for name in TOKEN_METRICS:
        assert not points(metric_store, name, after.__name__), f"{name} counted outside the session's events"


def test_the_model_the_code_names_labels_turns_livekit_reports_without_one(llm_mock, metric_store):
    """`model=` of the subscription (the plugin's literal `model="..."`) labels a turn whose
    report names no model: an ``LLMMetrics`` without ``metadata`` (older livekit-agents), or
    LiveKit's "unknown" for an LLM of the project's own."""
    from types import SimpleNamespace

    metrics_module = load("session_turns_metrics", "after")
    token = otel_context.attach(otel_context.set_value(TENANT_KEY, TENANT))
    try:
        handler = metrics_module._framework_llm_metrics("session", plugin="openai", model="gpt-4o-mini")
    finally:
        otel_context.detach(token)
    reported = SimpleNamespace(type="llm_metrics", prompt_tokens=7, completion_tokens=3, prompt_cached_tokens=0)
    handler(SimpleNamespace(metrics=reported))
    [(attributes, value)] = points(metric_store, "llm.tokens.input", metrics_module.__name__)
    assert value == 7 and attributes["llm.model"] == "gpt-4o-mini" and attributes["llm.provider"] == "openai"
    # A model LiveKit reports wins.
    reported.metadata = SimpleNamespace(model_provider="api.openai.com", model_name="gpt-4.1")
    handler(SimpleNamespace(metrics=reported))
    models = {a["llm.model"]: v for a, v in points(metric_store, "llm.tokens.input", metrics_module.__name__)}
    assert models == {"gpt-4o-mini": 7, "gpt-4.1": 7}

    usage_module = load(CASE, "after")
    handler = usage_module._framework_llm_usage("session", plugin="openai", model="gpt-4o-mini")
    usage = SimpleNamespace(type="llm_usage", provider="unknown", model="unknown", input_tokens=11, output_tokens=2, input_cached_tokens=0)
    handler(SimpleNamespace(usage=SimpleNamespace(model_usage=[usage])))
    [(attributes, value)] = points(metric_store, "llm.tokens.input", usage_module.__name__)
    assert value == 11 and attributes["llm.model"] == "gpt-4o-mini" and attributes["llm.provider"] == "openai"


def test_tenant_is_read_when_the_session_subscribes(llm_mock, metric_store, monkeypatch):
    """No tenant in the context: "unknown", still one point set per turn."""
    after = load(CASE, "after")
    scope = after.__name__
    probe = UsageProbe(metric_store).install(monkeypatch)
    replies = run_turns(after, USER_INPUTS[:1], tenant=None)
    assert replies == EXPECTED_REPLIES[:1]
    (event,) = [e for e in probe.events if e["totals"]]
    want = {**EXPECTED_ATTRIBUTES, "tenant.id": "unknown"}
    assert points(event["store"], "llm.tokens.input", scope) == [(want, EXPECTED_TURNS[0]["llm.tokens.input"])]


def test_metrics_collected_handler_counts_each_turn(llm_mock, metric_store, monkeypatch):
    """livekit-agents before 1.5 (the case pins <1.5): the sync ``metrics_collected`` handler.

    livekit-agents 1.8 still emits ``metrics_collected`` (deprecated) with an ``LLMMetrics``
    per LLM turn, holding that turn's numbers (not running totals), so the same handler runs
    here under a real session: each turn counted once, with the six attributes."""
    from livekit.agents import AgentSession

    case = "session_turns_metrics"
    before_replies = run_turns(load(case, "before"), USER_INPUTS)
    llm_mock.reset()
    metric_store.drain()

    after = load(case, "after")
    scope = after.__name__
    handlers, per_event = [], []
    real_on = AgentSession.on

    def drain(event):
        if getattr(getattr(event, "metrics", None), "type", None) == "llm_metrics":
            per_event.append(type(metric_store)(metric_store._reader).collect())

    def on(session, event, callback=None):
        registered = real_on(session, event, callback)
        if event == "metrics_collected" and callback is not None and callback is not drain:
            handlers.append(callback)
            real_on(session, "metrics_collected", drain)  # after the module's handler
        return registered

    monkeypatch.setattr(AgentSession, "on", on)
    replies = run_turns(after, USER_INPUTS)

    assert replies == before_replies == EXPECTED_REPLIES
    assert len(handlers) == 1 and not inspect.iscoroutinefunction(handlers[0])
    assert len(per_event) == len(USER_INPUTS)
    for index, (store, turn) in enumerate(zip(per_event, EXPECTED_TURNS), start=1):
        for name in TOKEN_METRICS:
            got = points(store, name, scope)
            assert got == [(EXPECTED_ATTRIBUTES, turn[name])], f"turn {index}, {name}: {got}"
    assert not any(points(metric_store, name, scope) for name in TOKEN_METRICS), "nothing counted at close"


@pytest.mark.parametrize(
    ("reported", "model", "plugin", "want"),
    [
        ("api.openai.com", "gpt-4o", None, "openai"),
        ("livekit", "openai/gpt-4.1-mini", None, "openai"),
        ("127.0.0.1:8080", "gpt-4o", "openai", "openai"),
        ("my-proxy.internal:443", "x", "groq", "groq"),
        ("anthropic", "claude", None, "anthropic"),
        # a LiveKit LLM of the project's own: LiveKit's default label, the SDK its stream calls
        ("unknown", "unknown", "openai", "openai"),
        ("unknown", "unknown", None, "unknown"),
        # plugins that report a product name (google, aws, mistralai): the vendor direct calls are labelled with
        ("Gemini", "gemini-2.0-flash", "google", "google"),
        ("Vertex AI", "gemini-2.0-flash", "google", "google"),
        ("AWS Bedrock", "amazon.nova-lite-v1:0", "aws", "bedrock"),
        ("MistralAI", "mistral-small-latest", "mistralai", "mistral"),
    ],
)
def test_llm_provider_name(reported, model, plugin, want):
    after = load(CASE, "after")
    assert after._llm_provider_name(reported, model, plugin) == want
