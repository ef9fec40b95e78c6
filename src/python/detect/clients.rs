//! Which provider a client object belongs to, from what the code says: its
//! construction (`AsyncAnthropic(...)`, `OpenAI(base_url=...)`,
//! `boto3.client("bedrock-runtime")`), a parameter's annotation, a getter's
//! return, `self._client = ...` in the class, a module-level `try`. Nothing is
//! guessed: a client whose origin cannot be read is not a client.

use crate::python::syntax::Field;
use tree_sitter::Node;

use super::imported;
use crate::llm::provider_of_endpoint;
use crate::python::semantics::{Binding, Semantics};
use crate::python::syntax::NodeKind;
use crate::python::syntax::{
    descendants, enclosing_class, first_positional, keyword_argument, named_children, parameter_name, string_value,
    text,
};

/// The shape of a provider SDK: which calls it has and where it reports usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Shape {
    Anthropic,
    /// openai and openai-shaped SDKs (azure, groq, together, deepseek, …).
    OpenAi,
    Google,
    Mistral,
    Cohere,
    Bedrock,
    Litellm,
    /// A LiveKit LLM (`livekit.plugins.openai.LLM(...)`): `chat(...)` streams `ChatChunk`s.
    Livekit,
}

/// The provider of an openai-shaped client whose `base_url` the code sets at
/// run time (`base_url=settings.url`, `**kwargs`): read off the client where
/// the call is made (`_llm_endpoint_provider(client)`).
pub const FROM_BASE_URL: &str = "from base_url";

/// A resolved client: its SDK shape and the provider it talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub shape: Shape,
    pub provider: String,
}

/// The SDK class or factory a qualified name denotes.
fn sdk_class(qualified: &str) -> Option<(Shape, &'static str)> {
    let last = qualified.rsplit('.').next().unwrap_or(qualified);
    let root = qualified.split('.').next().unwrap_or(qualified);
    match (root, last) {
        // `Client` / `AsyncClient` are the SDKs' own aliases of their clients.
        ("anthropic", "Anthropic" | "AsyncAnthropic" | "Client" | "AsyncClient") => {
            Some((Shape::Anthropic, "anthropic"))
        }
        // The clouds' clients: AnthropicBedrock(Mantle), AnthropicVertex, AnthropicFoundry, AnthropicAWS,
        // AnthropicGoogleCloud, and their Async twins.
        ("anthropic", name) if name.strip_prefix("Async").unwrap_or(name).starts_with("Anthropic") => {
            Some((Shape::Anthropic, "anthropic"))
        }
        ("openai", "OpenAI" | "AsyncOpenAI" | "Client" | "AsyncClient") => Some((Shape::OpenAi, "openai")),
        ("openai", "AzureOpenAI" | "AsyncAzureOpenAI") => Some((Shape::OpenAi, "azure_openai")),
        ("groq", "Groq" | "AsyncGroq") => Some((Shape::OpenAi, "groq")),
        ("together", "Together" | "AsyncTogether") => Some((Shape::OpenAi, "together")),
        ("google", "Client") if qualified.starts_with("google.genai.") => Some((Shape::Google, "google")),
        ("mistralai", "Mistral") => Some((Shape::Mistral, "mistral")),
        // v2, and v1's `Client` (its `chat(message=...)` is v1's chat API; `.v2` is v2's).
        ("cohere", "ClientV2" | "AsyncClientV2" | "Client" | "AsyncClient") => Some((Shape::Cohere, "cohere")),
        _ => None,
    }
}

/// The client a constructor call makes.
pub fn constructed(call: Node, source: &str, semantics: &Semantics) -> Option<Client> {
    if call.kind_name() != "call" {
        return None;
    }
    if let Some(plugin) = livekit_llm(call, source, semantics) {
        return Some(Client { shape: Shape::Livekit, provider: plugin });
    }
    if let Some(client) = bedrock_client(call, source, semantics) {
        return Some(client);
    }
    let (shape, provider) = sdk_class(&semantics.callee(call, source)?)?;
    let written = keyword_argument(call, "base_url", source);
    let base_url = written.and_then(|u| constant_string(u, source, semantics));
    let splat =
        call.field("arguments").is_some_and(|a| named_children(a).iter().any(|n| n.kind_name() == "dictionary_splat"));
    let provider = match (shape, base_url) {
        (Shape::OpenAi, Some(url)) => provider_of_endpoint(url).unwrap_or_else(|| provider.to_string()),
        // Set at run time: `base_url=settings.url`, or `**kwargs` that may hold one.
        (Shape::OpenAi, None) if written.is_some() || splat => FROM_BASE_URL.to_string(),
        _ => provider.to_string(),
    };
    Some(Client { shape, provider })
}

/// The provider of a LiveKit LLM construction: the plugin (`livekit.plugins.openai.LLM(...)`,
/// `openai.LLM.with_groq(...)` → groq), or the vendor LiveKit inference names
/// (`inference.LLM("openai/gpt-4.1-mini")`).
pub fn livekit_llm(call: Node, source: &str, semantics: &Semantics) -> Option<String> {
    let callee = semantics.callee(call, source)?;
    if let Some(rest) = callee.strip_prefix("livekit.plugins.") {
        let mut parts = rest.split('.');
        let plugin = parts.next()?;
        // `livekit.plugins.openai.llm.LLM`, `livekit.plugins.google.beta.realtime...`: the class through its module.
        let class = parts.find(|part| !matches!(*part, "llm" | "beta"))?;
        if class != "LLM" && class != "realtime" {
            return None;
        }
        // `openai.LLM.with_<vendor>(...)`: the vendor the factory names.
        let provider = match parts.next().and_then(|factory| factory.strip_prefix("with_")) {
            Some("azure") => "azure_openai",
            Some("x_ai") => "xai",
            Some(vendor) => vendor,
            // `openai.LLM(base_url="http://localhost:11434/v1")`: the endpoint's vendor, as for the SDK's clients.
            None => {
                match keyword_argument(call, "base_url", source).and_then(|u| constant_string(u, source, semantics)) {
                    Some(url) if class == "LLM" => {
                        return Some(provider_of_endpoint(url).unwrap_or_else(|| plugin.to_string()))
                    }
                    _ => plugin,
                }
            }
        };
        return Some(provider.to_string());
    }
    if callee.starts_with("livekit.agents.") && callee.ends_with("inference.LLM") {
        let model = keyword_argument(call, "model", source).or_else(|| first_positional(call))?;
        let vendor = string_value(model, source)?.split('/').next()?;
        return Some(vendor.to_string());
    }
    None
}

/// A string literal, or a module-level constant assigned one.
fn constant_string<'s>(node: Node, source: &'s str, semantics: &Semantics) -> Option<&'s str> {
    match node.kind_name() {
        "string" => string_value(node, source),
        "identifier" => string_value(*semantics.assignments.get(text(node, source))?, source),
        _ => None,
    }
}

/// `boto3.client("bedrock-runtime")`, `.client("bedrock-runtime")` of a boto3
/// session, or `.create_client("bedrock-runtime")` of an aiobotocore session.
fn bedrock_client(call: Node, source: &str, semantics: &Semantics) -> Option<Client> {
    let function = call.field("function").filter(|f| f.kind_name() == "attribute")?;
    if !matches!(text(function.field("attribute")?, source), "client" | "create_client") {
        return None;
    }
    let service = keyword_argument(call, "service_name", source).or_else(|| first_positional(call))?;
    if string_value(service, source)? != "bedrock-runtime" {
        return None;
    }
    let boto = |module: &str| {
        ["boto3", "aioboto3", "aiobotocore", "botocore"]
            .iter()
            .any(|b| module == *b || module.starts_with(&format!("{b}.")))
    };
    let uses_boto = semantics.imports.iter().any(|(local, binding)| boto(local) || boto(binding.module()))
        || semantics.qualified_name(function, source).is_some_and(|q| boto(&q));
    uses_boto.then(|| Client { shape: Shape::Bedrock, provider: "bedrock".to_string() })
}

/// The client an expression evaluates to, read from where it comes from.
pub fn resolve(expr: Node, source: &str, semantics: &Semantics) -> Option<Client> {
    resolve_depth(expr, source, semantics, 0)
}

fn resolve_depth(expr: Node, source: &str, semantics: &Semantics, depth: usize) -> Option<Client> {
    if depth > 4 {
        return None;
    }
    match expr.kind_name() {
        "call" => constructed(expr, source, semantics)
            .or_else(|| getter(expr, source, semantics, depth))
            .or_else(|| google_chat(expr, source, semantics, depth)),
        "identifier" => name(expr, text(expr, source), source, semantics, depth),
        "attribute" => {
            let object = expr.field("object")?;
            let attribute = text(expr.field("attribute")?, source);
            if object.kind_name() == "identifier" && text(object, source) == "self" {
                return self_attribute(expr, attribute, source, semantics, depth);
            }
            None
        }
        "parenthesized_expression" => resolve_depth(named_children(expr).into_iter().next()?, source, semantics, depth),
        // `client or AsyncAnthropic()`, `client if client is not None else AsyncAnthropic()`: either side.
        "boolean_operator" => ["left", "right"]
            .into_iter()
            .filter_map(|side| expr.field(side))
            .find_map(|side| resolve_depth(side, source, semantics, depth + 1)),
        "conditional_expression" => [0, 2]
            .into_iter()
            .filter_map(|i| expr.named_child(i))
            .find_map(|branch| resolve_depth(branch, source, semantics, depth + 1)),
        "await" => resolve_depth(expr.named_child(0)?, source, semantics, depth),
        _ => None,
    }
}

/// A name: a parameter with an annotation, an assignment in an enclosing
/// function, or a module-level assignment (also inside `try` / `if`).
fn name(site: Node, name: &str, source: &str, semantics: &Semantics, depth: usize) -> Option<Client> {
    let mut scope = site.parent();
    let mut local = false;
    while let Some(node) = scope {
        if node.kind_name() == "function_definition" {
            if let Some(client) = parameter(node, name, source, semantics) {
                return Some(client);
            }
            local = local || has_parameter(node, name, source);
            if let Some(body) = node.field("body") {
                let nodes = semantics.same_scope(body);
                if let Some(client) = assigned_in(&nodes, name, source, semantics, depth) {
                    return Some(client);
                }
                local = local || binds(&nodes, name, source);
            }
        }
        scope = node.parent();
    }
    if local {
        return assigned_in(&semantics.module_level, name, source, semantics, depth);
    }
    module_name_depth(name, source, semantics, depth)
}

/// What a module-level name of the module is: assigned a client, the
/// `openai` module itself, or a client imported from another module of the project.
pub fn module_name(name: &str, source: &str, semantics: &Semantics) -> Option<Client> {
    module_name_depth(name, source, semantics, 0)
}

fn module_name_depth(name: &str, source: &str, semantics: &Semantics, depth: usize) -> Option<Client> {
    assigned_in(&semantics.module_level, name, source, semantics, depth)
        .or_else(|| module_client(name, source, semantics))
        .or_else(|| imported(name, false, semantics))
}

/// A name imported from another module of the project (`from .clients import
/// client`, `from .config import get_client`): what it is there, or returns.
fn imported(name: &str, called: bool, semantics: &Semantics) -> Option<Client> {
    let file = semantics.file.as_deref()?;
    match semantics.imports.get(name)? {
        Binding::Member { module, name } => imported::client(file, module, name, called),
        Binding::Module(_) => None,
    }
}

/// `config.get_client()`, where `config` is a module of the project
/// (`import app.config as config`, `from . import config`).
fn imported_from_module(module: &str, name: &str, semantics: &Semantics) -> Option<Client> {
    let file = semantics.file.as_deref()?;
    let module = match semantics.imports.get(module)? {
        Binding::Module(module) => module.clone(),
        Binding::Member { module, name } if module.ends_with('.') => format!("{module}{name}"),
        Binding::Member { module, name } => format!("{module}.{name}"),
    };
    imported::client(file, &module, name, true)
}

/// `import openai` (or `import openai as oai`): the module is a client too,
/// the one `openai.chat.completions.create(...)` uses, made from the
/// environment, or from `openai.base_url = "..."` set at module level.
fn module_client(name: &str, source: &str, semantics: &Semantics) -> Option<Client> {
    if semantics.imports.get(name) != Some(&Binding::Module("openai".to_string())) {
        return None;
    }
    let base_url = semantics.module_level.iter().filter(|n| n.kind_name() == "assignment").find_map(|assignment| {
        let left = assignment.field("left").filter(|l| l.kind_name() == "attribute")?;
        let object = left.field("object").filter(|o| text(*o, source) == name)?;
        (object.kind_name() == "identifier" && left.field("attribute").is_some_and(|a| text(a, source) == "base_url"))
            .then_some(())?;
        constant_string(assignment.field("right")?, source, semantics)
    });
    let provider = base_url.and_then(provider_of_endpoint).unwrap_or_else(|| "openai".to_string());
    Some(Client { shape: Shape::OpenAi, provider })
}

/// Whether `function` has a parameter called `name`, annotated or not.
fn has_parameter(function: Node, name: &str, source: &str) -> bool {
    let Some(params) = function.field("parameters") else { return false };
    named_children(params).into_iter().any(|param| parameter_name(param, source) == Some(name))
}

/// Whether `name` is assigned (or bound by `as`) among `nodes`.
fn binds(nodes: &[Node], name: &str, source: &str) -> bool {
    nodes.iter().any(|n| match n.kind_name() {
        "assignment" => n.field("left").is_some_and(|l| l.kind_name() == "identifier" && text(l, source) == name),
        "as_pattern" => n.field("alias").is_some_and(|a| text(a, source) == name),
        _ => false,
    })
}

/// `name = value` among `nodes`, or `with value as name:` (an SDK client is its own context).
fn assigned_in(nodes: &[Node], name: &str, source: &str, semantics: &Semantics, depth: usize) -> Option<Client> {
    let opened = nodes.iter().copied().filter(|n| n.kind_name() == "as_pattern").find_map(|pattern| {
        let alias = pattern.field("alias")?;
        if text(alias, source) != name || pattern.parent().is_none_or(|p| p.kind_name() != "with_item") {
            return None;
        }
        resolve_depth(pattern.named_child(0)?, source, semantics, depth + 1)
    });
    if opened.is_some() {
        return opened;
    }
    nodes.iter().copied().filter(|n| n.kind_name() == "assignment").find_map(|assignment| {
        let left = assignment.field("left")?;
        if left.kind_name() != "identifier" || text(left, source) != name {
            return None;
        }
        if let Some(annotation) = assignment.field("type") {
            if let Some(client) = annotated(annotation, source, semantics) {
                return Some(client);
            }
        }
        resolve_depth(assignment.field("right")?, source, semantics, depth + 1)
    })
}

fn parameter(function: Node, name: &str, source: &str, semantics: &Semantics) -> Option<Client> {
    let params = function.field("parameters")?;
    named_children(params).into_iter().find_map(|param| {
        if !matches!(param.kind_name(), "typed_parameter" | "typed_default_parameter") {
            return None;
        }
        let param_name = match param.kind_name() {
            "typed_parameter" => named_children(param).into_iter().find(|n| n.kind_name() == "identifier")?,
            _ => param.field("name")?,
        };
        if text(param_name, source) != name {
            return None;
        }
        annotated(param.field("type")?, source, semantics)
    })
}

/// A type annotation naming an SDK class (`AsyncAnthropic`, `openai.OpenAI | None`, `Optional[Mistral]`).
fn annotated(annotation: Node, source: &str, semantics: &Semantics) -> Option<Client> {
    descendants(annotation).into_iter().filter(|n| matches!(n.kind_name(), "identifier" | "attribute")).find_map(|n| {
        let (shape, provider) = sdk_class(&semantics.qualified_name(n, source)?)?;
        Some(Client { shape, provider: provider.to_string() })
    })
}

/// `get_client()`: a module-level function whose returned value, or else its
/// return annotation, is a client. The value first: its construction says more
/// (`AsyncOpenAI(base_url=<groq>)` is groq; the annotation only says openai).
fn getter(call: Node, source: &str, semantics: &Semantics, depth: usize) -> Option<Client> {
    let function = call.field("function")?;
    let def = match function.kind_name() {
        "identifier" => match semantics.functions.get(text(function, source)) {
            Some(def) => *def,
            None => return imported(text(function, source), true, semantics),
        },
        // `self._make_client()`: a method of the enclosing class.
        "attribute" if function.field("object").is_some_and(|o| text(o, source) == "self") => {
            method_of_enclosing_class(call, text(function.field("attribute")?, source), source)?
        }
        "attribute" => {
            let object = function.field("object").filter(|o| o.kind_name() == "identifier")?;
            let name = text(function.field("attribute")?, source);
            return imported_from_module(text(object, source), name, semantics);
        }
        _ => return None,
    };
    returned_depth(def, source, semantics, depth)
}

/// The client a function returns: its returned value, or else its return annotation.
pub fn returned_by(def: Node, source: &str, semantics: &Semantics) -> Option<Client> {
    returned_depth(def, source, semantics, 0)
}

fn returned_depth(def: Node, source: &str, semantics: &Semantics, depth: usize) -> Option<Client> {
    let body = def.field("body")?;
    let returned =
        semantics.same_scope(body).into_iter().filter(|n| n.kind_name() == "return_statement").find_map(|ret| {
            let value = ret.named_child(0)?;
            resolve_depth(value, source, semantics, depth + 1)
        });
    returned.or_else(|| def.field("return_type").and_then(|t| annotated(t, source, semantics)))
}

/// The method `name` of the class `site` is in (decorated or not).
fn method_of_enclosing_class<'t>(site: Node<'t>, name: &str, source: &str) -> Option<Node<'t>> {
    named_children(enclosing_class(site)?.field("body")?).into_iter().map(crate::python::syntax::undecorated).find(
        |def| def.kind_name() == "function_definition" && def.field("name").is_some_and(|n| text(n, source) == name),
    )
}

/// `client.chats.create(model=...)` (or `client.aio.chats.create`) of a
/// google-genai client: a chat session, whose `send_message` calls the model.
fn google_chat(call: Node, source: &str, semantics: &Semantics, depth: usize) -> Option<Client> {
    let function = call.field("function").filter(|f| f.kind_name() == "attribute")?;
    let chats = function.field("object").filter(|o| o.kind_name() == "attribute")?;
    if text(function.field("attribute")?, source) != "create" || text(chats.field("attribute")?, source) != "chats" {
        return None;
    }
    let mut owner = chats.field("object")?;
    if owner.kind_name() == "attribute" && owner.field("attribute").is_some_and(|a| text(a, source) == "aio") {
        owner = owner.field("object")?;
    }
    resolve_depth(owner, source, semantics, depth + 1).filter(|client| client.shape == Shape::Google)
}

/// `self.name`: assigned in any method of the enclosing class, or annotated in its body.
fn self_attribute(site: Node, attribute: &str, source: &str, semantics: &Semantics, depth: usize) -> Option<Client> {
    let body = enclosing_class(site)?.field("body")?;
    for statement in named_children(body) {
        if let Some(assignment) = statement.named_child(0).filter(|n| n.kind_name() == "assignment") {
            let left = assignment.field("left");
            if left.is_some_and(|l| l.kind_name() == "identifier" && text(l, source) == attribute) {
                if let Some(client) = assignment.field("type").and_then(|t| annotated(t, source, semantics)) {
                    return Some(client);
                }
            }
        }
    }
    descendants(body).into_iter().filter(|n| n.kind_name() == "assignment").find_map(|assignment| {
        let left = assignment.field("left").filter(|l| l.kind_name() == "attribute")?;
        let is_self = left.field("object").is_some_and(|o| text(o, source) == "self");
        let same = left.field("attribute").is_some_and(|a| text(a, source) == attribute);
        if !(is_self && same) {
            return None;
        }
        if let Some(client) = assignment.field("type").and_then(|t| annotated(t, source, semantics)) {
            return Some(client);
        }
        resolve_depth(assignment.field("right")?, source, semantics, depth + 1)
    })
}
