//! Functions handed to `loop.run_in_executor` that make LLM calls run in the
//! caller's context.
//!
//! `asyncio.to_thread` runs its function in a copy of the caller's context;
//! `loop.run_in_executor` does not: in its worker thread the session's span and
//! tenant are not current, so an LLM call made there counts its tokens under
//! `tenant.id="unknown"`, in a trace of its own (boto3 has no async client, so
//! this is how async agents often call Bedrock). A function that reaches an LLM
//! call site (itself, through the functions and methods of this file it calls,
//! or through a function imported from another module of the project) is run
//! through `contextvars.copy_context().run`, which
//! is what `to_thread` does.
//!
//! ```python
//! # before
//! answer = await loop.run_in_executor(None, classify_sync, text)
//! ```
//! ```python
//! # after
//! answer = await loop.run_in_executor(None, contextvars.copy_context().run, classify_sync, text)
//! ```
//!
//! `functools.partial(classify_sync, text)` is followed to its function. A
//! function that makes no LLM call of this file is left alone.

use std::ops::Range;

use tree_sitter::Node;

use crate::edit::Edit;
use crate::python::detect::reach;
use crate::python::semantics::Semantics;
use crate::python::syntax::{first_positional, text, Field, NodeKind};
use crate::python::transforms::module_setup::{ModuleNames, Needs};

/// `x.run_in_executor(executor, function, ...)` whose function reaches an LLM call.
#[derive(Debug, Clone, Copy)]
pub struct ExecutorCall<'t> {
    pub call: Node<'t>,
    /// The function argument, as written (a name, `functools.partial(...)`).
    pub function: Node<'t>,
}

/// The `run_in_executor` calls of this file whose function reaches one of
/// `llm_calls` (the byte ranges of the file's LLM call sites), or an LLM call
/// of another module of the project (`reach::callback_reaches`).
pub fn calls<'t>(source: &str, semantics: &Semantics<'t>, llm_calls: &[Range<usize>]) -> Vec<ExecutorCall<'t>> {
    reach::method_calls(source, semantics, "run_in_executor")
        .filter_map(|call| {
            let arguments = call.field("arguments")?;
            let mut cursor = arguments.walk();
            let positional: Vec<Node> = arguments
                .named_children(&mut cursor)
                .filter(|a| !matches!(a.kind_name(), "keyword_argument" | "comment"))
                .collect();
            let function = *positional.get(1)?;
            // `functools.partial(f, ...)`: the function is its first argument.
            let named = match function.kind_name() {
                "call" if function.field("function").is_some_and(|f| text(f, source).ends_with("partial")) => {
                    first_positional(function)?
                }
                _ => function,
            };
            reach::callback_reaches(named, source, semantics, llm_calls).then_some(ExecutorCall { call, function })
        })
        .collect()
}

/// The edit that runs the function in a copy of the caller's context.
pub fn plan(call: &ExecutorCall, names: &ModuleNames, needs: &mut Needs) -> Vec<Edit> {
    needs.contextvars = true;
    // Order 3, a call's wrapping: after anything else inserted where the argument starts.
    vec![Edit {
        order: 3,
        ..Edit::insert(call.function.start_byte(), format!("{}.copy_context().run, ", names.contextvars.name))
    }]
}
