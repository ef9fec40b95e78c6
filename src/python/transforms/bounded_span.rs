//! Bounded session work: a module-level function of the same file that an
//! entrypoint awaits or calls directly gets its own span, named for what it
//! does (the seed's "Bounded Session Work").
//!
//! ```python
//! # before
//! async def _deliver_initial_greeting(session: AgentSession) -> None:
//!     await session.generate_reply(instructions="Greet the caller.")
//! ```
//! ```python
//! # after
//! @tracer.start_as_current_span("voice.deliver_initial_greeting")
//! async def _deliver_initial_greeting(session: AgentSession) -> None:
//!     await session.generate_reply(instructions="Greet the caller.")
//! ```
//!
//! Not applied to generators and async generators: the decorator would end
//! the span when the generator object is created, before any iteration. Nor
//! to a plain `def` whose result is awaited (a coroutine of the module's own, a
//! task): its work runs after it returns. They get a diagnostic instead. The decorator goes directly on the `def`, under
//! the function's own decorators (`@functools.lru_cache`, `@function_tool`),
//! so that what they return keeps its type. A function that already has a span decorator is
//! left alone, and so are methods and functions of other modules, and a
//! function that sets up telemetry (`detect::telemetry_setup`): its span would
//! start before the provider it installs.

use crate::python::syntax::Field;
use std::collections::HashMap;

use tree_sitter::Node;

use crate::edit::Edit;
use crate::python::detect::telemetry_setup::sets_up_telemetry;
use crate::python::semantics::Semantics;
use crate::python::syntax::NodeKind;
use crate::python::syntax::{
    decorators, indentation_at, is_async, is_generator, line_start, same_scope_descendants, text,
};
use crate::python::template::{self, Layout};
use crate::python::transforms::module_setup::{ModuleNames, Needs};

/// A module-level function called from an entrypoint's own body.
#[derive(Debug, Clone, Copy)]
pub struct HelperCall<'t> {
    pub call: Node<'t>,
    pub helper: Node<'t>,
}

/// The calls of module-level functions in `entrypoint`'s own scope (nested
/// functions and lambdas are not "directly" the entrypoint's body).
pub fn helper_calls<'t>(
    entrypoint: Node<'t>,
    source: &str,
    semantics: &Semantics<'t>,
    entrypoints: &[Node<'t>],
) -> Vec<HelperCall<'t>> {
    let Some(body) = entrypoint.field("body") else { return Vec::new() };
    same_scope_descendants(body)
        .into_iter()
        .filter(|n| n.kind_name() == "call")
        .filter_map(|call| {
            let function = call.field("function").filter(|f| f.kind_name() == "identifier")?;
            let helper = *semantics.functions.get(text(function, source))?;
            // A helper that installs a tracer or meter provider would start its span before it.
            let bounded = !entrypoints.contains(&helper) && !sets_up_telemetry(helper, source, semantics);
            bounded.then_some(HelperCall { call, helper })
        })
        .collect()
}

/// What happened to one helper.
pub enum Outcome {
    Decorated(Edit),
    AlreadyDecorated,
    Generator,
    /// A plain `def` whose result is awaited (a coroutine, a task): its work runs after it returns.
    ReturnsAwaitable,
}

/// Whether a plain `def` returns an awaitable made in it: a call of an
/// `async def` of the module, or a task or future (`asyncio.create_task(...)`,
/// `ensure_future`, `gather`, `run_coroutine_threadsafe`).
fn returns_awaitable(helper: Node, source: &str, semantics: &Semantics) -> bool {
    let Some(body) = helper.field("body") else { return false };
    semantics.same_scope(body).into_iter().filter(|n| n.kind_name() == "return_statement").any(|ret| {
        let Some(value) = ret.named_child(0).filter(|v| v.kind_name() == "call") else { return false };
        let Some(callee) = value.field("function") else { return false };
        let written = text(callee, source);
        let last = written.rsplit('.').next().unwrap_or(written);
        matches!(last, "create_task" | "ensure_future" | "gather" | "run_coroutine_threadsafe")
            || callee.kind_name() == "identifier" && semantics.functions.get(written).is_some_and(|f| is_async(*f))
    })
}

/// The span name for a helper: `voice.` and its name without leading underscores.
pub fn span_name(helper: Node, source: &str) -> String {
    let name = helper.field("name").map_or("helper", |n| text(n, source));
    format!("voice.{}", name.trim_start_matches('_'))
}

pub fn plan(
    helper: Node,
    call_awaited: bool,
    (source, semantics): (&str, &Semantics),
    names: &ModuleNames,
    unit: &str,
    line_ending: &str,
    needs: &mut Needs,
) -> Outcome {
    let has_span = decorators(helper).into_iter().any(|d| {
        let t = text(d, source);
        t.contains("start_as_current_span") || t.contains("start_span")
    });
    if has_span {
        return Outcome::AlreadyDecorated;
    }
    if is_generator(helper) {
        return Outcome::Generator;
    }
    if !is_async(helper) && (call_awaited || returns_awaitable(helper, source, semantics)) {
        return Outcome::ReturnsAwaitable;
    }
    // Directly on the `def`, under the helper's own decorators: over them it
    // would wrap what they return (an `lru_cache` wrapper, a `FunctionTool`)
    // as a plain function, losing `cache_clear()` or ending the span before
    // the tool's body ran.
    let start = helper.start_byte();
    let indent = indentation_at(source, start).unwrap_or("");
    let mut holes: HashMap<&str, String> = names.holes();
    holes.insert("span_name", format!("\"{}\"", span_name(helper, source)));
    let layout = Layout { indent, unit, line_ending };
    needs.tracer = true;
    // Order 2: at the same line start, lines that end the statement before the
    // helper (a session's usage handler, the module setup) come first.
    Outcome::Decorated(Edit {
        order: 2,
        ..Edit::insert(line_start(source, start), template::BOUNDED_SPAN_DECORATOR.render_lines(1, &holes, &layout))
    })
}
