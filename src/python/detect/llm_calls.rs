//! LLM call sites: direct provider SDK calls (SPEC §4), with the provider
//! read from the client, the model from the call, and how the result is used.
//!
//! ```python
//! client = anthropic.AsyncAnthropic()
//! response = await client.messages.create(model="claude-sonnet-4-5", ...)   # anthropic, messages.create
//! for chunk in openai_client.chat.completions.create(..., stream=True): ...  # openai, a stream in a loop
//! twilio.messages.create(to=..., body=...)                                    # not a provider: left alone
//! ```

use crate::python::syntax::Field;
use tree_sitter::Node;

use super::clients::{self, Client, Shape};
use crate::python::semantics::Semantics;
use crate::python::syntax::NodeKind;
use crate::python::syntax::{first_positional, keyword_argument, named_children, string_value, text};

/// One provider SDK call.
#[derive(Debug, Clone)]
pub struct LlmCall<'t> {
    pub call: Node<'t>,
    pub client: Client,
    /// The SDK method, as written after the client (`chat.completions.create`).
    pub method: String,
    /// The `model=` (bedrock: `modelId=`) argument.
    pub model: Option<Node<'t>>,
    /// The object whose `model` attribute names the model at run time (a
    /// LiveKit LLM: `.model` in 1.x; 0.x has none).
    pub model_of: Option<String>,
    /// The client as written at the call, when its provider is read off it at
    /// run time (`clients::FROM_BASE_URL`).
    pub client_of: Option<String>,
    /// What the call returns.
    pub returns: Returns,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    /// A response with its usage.
    Response,
    /// A stream of chunks or events; usage is in them.
    Stream,
    /// anthropic's `messages.stream(...)` context manager.
    StreamManager,
    /// A response or a stream, as `stream=` (a variable, or in `**kwargs`) says at run time.
    Either,
    /// A stream whose usage the SDK keeps out of reach (openai's `responses.stream(...)`,
    /// `with_streaming_response`): reported, with why.
    Opaque(&'static str),
}

/// Every provider SDK call of a module.
pub fn find<'t>(source: &str, semantics: &Semantics<'t>) -> Vec<LlmCall<'t>> {
    semantics.calls.iter().copied().filter_map(|call| detect(call, source, semantics)).collect()
}

fn detect<'t>(call: Node<'t>, source: &str, semantics: &Semantics<'t>) -> Option<LlmCall<'t>> {
    let function = call.field("function")?;
    if let Some(litellm) = litellm(call, function, source, semantics) {
        return Some(litellm);
    }
    // `await asyncio.to_thread(client.chat.completions.create, model=..., ...)`: the SDK method is
    // handed over with its arguments, and the thread's call is the one to wrap.
    if let Some(method) = to_thread_method(call, function, source, semantics) {
        return sdk_call(call, method, call, source, semantics);
    }
    // `await loop.run_in_executor(None, functools.partial(client.chat.completions.create, model=...))`
    // (or `to_thread(partial(...))`): the arguments are the partial's. A stream read in the
    // caller's thread is not such a call's shape: only a response is followed.
    if let Some((method, partial)) = partial_in_thread(call, function, source, semantics) {
        return sdk_call(call, method, partial, source, semantics).filter(|c| c.returns == Returns::Response);
    }
    sdk_call(call, function, call, source, semantics)
}

/// The method reference `asyncio.to_thread(f, ...)` is given, when it is an attribute path.
fn to_thread_method<'t>(
    call: Node<'t>,
    function: Node<'t>,
    source: &str,
    semantics: &Semantics<'t>,
) -> Option<Node<'t>> {
    if !text(function, source).ends_with("to_thread") {
        return None;
    }
    if semantics.qualified_name(function, source).as_deref() != Some("asyncio.to_thread") {
        return None;
    }
    first_positional(call).filter(|f| f.kind_name() == "attribute")
}

/// `functools.partial(client.method, ...)` given to a thread (`run_in_executor`'s second
/// argument, `asyncio.to_thread`'s first): the method and the partial.
fn partial_in_thread<'t>(
    call: Node<'t>,
    function: Node<'t>,
    source: &str,
    semantics: &Semantics<'t>,
) -> Option<(Node<'t>, Node<'t>)> {
    let written = text(function, source);
    let position = if written.ends_with("run_in_executor") {
        1
    } else if written.ends_with("to_thread")
        && semantics.qualified_name(function, source).as_deref() == Some("asyncio.to_thread")
    {
        0
    } else {
        return None;
    };
    let arguments = call.field("arguments").map(named_children).unwrap_or_default();
    let partial = arguments.into_iter().filter(|a| a.kind_name() != "keyword_argument").nth(position)?;
    if partial.kind_name() != "call" || semantics.callee(partial, source).as_deref() != Some("functools.partial") {
        return None;
    }
    let method = first_positional(partial).filter(|f| f.kind_name() == "attribute")?;
    Some((method, partial))
}

/// `call` made through `function` (an attribute path on a client), its arguments in `args`
/// (the call itself, or the `partial` that holds them): the SDK call it is, if any.
fn sdk_call<'t>(
    call: Node<'t>,
    function: Node<'t>,
    args: Node<'t>,
    source: &str,
    semantics: &Semantics<'t>,
) -> Option<LlmCall<'t>> {
    // Split `client.a.b.c` at every point: the longest method path that the
    // client's SDK has wins.
    let mut path: Vec<&str> = Vec::new();
    let mut object = function;
    while object.kind_name() == "attribute" {
        path.insert(0, text(object.field("attribute")?, source));
        object = object.field("object")?;
        let Some(client) = possible_method(&path).then(|| clients::resolve(object, source, semantics)).flatten() else {
            continue;
        };
        let returns = method_returns(client.shape, &path)?;
        // Only the SDKs whose calls take `stream=` may return a stream from a response method.
        let takes_stream = matches!(client.shape, Shape::OpenAi | Shape::Anthropic);
        let returns = if returns == Returns::Response && takes_stream { streams(args, source) } else { returns };
        let model_arg = if client.shape == Shape::Bedrock { "modelId" } else { "model" };
        // A LiveKit LLM knows its model: `llm.model`.
        let model = match client.shape {
            Shape::Livekit => None,
            // A google chat session has its model from `chats.create(model=...)`.
            Shape::Google if path.first().is_some_and(|m| m.starts_with("send_message")) => {
                chat_model(object, source, semantics)
            }
            _ => keyword_argument(args, model_arg, source),
        };
        // `invoke_model` also runs Bedrock's embedding and image models: no chat tokens to count.
        let written_model = model.and_then(|m| match m.kind_name() {
            "identifier" => string_value(*semantics.assignments.get(text(m, source))?, source),
            _ => string_value(m, source),
        });
        if client.shape == Shape::Bedrock && written_model.is_some_and(not_a_text_model) {
            return None;
        }
        let model_of = (client.shape == Shape::Livekit).then(|| text(object, source).to_string());
        let client_of = (client.provider == clients::FROM_BASE_URL).then(|| text(object, source).to_string());
        return Some(LlmCall { call, model, model_of, client_of, method: path.join("."), client, returns });
    }
    None
}

/// A Bedrock model that does not generate text (`amazon.titan-embed-text-v2:0`,
/// `cohere.embed-english-v3`, `stability.sd3-large-v1:0`, `amazon.titan-image-generator-v2:0`,
/// `amazon.nova-canvas-v1:0`, `amazon.nova-reel-v1:0`).
fn not_a_text_model(model: &str) -> bool {
    let model = model.to_ascii_lowercase();
    ["embed", "image", "stability.", "nova-canvas", "nova-reel", "rerank"].iter().any(|word| model.contains(word))
}

/// Calls that only a provider SDK makes (`x.chat.completions.create(...)`,
/// `x.models.generate_content(...)`, `x.converse(...)`; `x.responses.create`,
/// `x.chat.complete` and `x.messages.create` beside an import of their SDK,
/// the last only without Twilio, whose client has it too, unless its
/// arguments are anthropic's: `max_tokens=` and `messages=`) on a client whose
/// origin the code does not say (an unannotated parameter, a client imported
/// from the project's own module): not instrumented, and said so (VOF116)
/// rather than passed over. The callee as written.
pub fn unknown_clients<'t>(
    source: &str,
    semantics: &Semantics<'t>,
    found: &[LlmCall<'t>],
) -> Vec<(Node<'t>, String, &'static str)> {
    let imports = |root: &str| {
        semantics
            .imports
            .values()
            .map(|binding| binding.module())
            .any(|module| module == root || module.starts_with(&format!("{root}.")))
    };
    // Paths no other library has count wherever the client comes from (imported from
    // the project's own module, say); the others only beside an import of their SDK.
    let openai = imports("openai") || imports("groq") || imports("together");
    let mistral = imports("mistralai");
    let anthropic = imports("anthropic") && !imports("twilio");
    let distinctive = ["chat.completions.", "generate_content", "converse"];
    // `messages.create(model=..., max_tokens=..., messages=[...])` is anthropic's whatever is imported:
    // Twilio's `messages.create` takes `to`, `from_` and `body`.
    let anthropic_shaped =
        |call: Node| ["max_tokens", "messages"].iter().all(|k| keyword_argument(call, k, source).is_some());
    let maybe_anthropic_shaped = source.contains("max_tokens");
    if !(openai || mistral || anthropic || maybe_anthropic_shaped || distinctive.iter().any(|d| source.contains(d))) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for &call in &semantics.calls {
        if found.iter().any(|f| f.call == call) {
            continue;
        }
        let Some(callee) = call.field("function") else { continue };
        // A method handed to a thread by reference (`asyncio.to_thread(client.models.generate_content,
        // ...)`, `functools.partial(client....)` for `run_in_executor`) runs with a sync client.
        let by_reference = to_thread_method(call, callee, source, semantics).or_else(|| {
            let partial = text(callee, source).ends_with("partial")
                && semantics.callee(call, source).as_deref() == Some("functools.partial");
            partial.then(|| first_positional(call)).flatten()
        });
        let function = by_reference.unwrap_or(callee);
        if function.kind_name() != "attribute" {
            continue;
        }
        // Most calls end in another name: ruled out before their path is read.
        let last = function.field("attribute").map_or("", |a| text(a, source));
        if !possible_method(&[last]) {
            continue;
        }
        let mut path: Vec<&str> = Vec::new();
        let mut object = function;
        while object.kind_name() == "attribute" {
            let Some(attribute) = object.field("attribute") else { break };
            path.insert(0, text(attribute, source));
            let Some(inner) = object.field("object") else { break };
            object = inner;
        }
        let path: Vec<&str> =
            path.into_iter().filter(|p| !matches!(*p, "with_raw_response" | "aio" | "beta")).collect();
        // Where the SDK's own client would be made: the hint of the diagnostic.
        // The hint names the async client for async code, the sync one elsewhere (threads, sync defs).
        let asynchronous = by_reference.is_none() && in_async_code(call);
        let (openai_client, anthropic_client) = if asynchronous {
            ("client: AsyncOpenAI", "client: AsyncAnthropic")
        } else {
            ("client: OpenAI", "client: Anthropic")
        };
        let client = match path.as_slice() {
            [.., "chat", "completions", "create" | "parse"] => Some(openai_client),
            [.., "models", "generate_content" | "generate_content_stream"] => Some("client: genai.Client"),
            [.., "converse" | "converse_stream"] => Some("client = boto3.client(\"bedrock-runtime\")"),
            [.., "responses", "create" | "parse"] if openai => Some(openai_client),
            [.., "chat", "complete" | "complete_async" | "stream" | "stream_async"] if mistral => {
                Some("client: Mistral")
            }
            [.., "messages", "create" | "stream"] if anthropic || anthropic_shaped(call) => Some(anthropic_client),
            _ => None,
        };
        if let Some(client) = client {
            let receiver = text(function.field("object").unwrap_or(function), source);
            let method = text(function.field("attribute").unwrap_or(function), source);
            out.push((call, format!("{receiver}.{method}"), client));
        }
    }
    out
}

/// Whether a call runs as async code: awaited, or in an `async def` (not in a lambda).
fn in_async_code(call: Node) -> bool {
    if call.parent().is_some_and(|p| p.kind_name() == "await") {
        return true;
    }
    let mut current = call.parent();
    while let Some(node) = current {
        match node.kind_name() {
            "lambda" => return false,
            "function_definition" => return crate::python::syntax::is_async(node),
            _ => current = node.parent(),
        }
    }
    false
}

/// The `model=` string a chat session was made with (`chat = client.chats.create(model="...")`
/// in the same function, or at module level): a literal, so it reads the same where the session is used.
fn chat_model<'t>(session: Node<'t>, source: &str, semantics: &Semantics<'t>) -> Option<Node<'t>> {
    if session.kind_name() != "identifier" {
        return None;
    }
    let value = semantics.value_before(session, text(session, source), source)?;
    if value.kind_name() != "call" || !text(value, source).contains("chats.create") {
        return None;
    }
    keyword_argument(value, "model", source)
        .filter(|model| model.kind_name() == "string" && string_value(*model, source).is_some())
}

/// Cheap check before resolving the object: the path ends like some SDK method.
fn possible_method(path: &[&str]) -> bool {
    matches!(
        path.last(),
        Some(
            &("create"
                | "parse"
                | "stream"
                | "generate_content"
                | "generate_content_stream"
                | "complete"
                | "complete_async"
                | "stream_async"
                | "chat"
                | "chat_stream"
                | "generate"
                | "generate_stream"
                | "converse"
                | "converse_stream"
                | "invoke_model"
                | "invoke_model_with_response_stream"
                | "send_message"
                | "send_message_stream"
                | "start"
                | "start_async"
                | "append"
                | "append_async"
                | "restart"
                | "restart_async"
                | "start_stream"
                | "start_stream_async"
                | "append_stream"
                | "append_stream_async"
                | "restart_stream"
                | "restart_stream_async"
                | "run_async"
                | "run_stream_async")
        )
    )
}

/// What an SDK method returns, if the SDK has it.
fn method_returns(shape: Shape, path: &[&str]) -> Option<Returns> {
    if path.contains(&"with_streaming_response") {
        let rest: Vec<&str> = path.iter().copied().filter(|p| *p != "with_streaming_response").collect();
        method_returns(shape, &rest)?;
        return Some(Returns::Opaque(
            "reads the raw HTTP body (`with_streaming_response`): its usage is never parsed, so it cannot be counted",
        ));
    }
    let path: Vec<&str> = path.iter().copied().filter(|p| *p != "with_raw_response").collect();
    let returns = match (shape, path.as_slice()) {
        (Shape::Anthropic, ["messages", "create"] | ["beta", "messages", "create"]) => Returns::Response,
        (Shape::Anthropic, ["messages", "parse"] | ["beta", "messages", "parse"]) => Returns::Response,
        (Shape::Anthropic, ["messages", "stream"] | ["beta", "messages", "stream"]) => Returns::StreamManager,
        (Shape::OpenAi, ["chat", "completions", "create" | "parse"]) => Returns::Response,
        (Shape::OpenAi, ["beta", "chat", "completions", "parse"]) => Returns::Response,
        (Shape::OpenAi, ["responses", "create" | "parse"]) => Returns::Response,
        // Legacy text completions (also what many self-hosted servers speak).
        (Shape::OpenAi, ["completions", "create"]) => Returns::Response,
        // The chat stream helper: its stream's `current_completion_snapshot` has the usage.
        (Shape::OpenAi, ["chat", "completions", "stream"] | ["beta", "chat", "completions", "stream"]) => {
            Returns::StreamManager
        }
        (Shape::OpenAi, ["responses", "stream"]) => Returns::Opaque(
            "keeps its usage private until the stream is read to the end (`get_final_response()`); \
             `responses.create(..., stream=True)` consumed by a loop is instrumented",
        ),
        (Shape::Google, ["models", "generate_content"] | ["aio", "models", "generate_content"]) => Returns::Response,
        (Shape::Google, ["models", "generate_content_stream"] | ["aio", "models", "generate_content_stream"]) => {
            Returns::Stream
        }
        // A chat session (`client.chats.create(...)`): `chat.send_message(...)`.
        (Shape::Google, ["send_message"]) => Returns::Response,
        (Shape::Google, ["send_message_stream"]) => Returns::Stream,
        // Chat, fill-in-the-middle and agents: one response shape.
        (Shape::Mistral, ["chat" | "fim" | "agents", "complete" | "complete_async"]) => Returns::Response,
        (Shape::Mistral, ["chat" | "fim" | "agents", "stream" | "stream_async"]) => Returns::Stream,
        // Conversations (beta): a response with `usage`; their streams and `run_async` are not followed.
        (
            Shape::Mistral,
            ["beta", "conversations", "start" | "start_async" | "append" | "append_async" | "restart" | "restart_async"],
        ) => Returns::Response,
        (Shape::Mistral, ["beta", "conversations", method])
            if method.contains("stream") || method.starts_with("run") =>
        {
            Returns::Opaque(
                "reports its usage only inside the conversation's events (or, run locally, across several \
                 requests), which the tool does not follow; `beta.conversations.start(...)` is instrumented",
            )
        }
        // v1 and v2 alike (`meta.tokens` / `usage.tokens`); v1's client also has v2's under `.v2`.
        (Shape::Cohere, ["chat"] | ["v2", "chat"] | ["generate"]) => Returns::Response,
        (Shape::Cohere, ["chat_stream"] | ["v2", "chat_stream"]) => Returns::Stream,
        (Shape::Cohere, ["generate_stream"]) => Returns::Opaque(
            "ends its stream without the usage (`stream-end` has no `meta`), so it cannot be counted; \
             `chat_stream` reports it",
        ),
        (Shape::Bedrock, ["converse"]) => Returns::Response,
        (Shape::Bedrock, ["converse_stream"]) => Returns::Stream,
        // Usage in the response headers; the body is a stream the caller reads.
        (Shape::Bedrock, ["invoke_model"]) => Returns::Response,
        (Shape::Bedrock, ["invoke_model_with_response_stream"]) => Returns::Opaque(
            "reports its usage inside each model's own chunk format (`amazon-bedrock-invocationMetrics`); \
             `converse_stream` consumed by a loop is instrumented",
        ),
        (Shape::Livekit, ["chat"]) => Returns::Stream,
        _ => return None,
    };
    Some(returns)
}

/// What a call that may stream returns: `stream=True` a stream, no `stream=`
/// (or `False`) a response; `stream=` from a variable, or no `stream=` beside
/// `**kwargs`, either.
fn streams(call: Node, source: &str) -> Returns {
    match keyword_argument(call, "stream", source).map(|v| text(v, source)) {
        Some("True") => Returns::Stream,
        Some("False" | "None") => Returns::Response,
        Some(_) => Returns::Either,
        None => {
            let arguments = call.field("arguments").map(named_children).unwrap_or_default();
            if arguments.iter().any(|a| a.kind_name() == "dictionary_splat") {
                Returns::Either
            } else {
                Returns::Response
            }
        }
    }
}

/// `litellm.completion(...)` / `acompletion(...)`; the provider from the model's prefix when it says.
fn litellm<'t>(call: Node<'t>, function: Node<'t>, source: &str, semantics: &Semantics<'t>) -> Option<LlmCall<'t>> {
    let callee = semantics.qualified_name(function, source)?;
    let method = match callee.as_str() {
        "litellm.completion" => "completion",
        "litellm.acompletion" => "acompletion",
        _ => return None,
    };
    let model = keyword_argument(call, "model", source);
    let provider = model.and_then(|m| string_value(m, source)).map_or("litellm", litellm_provider);
    Some(LlmCall {
        call,
        client: Client { shape: Shape::Litellm, provider: provider.to_string() },
        method: method.to_string(),
        model,
        model_of: None,
        client_of: None,
        returns: streams(call, source),
    })
}

fn litellm_provider(model: &str) -> &'static str {
    let prefix = model.split('/').next().unwrap_or(model);
    match prefix {
        "anthropic" => "anthropic",
        "azure" => "azure_openai",
        "openai" => "openai",
        "gemini" | "vertex_ai" => "google",
        "groq" => "groq",
        "mistral" => "mistral",
        "cohere" | "cohere_chat" => "cohere",
        "bedrock" => "bedrock",
        "deepseek" => "deepseek",
        "together_ai" => "together",
        _ if model.starts_with("gpt-") || model.starts_with("o1") || model.starts_with("o3") => "openai",
        _ if model.starts_with("claude") => "anthropic",
        _ if model.starts_with("gemini") => "google",
        _ => "litellm",
    }
}
