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
//! An entrypoint that says its opening line itself (`await
//! session.generate_reply(instructions="Greet the caller")` as the first speech
//! of its body, and no greeting helper) has it counted the same way, after
//! that statement.
//!
//! A greeting that is not awaited where it is called (`create_task(greet())`,
//! `return await greet()`), a helper that only queues its speech
//! (`session.generate_reply(...)` without awaiting the handle: the helper
//! returns before anything is said), or one that can return without having
//! spoken (an early `return`, an exception it handles around the speech), has
//! no point at which it is known to be delivered: it is reported (VOF105), not
//! counted. A helper named for a greeting that says nothing, itself or through
//! the module's functions it awaits (`_greeting_prompt(name)`), is not one.

use crate::python::syntax::Field;
use std::collections::HashMap;

use tree_sitter::Node;

use crate::edit::Edit;
use crate::python::semantics::Semantics;
use crate::python::syntax::NodeKind;
use crate::python::syntax::{
    descendants, indentation_at, is_async, line_after_statement, named_children, same_scope_descendants, text,
};
use crate::python::template::{self, Layout};
use crate::python::transforms::bounded_span::HelperCall;
use crate::python::transforms::module_setup::{Instrument, ModuleNames, Needs};
use crate::python::transforms::session_span::SessionSpan;

/// Whether a helper delivers the greeting: it speaks (`say` / `generate_reply`),
/// or its name says greet and it awaits a function of the module that speaks
/// (a prompt builder named `_greeting_prompt`, or `_download_greeting_audio`,
/// says nothing).
pub fn is_greeting(helper: Node, source: &str, semantics: &Semantics) -> bool {
    if !speech(helper, source).is_empty() {
        return true;
    }
    let named = helper.field("name").is_some_and(|n| text(n, source).to_lowercase().contains("greet"));
    named && is_async(helper) && awaits_speech(helper, source, semantics, 2)
}

/// The `say` / `generate_reply` calls in a function's own scope.
fn speech<'t>(function: Node<'t>, source: &str) -> Vec<Node<'t>> {
    let Some(body) = function.field("body") else { return Vec::new() };
    speech_of(body, source)
}

/// The `say` / `generate_reply` calls in a block, nested scopes left out.
fn speech_of<'t>(block: Node<'t>, source: &str) -> Vec<Node<'t>> {
    same_scope_descendants(block)
        .into_iter()
        .filter(|n| {
            n.kind_name() == "call"
                && n.field("function").is_some_and(|f| {
                    f.kind_name() == "attribute"
                        && f.field("attribute").is_some_and(|a| matches!(text(a, source), "say" | "generate_reply"))
                })
        })
        .collect()
}

/// Whether a function awaits a module-level function that speaks (`depth` calls deep).
fn awaits_speech(function: Node, source: &str, semantics: &Semantics, depth: usize) -> bool {
    let Some(body) = function.field("body") else { return false };
    same_scope_descendants(body).into_iter().filter(|n| n.kind_name() == "await").any(|awaited| {
        let callee = awaited.named_child(0).filter(|c| c.kind_name() == "call").and_then(|c| c.field("function"));
        let Some(defined) =
            callee.filter(|c| c.kind_name() == "identifier").and_then(|c| semantics.functions.get(text(c, source)))
        else {
            return false;
        };
        *defined != function
            && (!speech(*defined, source).is_empty()
                || depth > 0 && awaits_speech(*defined, source, semantics, depth - 1))
    })
}

/// Why the helper's completion does not say the greeting was delivered, if so:
/// it only queues its speech (no `SpeechHandle` awaited: directly, through a
/// name, `wait_for_playout()`, `asyncio.wait_for(...)`), or it can return
/// without having spoken (an early `return`, or speech in a `try` whose
/// exception it handles).
fn undelivered(helper: Node, source: &str, semantics: &Semantics) -> Option<&'static str> {
    let speech = speech(helper, source);
    let first = speech.first()?;
    if said_by_pipeline_agent(*first, source, semantics) {
        return Some(PIPELINE_AGENT);
    }
    let body = helper.field("body")?;
    let nodes = same_scope_descendants(body);
    // Every name that appears in an awaited expression (`await handle`, `await asyncio.wait_for(handle, 5)`).
    let awaited_names: Vec<&str> = nodes
        .iter()
        .filter(|n| n.kind_name() == "await")
        .flat_map(|n| descendants(*n))
        .filter(|n| n.kind_name() == "identifier")
        .map(|n| text(n, source))
        .collect();
    let waited = |call: &Node| {
        let mut node = *call;
        while let Some(parent) = node.parent() {
            match parent.kind_name() {
                "await" => return true,
                "block" | "expression_statement" => break,
                "assignment" => {
                    let held = parent.field("left").filter(|l| l.kind_name() == "identifier");
                    return held.is_some_and(|name| awaited_names.contains(&text(name, source)));
                }
                _ => node = parent,
            }
        }
        false
    };
    if !speech.iter().any(waited) {
        return Some(
            "the greeting helper queues its speech without awaiting it, so it returns before the greeting is \
             delivered; await the `SpeechHandle` in it to count voice.greetings.delivered",
        );
    }
    let early_return = nodes.iter().any(|n| n.kind_name() == "return_statement" && n.start_byte() < first.start_byte());
    let handled = speech.iter().any(|call| {
        let mut node = *call;
        while let Some(parent) = node.parent() {
            if parent == body {
                break;
            }
            if parent.kind_name() == "try_statement"
                && parent.field("body") == Some(node)
                && named_children(parent).iter().any(|c| c.kind_name() == "except_clause")
            {
                return true;
            }
            node = parent;
        }
        false
    });
    (early_return || handled).then_some(
        "the greeting helper can return without having greeted (an early `return`, or an exception it handles \
         around the speech), so its completion does not say a greeting was delivered; count it in the helper",
    )
}

/// The edit counting one greeting after `call`, or why there is none.
pub fn plan(
    call: HelperCall,
    session: &SessionSpan,
    source: &str,
    semantics: &Semantics,
    names: &ModuleNames,
    line_ending: &str,
    needs: &mut Needs,
) -> Result<Edit, &'static str> {
    if let Some(why) = undelivered(call.helper, source, semantics) {
        return Err(why);
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
    count_after(statement, session, source, names, line_ending, needs)
}

/// The entrypoint's own opening line, when it says it itself: the first
/// statement of its body (its own scope) that speaks, if that statement is
/// `await session.say(...)` / `await session.generate_reply(...)` (the awaited
/// `SpeechHandle` has been played out when it is done). Speech only queued
/// (not awaited) has no such point, and is not counted.
pub fn opening_line<'t>(entrypoint: Node<'t>, source: &str, semantics: &Semantics) -> Option<Node<'t>> {
    let first = *speech(entrypoint, source).first()?;
    if said_by_pipeline_agent(first, source, semantics) {
        return None;
    }
    let awaited = first.parent().filter(|p| p.kind_name() == "await")?;
    awaited.parent().filter(|p| p.kind_name() == "expression_statement")
}

const PIPELINE_AGENT: &str = "the greeting is said by a livekit-agents 0.x `VoicePipelineAgent` / `MultimodalAgent`, \
     whose `say` returns once the speech is queued, not played: nothing marks its delivery; voice.greetings.delivered \
     not counted";

/// Whether a `say` / `generate_reply` call is a livekit-agents 0.x agent's
/// (`agent = VoicePipelineAgent(...)` in the function, or a parameter annotated
/// so; the class by any name it is imported as, `VoiceAssistant` its old
/// name): its `say` only queues the speech, even awaited.
fn said_by_pipeline_agent(call: Node, source: &str, semantics: &Semantics) -> bool {
    let is_0x = |class: Node| {
        let written = text(class, source);
        written.contains("VoicePipelineAgent")
            || written.contains("MultimodalAgent")
            || semantics.qualified_name(class, source).is_some_and(|q| super::framework_usage::is_0x_agent_class(&q))
    };
    let Some(receiver) = call.field("function").and_then(|f| f.field("object")) else { return false };
    if receiver.kind_name() != "identifier" {
        return false;
    }
    let name = text(receiver, source);
    let Some(function) = crate::python::syntax::enclosing_function(call) else { return false };
    let annotated = function.field("parameters").is_some_and(|params| {
        named_children(params).into_iter().any(|param| {
            matches!(param.kind_name(), "typed_parameter" | "typed_default_parameter")
                && param.field("type").is_some_and(|t| descendants(t).into_iter().any(is_0x))
                && descendants(param).iter().any(|n| n.kind_name() == "identifier" && text(*n, source) == name)
        })
    });
    annotated
        || function.field("body").is_some_and(|body| {
            same_scope_descendants(body).into_iter().any(|n| {
                n.kind_name() == "assignment"
                    && n.field("left").is_some_and(|l| text(l, source) == name)
                    && n.field("right")
                        .is_some_and(|r| r.kind_name() == "call" && r.field("function").is_some_and(is_0x))
            })
        })
}

/// The entrypoint's first speech, when a livekit-agents 0.x agent says it
/// (`said_by_pipeline_agent`): not counted, and reported as such.
pub fn opening_line_by_0x_agent<'t>(
    entrypoint: Node<'t>,
    source: &str,
    semantics: &Semantics,
) -> Option<(Node<'t>, &'static str)> {
    let first = *speech(entrypoint, source).first()?;
    said_by_pipeline_agent(first, source, semantics).then_some((first, PIPELINE_AGENT))
}

/// Every opening line the entrypoint may say itself: its `opening_line`,
/// and where that is the last statement of a `try` body, the opening line
/// each `except` clause says in its place (`except asyncio.TimeoutError:
/// await session.say(...)`). Exactly one of them runs to its end: nothing in
/// the `try` body follows the first, so no handled exception can come after it.
pub fn opening_lines<'t>(entrypoint: Node<'t>, source: &str, semantics: &Semantics) -> Vec<Node<'t>> {
    let Some(first) = opening_line(entrypoint, source, semantics) else { return Vec::new() };
    let mut lines = vec![first];
    let Some(body) = first.parent().filter(|b| b.kind_name() == "block") else { return lines };
    let Some(try_statement) = body.parent().filter(|t| t.kind_name() == "try_statement") else { return lines };
    if try_statement.field("body") != Some(body) || named_children(body).last() != Some(&first) {
        return lines;
    }
    for clause in named_children(try_statement) {
        if !matches!(clause.kind_name(), "except_clause" | "except_group_clause") {
            continue;
        }
        let Some(block) = named_children(clause).into_iter().find(|c| c.kind_name() == "block") else { continue };
        let alternative = speech_of(block, source)
            .first()
            .filter(|call| !said_by_pipeline_agent(**call, source, semantics))
            .and_then(|call| call.parent().filter(|p| p.kind_name() == "await"))
            .and_then(|awaited| awaited.parent().filter(|p| p.kind_name() == "expression_statement"))
            .filter(|statement| statement.parent() == Some(block));
        lines.extend(alternative);
    }
    lines
}

/// `voice_greetings_delivered.add(1, ...)` on the line after `statement` (a
/// greeting helper's awaited call, or the entrypoint's `opening_line`).
pub fn count_after(
    statement: Node,
    session: &SessionSpan,
    source: &str,
    names: &ModuleNames,
    line_ending: &str,
    needs: &mut Needs,
) -> Result<Edit, &'static str> {
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
