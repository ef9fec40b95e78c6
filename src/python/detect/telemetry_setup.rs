//! Telemetry setup: code that installs a global OpenTelemetry provider
//! (`trace.set_tracer_provider(...)`, `metrics.set_meter_provider(...)`, ...),
//! directly or through functions of the same module it calls.
//!
//! Known distributions' one-call setups count too (`configure_azure_monitor`,
//! `logfire.configure`, `openlit.init`, `Traceloop.init`), and so does a
//! function imported from elsewhere whose name says it sets up telemetry
//! (`configure_tracer`, `setup_otel`, `init_tracing`): the tool cannot read
//! other packages, and starting the session span after such a call costs
//! nothing if the guess is wrong.
//!
//! A span started, or a counter added to, before the provider is set goes
//! nowhere: the API's proxy tracer makes non-recording spans and its proxy
//! meter drops the points. So an entrypoint that sets up telemetry itself
//! (`setup_otel()` as its first statement) gets its session span after that
//! statement, and a helper that sets it up gets no span of its own.

use tree_sitter::Node;

use crate::python::semantics::Semantics;
use crate::python::syntax::{text, Field, NodeKind};

/// The calls that install a global provider, by qualified name. LiveKit's own
/// `telemetry.set_tracer_provider` is one too: the session span belongs after it.
const PROVIDER_SETTERS: &[&str] = &[
    "opentelemetry.trace.set_tracer_provider",
    "opentelemetry.metrics.set_meter_provider",
    "opentelemetry._logs.set_logger_provider",
    "opentelemetry._events.set_event_logger_provider",
    "livekit.agents.telemetry.set_tracer_provider",
];

/// Distributions that install the global providers in one call.
const DISTRIBUTIONS: &[&str] = &[
    "azure.monitor.opentelemetry.configure_azure_monitor",
    "logfire.configure",
    "openlit.init",
    "traceloop.sdk.Traceloop.init",
];

/// How deep calls into the module's own functions are followed.
const DEPTH: usize = 4;

/// Whether running `node` (a statement, or a function's definition) sets a
/// global provider: a setter called in it, or in a module-level function of
/// this file that it calls by name.
pub fn sets_up_telemetry(node: Node, source: &str, semantics: &Semantics) -> bool {
    sets_up(node, source, semantics, DEPTH)
}

fn sets_up(node: Node, source: &str, semantics: &Semantics, depth: usize) -> bool {
    calls_in(node, semantics).any(|call| {
        let Some(function) = call.field("function") else { return false };
        // The name as written ends like the qualified one: most calls are ruled out without resolving it.
        let written = text(function, source);
        let last = written.rsplit('.').next().unwrap_or(written).trim();
        let known = |names: &[&str]| names.iter().any(|n| n.rsplit('.').next() == Some(last));
        let candidate = known(PROVIDER_SETTERS) || known(DISTRIBUTIONS) || names_a_setup(last);
        if let Some(name) = candidate.then(|| semantics.callee(call, source)).flatten() {
            let last = name.rsplit('.').next().unwrap_or(&name);
            if PROVIDER_SETTERS.contains(&name.as_str()) || DISTRIBUTIONS.contains(&name.as_str()) {
                return true;
            }
            // Imported from a module the tool does not read: its name is all there is.
            if !name.starts_with("opentelemetry.") && names_a_setup(last) {
                return true;
            }
        }
        depth > 0
            && function.kind_name() == "identifier"
            && semantics
                .functions
                .get(written)
                .is_some_and(|defined| *defined != node && sets_up(*defined, source, semantics, depth - 1))
    })
}

/// A call of LiveKit's `telemetry.set_tracer_provider` in a module that never
/// sets the global tracer provider: LiveKit's sets only its own tracer, so the
/// spans the tool adds (from `trace.get_tracer`) would not be recorded.
pub fn livekit_only_provider<'t>(source: &str, semantics: &Semantics<'t>) -> Option<Node<'t>> {
    if !source.contains("set_tracer_provider") {
        return None;
    }
    let callee = |call: &Node| semantics.callee(*call, source);
    let global = "opentelemetry.trace.set_tracer_provider";
    if semantics.calls.iter().any(|c| callee(c).is_some_and(|q| q == global || DISTRIBUTIONS.contains(&q.as_str()))) {
        return None;
    }
    semantics
        .calls
        .iter()
        .copied()
        .find(|c| callee(c).is_some_and(|q| q == "livekit.agents.telemetry.set_tracer_provider"))
}

/// `configure_tracer`, `setup_otel`, `init_tracing`, `setupTelemetry`: a verb
/// that sets things up and a word for telemetry.
fn names_a_setup(name: &str) -> bool {
    // Most names have no telemetry word at all: said without splitting them.
    let has = |word: &str| name.as_bytes().windows(word.len()).any(|w| w.eq_ignore_ascii_case(word.as_bytes()));
    if !["otel", "opentelemetry", "telemetry", "tracing", "tracer", "observability", "instrumentation"]
        .into_iter()
        .any(has)
    {
        return false;
    }
    let words = crate::llm::words(name);
    let verb = words
        .iter()
        .any(|w| matches!(w.as_str(), "setup" | "set" | "configure" | "init" | "initialize" | "install" | "enable"));
    let telemetry = words.iter().any(|w| {
        matches!(
            w.as_str(),
            "otel"
                | "opentelemetry"
                | "telemetry"
                | "tracing"
                | "tracer"
                | "tracers"
                | "observability"
                | "instrumentation"
        )
    });
    verb && telemetry
}

/// The calls inside `node`, from the module's pre-order list of calls.
fn calls_in<'a, 't>(node: Node<'t>, semantics: &'a Semantics<'t>) -> impl Iterator<Item = Node<'t>> + 'a {
    let range = node.byte_range();
    let first = semantics.calls.partition_point(|call| call.start_byte() < range.start);
    semantics.calls[first..].iter().copied().take_while(move |call| call.start_byte() < range.end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::parse;
    use crate::python::syntax::named_children;

    fn setup_statements(source: &str) -> Vec<String> {
        let tree = parse::parse(source).unwrap();
        let semantics = Semantics::of(tree.root_node(), source);
        named_children(tree.root_node())
            .into_iter()
            .filter(|s| sets_up_telemetry(*s, source, &semantics))
            .map(|s| text(s, source).lines().next().unwrap_or("").to_string())
            .collect()
    }

    #[test]
    fn direct_and_through_module_functions() {
        let source = r#"from opentelemetry import trace as t, metrics
from opentelemetry.sdk.trace import TracerProvider
from livekit.agents.telemetry import set_tracer_provider
from observability_kit import configure_tracer
from azure.monitor.opentelemetry import configure_azure_monitor


def setup():
    t.set_tracer_provider(TracerProvider())


def configure():
    setup()


def lk():
    set_tracer_provider(TracerProvider())


def unrelated():
    t.get_tracer(__name__)


def recursive():
    recursive()


def imported_setup():
    configure_tracer("agent-worker")


metrics.set_meter_provider(None)
configure()
lk()
unrelated()
recursive()
configure_azure_monitor()
"#;
        assert!(names_a_setup("configure_tracer") && names_a_setup("setupTelemetry") && names_a_setup("init_tracing"));
        assert!(!names_a_setup("trace_call") && !names_a_setup("setup_logging") && !names_a_setup("tracer"));
        assert_eq!(
            setup_statements(source),
            [
                "def setup():",
                "def configure():",
                "def lk():",
                "def imported_setup():",
                "metrics.set_meter_provider(None)",
                "configure()",
                "lk()",
                "configure_azure_monitor()"
            ]
        );
    }
}
