//! Registrations: the places where a function is handed to LiveKit as a job
//! entrypoint. Registration is what makes an entrypoint (SPEC §2):
//!
//! ```python
//! cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint))      # keyword or first positional
//! agents.ServerOptions(functools.partial(entrypoint, x=1))   # any import form, partial
//! @server.rtc_session(agent_name="support")                  # server = AgentServer()
//! server.rtc_session(entrypoint, agent_name="sales")          # call form
//! WorkerOptions(entrypoint_fnc=worker.entrypoint)             # bound method
//! from .agent import entrypoint                               # defined in another module
//! ```

use crate::python::syntax::Field;
use tree_sitter::Node;

use crate::python::semantics::{is_livekit_agents, simple_assignment, Binding, Semantics};
use crate::python::syntax::NodeKind;
use crate::python::syntax::{
    first_positional, keyword_argument, named_children, string_value, text, undecorated, visible_definition,
};

/// How the entrypoint was registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    WorkerOptions,
    RtcSessionDecorator,
    RtcSessionCall,
}

impl Form {
    pub fn name(self) -> &'static str {
        match self {
            Form::WorkerOptions => "worker_options",
            Form::RtcSessionDecorator => "rtc_session_decorator",
            Form::RtcSessionCall => "rtc_session_call",
        }
    }
}

/// The function a registration names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A function defined in this file: the start byte of its `function_definition`.
    Local { def_start: usize, method: bool },
    /// A name imported from another module, found when modules are linked.
    Imported { module: String, name: String },
}

/// One registration site.
#[derive(Debug, Clone)]
pub struct Registration {
    pub form: Form,
    pub via_partial: bool,
    pub target: Target,
    /// 1-based position of the registering call or decorator.
    pub line: usize,
    pub column: usize,
    /// Where the `AgentServer` of an `rtc_session` comes from when it is
    /// imported: checked when modules are linked.
    pub server_import: Option<(String, String)>,
}

/// Every registration in a module.
pub fn find(source: &str, semantics: &Semantics) -> Vec<Registration> {
    let mut found = Vec::new();
    for node in semantics.nodes.iter().copied() {
        match node.kind_name() {
            "call" => {
                if let Some(r) =
                    worker_options(node, source, semantics).or_else(|| rtc_session_call(node, source, semantics))
                {
                    found.push(r);
                }
            }
            "decorator" => {
                if let Some(r) = bare_rtc_session_decorator(node, source, semantics) {
                    found.push(r);
                }
            }
            _ => {}
        }
    }
    found
}

fn worker_options(call: Node, source: &str, semantics: &Semantics) -> Option<Registration> {
    let callee = semantics.callee(call, source)?;
    if !is_livekit_agents(&callee, &["WorkerOptions", "ServerOptions"]) {
        return None;
    }
    let target = keyword_argument(call, "entrypoint_fnc", source)
        .or_else(|| first_positional(call))
        .or_else(|| unpacked_entrypoint(call, source, semantics))?;
    registration(Form::WorkerOptions, call, target, source, semantics, None)
}

/// `WorkerOptions(**options)` where `options = {"entrypoint_fnc": entrypoint, ...}` (or
/// `dict(entrypoint_fnc=entrypoint, ...)`) is assigned before it in the same scope.
fn unpacked_entrypoint<'t>(call: Node<'t>, source: &str, semantics: &Semantics<'t>) -> Option<Node<'t>> {
    let arguments = call.field("arguments")?;
    named_children(arguments).into_iter().filter(|a| a.kind_name() == "dictionary_splat").find_map(|splat| {
        let name = splat.named_child(0).filter(|n| n.kind_name() == "identifier")?;
        let value = semantics.value_before(call, text(name, source), source)?;
        match value.kind_name() {
            "dictionary" => named_children(value).into_iter().filter(|p| p.kind_name() == "pair").find_map(|pair| {
                let key = pair.field("key")?;
                (string_value(key, source)? == "entrypoint_fnc").then(|| pair.field("value")).flatten()
            }),
            "call" if text(value.field("function")?, source) == "dict" => {
                keyword_argument(value, "entrypoint_fnc", source)
            }
            _ => None,
        }
    })
}

fn rtc_session_call(call: Node, source: &str, semantics: &Semantics) -> Option<Registration> {
    let function = call.field("function").filter(|f| f.kind_name() == "attribute")?;
    if text(function.field("attribute")?, source) != "rtc_session" {
        return None;
    }
    let server_import = agent_server(function.field("object")?, source, semantics)?;
    match call.parent() {
        Some(decorator) if decorator.kind_name() == "decorator" => {
            let def = decorated_function(decorator)?;
            let target = Target::Local { def_start: def.start_byte(), method: false };
            Some(site(Form::RtcSessionDecorator, decorator, target, false, server_import))
        }
        _ => {
            let target = keyword_argument(call, "func", source).or_else(|| first_positional(call))?;
            registration(Form::RtcSessionCall, call, target, source, semantics, server_import)
        }
    }
}

fn bare_rtc_session_decorator(decorator: Node, source: &str, semantics: &Semantics) -> Option<Registration> {
    let expr = named_children(decorator).into_iter().next().filter(|e| e.kind_name() == "attribute")?;
    if text(expr.field("attribute")?, source) != "rtc_session" {
        return None;
    }
    let server_import = agent_server(expr.field("object")?, source, semantics)?;
    let def = decorated_function(decorator)?;
    let target = Target::Local { def_start: def.start_byte(), method: false };
    Some(site(Form::RtcSessionDecorator, decorator, target, false, server_import))
}

fn decorated_function(decorator: Node) -> Option<Node> {
    let def = undecorated(decorator.parent()?);
    (def.kind_name() == "function_definition").then_some(def)
}

/// `Some(None)` when `receiver` is an `AgentServer` made in this file,
/// `Some(Some(import))` when it is imported (checked later), `None` otherwise.
#[allow(clippy::option_option)]
fn agent_server(receiver: Node, source: &str, semantics: &Semantics) -> Option<Option<(String, String)>> {
    if receiver.kind_name() != "identifier" {
        return None;
    }
    let name = text(receiver, source);
    if let Some(Binding::Member { module, name }) = semantics.imports.get(name) {
        return Some(Some((module.clone(), name.clone())));
    }
    let made_here = semantics.nodes.iter().any(|&node| {
        node.kind_name() == "expression_statement"
            && simple_assignment(node, source).is_some_and(|(target, value)| {
                target == name
                    && value.kind_name() == "call"
                    && semantics.callee(value, source).is_some_and(|q| is_livekit_agents(&q, &["AgentServer"]))
            })
    });
    made_here.then_some(None)
}

fn registration(
    form: Form,
    call: Node,
    target: Node,
    source: &str,
    semantics: &Semantics,
    server_import: Option<(String, String)>,
) -> Option<Registration> {
    let (target, via_partial) = resolve(target, source, semantics, false)?;
    Some(site(form, call, target, via_partial, server_import))
}

fn site(
    form: Form,
    node: Node,
    target: Target,
    via_partial: bool,
    server_import: Option<(String, String)>,
) -> Registration {
    let start = node.start_position();
    // tree-sitter columns are bytes; registrations are reported by line, the column is kept simple.
    Registration { form, via_partial, target, line: start.row + 1, column: start.column + 1, server_import }
}

/// What function an expression passed as an entrypoint names.
fn resolve(expr: Node, source: &str, semantics: &Semantics, via_partial: bool) -> Option<(Target, bool)> {
    match expr.kind_name() {
        "call" => {
            let callee = semantics.callee(expr, source)?;
            if callee != "functools.partial" {
                return None;
            }
            resolve(first_positional(expr)?, source, semantics, true)
        }
        "identifier" => {
            let name = text(expr, source);
            if let Some(def) = visible_definition(expr, name, source, false) {
                return Some((Target::Local { def_start: def.start_byte(), method: false }, via_partial));
            }
            if let Some(def) = semantics.functions.get(name) {
                return Some((Target::Local { def_start: def.start_byte(), method: false }, via_partial));
            }
            match semantics.imports.get(name)? {
                Binding::Member { module, name } => {
                    Some((Target::Imported { module: module.clone(), name: name.clone() }, via_partial))
                }
                Binding::Module(_) => None,
            }
        }
        "attribute" => {
            let object = expr.field("object")?;
            let attribute = text(expr.field("attribute")?, source);
            if object.kind_name() == "identifier" {
                match semantics.imports.get(text(object, source)) {
                    Some(Binding::Module(module)) => {
                        return Some((
                            Target::Imported { module: module.clone(), name: attribute.to_string() },
                            via_partial,
                        ))
                    }
                    Some(Binding::Member { module, name }) => {
                        let module =
                            if module.ends_with('.') { format!("{module}{name}") } else { format!("{module}.{name}") };
                        return Some((Target::Imported { module, name: attribute.to_string() }, via_partial));
                    }
                    None => {}
                }
            }
            let method = bound_method(object, attribute, source, semantics)?;
            Some((Target::Local { def_start: method.start_byte(), method: true }, via_partial))
        }
        _ => None,
    }
}

/// `worker.entrypoint`: the method of the class `worker` was made from, or the
/// only class of the module with such a method.
fn bound_method<'t>(object: Node, method: &str, source: &str, semantics: &Semantics<'t>) -> Option<Node<'t>> {
    let method_of = |class: Node<'t>| -> Option<Node<'t>> {
        let body = class.field("body")?;
        named_children(body).into_iter().map(undecorated).find(|def| {
            def.kind_name() == "function_definition" && def.field("name").is_some_and(|n| text(n, source) == method)
        })
    };
    if object.kind_name() == "identifier" {
        let name = text(object, source);
        for node in semantics.nodes.iter().copied() {
            if node.kind_name() != "expression_statement" {
                continue;
            }
            if let Some((target, value)) = simple_assignment(node, source) {
                if target != name || value.kind_name() != "call" {
                    continue;
                }
                let class_name = value.field("function").map(|f| text(f, source));
                if let Some(class) = class_name.and_then(|c| semantics.classes.get(c)) {
                    return method_of(*class);
                }
            }
        }
    }
    let mut candidates = semantics.classes.values().filter_map(|class| method_of(*class));
    let first = candidates.next()?;
    candidates.next().is_none().then_some(first)
}
