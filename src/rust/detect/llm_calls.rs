//! LLM call sites of the Rust crates, by shape:
//!
//! | crate | call | model from |
//! |---|---|---|
//! | async-openai | `client.chat().create(req)`, `client.responses().create(req)` (request options such as `.query(&q)?` between) | `.model("…")` in the request's builder |
//! | anthropic-ai-sdk | `client.create_message(Some(&params))` | `model: "…".to_string()` in `RequiredMessageParams` |
//! | genai | `client.exec_chat("model", req, opts)` | the first argument (a literal or a `const`) |
//!
//! The client's crate and provider come from [`super::clients`]. Streaming
//! calls (`create_stream`, `create_message_streaming`, `exec_chat_stream`)
//! are found too, to be reported: their usage arrives on a last event the
//! caller's loop consumes, so wrapping them is not provably safe.

use ra_ap_syntax::ast::{self, HasArgList, HasName};
use ra_ap_syntax::{AstNode, SourceFile};

use super::clients::{self, Client, Sdk};
use crate::rust::names::{path_text, string_literal, Names};

/// Which API a call uses: it decides the response type and how usage is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Api {
    OpenAiChat,
    OpenAiResponses,
    AnthropicMessages,
    GenaiChat,
}

impl Api {
    /// The usage reader of `templates/rust/llm_readers.rs` for this API's response.
    pub fn reader(self) -> &'static str {
        match self {
            Api::OpenAiChat => "openai_chat",
            Api::OpenAiResponses => "openai_responses",
            Api::AnthropicMessages => "anthropic_messages",
            Api::GenaiChat => "genai_chat",
        }
    }
}

/// One LLM call site.
#[derive(Debug, Clone)]
pub struct LlmCall {
    pub api: Api,
    pub client: Client,
    /// The model, when the code spells it.
    pub model: Option<String>,
    /// The method call (`client.chat().create(request)`).
    pub call: ast::MethodCallExpr,
    /// Its `.await`, when it is awaited right there.
    pub awaited: Option<ast::AwaitExpr>,
    /// A streaming call: reported, not rewritten.
    pub streaming: bool,
    /// What it is written as (`chat().create`), for reports.
    pub method: String,
}

/// Every LLM call of a file.
pub fn find(file: &SourceFile, names: &Names) -> Vec<LlmCall> {
    file.syntax()
        .descendants()
        .filter_map(ast::MethodCallExpr::cast)
        .filter_map(|call| classify(call, file, names))
        .collect()
}

fn classify(call: ast::MethodCallExpr, file: &SourceFile, names: &Names) -> Option<LlmCall> {
    let method = call.name_ref()?.text().to_string();
    let receiver = call.receiver()?;
    let (api, client, streaming, written) = match method.as_str() {
        "create" | "create_stream" => {
            let ast::Expr::MethodCallExpr(group) = &without_request_options(receiver) else { return None };
            let api = match group.name_ref()?.text().to_string().as_str() {
                "chat" => Api::OpenAiChat,
                "responses" => Api::OpenAiResponses,
                _ => return None,
            };
            let client = clients::of_receiver(&group.receiver()?, file, names)?;
            let written = format!("{}().{method}", group.name_ref()?.text());
            (api, client, method == "create_stream", written)
        }
        "create_message" | "create_message_streaming" => (
            Api::AnthropicMessages,
            clients::of_receiver(&receiver, file, names)?,
            method != "create_message",
            method.clone(),
        ),
        "exec_chat" | "exec_chat_stream" => {
            (Api::GenaiChat, clients::of_receiver(&receiver, file, names)?, method != "exec_chat", method.clone())
        }
        _ => return None,
    };
    let expected = match api {
        Api::OpenAiChat | Api::OpenAiResponses => Sdk::AsyncOpenAi,
        Api::AnthropicMessages => Sdk::Anthropic,
        Api::GenaiChat => Sdk::Genai,
    };
    if client.sdk != expected {
        return None;
    }
    let first = call.arg_list()?.args().next();
    let model = first.and_then(|arg| model_of(api, &arg, &call, names));
    let awaited = call.syntax().parent().and_then(ast::AwaitExpr::cast);
    Some(LlmCall { api, client, model, call, awaited, streaming, method: written })
}

/// `client.chat().query(&q)?.header(k, v)?` → `client.chat()`: async-openai's
/// per-request options sit between the API group and its call.
fn without_request_options(expr: ast::Expr) -> ast::Expr {
    match &expr {
        ast::Expr::TryExpr(inner) => inner.expr().map_or(expr, without_request_options),
        ast::Expr::MethodCallExpr(call)
            if call
                .name_ref()
                .is_some_and(|n| matches!(n.text().to_string().as_str(), "query" | "header" | "headers")) =>
        {
            call.receiver().map_or(expr, without_request_options)
        }
        _ => expr,
    }
}

/// The model a call's first argument says, following one `let` of the same function.
fn model_of(api: Api, arg: &ast::Expr, site: &ast::MethodCallExpr, names: &Names) -> Option<String> {
    match api {
        Api::GenaiChat => literal_or_constant(arg, site, names),
        Api::OpenAiChat | Api::OpenAiResponses | Api::AnthropicMessages => {
            let request = match local_initializer(arg, site) {
                Some(init) => init,
                None => arg.clone(),
            };
            request.syntax().descendants().find_map(|node| {
                if let Some(call) = ast::MethodCallExpr::cast(node.clone()) {
                    if call.name_ref()?.text() == "model" {
                        return literal_or_constant(&call.arg_list()?.args().next()?, site, names);
                    }
                } else if let Some(field) = ast::RecordExprField::cast(node) {
                    if field.name_ref()?.text() == "model" {
                        return literal_or_constant(&field.expr()?, site, names);
                    }
                }
                None
            })
        }
    }
}

/// A string literal, a `const`/`static` one, or a `let` of one in the same function.
fn literal_or_constant(expr: &ast::Expr, site: &ast::MethodCallExpr, names: &Names) -> Option<String> {
    if let Some(value) = string_literal(expr) {
        return Some(value);
    }
    let ast::Expr::PathExpr(path) = strip_ref(expr) else { return None };
    let name = path_text(&path.path()?);
    if let Some(value) = names.constants.get(&name) {
        return Some(value.clone());
    }
    string_literal(&local_initializer(expr, site)?)
}

fn strip_ref(expr: &ast::Expr) -> ast::Expr {
    match expr {
        ast::Expr::RefExpr(r) => r.expr().map_or_else(|| expr.clone(), |e| strip_ref(&e)),
        ast::Expr::ParenExpr(p) => p.expr().map_or_else(|| expr.clone(), |e| strip_ref(&e)),
        _ => expr.clone(),
    }
}

/// The initializer of the last `let` before `site` binding the one name in
/// `expr` (`request`, `&params`, `Some(&params)`).
fn local_initializer(expr: &ast::Expr, site: &ast::MethodCallExpr) -> Option<ast::Expr> {
    let name = expr.syntax().descendants().filter_map(ast::PathExpr::cast).find_map(|p| {
        let name = p.path()?.as_single_name_ref()?.text().to_string();
        (name != "Some").then_some(name)
    })?;
    let function = site.syntax().ancestors().find_map(ast::Fn::cast)?;
    let at = site.syntax().text_range().start();
    function
        .syntax()
        .descendants()
        .filter_map(ast::LetStmt::cast)
        .filter(|l| l.syntax().text_range().end() <= at)
        .filter(|l| matches!(l.pat(), Some(ast::Pat::IdentPat(ref p)) if p.name().is_some_and(|n| n.text() == name)))
        .last()?
        .initializer()
}
