//! VOF018: telemetry set up after the `voice.session` span has started.

use super::{span_name, Context, Rule, Violation};
use crate::python::detect::telemetry_setup::sets_up_telemetry;
use crate::python::syntax::{same_scope_descendants, Field, NodeKind};

pub const RULE: Rule = Rule {
    code: "VOF018",
    name: "session-span-before-telemetry-setup",
    summary: "A `voice.session` span started before the function sets up telemetry",
    doc: "## What it does\nFinds a function that starts the `voice.session` span and afterwards installs the OpenTelemetry providers: `trace.set_tracer_provider(...)`, a distribution's one-call setup (`configure_azure_monitor()`, `logfire.configure()`), a function of the module that does, or an imported one whose name says it does (`setup_otel()`, `configure_tracer(...)`).\n\n## Why is this bad?\nA span started before a provider is set comes from the API's proxy tracer and never records, and the `voice.sessions.started` point added with it goes to the proxy meter and is dropped: the session is missing from traces and dashboards, though the code looks instrumented. Entrypoints instrumented by hand, or by an older version of this tool, often have this order.\n\n## Example\n```python\nasync def entrypoint(ctx: JobContext) -> None:\n    session_span = tracer.start_span(\"voice.session\")\n    with trace.use_span(session_span, end_on_exit=False):\n        setup_otel()\n        ...\n```\n\nUse instead:\n```python\nasync def entrypoint(ctx: JobContext) -> None:\n    setup_otel()\n    session_span = tracer.start_span(\"voice.session\")\n    with trace.use_span(session_span, end_on_exit=False):\n        ...\n```\nor set telemetry up at module level or in `prewarm`.\n\n## Fix safety\nNo fix: moving the set-up moves user code, which may depend on what runs before it.",
    fix: false,
};

pub fn check(cx: &Context) -> Vec<Violation> {
    let source = cx.source;
    let mut out = Vec::new();
    let is_test = cx.file_name.starts_with("test_") || cx.file_name.ends_with("_test.py");
    if is_test || !source.contains("voice.session") {
        return out;
    }
    for function in cx.semantics.nodes.iter().copied().filter(|n| n.kind_name() == "function_definition") {
        let Some(body) = function.field("body") else { continue };
        let nodes = same_scope_descendants(body);
        let calls = nodes.iter().copied().filter(|n| n.kind_name() == "call");
        let Some(span) = calls.clone().find(|c| span_name(*c, source) == Some("voice.session")) else { continue };
        let late =
            calls.filter(|c| c.start_byte() >= span.end_byte()).find(|c| sets_up_telemetry(*c, source, cx.semantics));
        if let Some(setup) = late {
            let line = span.start_position().row + 1;
            out.push(Violation {
                code: RULE.code,
                at: setup.start_byte(),
                message: format!(
                    "telemetry is set up here, after the `voice.session` span started (line {line}): the span and \
                     `voice.sessions.started` were recorded by no provider; set telemetry up first"
                ),
            });
        }
    }
    out
}
