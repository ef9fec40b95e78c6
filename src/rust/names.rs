//! What the names of a Rust file stand for: its `use` declarations (renames,
//! nested groups) and its string constants, so that `Client::new()` is known
//! as `async_openai::Client::new` and `MODEL` as `"gpt-4o-mini"`.

use std::collections::HashMap;

use ra_ap_syntax::ast::{self, HasName};
use ra_ap_syntax::{AstNode, SourceFile};

/// The file's `use`d names and string constants.
#[derive(Debug, Default)]
pub struct Names {
    /// Local name → full path (`Client` → `async_openai::Client`).
    imports: HashMap<String, String>,
    /// `const`/`static` name → its string literal.
    pub constants: HashMap<String, String>,
}

impl Names {
    pub fn of(file: &SourceFile) -> Names {
        let mut names = Names::default();
        for node in file.syntax().descendants() {
            if let Some(use_) = ast::Use::cast(node.clone()) {
                if let Some(tree) = use_.use_tree() {
                    names.add_use_tree(&tree, "");
                }
            } else if let Some(konst) = ast::Const::cast(node.clone()) {
                if let (Some(name), Some(value)) = (konst.name(), konst.body().as_ref().and_then(string_literal)) {
                    names.constants.insert(name.text().to_string(), value);
                }
            } else if let Some(statik) = ast::Static::cast(node) {
                if let (Some(name), Some(value)) = (statik.name(), statik.body().as_ref().and_then(string_literal)) {
                    names.constants.insert(name.text().to_string(), value);
                }
            }
        }
        names
    }

    fn add_use_tree(&mut self, tree: &ast::UseTree, prefix: &str) {
        let path = tree.path().map(|p| path_text(&p)).unwrap_or_default();
        let full = match (prefix.is_empty(), path.is_empty()) {
            (true, _) => path.clone(),
            (false, true) => prefix.to_string(),
            (false, false) => format!("{prefix}::{path}"),
        };
        if let Some(list) = tree.use_tree_list() {
            for inner in list.use_trees() {
                self.add_use_tree(&inner, &full);
            }
            return;
        }
        if tree.star_token().is_some() {
            return;
        }
        let last = full.rsplit("::").next().unwrap_or(&full).to_string();
        let (local, full) = if last == "self" {
            let module = full.trim_end_matches("::self").to_string();
            (module.rsplit("::").next().unwrap_or(&module).to_string(), module)
        } else {
            (last, full)
        };
        let local = match tree.rename().and_then(|r| r.name()) {
            Some(name) => name.text().to_string(),
            None => local,
        };
        if local != "_" {
            self.imports.insert(local, full);
        }
    }

    /// The full path a path in the code stands for (`Client::new` →
    /// `async_openai::Client::new`); paths naming no import are returned as written.
    pub fn qualify(&self, path: &str) -> String {
        let path = path.trim_start_matches("::");
        let (first, rest) = path.split_once("::").map_or((path, None), |(f, r)| (f, Some(r)));
        let first = self.imports.get(first).map_or(first, String::as_str);
        match rest {
            Some(rest) => format!("{first}::{rest}"),
            None => first.to_string(),
        }
    }
}

/// A path's text without whitespace or generic arguments (`Client::<C>::new` → `Client::new`).
pub fn path_text(path: &ast::Path) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in path.syntax().text().to_string().chars() {
        match c {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            c if depth == 0 && !c.is_whitespace() => out.push(c),
            _ => {}
        }
    }
    out.replace("::::", "::").trim_end_matches("::").to_string()
}

/// The value of a string literal expression (`"x"`, `"x".to_string()`,
/// `"x".into()`, `String::from("x")`, `"x".to_owned()`).
pub fn string_literal(expr: &ast::Expr) -> Option<String> {
    match expr {
        ast::Expr::Literal(literal) => match literal.kind() {
            ast::LiteralKind::String(s) => s.value().ok().map(|v| v.into_owned()),
            _ => None,
        },
        ast::Expr::MethodCallExpr(call) => {
            let method = call.name_ref()?.text().to_string();
            if matches!(method.as_str(), "to_string" | "into" | "to_owned") {
                string_literal(&call.receiver()?)
            } else {
                None
            }
        }
        ast::Expr::CallExpr(call) => {
            let ast::Expr::PathExpr(callee) = call.expr()? else { return None };
            let callee = path_text(&callee.path()?);
            if callee == "String::from" {
                use ra_ap_syntax::ast::HasArgList;
                string_literal(&call.arg_list()?.args().next()?)
            } else {
                None
            }
        }
        ast::Expr::ParenExpr(paren) => string_literal(&paren.expr()?),
        ast::Expr::RefExpr(reference) => string_literal(&reference.expr()?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ra_ap_syntax::Edition;

    #[test]
    fn reads_uses_and_constants() {
        let text = "use async_openai::{Client as Oai, config::{self, OpenAIConfig}};\nuse genai::Client;\nconst MODEL: &str = \"gpt-4o-mini\";\n";
        let file = SourceFile::parse(text, Edition::Edition2021).tree();
        let names = Names::of(&file);
        assert_eq!(names.qualify("Oai::with_config"), "async_openai::Client::with_config");
        assert_eq!(names.qualify("OpenAIConfig::new"), "async_openai::config::OpenAIConfig::new");
        assert_eq!(names.qualify("config::OpenAIConfig"), "async_openai::config::OpenAIConfig");
        assert_eq!(names.qualify("Client"), "genai::Client");
        assert_eq!(names.qualify("std::env::var"), "std::env::var");
        assert_eq!(names.constants["MODEL"], "gpt-4o-mini");
    }
}
