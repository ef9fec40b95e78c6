//! Which functions of a file reach LLM call sites: the code a callback or an
//! executor's function runs, followed through the functions and methods of
//! the same file it calls, and into the functions of the project's other
//! modules it imports (`imported::reaches_llm`).

use std::collections::HashSet;
use std::ops::Range;

use tree_sitter::Node;

use super::imported;
use crate::python::semantics::Semantics;
use crate::python::syntax::{
    descendants, enclosing_class, enclosing_function, named_children, same_scope_descendants, text, undecorated,
    visible_definition, Field, NodeKind,
};

/// How many functions are followed from one start.
const MAX_FUNCTIONS: usize = 64;

/// The file's calls of a method named `method` (`x.add_shutdown_callback(...)`).
pub fn method_calls<'a, 't>(
    source: &'a str,
    semantics: &'a Semantics<'t>,
    method: &'a str,
) -> impl Iterator<Item = Node<'t>> + 'a {
    semantics.calls.iter().copied().filter(move |call| {
        call.field("function")
            .filter(|f| f.kind_name() == "attribute")
            .and_then(|f| f.field("attribute"))
            .is_some_and(|a| text(a, source) == method)
    })
}

/// The code an expression naming a function runs: a lambda, a visible `def`, or a method.
pub fn function_of<'t>(callback: Node<'t>, source: &str, semantics: &Semantics<'t>) -> Option<Node<'t>> {
    match callback.kind_name() {
        "lambda" => Some(callback),
        "identifier" => named_function(callback, text(callback, source), source),
        "attribute" => method(callback, source, semantics),
        _ => None,
    }
}

/// The `def name` visible from `site`: in an enclosing function (also inside
/// its `if` / `try` blocks), or at module level.
fn named_function<'t>(site: Node<'t>, name: &str, source: &str) -> Option<Node<'t>> {
    visible_definition(site, name, source, true).or_else(|| {
        let mut scope = enclosing_function(site);
        while let Some(function) = scope {
            let found = same_scope_descendants(function.field("body")?).into_iter().find(|n| {
                n.kind_name() == "function_definition" && n.field("name").is_some_and(|n| text(n, source) == name)
            });
            if found.is_some() {
                return found;
            }
            scope = enclosing_function(function);
        }
        None
    })
}

/// `self.name` / `cls.name` (a method of the class the expression is in), or
/// `obj.name` where `obj = SomeClass(...)` before it, of a class of this file.
fn method<'t>(attribute: Node<'t>, source: &str, semantics: &Semantics<'t>) -> Option<Node<'t>> {
    let object = attribute.field("object").filter(|o| o.kind_name() == "identifier")?;
    let class = match text(object, source) {
        "self" | "cls" => enclosing_class(attribute)?,
        name => {
            let value = semantics.value_before(attribute, name, source).filter(|v| v.kind_name() == "call")?;
            let callee = value.field("function").filter(|f| f.kind_name() == "identifier")?;
            *semantics.classes.get(text(callee, source))?
        }
    };
    let name = text(attribute.field("attribute")?, source);
    named_children(class.field("body")?).into_iter().map(undecorated).find(|def| {
        def.kind_name() == "function_definition" && def.field("name").is_some_and(|n| text(n, source) == name)
    })
}

/// Whether the code an expression names (`function_of`, or a function of
/// another module of the project it imports) reaches an LLM call.
pub fn callback_reaches(callback: Node, source: &str, semantics: &Semantics, llm_calls: &[Range<usize>]) -> bool {
    match function_of(callback, source, semantics) {
        Some(function) => reaches(function, source, semantics, llm_calls),
        None => imported_reaches(callback, source, semantics),
    }
}

/// Whether a callee names a function of another module of the project that reaches an LLM call.
fn imported_reaches(callee: Node, source: &str, semantics: &Semantics) -> bool {
    let Some(file) = &semantics.file else { return false };
    imported::imported_function(callee, source, semantics)
        .is_some_and(|(module, name)| imported::reaches_llm(file, &module, &name))
}

/// Whether `function`, or a function or method of this file it calls (a few
/// levels deep), contains one of `llm_calls`, or calls a function of another
/// module of the project that reaches one of its own.
pub fn reaches<'t>(function: Node<'t>, source: &str, semantics: &Semantics<'t>, llm_calls: &[Range<usize>]) -> bool {
    let mut pending = vec![function];
    let mut seen = HashSet::new();
    while let Some(function) = pending.pop() {
        if !seen.insert(function.id()) || seen.len() > MAX_FUNCTIONS {
            continue;
        }
        let span = function.start_byte()..function.end_byte();
        if llm_calls.iter().any(|call| span.start <= call.start && call.end <= span.end) {
            return true;
        }
        let nodes =
            semantics.subtree(function).map_or_else(|| descendants(function).into(), std::borrow::Cow::Borrowed);
        for &call in nodes.iter().filter(|n| n.kind_name() == "call") {
            let Some(callee) = call.field("function") else { continue };
            let called = match callee.kind_name() {
                "identifier" => named_function(call, text(callee, source), source),
                "attribute" => method(callee, source, semantics),
                _ => None,
            };
            match called {
                Some(function) => pending.push(function),
                None if imported_reaches(callee, source, semantics) => return true,
                None => {}
            }
        }
    }
    false
}
