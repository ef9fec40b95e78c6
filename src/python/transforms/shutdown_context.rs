//! Shutdown callbacks that make LLM calls run in the session's context.
//!
//! LiveKit runs shutdown callbacks in tasks of its own job runner, not of the
//! entrypoint: the `voice.session` span and the tenant the entrypoint made
//! current are not current there. A post-call summary made in one would count
//! its tokens under `tenant.id="unknown"`, in a trace of its own. A callback
//! that reaches an LLM call site of this file (itself, or through the
//! functions and methods of this file it calls) is registered through
//! `_with_session_context`, which takes the context current at registration
//! and makes it current again while the callback runs.
//!
//! ```python
//! # before
//! async def entrypoint(ctx: JobContext):
//!     async def summarize(reason: str) -> None:
//!         await client.chat.completions.create(model="gpt-4o-mini", messages=transcript)
//!
//!     ctx.add_shutdown_callback(summarize)
//! ```
//! ```python
//! # after (the session span and the LLM span not shown)
//! async def entrypoint(ctx: JobContext):
//!     async def summarize(reason: str) -> None:
//!         await client.chat.completions.create(model="gpt-4o-mini", messages=transcript)
//!
//!     ctx.add_shutdown_callback(_with_session_context(summarize))
//! ```
//!
//! The wrapper keeps what LiveKit decides from the callback (whether it is
//! given the reason: the same `__code__.co_argcount` test) and its name.
//! Callbacks that make no LLM call of this file are left as they are.

use std::collections::HashSet;
use std::ops::Range;

use tree_sitter::Node;

use crate::edit::Edit;
use crate::python::semantics::Semantics;
use crate::python::syntax::{
    descendants, enclosing_class, first_positional, named_children, text, undecorated, visible_definition, Field,
    NodeKind,
};
use crate::python::transforms::module_setup::{ModuleNames, Needs};

/// How many functions a callback's calls are followed through.
const MAX_FUNCTIONS: usize = 32;

/// `x.add_shutdown_callback(callback)`, with the function it names.
#[derive(Debug, Clone, Copy)]
pub struct Registration<'t> {
    pub call: Node<'t>,
    pub callback: Node<'t>,
}

/// The shutdown callbacks registered in this file whose code reaches one of
/// `llm_calls` (the byte ranges of the file's LLM call sites).
pub fn registrations<'t>(source: &str, semantics: &Semantics<'t>, llm_calls: &[Range<usize>]) -> Vec<Registration<'t>> {
    if llm_calls.is_empty() {
        return Vec::new();
    }
    semantics
        .calls
        .iter()
        .copied()
        .filter(|call| {
            call.field("function")
                .filter(|f| f.kind_name() == "attribute")
                .and_then(|f| f.field("attribute"))
                .is_some_and(|a| text(a, source) == "add_shutdown_callback")
        })
        .filter_map(|call| {
            let callback = first_positional(call)?;
            let function = callback_function(callback, source, semantics)?;
            reaches(function, source, semantics, llm_calls).then_some(Registration { call, callback })
        })
        .collect()
}

/// Whether the registration already goes through `_with_session_context`.
pub fn already_wrapped(registration: &Registration, source: &str) -> bool {
    registration.callback.kind_name() == "call"
        && registration
            .callback
            .field("function")
            .is_some_and(|f| f.kind_name() == "identifier" && text(f, source).ends_with("with_session_context"))
}

/// The edits that pass the callback through `_with_session_context`.
pub fn plan(registration: &Registration, names: &ModuleNames, needs: &mut Needs) -> Vec<Edit> {
    needs.with_session_context = true;
    needs.otel_context = true;
    let callback = registration.callback;
    // Order 3, a call's wrapping: after anything else inserted where the callback starts or ends.
    vec![
        Edit { order: 3, ..Edit::insert(callback.start_byte(), format!("{}(", names.with_session_context.name)) },
        Edit { order: 3, ..Edit::insert(callback.end_byte(), ")") },
    ]
}

/// The code a callback expression runs: a lambda, a visible `def`, or a method.
fn callback_function<'t>(callback: Node<'t>, source: &str, semantics: &Semantics<'t>) -> Option<Node<'t>> {
    match callback.kind_name() {
        "lambda" => Some(callback),
        "identifier" => visible_definition(callback, text(callback, source), source, true),
        "attribute" => method(callback, source, semantics),
        _ => None,
    }
}

/// `self.name` / `cls.name` (a method of the class the expression is in), or
/// `obj.name` where `obj = SomeClass(...)` before it, of a class of this file.
fn method<'t>(attribute: Node<'t>, source: &str, semantics: &Semantics<'t>) -> Option<Node<'t>> {
    let object = attribute.field("object").filter(|o| o.kind_name() == "identifier")?;
    let class = match text(object, source) {
        "self" | "cls" => enclosing_class(attribute)?,
        name => {
            let value = semantics.value_before(attribute, name, source).filter(|v| v.kind_name() == "call")?;
            let callee = value.field("function").filter(|f| f.kind_name() == "identifier")?;
            *semantics.classes.get(text(callee, source))?
        }
    };
    let name = text(attribute.field("attribute")?, source);
    named_children(class.field("body")?).into_iter().map(undecorated).find(|def| {
        def.kind_name() == "function_definition" && def.field("name").is_some_and(|n| text(n, source) == name)
    })
}

/// Whether `function`, or a function or method of this file it calls (a few
/// levels deep), contains one of `llm_calls`.
fn reaches<'t>(function: Node<'t>, source: &str, semantics: &Semantics<'t>, llm_calls: &[Range<usize>]) -> bool {
    let mut pending = vec![function];
    let mut seen = HashSet::new();
    while let Some(function) = pending.pop() {
        if !seen.insert(function.id()) || seen.len() > MAX_FUNCTIONS {
            continue;
        }
        let span = function.start_byte()..function.end_byte();
        if llm_calls.iter().any(|call| span.start <= call.start && call.end <= span.end) {
            return true;
        }
        for call in descendants(function).into_iter().filter(|n| n.kind_name() == "call") {
            let Some(callee) = call.field("function") else { continue };
            let called = match callee.kind_name() {
                "identifier" => visible_definition(call, text(callee, source), source, true),
                "attribute" => method(callee, source, semantics),
                _ => None,
            };
            pending.extend(called);
        }
    }
    false
}
