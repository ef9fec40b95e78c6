//! Framework-driven LLM turns: most agents never call a provider SDK; their
//! `AgentSession(llm=...)` does. Right after a session is created, a sync
//! handler is subscribed to the session's usage reports, and each report's
//! LLM tokens land in the same `llm.tokens.*` counters, with the same
//! attributes, as direct call sites (SPEC §2, framework-driven LLM turns).
//!
//! ```python
//! # before
//!     session = AgentSession(llm=openai.LLM(model="gpt-4o-mini"), stt=deepgram.STT())
//!     await session.start(agent=Assistant(), room=ctx.room)
//! ```
//! ```python
//! # after
//!     session = AgentSession(llm=openai.LLM(model="gpt-4o-mini"), stt=deepgram.STT())
//!     session.on("session_usage_updated", _framework_llm_usage("session", plugin="openai", use_case="voice.response"))
//!     await session.start(agent=Assistant(), room=ctx.room)
//! ```
//!
//! `session_usage_updated` (livekit-agents 1.5 and later) carries the session's
//! running totals per model, so the handler counts only what grew; a project
//! that pins an older livekit-agents gets a `metrics_collected` handler, which
//! sees one report per turn. Either way each session is counted once, whatever
//! agents or `AgentTask`s run in it. `plugin` is the LiveKit plugin that built
//! the LLM: where LiveKit's provider label is a proxy's or self-hosted host,
//! it names the provider instead. The tenant is read from the session's
//! context when the handler is made. Handlers are sync: LiveKit refuses async ones.

use crate::python::syntax::Field;
use std::collections::HashMap;

use tree_sitter::Node;

use crate::edit::Edit;
use crate::python::detect::clients::livekit_llm;
use crate::python::semantics::{is_livekit_agents, Semantics};
use crate::python::syntax::NodeKind;
use crate::python::syntax::{indentation_at, keyword_argument, line_after_statement, string_value, text};
use crate::python::template::{self, Layout};
use crate::python::transforms::module_setup::{ModuleNames, Needs};

/// One `AgentSession(...)` held in a name or attribute.
pub struct SessionCreation<'t> {
    pub statement: Node<'t>,
    /// What holds the session (`session`, `self._session`).
    pub target: Node<'t>,
    /// The plugin that built its LLM, when the code says.
    pub plugin: Option<String>,
}

/// Every `x = AgentSession(...)` of a module.
pub fn sessions<'t>(source: &str, semantics: &Semantics<'t>) -> Vec<SessionCreation<'t>> {
    semantics
        .calls
        .iter()
        .copied()
        .filter(|call| semantics.callee(*call, source).is_some_and(|q| is_livekit_agents(&q, &["AgentSession"])))
        .filter_map(|call| {
            let assignment = call.parent().filter(|p| p.kind_name() == "assignment")?;
            if assignment.field("right") != Some(call) {
                return None;
            }
            let target = assignment.field("left").filter(|l| matches!(l.kind_name(), "identifier" | "attribute"))?;
            let statement = assignment.parent().filter(|p| p.kind_name() == "expression_statement")?;
            let plugin = keyword_argument(call, "llm", source).and_then(|llm| match llm.kind_name() {
                "call" => livekit_llm(llm, source, semantics),
                // LiveKit inference: "openai/gpt-4.1-mini"
                "string" => {
                    string_value(llm, source).and_then(|m| m.split_once('/')).map(|(vendor, _)| vendor.to_string())
                }
                _ => None,
            });
            Some(SessionCreation { statement, target, plugin })
        })
        .collect()
}

/// Whether the session already has one of our handlers (among the module's `calls`).
fn already_subscribed(creation: &SessionCreation, calls: &[Node], source: &str) -> bool {
    let target = text(creation.target, source);
    calls.iter().any(|&n| {
        let Some(function) = n.field("function").filter(|f| f.kind_name() == "attribute") else {
            return false;
        };
        let on = function.field("attribute").is_some_and(|a| text(a, source) == "on");
        let same = function.field("object").is_some_and(|o| text(o, source) == target);
        on && same && {
            let t = text(n, source);
            t.contains("framework_llm_usage(") || t.contains("framework_llm_metrics(")
        }
    })
}

pub struct Context<'a> {
    pub source: &'a str,
    pub names: &'a ModuleNames,
    pub line_ending: &'a str,
    pub file_unit: &'a str,
    /// The project pins a livekit-agents older than 1.5: use `metrics_collected`.
    pub deprecated_event: bool,
    pub use_case: &'a str,
    pub shifted: &'a [(std::ops::Range<usize>, String)],
}

/// The subscription after one session's creation, or why there is none.
pub fn plan(
    creation: &SessionCreation,
    calls: &[Node],
    cx: &Context,
    needs: &mut Needs,
) -> Result<Option<Edit>, &'static str> {
    let source = cx.source;
    if already_subscribed(creation, calls, source) {
        return Ok(None);
    }
    let Some(line_end) = line_after_statement(source, creation.statement.end_byte()) else {
        return Err("statements share a line with the AgentSession; its LLM usage is not counted");
    };
    let Some(indent) = indentation_at(source, creation.statement.start_byte()) else {
        return Err("the AgentSession's statement does not start its line; its LLM usage is not counted");
    };
    let mut indent = indent.to_string();
    for (range, unit) in cx.shifted {
        if range.contains(&creation.statement.start_byte()) {
            indent.push_str(unit);
        }
    }
    let (event, handler) = if cx.deprecated_event {
        ("metrics_collected", cx.names.framework_llm_metrics.name.clone())
    } else {
        ("session_usage_updated", cx.names.framework_llm_usage.name.clone())
    };
    let mut holes: HashMap<&str, String> = cx.names.holes();
    holes.insert("session", text(creation.target, source).to_string());
    holes.insert("event", format!("\"{event}\""));
    holes.insert("handler", handler);
    holes.insert("call_site", format!("\"{}\"", call_site(creation, source)));
    holes.insert("plugin", creation.plugin.as_ref().map_or("None".to_string(), |p| format!("\"{p}\"")));
    holes.insert("use_case", format!("\"{}\"", cx.use_case));
    let layout = Layout { indent: &indent, unit: cx.file_unit, line_ending: cx.line_ending };
    needs.framework(cx.deprecated_event);
    Ok(Some(Edit::lines(source, line_end, &template::FRAMEWORK_SUBSCRIBE.render(&holes, &layout), cx.line_ending)))
}

/// The session's variable, or `Class.attribute` for `self.attribute`.
fn call_site(creation: &SessionCreation, source: &str) -> String {
    let target = creation.target;
    if target.kind_name() == "attribute" && target.field("object").is_some_and(|o| text(o, source) == "self") {
        let mut node = target.parent();
        while let Some(n) = node {
            if n.kind_name() == "class_definition" {
                let class = n.field("name").map_or("", |c| text(c, source));
                let attribute = target.field("attribute").map_or("", |a| text(a, source));
                return format!("{class}.{attribute}");
            }
            node = n.parent();
        }
    }
    text(target, source).to_string()
}
