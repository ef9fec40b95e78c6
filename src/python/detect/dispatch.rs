//! Dispatchers: an entrypoint that hands its job to another entrypoint (of its
//! own file, or of a module it imports, as `link::delegations` lists them)
//! runs that one's whole session, span and all. It gets no session span of
//! its own, or, when it also runs a session of its own, a diagnostic (VOF107).
//!
//! ```python
//! async def entrypoint(ctx: JobContext) -> None:      # no span: the one it calls has it
//!     await ctx.connect()
//!     if mode(ctx) == "vision":
//!         await vision_entrypoint(ctx)
//!     else:
//!         await voice.entrypoint(ctx)
//! ```

use std::collections::HashSet;

use tree_sitter::Node;

use crate::python::semantics::{is_livekit_agents, Semantics};
use crate::python::syntax::{same_scope_descendants, text, Field, NodeKind};

/// Whether an entrypoint hands its job to another entrypoint (a dispatcher):
/// a call, in its own scope, of a callee that runs another module's
/// entrypoint (`delegates`) or of another entrypoint of this file. That one
/// starts the session span; a second one around it would count the session
/// twice. Returns the callee as written, where the call is, and whether the
/// entrypoint also makes an `AgentSession` of its own (then some paths are its own).
pub fn delegation<'t>(
    function: Node<'t>,
    entrypoints: &[Node<'t>],
    delegates: &HashSet<String>,
    source: &str,
    semantics: &Semantics,
) -> Option<(String, usize, bool)> {
    // Nothing to hand the job to: no imported entrypoint, and this file's only one.
    if delegates.is_empty() && entrypoints.iter().all(|e| *e == function) {
        return None;
    }
    let body = function.field("body")?;
    let calls: Vec<Node> = same_scope_descendants(body).into_iter().filter(|n| n.kind_name() == "call").collect();
    let delegated = calls.iter().find_map(|call| {
        let callee = call.field("function")?;
        let written: String = text(callee, source).split_whitespace().collect();
        let local = callee.kind_name() == "identifier"
            && entrypoints
                .iter()
                .any(|e| *e != function && e.field("name").is_some_and(|n| text(n, source) == written));
        (local || delegates.contains(&written)).then_some((written, call.start_byte()))
    })?;
    let own_session = calls
        .iter()
        .any(|call| semantics.callee(*call, source).is_some_and(|q| is_livekit_agents(&q, &["AgentSession"])));
    Some((delegated.0, delegated.1, own_session))
}
