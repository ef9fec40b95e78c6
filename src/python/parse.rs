//! Parsing: tree-sitter for the tree we plan edits on, and ruff's strict
//! parser to say whether a text is Python at all (tree-sitter recovers from
//! errors and accepts code CPython rejects, such as a `with` with no body).

use std::cell::RefCell;

use tree_sitter::{Node, Parser, Tree};

pub use crate::fix::SyntaxError;

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new({
        let mut parser = Parser::new();
        parser
            .set_language(&tree_sitter_python::LANGUAGE.into())
            .expect("the bundled tree-sitter-python grammar matches the tree-sitter version");
        parser
    });
}

/// Parses `text` with the strict parser (so that every file CPython would
/// reject is reported, changed or not), then builds the tree-sitter tree the
/// transforms work on.
pub fn parse(text: &str) -> Result<Tree, SyntaxError> {
    check_syntax(text)?;
    tree(text)
}

/// The tree-sitter tree the transforms work on. A text tree-sitter cannot read
/// wholly is reported with the strict parser's error; the strict parse of a
/// text tree-sitter reads is left to `instrument`, which parses its output
/// (or, when nothing changes, the input) strictly anyway.
pub fn tree(text: &str) -> Result<Tree, SyntaxError> {
    let tree = PARSER.with(|parser| parser.borrow_mut().parse(text, None)).ok_or_else(|| SyntaxError {
        line: 1,
        column: 1,
        message: "the parser gave up".into(),
    })?;
    if tree.root_node().has_error() {
        check_syntax(text)?;
        // The strict parser accepts it: what tree-sitter cannot read is usually extreme nesting.
        let node = first_error(tree.root_node()).unwrap_or(tree.root_node());
        let (line, column) = crate::source::line_col(text, node.start_byte());
        return Err(SyntaxError {
            line,
            column,
            message: "cannot be parsed (nested too deeply?); left untouched".into(),
        });
    }
    Ok(tree)
}

/// Whether `text` is valid Python, by the strict parser; and whether its
/// `from __future__` imports come first, which CPython checks when it
/// compiles (the parser does not).
pub fn check_syntax(text: &str) -> Result<(), SyntaxError> {
    let parsed = ruff_python_parser::parse_module(text).map_err(|err| {
        let (line, column) = crate::source::line_col(text, err.location.start().to_usize());
        SyntaxError { line, column, message: format!("syntax error: {}", err.error) }
    })?;
    check_future_imports(&parsed.syntax().body, text)
}

fn check_future_imports(body: &[ruff_python_ast::Stmt], text: &str) -> Result<(), SyntaxError> {
    use ruff_python_ast::{Expr, Stmt};
    use ruff_text_size::Ranged;
    let is_future = |s: &Stmt| matches!(s, Stmt::ImportFrom(i) if i.level == 0 && i.module.as_ref().is_some_and(|m| m.as_str() == "__future__"));
    let docstring = matches!(body.first(), Some(Stmt::Expr(e)) if matches!(*e.value, Expr::StringLiteral(_)));
    let leading =
        usize::from(docstring) + body.iter().skip(usize::from(docstring)).take_while(|s| is_future(s)).count();
    match body.iter().skip(leading).find(|s| is_future(s)) {
        Some(late) => {
            let (line, column) = crate::source::line_col(text, late.start().to_usize());
            Err(SyntaxError {
                line,
                column,
                message: "syntax error: from __future__ imports must occur at the beginning of the file".into(),
            })
        }
        None => Ok(()),
    }
}

/// Whether `text` is a single valid Python expression.
pub fn check_expression(text: &str) -> Result<(), String> {
    ruff_python_parser::parse_expression(text).map(|_| ()).map_err(|err| err.error.to_string())
}

fn first_error(node: Node) -> Option<Node> {
    if node.is_error() || node.is_missing() {
        return Some(node);
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        if child.has_error() {
            return first_error(child);
        }
    }
    None
}
