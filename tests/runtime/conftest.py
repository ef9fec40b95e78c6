"""Runtime harness: real opentelemetry-sdk providers with in-memory export.

At import time this installs the *global* TracerProvider (SimpleSpanProcessor +
InMemorySpanExporter) and MeterProvider (InMemoryMetricReader, delta
temporality) so that ``trace.get_tracer(__name__)`` / ``metrics.get_meter(__name__)``
in the instrumented fixtures record into them.

Fixture files are resolved as:
  before: <repo>/fixtures/runtime/<case>/before/agent.py
  after:  $VOF_RUNTIME_FIXTURES/<case>/after/agent.py  (default root <repo>/fixtures/runtime)
A missing ``after`` file skips the test, unless VOF_RUNTIME_STRICT=1 (then it fails).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import (
    Counter,
    Histogram,
    MeterProvider,
    ObservableCounter,
    ObservableGauge,
    ObservableUpDownCounter,
    UpDownCounter,
)
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    HistogramDataPoint,
    InMemoryMetricReader,
    NumberDataPoint,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
DEFAULT_FIXTURES_ROOT = REPO_ROOT / "fixtures" / "runtime"

# ---------------------------------------------------------------------------
# LiveKit fakes (kept in a side-effect-free module so the OTLP child can load it)
# ---------------------------------------------------------------------------
FAKES_PATH = HERE / "_livekit_fakes.py"
_spec = importlib.util.spec_from_file_location("vof_runtime_fakes", FAKES_PATH)
lk = importlib.util.module_from_spec(_spec)
sys.modules["vof_runtime_fakes"] = lk  # test modules do `import vof_runtime_fakes`
_spec.loader.exec_module(lk)

FakeJobContext = lk.FakeJobContext
FakeSession = lk.FakeSession
run_job = lk.run_job
run_job_async = lk.run_job_async
load_module_from_path = lk.load_module_from_path

# ---------------------------------------------------------------------------
# Global SDK providers (set once, at import)
# ---------------------------------------------------------------------------
SPAN_EXPORTER = InMemorySpanExporter()
TRACER_PROVIDER = TracerProvider()
TRACER_PROVIDER.add_span_processor(SimpleSpanProcessor(SPAN_EXPORTER))
trace.set_tracer_provider(TRACER_PROVIDER)

_DELTA = AggregationTemporality.DELTA
METRIC_READER = InMemoryMetricReader(
    preferred_temporality={
        Counter: _DELTA,
        UpDownCounter: _DELTA,
        Histogram: _DELTA,
        ObservableCounter: _DELTA,
        ObservableUpDownCounter: _DELTA,
        ObservableGauge: _DELTA,
    }
)
METER_PROVIDER = MeterProvider(metric_readers=[METRIC_READER])
metrics.set_meter_provider(METER_PROVIDER)

if trace.get_tracer_provider() is not TRACER_PROVIDER:
    raise RuntimeError("another global TracerProvider was installed before tests/runtime/conftest.py")
if metrics.get_meter_provider() is not METER_PROVIDER:
    raise RuntimeError("another global MeterProvider was installed before tests/runtime/conftest.py")


# ---------------------------------------------------------------------------
# Metric helpers
# ---------------------------------------------------------------------------
def _freeze(attributes) -> tuple:
    return tuple(sorted(dict(attributes or {}).items()))


class MetricStore:
    """Accumulates delta collections from METRIC_READER for one test.

    ``collect()`` drains the reader; queries always see everything collected so
    far in the test, so they can be called repeatedly.
    """

    def __init__(self, reader: InMemoryMetricReader) -> None:
        self._reader = reader
        # (name, scope) -> kind, {frozen_attrs: value}
        self._sums: dict[tuple[str, str], dict[tuple, float]] = defaultdict(lambda: defaultdict(float))
        self._hists: dict[tuple[str, str], dict[tuple, list]] = defaultdict(lambda: defaultdict(lambda: [0, 0.0]))
        self.units: dict[str, str] = {}

    def drain(self) -> None:
        self._reader.get_metrics_data()

    def collect(self) -> MetricStore:
        data = self._reader.get_metrics_data()
        if data is None:
            return self
        for rm in data.resource_metrics:
            for sm in rm.scope_metrics:
                scope = sm.scope.name
                for metric in sm.metrics:
                    self.units[metric.name] = metric.unit
                    key = (metric.name, scope)
                    for point in metric.data.data_points:
                        attrs = _freeze(point.attributes)
                        if isinstance(point, HistogramDataPoint):
                            slot = self._hists[key][attrs]
                            slot[0] += point.count
                            slot[1] += point.sum
                        elif isinstance(point, NumberDataPoint):
                            self._sums[key][attrs] += point.value
        return self

    def names(self) -> set[str]:
        self.collect()
        return {name for name, _ in self._sums} | {name for name, _ in self._hists}

    def sum_points(self, name: str, scope: str | None = None) -> list[tuple[dict, float]]:
        """[(attributes, summed value)] for a counter, one entry per attribute set."""
        self.collect()
        merged: dict[tuple, float] = defaultdict(float)
        for (n, s), points in self._sums.items():
            if n == name and (scope is None or s == scope):
                for attrs, value in points.items():
                    merged[attrs] += value
        return [(dict(a), v) for a, v in merged.items()]

    def histogram_points(self, name: str, scope: str | None = None) -> list[tuple[dict, int, float]]:
        """[(attributes, count, sum)] for a histogram, one entry per attribute set."""
        self.collect()
        merged: dict[tuple, list] = defaultdict(lambda: [0, 0.0])
        for (n, s), points in self._hists.items():
            if n == name and (scope is None or s == scope):
                for attrs, (count, total) in points.items():
                    merged[attrs][0] += count
                    merged[attrs][1] += total
        return [(dict(a), c, t) for a, (c, t) in merged.items()]

    def sum_total(self, name: str, scope: str | None = None) -> float:
        return sum(v for _, v in self.sum_points(name, scope))

    def histogram_count(self, name: str, scope: str | None = None) -> int:
        return sum(c for _, c, _ in self.histogram_points(name, scope))


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------
@pytest.fixture
def span_exporter() -> InMemorySpanExporter:
    """The global in-memory span exporter, emptied for this test."""
    SPAN_EXPORTER.clear()
    yield SPAN_EXPORTER
    SPAN_EXPORTER.clear()


@pytest.fixture
def metric_store() -> MetricStore:
    """Per-test view of the global metric reader (earlier tests' deltas drained)."""
    store = MetricStore(METRIC_READER)
    store.drain()
    yield store
    store.drain()


def fixtures_root() -> Path:
    return Path(os.environ.get("VOF_RUNTIME_FIXTURES") or DEFAULT_FIXTURES_ROOT)


def fixture_path(case: str, variant: str) -> Path:
    if variant == "before":
        return DEFAULT_FIXTURES_ROOT / case / "before" / "agent.py"
    if variant == "after":
        return fixtures_root() / case / "after" / "agent.py"
    raise ValueError(variant)


def existing_fixture_path(case: str, variant: str) -> Path:
    """fixture_path(), skipping (or failing, for `before` / VOF_RUNTIME_STRICT=1) when absent."""
    path = fixture_path(case, variant)
    if not path.is_file():
        msg = f"runtime fixture missing: {path} (run the codemod, or set VOF_RUNTIME_FIXTURES)"
        if os.environ.get("VOF_RUNTIME_STRICT") == "1" or variant == "before":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture
def agent_path():
    """agent_path(case, "before"|"after") -> Path of an existing fixture file."""
    return existing_fixture_path


@pytest.fixture
def load_agent():
    """load_agent(case, "before"|"after") -> freshly imported module (unique name)."""

    def _load(case: str, variant: str):
        path = existing_fixture_path(case, variant)
        return load_module_from_path(path, label=f"{case}_{variant}")

    return _load


@pytest.fixture
def make_ctx():
    """make_ctx(metadata=..., room_name=...) -> FakeJobContext with a FakeSession and a log."""

    def _make(**kwargs) -> FakeJobContext:
        return FakeJobContext(**kwargs)

    return _make
