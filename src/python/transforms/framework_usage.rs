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
//!     session.on("session_usage_updated", _framework_llm_usage("session", plugin="openai", model="gpt-4o-mini", use_case="voice.response"))
//!     await session.start(agent=Assistant(), room=ctx.room)
//! ```
//!
//! `session_usage_updated` (livekit-agents 1.5 and later) carries the session's
//! running totals per model, so the handler counts only what grew; a project
//! that pins an older livekit-agents gets a `metrics_collected` handler, which
//! sees one report per turn. Either way each session is counted once, whatever
//! agents or `AgentTask`s run in it. `plugin` is the LiveKit plugin that built
//! the LLM: where LiveKit's provider label is a proxy's or self-hosted host,
//! it names the provider instead; `model` is the model the code built it for
//! (literally), the label where LiveKit reports none. The tenant is read from the session's
//! context when the handler is made. Handlers are sync: LiveKit refuses async ones.
//!
//! A session made in a `with` (`async with AgentSession(...) as session:`) is
//! subscribed first thing in the block; one a factory returns
//! (`return AgentSession(...)`) is held in a name, subscribed and returned, so
//! whichever module calls the factory gets it counted (`call_site` is the factory's name).

use crate::python::syntax::Field;
use std::collections::{HashMap, HashSet};

use tree_sitter::Node;

use crate::edit::Edit;
use crate::python::detect::clients::livekit_llm;
use crate::python::names::fresh;
use crate::python::semantics::{is_livekit_agents, Semantics};
use crate::python::syntax::NodeKind;
use crate::python::syntax::{
    descendants, enclosing_function, indentation_at, keyword_argument, leading_comments_start, line_after_statement,
    line_start, named_children, string_value, symbol, text,
};
use crate::python::template::{self, Layout};
use crate::python::transforms::module_setup::{ModuleNames, Needs};

/// One `AgentSession(...)` a module makes.
pub struct SessionCreation<'t> {
    /// `x = AgentSession(...)`, `async with AgentSession(...) as x:` or `return AgentSession(...)`.
    pub statement: Node<'t>,
    pub form: Form<'t>,
    /// The plugin that built its LLM, when the code says.
    pub plugin: Option<String>,
    /// The model that LLM was built for, when the code says it literally: the
    /// label when LiveKit reports none (livekit-agents 1.0/1.1's metrics, an
    /// LLM of the project's own).
    pub model: Option<String>,
}

/// How the session is held, which says where the subscription goes.
pub enum Form<'t> {
    /// In a name or attribute (`session`, `self._session`): right after the statement.
    Assigned { target: Node<'t> },
    /// By a `with` statement's `as` name: first in its block.
    With { target: Node<'t>, block: Node<'t> },
    /// Returned by `function` (a factory): held in a fresh name first.
    Returned { function: Option<Node<'t>> },
}

impl SessionCreation<'_> {
    /// What the report calls the session: its holder, or the factory that returns it.
    pub fn symbol(&self, source: &str) -> String {
        match &self.form {
            Form::Assigned { target } | Form::With { target, .. } => text(*target, source).to_string(),
            Form::Returned { function } => {
                format!("{}()", function.and_then(|f| f.field("name")).map_or("<lambda>", |n| text(n, source)))
            }
        }
    }
}

/// Every `AgentSession(...)` of a module that is assigned, bound by a `with`,
/// or returned; and those that nothing holds (`async with AgentSession():`
/// without `as`, a session passed straight to a call), whose usage cannot be
/// subscribed to, and is not counted.
pub fn sessions<'t>(source: &str, semantics: &Semantics<'t>) -> (Vec<SessionCreation<'t>>, Vec<Node<'t>>) {
    let mut creations = Vec::new();
    let mut unheld = Vec::new();
    let subclasses = session_subclasses(source, semantics);
    let agent_sessions = semantics.calls.iter().copied().filter(|call| {
        semantics.callee(*call, source).is_some_and(|q| is_livekit_agents(&q, &["AgentSession"]))
            || call
                .field("function")
                .is_some_and(|f| f.kind_name() == "identifier" && subclasses.contains(&text(f, source)))
    });
    let mut agents_llm: Option<(Option<String>, Option<String>)> = None;
    for call in agent_sessions {
        let Some((statement, form)) = held(call) else {
            unheld.push(call);
            continue;
        };
        let (plugin, model) = match keyword_argument(call, "llm", source) {
            Some(llm) => (plugin_of(call, llm, source, semantics), model_of(call, llm, source, semantics)),
            // The LLM may be the agents' (`Agent(llm=...)`, `super().__init__(llm=...)`): the one they all use.
            None => agents_llm
                .get_or_insert_with(|| {
                    (agents_of(source, semantics, plugin_of), agents_of(source, semantics, model_of))
                })
                .clone(),
        };
        creations.push(SessionCreation { statement, form, plugin, model });
    }
    (creations, unheld)
}

/// livekit-agents 0.x's agents, by where they are defined or re-exported
/// (`livekit.agents.voice_assistant.VoiceAssistant` is `VoicePipelineAgent`).
pub fn is_0x_agent_class(qualified: &str) -> bool {
    let Some(rest) = qualified.strip_prefix("livekit.agents.") else { return false };
    let (module, class) = rest.rsplit_once('.').unwrap_or(("", rest));
    let module = module.split('.').next().unwrap_or("");
    match class {
        "VoicePipelineAgent" => matches!(module, "" | "pipeline"),
        "MultimodalAgent" => matches!(module, "" | "multimodal"),
        "VoiceAssistant" => module == "voice_assistant",
        _ => false,
    }
}

/// The constructions of livekit-agents 0.x agents (`VoicePipelineAgent(...)`,
/// `MultimodalAgent(...)`): their LLM turns are not counted (VOF122).
pub fn agents_0x<'t>(source: &str, semantics: &Semantics<'t>) -> Vec<Node<'t>> {
    semantics
        .calls
        .iter()
        .copied()
        .filter(|call| semantics.callee(*call, source).is_some_and(|q| is_0x_agent_class(&q)))
        .collect()
}

/// The LiveKit LLM class of the project's own (a subclass of livekit's
/// `llm.LLM` or `llm.LLMStream`) that makes `call`, when the module reports
/// its usage to LiveKit (`llm.CompletionUsage(...)` in a `ChatChunk`): an
/// AgentSession running it counts that turn through its usage handler, so the
/// provider call is not counted again.
pub fn reported_by_livekit_llm<'s>(call: Node, source: &'s str, semantics: &Semantics) -> Option<&'s str> {
    let class = crate::python::syntax::enclosing_class(call)?;
    // The module's calls are read only for a call in a LiveKit LLM class (every LLM call of a file asks).
    let reports_usage = || {
        semantics.calls.iter().any(|c| {
            c.field("function").is_some_and(|f| text(f, source).ends_with("CompletionUsage"))
                && semantics.callee(*c, source).is_some_and(|q| q.starts_with("livekit.agents."))
        })
    };
    (is_livekit_llm_class(class, source, semantics) && reports_usage())
        .then(|| class.field("name").map_or("", |n| text(n, source)))
}

/// Whether a class subclasses livekit's `llm.LLM` or `llm.LLMStream`.
fn is_livekit_llm_class(class: Node, source: &str, semantics: &Semantics) -> bool {
    class.field("superclasses").is_some_and(|bases| {
        named_children(bases).into_iter().any(|base| {
            semantics
                .qualified_name(base, source)
                .is_some_and(|q| q.starts_with("livekit.agents.") && (q.ends_with(".LLMStream") || q.ends_with(".LLM")))
        })
    })
}

/// The module's classes that subclass `AgentSession` (`class KaiSession(AgentSession):`,
/// `AgentSession[UserData]` too): making one makes a session.
fn session_subclasses<'s>(source: &'s str, semantics: &Semantics) -> Vec<&'s str> {
    let mut out = Vec::new();
    for class in semantics.classes.values() {
        let Some(bases) = class.field("superclasses") else { continue };
        let mut cursor = bases.walk();
        let subclasses = bases.named_children(&mut cursor).any(|base| {
            let base = if base.kind_name() == "subscript" { base.field("value").unwrap_or(base) } else { base };
            semantics.qualified_name(base, source).is_some_and(|q| is_livekit_agents(&q, &["AgentSession"]))
        });
        if subclasses {
            out.extend(class.field("name").map(|n| text(n, source)));
        }
    }
    out
}

/// What `read` says of the LLM an `llm=` argument given to `call` names: its
/// construction there (`openai.LLM(...)`), or the constructions assigned to the
/// name earlier in the same scope (`llm = openai.LLM(...)`; in branches, only
/// where every one says the same).
fn of_llm(
    call: Node,
    llm: Node,
    source: &str,
    semantics: &Semantics,
    read: &dyn Fn(Node) -> Option<String>,
) -> Option<String> {
    match llm.kind_name() {
        "call" => read(llm),
        "identifier" => {
            let said: Vec<Option<String>> = semantics
                .values_before(call, text(llm, source), source)
                .into_iter()
                .map(|value| (value.kind_name() == "call").then(|| read(value)).flatten())
                .collect();
            let first = said.first()?.clone();
            said.iter().all(|p| *p == first).then_some(first).flatten()
        }
        _ => None,
    }
}

/// The plugin of an `llm=` argument given to `call`.
fn plugin_of(call: Node, llm: Node, source: &str, semantics: &Semantics) -> Option<String> {
    match llm.kind_name() {
        // LiveKit inference: "openai/gpt-4.1-mini"
        "string" => string_value(llm, source).and_then(|m| m.split_once('/')).map(|(vendor, _)| vendor.to_string()),
        _ => of_llm(call, llm, source, semantics, &|construction| {
            livekit_llm(construction, source, semantics).or_else(|| own_llm_provider(construction, source, semantics))
        }),
    }
}

/// The model of an `llm=` argument given to `call`, when written as a literal:
/// a plugin's `model="..."`, or the model its own LiveKit LLM's SDK calls name.
fn model_of(call: Node, llm: Node, source: &str, semantics: &Semantics) -> Option<String> {
    of_llm(call, llm, source, semantics, &|construction| {
        if livekit_llm(construction, source, semantics).is_some() {
            keyword_argument(construction, "model", source).and_then(|m| string_value(m, source)).map(str::to_string)
        } else {
            own_llm_calls(construction, source, semantics)
                .into_iter()
                .map(|c| c.model.and_then(|m| string_value(m, source)).map(str::to_string))
                .reduce(|a, b| if a == b { a } else { None })
                .flatten()
        }
    })
}

/// `ShopLLM()`, a LiveKit LLM of the module's own (`reported_by_livekit_llm`):
/// the provider of the SDK calls its classes make, when they all use one.
fn own_llm_provider(call: Node, source: &str, semantics: &Semantics) -> Option<String> {
    own_llm_calls(call, source, semantics).into_iter().map(|c| Some(c.client.provider)).reduce(|a, b| {
        if a == b {
            a
        } else {
            None
        }
    })?
}

/// The SDK calls of the module's own LiveKit LLM classes, when `call` makes one of them.
fn own_llm_calls<'t>(
    call: Node,
    source: &str,
    semantics: &Semantics<'t>,
) -> Vec<crate::python::detect::llm_calls::LlmCall<'t>> {
    let own = call
        .field("function")
        .filter(|f| f.kind_name() == "identifier")
        .and_then(|class| semantics.classes.get(text(class, source)))
        .is_some_and(|class| is_livekit_llm_class(*class, source, semantics));
    if !own {
        return Vec::new();
    }
    let mut calls = crate::python::detect::llm_calls::find(source, semantics);
    calls.retain(|c| reported_by_livekit_llm(c.call, source, semantics).is_some());
    calls
}

/// What `of` says of the LLMs the module gives its agents (`llm=` of any call
/// but an `AgentSession`'s), when it says the same of all.
fn agents_of(
    source: &str,
    semantics: &Semantics,
    of: fn(Node, Node, &str, &Semantics) -> Option<String>,
) -> Option<String> {
    let mut said = semantics.calls.iter().filter_map(|call| {
        let llm = keyword_argument(*call, "llm", source)?;
        if semantics.callee(*call, source).is_some_and(|q| is_livekit_agents(&q, &["AgentSession"])) {
            return None;
        }
        of(*call, llm, source, semantics)
    });
    let first = said.next()?;
    said.all(|p| p == first).then_some(first)
}

/// The statement that makes the session `call` builds, and how it holds it.
fn held(call: Node) -> Option<(Node, Form)> {
    let parent = call.parent()?;
    match parent.kind_name() {
        "assignment" if parent.field("right") == Some(call) => {
            let target = parent.field("left").filter(|l| matches!(l.kind_name(), "identifier" | "attribute"))?;
            let statement = parent.parent().filter(|p| p.kind_name() == "expression_statement")?;
            Some((statement, Form::Assigned { target }))
        }
        // `with AgentSession(...) as session:` — as_pattern < with_item < with_clause < with_statement
        "as_pattern" => {
            let target = parent.field("alias")?.named_child(0).filter(|t| t.kind_name() == "identifier")?;
            let statement = parent.parent()?.parent()?.parent().filter(|s| s.kind_name() == "with_statement")?;
            let block = statement.field("body")?;
            Some((statement, Form::With { target, block }))
        }
        "return_statement" => Some((parent, Form::Returned { function: enclosing_function(parent) })),
        _ => None,
    }
}

/// Whether the session already has one of our handlers (among the module's `calls`).
fn already_subscribed(target: &str, calls: &[Node], source: &str) -> bool {
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

/// The subscription of one session (and, for a returned one, the name that
/// holds it), or why there is none.
pub fn plan(
    creation: &SessionCreation,
    calls: &[Node],
    cx: &Context,
    needs: &mut Needs,
) -> Result<Option<Vec<Edit>>, &'static str> {
    let source = cx.source;
    let mut holes: HashMap<&str, String> = cx.names.holes();
    let (event, handler) = if cx.deprecated_event {
        ("metrics_collected", cx.names.framework_llm_metrics.name.clone())
    } else {
        ("session_usage_updated", cx.names.framework_llm_usage.name.clone())
    };
    holes.insert("event", format!("\"{event}\""));
    holes.insert("handler", handler);
    holes.insert("plugin", creation.plugin.as_ref().map_or("None".to_string(), |p| format!("\"{p}\"")));
    // A model name as written, when it needs no escaping (they never do).
    let model =
        creation.model.as_ref().filter(|m| m.chars().all(|c| c.is_ascii_alphanumeric() || "-._:/@".contains(c)));
    holes.insert("model", model.map_or("None".to_string(), |m| format!("\"{m}\"")));
    holes.insert("use_case", format!("\"{}\"", cx.use_case));
    let shifted = |at: usize, indent: &str| {
        let mut indent = indent.to_string();
        for (range, unit) in cx.shifted {
            if range.contains(&at) {
                indent.push_str(unit);
            }
        }
        indent
    };
    let mut edits = Vec::new();
    let (at, indent, template) = match &creation.form {
        Form::Assigned { target } => {
            if already_subscribed(text(*target, source), calls, source) {
                return Ok(None);
            }
            let Some(line_end) = line_after_statement(source, creation.statement.end_byte()) else {
                return Err("statements share a line with the AgentSession; its LLM usage is not counted");
            };
            let Some(indent) = indentation_at(source, creation.statement.start_byte()) else {
                return Err("the AgentSession's statement does not start its line; its LLM usage is not counted");
            };
            holes.insert("session", text(*target, source).to_string());
            holes.insert("call_site", format!("\"{}\"", call_site(*target, source)));
            (line_end, shifted(creation.statement.start_byte(), indent), &template::FRAMEWORK_SUBSCRIBE)
        }
        Form::With { target, block } => {
            if already_subscribed(text(*target, source), calls, source) {
                return Ok(None);
            }
            // Before the block's first statement and the comments just above it, at its indentation.
            let first = named_children(*block).into_iter().next();
            let Some(indent) = first.and_then(|f| indentation_at(source, f.start_byte())) else {
                return Err(
                    "the `with` block of the AgentSession is on its header's line; its LLM usage is not counted",
                );
            };
            let Some(first) = first else { return Ok(None) };
            let at = leading_comments_start(source, line_start(source, first.start_byte()), indent);
            holes.insert("session", text(*target, source).to_string());
            holes.insert("call_site", format!("\"{}\"", text(*target, source)));
            (at, shifted(at, indent), &template::FRAMEWORK_SUBSCRIBE)
        }
        Form::Returned { function } => {
            let Some(function) = function else {
                return Err("the AgentSession is returned outside a function; its LLM usage is not counted");
            };
            let Some(line_end) = line_after_statement(source, creation.statement.end_byte()) else {
                return Err("statements share a line with the AgentSession; its LLM usage is not counted");
            };
            let Some(indent) = indentation_at(source, creation.statement.start_byte()) else {
                return Err("the AgentSession's statement does not start its line; its LLM usage is not counted");
            };
            let Some(value) = creation.statement.named_child(0) else { return Ok(None) };
            // `return AgentSession(...)` → `session = AgentSession(...)`, subscribed, then returned.
            let mut taken: HashSet<String> = descendants(*function)
                .into_iter()
                .filter(|n| n.kind_name() == "identifier")
                .map(|n| text(n, source).to_string())
                .collect();
            taken.extend(cx.names.holes().into_values());
            let name = fresh("session", &mut taken);
            edits.push(Edit {
                start: creation.statement.start_byte(),
                end: value.start_byte(),
                text: format!("{name} = "),
                order: 1,
            });
            holes.insert("session", name);
            holes.insert("call_site", format!("\"{}\"", symbol(*function, source)));
            (line_end, shifted(creation.statement.start_byte(), indent), &template::FRAMEWORK_SUBSCRIBE_RETURN)
        }
    };
    let layout = Layout { indent: &indent, unit: cx.file_unit, line_ending: cx.line_ending };
    needs.framework(cx.deprecated_event);
    edits.push(Edit::lines(source, at, &template.render(&holes, &layout), cx.line_ending));
    Ok(Some(edits))
}

/// The session's variable, or `Class.attribute` for `self.attribute`.
fn call_site(target: Node, source: &str) -> String {
    if target.kind_name() == "attribute" && target.field("object").is_some_and(|o| text(o, source) == "self") {
        if let Some(class) = crate::python::syntax::enclosing_class(target) {
            let class = class.field("name").map_or("", |c| text(c, source));
            let attribute = target.field("attribute").map_or("", |a| text(a, source));
            return format!("{class}.{attribute}");
        }
    }
    text(target, source).to_string()
}
