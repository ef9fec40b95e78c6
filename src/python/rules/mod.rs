//! Style rules for `--check` (SPEC §5): the seed's anti-patterns, one file
//! each, like ruff's rules: a `RULE` with its code and documentation, and a
//! `check` that reports violations with their position.
//!
//! The rules about *missing* instrumentation (`VOF001`–`VOF005`) are the
//! transforms' own fixes; they are reported from there, with the fix attached.
//! `# voice-otel-fix: ignore[VOF012]` on a line silences those codes there
//! (`ignore` alone silences every code on the line).

mod cost_metric;
mod llm_counter_attributes;
mod llm_counter_without_tenant;
mod not_none_smoke_test;
mod session_span_before_telemetry_setup;
mod session_span_ended_in_body;
mod shutdown_session_end_span;
mod span_decorator_on_generator;
mod transport_span_name;

use crate::python::syntax::Field;
use tree_sitter::Node;

use super::semantics::Semantics;
use super::syntax::{descendants, first_positional, string_value, text};
use crate::python::syntax::NodeKind;

/// What `voice-otel-fix rules` and `--explain` show of a rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub summary: &'static str,
    /// `## What it does`, `## Why is this bad?`, `## Example`, `Use instead:`, `## Fix safety`.
    pub doc: &'static str,
    pub fix: bool,
}

/// One place where a rule is broken.
#[derive(Debug, Clone)]
pub struct Violation {
    pub code: &'static str,
    /// Byte offset in the source.
    pub at: usize,
    pub message: String,
}

/// What every rule reads.
pub struct Context<'a, 't> {
    pub root: Node<'t>,
    pub source: &'a str,
    pub semantics: &'a Semantics<'t>,
    /// The file's name (`test_agent.py`), for rules about tests.
    pub file_name: &'a str,
}

type Check = for<'a, 't> fn(&Context<'a, 't>) -> Vec<Violation>;

/// The style rules, in code order.
pub const STYLE_RULES: &[(Rule, Check)] = &[
    (shutdown_session_end_span::RULE, shutdown_session_end_span::check),
    (session_span_ended_in_body::RULE, session_span_ended_in_body::check),
    (cost_metric::RULE, cost_metric::check),
    (transport_span_name::RULE, transport_span_name::check),
    (llm_counter_attributes::RULE, llm_counter_attributes::check),
    (span_decorator_on_generator::RULE, span_decorator_on_generator::check),
    (llm_counter_without_tenant::RULE, llm_counter_without_tenant::check),
    (not_none_smoke_test::RULE, not_none_smoke_test::check),
    (session_span_before_telemetry_setup::RULE, session_span_before_telemetry_setup::check),
];

/// The rules whose violations are the transforms' fixes.
/// Whether `code` is one of the missing-instrumentation rules, whose fix is the rewrite itself.
pub fn is_fix_rule(code: &str) -> bool {
    FIX_RULES.iter().any(|r| r.code == code)
}

pub const FIX_RULES: &[Rule] = &[
    Rule {
        code: "VOF000",
        name: "module-setup",
        summary: "The imports, tracer, meter and instruments the file's other fixes use",
        doc: "## What it does\nNot a rule of its own: the part of a file's rewrite that the other fixes share, reported on its own in SARIF (`VOF000`). Once per file, after the imports: `from opentelemetry import metrics, trace` (merged into an existing `opentelemetry` import, at isort's place), `tracer = trace.get_tracer(__name__)`, `meter = metrics.get_meter(__name__)`, and only the instruments the file's fixes use (`voice.sessions.started`, `voice.session.duration_ms`, `voice.greetings.delivered`, `llm.tokens.input`, `llm.tokens.output`, `llm.tokens.cache_read`).\n\n## Why is this bad?\nWithout it, the spans and counters the other fixes add have no tracer or meter to come from.\n\n## Fix safety\nSafe: a module-level `tracer` or `meter` the file already has is reused, and no name the file binds is taken (a taken name gets a suffix). Applied with the first fix of the file that needs it, and only then.",
        fix: true,
    },
    Rule {
        code: "VOF001",
        name: "missing-session-span",
        summary: "A LiveKit job entrypoint without the whole-session `voice.session` span and session metrics",
        doc: "## What it does\nFinds LiveKit job entrypoints (registered with `WorkerOptions(entrypoint_fnc=...)`, `@server.rtc_session(...)`, ...) that do not start a `voice.session` span.\n\n## Why is this bad?\nWithout a whole-session span, nothing ties the session's work together, and `voice.sessions.started` / `voice.session.duration_ms` are missing.\n\n## Example\n```python\nasync def entrypoint(ctx: JobContext) -> None:\n    await ctx.connect()\n    await session.start(agent=Assistant(), room=ctx.room)\n```\n\nUse instead: the seed's whole-session shape: `session_span = tracer.start_span(\"voice.session\", ...)`, the body in `with trace.use_span(session_span, end_on_exit=False):`, the span ended in a shutdown callback that records the duration.\n\n## Fix safety\nSafe: after the docstring, the statements that set up telemetry first and a leading `await ctx.connect(...)`, the rest of the body moves, unchanged but for one level of indentation, into the `with` block (a lone `pass` or `...` goes); nothing else changes.",
        fix: true,
    },
    Rule {
        code: "VOF002",
        name: "missing-helper-span",
        summary: "Bounded session work (a module-level function the entrypoint calls) without its own span",
        doc: "## What it does\nFinds module-level functions that an entrypoint awaits or calls directly and that have no span.\n\n## Why is this bad?\nBounded operations (the greeting, loading settings) deserve their own child spans of the session.\n\n## Example\n```python\nasync def _deliver_initial_greeting(session): ...\n```\n\nUse instead:\n```python\n@tracer.start_as_current_span(\"voice.deliver_initial_greeting\")\nasync def _deliver_initial_greeting(session): ...\n```\n\n## Fix safety\nSafe for functions and coroutines; generators are reported (VOF104) and not decorated.",
        fix: true,
    },
    Rule {
        code: "VOF003",
        name: "missing-greeting-counter",
        summary: "A delivered initial greeting that `voice.greetings.delivered` does not count",
        doc: "## What it does\nFinds awaited greeting helpers in an entrypoint without `voice.greetings.delivered` after them.\n\n## Why is this bad?\nGreetings delivered is a product metric the style guide asks for.\n\n## Fix safety\nSafe: a counter increment after the awaited call.",
        fix: true,
    },
    Rule {
        code: "VOF004",
        name: "missing-llm-instrumentation",
        summary: "An LLM provider call without a product-named span and token counters",
        doc: "## What it does\nFinds direct provider SDK calls (anthropic, openai and openai-shaped SDKs, google-genai, mistral, cohere, litellm, bedrock) that are not under an `llm.*` span.\n\n## Why is this bad?\nEvery LLM call needs a span named for the product operation and `llm.tokens.input` / `llm.tokens.output` with tenant, provider, model, use case, call site and outcome.\n\n## Fix safety\nSafe: the call's statement moves into `with _llm_span(...) as llm_call:` and the call passes through `llm_call.record(...)`, which returns it unchanged; exceptions propagate unchanged.",
        fix: true,
    },
    Rule {
        code: "VOF005",
        name: "missing-framework-llm-usage",
        summary: "An AgentSession whose LLM tokens are not counted",
        doc: "## What it does\nFinds `AgentSession(...)` constructions without a usage handler.\n\n## Why is this bad?\nFramework-driven LLM turns spend tokens too; they belong in the same `llm.tokens.*` counters.\n\n## Fix safety\nSafe: a sync handler subscribed to `session_usage_updated` (or `metrics_collected` before livekit-agents 1.5).",
        fix: true,
    },
    Rule {
        code: "VOF006",
        name: "shutdown-callback-outside-session",
        summary: "A shutdown callback that makes LLM calls outside the session's context",
        doc: "## What it does\nFinds `ctx.add_shutdown_callback(callback)` where the callback (a function, a method of the class, a lambda) makes an LLM call of this file, itself or through the functions and methods of the file it calls.\n\n## Why is this bad?\nLiveKit runs shutdown callbacks in its job runner's own tasks: the `voice.session` span and the tenant the entrypoint made current are not current there. A post-call summary made at shutdown counts its tokens under `tenant.id=\"unknown\"`, in a trace of its own.\n\n## Example\n```python\nctx.add_shutdown_callback(summarize_call)\n```\n\nUse instead:\n```python\nctx.add_shutdown_callback(_with_session_context(summarize_call))\n```\n\n## Fix safety\nSafe: `_with_session_context` makes the context current at registration current again while the callback runs, passes the reason exactly when LiveKit would (the same `__code__.co_argcount` test), and keeps the callback's name. Callbacks that make no LLM call of this file are left alone.",
        fix: true,
    },
    Rule {
        code: "VOF007",
        name: "executor-call-outside-session",
        summary: "A function run by `loop.run_in_executor` that makes LLM calls outside the caller's context",
        doc: "## What it does\nFinds `loop.run_in_executor(executor, function, ...)` where the function (a `def`, a method, `functools.partial(f, ...)`) makes an LLM call of this file, itself or through the functions and methods of the file it calls.\n\n## Why is this bad?\n`loop.run_in_executor` runs the function in a worker thread without the caller's context (`asyncio.to_thread` copies it): the `voice.session` span and the tenant are not current there, so the call's tokens count under `tenant.id=\"unknown\"`, in a trace of its own.\n\n## Example\n```python\nanswer = await loop.run_in_executor(None, classify_sync, text)\n```\n\nUse instead:\n```python\nanswer = await loop.run_in_executor(None, contextvars.copy_context().run, classify_sync, text)\n```\n\n## Fix safety\nSafe: `Context.run(function, *args)` calls the function with the same arguments and returns what it returns, as `asyncio.to_thread` does.",
        fix: true,
    },
];

/// Every rule's description, in code order.
pub fn all_rules() -> Vec<Rule> {
    let mut rules: Vec<Rule> = FIX_RULES.to_vec();
    rules.extend(STYLE_RULES.iter().map(|(rule, _)| *rule));
    rules
}

/// The rule with this code.
pub fn rule(code: &str) -> Option<Rule> {
    all_rules().into_iter().find(|r| r.code.eq_ignore_ascii_case(code))
}

/// Runs every style rule.
pub fn check(cx: &Context) -> Vec<Violation> {
    let mut out: Vec<Violation> = STYLE_RULES.iter().flat_map(|(_, check)| check(cx)).collect();
    out.sort_by_key(|v| (v.at, v.code));
    out
}

/// Whether `# voice-otel-fix: ignore[...]` on the line of `at` silences `code`.
pub fn suppressed(source: &str, at: usize, code: &str) -> bool {
    let start = source[..at.min(source.len())].rfind('\n').map_or(0, |i| i + 1);
    let end = source[start..].find('\n').map_or(source.len(), |i| start + i);
    let line = &source[start..end];
    let Some(marker) = line.find("voice-otel-fix: ignore") else { return false };
    let rest = &line[marker + "voice-otel-fix: ignore".len()..];
    match rest.strip_prefix('[') {
        Some(codes) => codes.split(']').next().unwrap_or("").split(',').any(|c| c.trim().eq_ignore_ascii_case(code)),
        None => true,
    }
}

// Helpers the rules share.

/// `x.start_span("name", ...)` / `x.start_as_current_span("name")`: the span name, when literal.
pub(crate) fn span_name<'s>(call: Node, source: &'s str) -> Option<&'s str> {
    if call.kind_name() != "call" {
        return None;
    }
    let function = call.field("function").filter(|f| f.kind_name() == "attribute")?;
    let method = text(function.field("attribute")?, source);
    if !matches!(method, "start_span" | "start_as_current_span") {
        return None;
    }
    string_value(first_positional(call)?, source)
}

/// Module-level names bound to an instrument made with `meter.create_*("metric", ...)`.
pub(crate) fn instruments<'s>(cx: &Context<'s, '_>) -> Vec<(String, &'s str)> {
    cx.semantics
        .assignments
        .iter()
        .filter_map(|(name, value)| {
            let function = value.field("function").filter(|f| f.kind_name() == "attribute")?;
            let method = text(function.field("attribute")?, cx.source);
            if !method.starts_with("create_") {
                return None;
            }
            Some((name.clone(), string_value(first_positional(*value)?, cx.source)?))
        })
        .collect()
}

/// The string keys of the dict an attributes argument is: a literal, or a name
/// assigned a literal in the same function.
pub(crate) fn dict_keys<'s>(arg: Node, source: &'s str) -> Option<Vec<&'s str>> {
    let dict = match arg.kind_name() {
        "dictionary" => arg,
        "identifier" => {
            let name = text(arg, source);
            let mut scope = arg.parent();
            while let Some(n) = scope {
                if n.kind_name() == "function_definition" || n.kind_name() == "module" {
                    break;
                }
                scope = n.parent();
            }
            descendants(scope?)
                .into_iter()
                .filter(|n| n.kind_name() == "assignment")
                .filter(|a| a.field("left").is_some_and(|l| text(l, source) == name))
                .filter_map(|a| a.field("right"))
                .find(|r| r.kind_name() == "dictionary")?
        }
        _ => return None,
    };
    let mut keys = Vec::new();
    for pair in descendants(dict).into_iter().filter(|n| n.kind_name() == "pair" && n.parent() == Some(dict)) {
        keys.push(string_value(pair.field("key")?, source)?);
    }
    if descendants(dict).iter().any(|n| n.kind_name() == "dictionary_splat" && n.parent() == Some(dict)) {
        return None; // `**base`: the keys are not all visible
    }
    Some(keys)
}
