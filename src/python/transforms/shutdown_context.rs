//! Shutdown callbacks that make LLM calls run in the session's context.
//!
//! LiveKit runs shutdown callbacks in tasks of its own job runner, not of the
//! entrypoint: the `voice.session` span and the tenant the entrypoint made
//! current are not current there. A post-call summary made in one would count
//! its tokens under `tenant.id="unknown"`, in a trace of its own. A callback
//! that reaches an LLM call site (itself, through the functions and methods
//! of this file it calls, or through a function it imports from another module
//! of the project) is registered through
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

use std::ops::Range;

use tree_sitter::Node;

use crate::edit::Edit;
use crate::python::detect::reach;
use crate::python::semantics::Semantics;
use crate::python::syntax::{first_positional, text, Field, NodeKind};
use crate::python::transforms::module_setup::{ModuleNames, Needs};

/// `x.add_shutdown_callback(callback)`, with the function it names.
#[derive(Debug, Clone, Copy)]
pub struct Registration<'t> {
    pub call: Node<'t>,
    pub callback: Node<'t>,
}

/// The shutdown callbacks registered in this file whose code reaches one of
/// `llm_calls` (the byte ranges of the file's LLM call sites), or an LLM call
/// of another module of the project (`reach::callback_reaches`).
pub fn registrations<'t>(source: &str, semantics: &Semantics<'t>, llm_calls: &[Range<usize>]) -> Vec<Registration<'t>> {
    reach::method_calls(source, semantics, "add_shutdown_callback")
        .filter_map(|call| {
            let callback = first_positional(call)?;
            reach::callback_reaches(callback, source, semantics, llm_calls).then_some(Registration { call, callback })
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
