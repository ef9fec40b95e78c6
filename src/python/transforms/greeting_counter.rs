//! Greetings delivered: where an entrypoint awaits a helper that delivers the
//! initial greeting (its name says greet, or its body calls `say` /
//! `generate_reply`), `voice.greetings.delivered` is incremented right after
//! the call has completed (the seed's "Session Metrics").
//!
//! ```python
//! # before (inside the entrypoint)
//!     await _deliver_initial_greeting(session)
//! ```
//! ```python
//! # after
//!         await _deliver_initial_greeting(session)
//!         voice_greetings_delivered.add(1, {"tenant.id": tenant_id})
//! ```
//!
//! A greeting that is not awaited where it is called (`create_task(greet())`,
//! `return await greet()`), or a helper that only queues its speech
//! (`session.generate_reply(...)` without awaiting the handle: the helper
//! returns before anything is said), has no point at which it is known to be
//! delivered: it is reported (VOF105), not counted.

use crate::python::syntax::Field;
use std::collections::HashMap;

use tree_sitter::Node;

use crate::edit::Edit;
use crate::python::syntax::NodeKind;
use crate::python::syntax::{indentation_at, is_async, line_after_statement, same_scope_descendants, text};
use crate::python::template::{self, Layout};
use crate::python::transforms::bounded_span::HelperCall;
use crate::python::transforms::module_setup::{Instrument, ModuleNames, Needs};
use crate::python::transforms::session_span::SessionSpan;

/// Whether a helper delivers the greeting.
pub fn is_greeting(helper: Node, source: &str) -> bool {
    let named = helper.field("name").is_some_and(|n| text(n, source).to_lowercase().contains("greet"));
    let says = helper.field("body").is_some_and(|body| {
        same_scope_descendants(body).into_iter().any(|n| {
            n.kind_name() == "call"
                && n.field("function").is_some_and(|f| {
                    f.kind_name() == "attribute"
                        && f.field("attribute").is_some_and(|a| matches!(text(a, source), "say" | "generate_reply"))
                })
        })
    });
    named || says
}

/// Whether the helper only queues its speech: it calls `say` / `generate_reply`
/// and awaits none of the `SpeechHandle`s (directly, or a name holding one,
/// `await handle`, `await handle.wait_for_playout()`), so it returns before
/// the greeting has been delivered.
fn only_queues(helper: Node, source: &str) -> bool {
    let Some(body) = helper.field("body") else { return false };
    let nodes = same_scope_descendants(body);
    let speaks = |n: &Node| {
        n.kind_name() == "call"
            && n.field("function").is_some_and(|f| {
                f.kind_name() == "attribute"
                    && f.field("attribute").is_some_and(|a| matches!(text(a, source), "say" | "generate_reply"))
            })
    };
    let speech: Vec<Node> = nodes.iter().copied().filter(speaks).collect();
    let awaited_names: Vec<&str> = nodes
        .iter()
        .filter(|n| n.kind_name() == "await")
        .filter_map(|n| n.named_child(0))
        .map(|value| {
            // `await handle.wait_for_playout()`: the handle is `handle`.
            let value = match value.kind_name() {
                "call" => value.field("function").and_then(|f| f.field("object")).unwrap_or(value),
                _ => value,
            };
            text(value, source)
        })
        .collect();
    let waited = |call: &Node| {
        if call.parent().is_some_and(|p| p.kind_name() == "await") {
            return true;
        }
        let held = call.parent().filter(|p| p.kind_name() == "assignment").and_then(|a| a.field("left"));
        held.is_some_and(|name| awaited_names.contains(&text(name, source)))
    };
    !speech.is_empty() && !speech.iter().any(waited)
}

/// The edit counting one greeting after `call`, or why there is none.
pub fn plan(
    call: HelperCall,
    session: &SessionSpan,
    source: &str,
    names: &ModuleNames,
    line_ending: &str,
    needs: &mut Needs,
) -> Result<Edit, &'static str> {
    if only_queues(call.helper, source) {
        return Err("the greeting helper queues its speech without awaiting it, so it returns before the greeting \
                    is delivered; await the `SpeechHandle` in it to count voice.greetings.delivered");
    }
    let awaited = call.call.parent().is_some_and(|p| p.kind_name() == "await");
    if !awaited && is_async(call.helper) {
        return Err("greeting helper is not awaited here; voice.greetings.delivered not counted");
    }
    let mut statement = if awaited { call.call.parent().expect("checked above") } else { call.call };
    while let Some(parent) = statement.parent() {
        if matches!(parent.kind_name(), "block" | "module") {
            break;
        }
        statement = parent;
    }
    if statement.kind_name() != "expression_statement" {
        return Err(
            "greeting helper's result is used by a statement that ends the flow; voice.greetings.delivered not counted",
        );
    }
    let Some(line_end) = line_after_statement(source, statement.end_byte()) else {
        return Err("statements share a line with the greeting call; voice.greetings.delivered not counted");
    };
    let Some(indent) = indentation_at(source, statement.start_byte()) else {
        return Err("greeting call does not start its line; voice.greetings.delivered not counted");
    };
    let mut indent = indent.to_string();
    if session.moved.contains(&statement.start_byte()) {
        indent.push_str(&session.unit);
    }
    let mut holes: HashMap<&str, String> = names.holes();
    holes.insert("tenant_id", session.tenant_id.clone());
    let layout = Layout { indent: &indent, unit: &session.unit, line_ending };
    needs.instruments.insert(Instrument::GreetingsDelivered);
    Ok(Edit::lines(source, line_end, &template::GREETING_DELIVERED.render(&holes, &layout), line_ending))
}
