//! Which LLM crate a client value belongs to, from what the code says: the
//! type of a parameter, a `let` or a struct field (`&Client<OpenAIConfig>`,
//! `Arc<AnthropicClient>`), or the constructor that made it
//! (`Client::with_config(OpenAIConfig::new().with_api_base(...))`,
//! `AnthropicClient::builder(..).build::<E>()?`). Nothing is guessed: a
//! receiver whose origin cannot be read is not a client.

use ra_ap_syntax::ast::{self, HasArgList, HasGenericArgs, HasName};
use ra_ap_syntax::{AstNode, SourceFile};

use crate::llm::provider_from_base_url;
use crate::rust::names::{path_text, Names};

/// The crates whose calls are instrumented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sdk {
    /// `async-openai` (and OpenAI-compatible endpoints through it).
    AsyncOpenAi,
    /// `anthropic-ai-sdk`.
    Anthropic,
    /// `genai`: one client, the provider chosen by the model name.
    Genai,
}

/// A client: its crate and, when the code says, its provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub sdk: Sdk,
    /// `None` when the provider is only known at run time (genai picks it from the model).
    pub provider: Option<&'static str>,
}

/// The client type a full path names.
fn sdk_of(path: &str) -> Option<Sdk> {
    match path {
        "async_openai::Client" => Some(Sdk::AsyncOpenAi),
        "anthropic_ai_sdk::client::AnthropicClient" | "anthropic_ai_sdk::AnthropicClient" => Some(Sdk::Anthropic),
        "genai::Client" => Some(Sdk::Genai),
        _ => None,
    }
}

fn client(sdk: Sdk, config: &str) -> Client {
    let provider = match sdk {
        Sdk::AsyncOpenAi if config.contains("AzureConfig") => Some("azure_openai"),
        Sdk::AsyncOpenAi => Some(base_url_in(config).unwrap_or("openai")),
        Sdk::Anthropic => Some("anthropic"),
        Sdk::Genai => None,
    };
    Client { sdk, provider }
}

/// The provider the first string literal naming a known host says.
fn base_url_in(text: &str) -> Option<&'static str> {
    text.split('"').skip(1).step_by(2).find_map(provider_from_base_url)
}

/// The client a type names: `Client<OpenAIConfig>`, `&AnthropicClient`, `Arc<genai::Client>`.
pub fn of_type(ty: &ast::Type, names: &Names) -> Option<Client> {
    match ty {
        ast::Type::RefType(reference) => of_type(&reference.ty()?, names),
        ast::Type::ParenType(paren) => of_type(&paren.ty()?, names),
        ast::Type::PathType(path) => {
            let path = path.path()?;
            let full = names.qualify(&path_text(&path));
            let last = full.rsplit("::").next().unwrap_or(&full);
            if matches!(last, "Arc" | "Rc" | "Box") {
                let inner = path.segment()?.generic_arg_list()?.generic_args().find_map(|arg| match arg {
                    ast::GenericArg::TypeArg(t) => t.ty(),
                    _ => None,
                })?;
                return of_type(&inner, names);
            }
            Some(client(sdk_of(&full)?, &path.syntax().text().to_string()))
        }
        _ => None,
    }
}

/// The client an expression constructs: `Client::new()`, `Client::with_config(...)`,
/// `AnthropicClient::builder(..).with_api_base_url(..).build::<E>()?`, `genai::Client::default()`.
pub fn constructed(expr: &ast::Expr, names: &Names) -> Option<Client> {
    match expr {
        ast::Expr::TryExpr(e) => constructed(&e.expr()?, names),
        ast::Expr::ParenExpr(e) => constructed(&e.expr()?, names),
        ast::Expr::AwaitExpr(e) => constructed(&e.expr()?, names),
        ast::Expr::CallExpr(call) => {
            let ast::Expr::PathExpr(callee) = call.expr()? else { return None };
            let full = names.qualify(&path_text(&callee.path()?));
            let (ty, _) = full.rsplit_once("::")?;
            Some(client(sdk_of(ty)?, &call.syntax().text().to_string()))
        }
        // A builder chain or `.unwrap()`: the call it starts from says, the chain's text says the endpoint.
        ast::Expr::MethodCallExpr(call) => {
            let mut root = call.receiver()?;
            while let ast::Expr::MethodCallExpr(inner) = &root {
                root = inner.receiver()?;
            }
            let found = constructed(&root, names)?;
            Some(client(found.sdk, &call.syntax().text().to_string()))
        }
        _ => None,
    }
}

/// The client a method call's receiver holds: a parameter or `let` of the
/// enclosing function, or a field of `self`'s struct in this file.
pub fn of_receiver(receiver: &ast::Expr, file: &SourceFile, names: &Names) -> Option<Client> {
    match receiver {
        ast::Expr::ParenExpr(e) => of_receiver(&e.expr()?, file, names),
        ast::Expr::RefExpr(e) => of_receiver(&e.expr()?, file, names),
        ast::Expr::MethodCallExpr(call)
            if call.name_ref()?.text() == "clone" && call.arg_list()?.args().count() == 0 =>
        {
            of_receiver(&call.receiver()?, file, names)
        }
        ast::Expr::PathExpr(path) => {
            let name = path.path()?.as_single_name_ref()?.text().to_string();
            of_local(receiver, &name, names)
        }
        ast::Expr::FieldExpr(field) => {
            let ast::Expr::PathExpr(object) = field.expr()? else { return None };
            if object.path()?.as_single_name_ref()?.text() != "self" {
                return None;
            }
            of_self_field(receiver, field.name_ref()?.text(), file, names)
        }
        _ => None,
    }
}

/// `name` as a parameter or an earlier `let` of the function the expression is in.
fn of_local(site: &ast::Expr, name: &str, names: &Names) -> Option<Client> {
    let function = site.syntax().ancestors().find_map(ast::Fn::cast)?;
    let at = site.syntax().text_range().start();
    let lets = function
        .syntax()
        .descendants()
        .filter_map(ast::LetStmt::cast)
        .filter(|l| l.syntax().text_range().end() <= at)
        .filter(|l| binds(l.pat(), name));
    if let Some(binding) = lets.last() {
        return match (binding.ty(), binding.initializer()) {
            (Some(ty), _) => of_type(&ty, names),
            (None, Some(init)) => constructed(&init, names),
            _ => None,
        };
    }
    let params = function.param_list()?;
    params.params().find(|p| binds(p.pat(), name)).and_then(|p| of_type(&p.ty()?, names))
}

fn binds(pat: Option<ast::Pat>, name: &str) -> bool {
    matches!(pat, Some(ast::Pat::IdentPat(ident)) if ident.name().is_some_and(|n| n.text() == name))
}

/// `self.<field>` where `self` is the struct of the enclosing `impl`.
fn of_self_field(site: &ast::Expr, field: &str, file: &SourceFile, names: &Names) -> Option<Client> {
    let imp = site.syntax().ancestors().find_map(ast::Impl::cast)?;
    let ast::Type::PathType(self_ty) = imp.self_ty()? else { return None };
    let struct_name = self_ty.path()?.segment()?.name_ref()?.text().to_string();
    let strukt = file
        .syntax()
        .descendants()
        .filter_map(ast::Struct::cast)
        .find(|s| s.name().is_some_and(|n| n.text() == struct_name))?;
    let ast::FieldList::RecordFieldList(fields) = strukt.field_list()? else { return None };
    let field = fields.fields().find(|f| f.name().is_some_and(|n| n.text() == field))?;
    of_type(&field.ty()?, names)
}
