"""Child process for agents that install their own providers (own interpreter => own globals).

usage: python _own_providers_child.py <agent.py>

The agent's entrypoint sets the global tracer and meter providers itself and
keeps its exporter and reader in the module globals ``SPAN_EXPORTER`` and
``METRIC_READER``. Runs the entrypoint against the fake LiveKit job context
and prints a JSON summary of what those recorded.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path


def main() -> int:
    fakes_path = Path(__file__).resolve().parent / "_livekit_fakes.py"
    spec = importlib.util.spec_from_file_location("vof_runtime_fakes", fakes_path)
    lk = importlib.util.module_from_spec(spec)
    sys.modules["vof_runtime_fakes"] = lk
    spec.loader.exec_module(lk)

    agent = lk.load_module_from_path(sys.argv[1], label="own_providers")
    ctx = lk.FakeJobContext(metadata=json.dumps({"tenant_id": "acme", "user_id": "u-42"}))
    result, error = lk.run_job(agent.entrypoint, ctx)

    spans = [
        {
            "name": span.name,
            "span_id": span.context.span_id,
            "parent": span.parent.span_id if span.parent else None,
            "attributes": dict(span.attributes),
        }
        for span in agent.SPAN_EXPORTER.get_finished_spans()
    ]
    points = {}
    data = agent.METRIC_READER.get_metrics_data()
    for resource_metrics in data.resource_metrics if data else []:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                points.setdefault(metric.name, []).extend(
                    {"attributes": dict(p.attributes), "value": getattr(p, "value", None), "count": getattr(p, "count", None)}
                    for p in metric.data.data_points
                )
    print(json.dumps({
        "error": repr(error) if error else None,
        "said": ctx.session.said,
        "spans": spans,
        "points": points,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
