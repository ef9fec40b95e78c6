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
//! `return await greet()`) has no point at which it is known to be complete:
//! it is reported, not counted.

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

/// The edit counting one greeting after `call`, or why there is none.
pub fn plan(
    call: HelperCall,
    session: &SessionSpan,
    source: &str,
    names: &ModuleNames,
    line_ending: &str,
    needs: &mut Needs,
) -> Result<Edit, &'static str> {
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
