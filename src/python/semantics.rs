//! What names mean in one module: imports (with aliases), module-level
//! definitions and assignments, and every identifier the file uses.

use crate::python::syntax::Field;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use tree_sitter::Node;

use super::syntax::{descendants, named_children, text, undecorated};
use crate::python::syntax::NodeKind;

/// What an imported name is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// `import a.b as x` binds `x` to `a.b`; `import a.b` binds `a` to `a`.
    Module(String),
    /// `from m import n as x` binds `x` to `n` of `m` (`m` may be relative: `.agent`).
    Member { module: String, name: String },
}

impl Binding {
    /// The module the import names (`a.b`, `m`).
    pub fn module(&self) -> &str {
        match self {
            Binding::Module(module) | Binding::Member { module, .. } => module,
        }
    }
}

/// The names of one module.
pub struct Semantics<'t> {
    /// Every import of the file, a function's own included: what a name in
    /// the code may refer to.
    pub imports: HashMap<String, Binding>,
    /// The imports that bind a name for the whole module at run time: at
    /// module level, not under `if TYPE_CHECKING:`. Only these can serve
    /// code inserted at module level (a function's `import json` binds
    /// `json` in that function alone).
    pub module_imports: HashMap<String, Binding>,
    /// Module-level `def`s by name (the undecorated `function_definition`).
    pub functions: HashMap<String, Node<'t>>,
    /// Module-level classes by name.
    pub classes: HashMap<String, Node<'t>>,
    /// Module-level `name = value` assignments (the last one wins).
    pub assignments: HashMap<String, Node<'t>>,
    /// Every name written anywhere in the file (not keyword arguments'
    /// names, not attributes: they name no variable).
    pub identifiers: HashSet<String>,
    /// One-line string literals written with single quotes, and with double quotes.
    pub quotes: (usize, usize),
    /// Every node of the module, in pre-order: the one whole-tree walk the
    /// detectors and rules share instead of each walking the tree again.
    pub nodes: Vec<Node<'t>>,
    /// The calls among them, in pre-order: what most detectors and rules look at.
    pub calls: Vec<Node<'t>>,
    /// Nodes at module level, `try` / `if` / `with` blocks included, function
    /// and class bodies not (what `syntax::same_scope_descendants` of the
    /// module lists): every client lookup that reaches the module reads them.
    pub module_level: Vec<Node<'t>>,
    /// The module's file, where known (`Semantics::at`): where the modules it
    /// imports from the project are found.
    pub file: Option<PathBuf>,
}

impl<'t> Semantics<'t> {
    pub fn of(root: Node<'t>, source: &str) -> Semantics<'t> {
        let mut imports = HashMap::new();
        let mut quotes = (0, 0);
        let nodes = descendants(root);
        let identifiers = names(&nodes, source);
        let mut calls = Vec::new();
        for &node in &nodes {
            match node.kind_name() {
                "call" => calls.push(node),
                "string_start" => {
                    let start = text(node, source);
                    let triple = start.ends_with("'''") || start.ends_with("\"\"\"");
                    if !triple && start.ends_with('\'') {
                        quotes.0 += 1;
                    } else if !triple && start.ends_with('"') {
                        quotes.1 += 1;
                    }
                }
                "import_statement" => collect_import(node, source, &mut imports),
                "import_from_statement" => collect_from_import(node, source, &mut imports),
                _ => {}
            }
        }
        // Module level: the nodes outside every function, lambda and class body
        // (those are listed, not entered), read off the pre-order list by the
        // end of each scope it is inside.
        let mut module_level = Vec::new();
        let mut module_imports = HashMap::new();
        let mut scopes: Vec<usize> = Vec::new();
        for &node in nodes.iter().skip(1) {
            let start = node.start_byte();
            while scopes.last().is_some_and(|&end| end <= start) {
                scopes.pop();
            }
            if scopes.is_empty() {
                module_level.push(node);
                match node.kind_name() {
                    "import_statement" if !only_for_type_checkers(node, source) => {
                        collect_import(node, source, &mut module_imports)
                    }
                    "import_from_statement" if !only_for_type_checkers(node, source) => {
                        collect_from_import(node, source, &mut module_imports)
                    }
                    _ => {}
                }
            }
            if matches!(node.kind_name(), "function_definition" | "lambda" | "class_definition") {
                scopes.push(node.end_byte());
            }
        }
        let mut functions = HashMap::new();
        let mut classes = HashMap::new();
        let mut assignments = HashMap::new();
        for statement in named_children(root) {
            let def = undecorated(statement);
            match def.kind_name() {
                "function_definition" => {
                    if let Some(name) = def.field("name") {
                        functions.insert(text(name, source).to_string(), def);
                    }
                }
                "class_definition" => {
                    if let Some(name) = def.field("name") {
                        classes.insert(text(name, source).to_string(), def);
                    }
                }
                "expression_statement" => {
                    if let Some((name, value)) = simple_assignment(statement, source) {
                        assignments.insert(name.to_string(), value);
                    }
                }
                _ => {}
            }
        }
        Semantics {
            imports,
            module_imports,
            functions,
            classes,
            assignments,
            identifiers,
            quotes,
            nodes,
            calls,
            module_level,
            file: None,
        }
    }

    /// The same, knowing the module's file.
    pub fn at(self, file: &Path) -> Semantics<'t> {
        Semantics { file: Some(file.to_path_buf()), ..self }
    }

    /// The names written in `node` (a function: its parameters, locals and
    /// every name it reads), off the module's pre-order list.
    pub fn names_within(&self, node: Node<'t>, source: &str) -> HashSet<String> {
        match self.subtree(node) {
            Some(nodes) => names(nodes, source),
            None => names(&descendants(node), source),
        }
    }

    /// `node` and every node below it, in pre-order: a slice of the module's
    /// list, found by a binary search instead of another walk of the tree.
    /// `None` for a node of another tree.
    pub fn subtree(&self, node: Node<'t>) -> Option<&[Node<'t>]> {
        let start = self.nodes.partition_point(|n| n.start_byte() < node.start_byte());
        let offset =
            self.nodes[start..].iter().take_while(|n| n.start_byte() == node.start_byte()).position(|n| *n == node)?;
        let first = start + offset;
        // The walk lists exactly the nodes tree-sitter counts as descendants (its visible ones).
        self.nodes.get(first..first + node.descendant_count())
    }

    /// What `syntax::same_scope_descendants(node)` lists (nested functions,
    /// lambdas and classes listed, not entered), off the module's list.
    pub fn same_scope(&self, node: Node<'t>) -> Vec<Node<'t>> {
        let Some(nodes) = self.subtree(node) else { return super::syntax::same_scope_descendants(node) };
        let mut out = Vec::new();
        let mut i = 1;
        while let Some(&n) = nodes.get(i) {
            out.push(n);
            i += match n.kind_name() {
                "function_definition" | "lambda" | "class_definition" => n.descendant_count(),
                _ => 1,
            };
        }
        out
    }

    /// The dotted name an expression refers to, imports resolved:
    /// `agents.WorkerOptions` after `from livekit import agents` is
    /// `livekit.agents.WorkerOptions`. `None` for anything not rooted in an import.
    pub fn qualified_name(&self, expr: Node, source: &str) -> Option<String> {
        match expr.kind_name() {
            "identifier" => match self.imports.get(text(expr, source))? {
                Binding::Module(module) => Some(module.clone()),
                Binding::Member { module, name } => Some(format!("{module}.{name}")),
            },
            "attribute" => {
                let object = expr.field("object")?;
                let attribute = expr.field("attribute")?;
                Some(format!("{}.{}", self.qualified_name(object, source)?, text(attribute, source)))
            }
            _ => None,
        }
    }

    /// The value last assigned to `name` before `at` in `at`'s own scope (its
    /// function, or the module), by a plain `name = value`.
    pub fn value_before(&self, at: Node<'t>, name: &str, source: &str) -> Option<Node<'t>> {
        self.values_before(at, name, source).pop()
    }

    /// Every value assigned to `name` before `at` in its scope (branches
    /// included), in order.
    pub fn values_before(&self, at: Node<'t>, name: &str, source: &str) -> Vec<Node<'t>> {
        let scope = match crate::python::syntax::enclosing_function(at) {
            Some(function) => match function.field("body") {
                Some(body) => self.same_scope(body),
                None => return Vec::new(),
            },
            None => self.module_level.clone(),
        };
        scope
            .into_iter()
            .filter(|n| n.kind_name() == "assignment" && n.end_byte() <= at.start_byte())
            .filter(|n| {
                n.field("left").is_some_and(|left| left.kind_name() == "identifier" && text(left, source) == name)
            })
            .filter_map(|n| n.field("right"))
            .collect()
    }

    /// The qualified name of the function a call calls; a generic class
    /// (`AgentSession[Userdata](...)`) is its class.
    pub fn callee(&self, call: Node, source: &str) -> Option<String> {
        let mut function = call.field("function")?;
        if function.kind_name() == "subscript" {
            function = function.field("value")?;
        }
        self.qualified_name(function, source)
    }
}

/// `name = value` at statement level, with one plain target.
pub fn simple_assignment<'t, 's>(statement: Node<'t>, source: &'s str) -> Option<(&'s str, Node<'t>)> {
    let assignment = statement.named_child(0).filter(|n| n.kind_name() == "assignment")?;
    let left = assignment.field("left").filter(|n| n.kind_name() == "identifier")?;
    let right = assignment.field("right")?;
    Some((text(left, source), right))
}

/// Whether a qualified name is something `livekit.agents` exports under `name`.
pub fn is_livekit_agents(qualified: &str, names: &[&str]) -> bool {
    let Some(rest) = qualified.strip_prefix("livekit.agents.") else { return false };
    let last = rest.rsplit('.').next().unwrap_or(rest);
    names.contains(&last)
}

/// The names a function binds in its own scope, which Python makes its
/// locals for the whole body: parameters, assignment and `for` targets,
/// `with` / `except` aliases, imports, nested `def` / `class` names, `:=`
/// targets; not those it declares `global` or `nonlocal`. A module-level name
/// among them cannot be used in that function (`UnboundLocalError`).
pub fn bound_in(function: Node, source: &str) -> HashSet<String> {
    let mut bound = HashSet::new();
    let mut declared = HashSet::new();
    if let Some(parameters) = function.field("parameters") {
        let names = named_children(parameters).into_iter().filter_map(|p| super::syntax::parameter_name(p, source));
        bound.extend(names.map(str::to_string));
    }
    let Some(body) = function.field("body") else { return bound };
    let targets = |target: Node, bound: &mut HashSet<String>| {
        for node in descendants(target) {
            let in_pattern = node
                .parent()
                .is_none_or(|p| !matches!(p.kind_name(), "attribute" | "subscript" | "call" | "keyword_argument"));
            if node.kind_name() == "identifier" && in_pattern {
                bound.insert(text(node, source).to_string());
            }
        }
    };
    for node in super::syntax::same_scope_descendants(body) {
        match node.kind_name() {
            "assignment" | "augmented_assignment" | "for_statement" => {
                if let Some(left) = node.field("left") {
                    targets(left, &mut bound);
                }
            }
            "as_pattern" => {
                if let Some(alias) = node.field("alias") {
                    targets(alias, &mut bound);
                }
            }
            "named_expression" => {
                if let Some(name) = node.field("name") {
                    bound.insert(text(name, source).to_string());
                }
            }
            "function_definition" | "class_definition" => {
                if let Some(name) = node.field("name") {
                    bound.insert(text(name, source).to_string());
                }
            }
            "import_statement" | "import_from_statement" => {
                let mut imports = HashMap::new();
                if node.kind_name() == "import_statement" {
                    collect_import(node, source, &mut imports);
                } else {
                    collect_from_import(node, source, &mut imports);
                }
                bound.extend(imports.into_keys());
            }
            "global_statement" | "nonlocal_statement" => {
                declared.extend(named_children(node).into_iter().map(|n| text(n, source).to_string()));
            }
            _ => {}
        }
    }
    bound.retain(|name| !declared.contains(name));
    bound
}

/// The names among `nodes` (a pre-order list of a subtree): identifiers, but
/// not a keyword argument's name (`post(json=...)`) nor an attribute's
/// (`c.started_at`), which bind and read no variable.
fn names(nodes: &[Node], source: &str) -> HashSet<String> {
    let mut names = HashSet::new();
    // Both come after their parent in pre-order.
    let mut not_names = HashSet::new();
    for &node in nodes {
        match node.kind_name() {
            "keyword_argument" => not_names.extend(node.field("name").map(|n| n.start_byte())),
            "attribute" => not_names.extend(node.field("attribute").map(|n| n.start_byte())),
            // What an import reads but does not bind: `json` in `import json as j`, the module
            // of `from m import x`, `b` in `import a.b`.
            "aliased_import" => not_names.extend(node.field("name").into_iter().flat_map(identifier_starts)),
            "import_from_statement" => {
                not_names.extend(node.field("module_name").into_iter().flat_map(identifier_starts))
            }
            "dotted_name" if node.parent().is_some_and(|p| p.kind_name() == "import_statement") => {
                not_names.extend(identifier_starts(node).into_iter().skip(1))
            }
            "identifier" if !not_names.contains(&node.start_byte()) => {
                let name = text(node, source);
                if !names.contains(name) {
                    names.insert(name.to_string());
                }
            }
            _ => {}
        }
    }
    names
}

fn identifier_starts(node: Node) -> Vec<usize> {
    descendants(node).into_iter().filter(|n| n.kind_name() == "identifier").map(|n| n.start_byte()).collect()
}

/// Under `if TYPE_CHECKING:` (or `typing.TYPE_CHECKING`): never run.
fn only_for_type_checkers(node: Node, source: &str) -> bool {
    let mut current = node;
    while let Some(parent) = current.parent() {
        if parent.kind_name() == "if_statement" && parent.field("consequence") == Some(current) {
            let condition = parent.field("condition").map_or("", |c| text(c, source));
            if condition == "TYPE_CHECKING" || condition.ends_with(".TYPE_CHECKING") {
                return true;
            }
        }
        current = parent;
    }
    false
}

fn collect_import(node: Node, source: &str, imports: &mut HashMap<String, Binding>) {
    for child in named_children(node) {
        match child.kind_name() {
            "dotted_name" => {
                let dotted = text(child, source);
                let head = dotted.split('.').next().unwrap_or(dotted);
                imports.insert(head.to_string(), Binding::Module(head.to_string()));
            }
            "aliased_import" => {
                if let (Some(name), Some(alias)) = (child.field("name"), child.field("alias")) {
                    imports.insert(text(alias, source).to_string(), Binding::Module(text(name, source).to_string()));
                }
            }
            _ => {}
        }
    }
}

fn collect_from_import(node: Node, source: &str, imports: &mut HashMap<String, Binding>) {
    let Some(module) = node.field("module_name") else { return };
    let module_text: String = text(module, source).chars().filter(|c| !c.is_whitespace()).collect();
    let mut cursor = node.walk();
    for child in node.children_by_field_name("name", &mut cursor) {
        let (name, alias) = match child.kind_name() {
            "aliased_import" => match (child.field("name"), child.field("alias")) {
                (Some(name), Some(alias)) => (text(name, source), text(alias, source)),
                _ => continue,
            },
            _ => (text(child, source), text(child, source)),
        };
        imports.insert(alias.to_string(), Binding::Member { module: module_text.clone(), name: name.to_string() });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_function_binds_its_parameters_targets_and_imports_not_its_globals() {
        let source = "def f(a, b: int, c=1, *args, d: str = 'x', **kw):\n    global g\n    g = 1\n    import asyncio\n    x, (y, z) = 1, (2, 3)\n    o.attr = 1\n    for i in []:\n        pass\n    with open(p) as fh:\n        pass\n    if (n := 1):\n        pass\n    def inner():\n        hidden = 1\n";
        let tree = crate::python::parse::parse(source).unwrap();
        let function = named_children(tree.root_node()).remove(0);
        let mut bound: Vec<String> = bound_in(function, source).into_iter().collect();
        bound.sort();
        let expected = ["a", "args", "asyncio", "b", "c", "d", "fh", "i", "inner", "kw", "n", "x", "y", "z"];
        assert_eq!(bound, expected);
    }

    #[test]
    fn names_are_what_the_code_binds_or_reads_not_import_paths_keywords_or_attributes() {
        let source =
            "import json as j\nfrom os import path as p\nimport a.b\nfrom .pkg.mod import thing\nf(k=1)\nx.attr\n";
        let tree = crate::python::parse::parse(source).unwrap();
        let mut found: Vec<String> = names(&descendants(tree.root_node()), source).into_iter().collect();
        found.sort();
        assert_eq!(found, ["a", "f", "j", "p", "thing", "x"]);
    }

    #[test]
    fn the_pre_order_list_gives_every_subtree_and_scope_a_walk_would() {
        let source = "import os\n\n\nclass A:\n    def m(self, x=lambda y: y):\n        s = f\"{x!r:>{w}}\" + '''t\n'''\n        def inner():\n            return [i for i in range(3)]\n        return inner\n\n\nasync def main(ctx):\n    try:\n        await ctx.connect()\n    except* ValueError as e:\n        pass\n    match x:\n        case [1, *rest] if rest:\n            print(rest)\n";
        let tree = crate::python::parse::parse(source).unwrap();
        let semantics = Semantics::of(tree.root_node(), source);
        assert!(semantics.nodes.len() > 100);
        for &node in &semantics.nodes {
            assert_eq!(semantics.subtree(node), Some(descendants(node).as_slice()), "{}", node.kind_name());
            assert_eq!(semantics.same_scope(node), super::super::syntax::same_scope_descendants(node));
        }
        let other = crate::python::parse::parse(source).unwrap();
        assert_eq!(semantics.subtree(other.root_node()), None);
    }

    fn qualified(source: &str, expr: &str) -> Option<String> {
        let full = format!("{source}\n{expr}\n");
        let tree = crate::python::parse::parse(&full).unwrap();
        let semantics = Semantics::of(tree.root_node(), &full);
        let last = named_children(tree.root_node()).pop().unwrap();
        semantics.qualified_name(last.named_child(0).unwrap(), &full)
    }

    #[test]
    fn resolves_import_forms() {
        assert_eq!(
            qualified("from livekit import agents", "agents.WorkerOptions").as_deref(),
            Some("livekit.agents.WorkerOptions")
        );
        assert_eq!(
            qualified("from livekit.agents import WorkerOptions as W", "W").as_deref(),
            Some("livekit.agents.WorkerOptions")
        );
        assert_eq!(qualified("import livekit.agents", "livekit.agents.cli").as_deref(), Some("livekit.agents.cli"));
        assert_eq!(
            qualified("import livekit.agents as lk", "lk.AgentServer").as_deref(),
            Some("livekit.agents.AgentServer")
        );
        assert_eq!(qualified("import agents", "agents.WorkerOptions").as_deref(), Some("agents.WorkerOptions"));
        assert_eq!(qualified("from .agent import entrypoint", "entrypoint").as_deref(), Some(".agent.entrypoint"));
        assert_eq!(qualified("x = 1", "x"), None);
    }
}
