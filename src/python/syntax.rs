//! Small, plain helpers over tree-sitter-python nodes.

use std::sync::LazyLock;
use tree_sitter::Node;

/// Every node kind's name, by kind id, read from the grammar once.
static KIND_NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
    (0..language.node_kind_count()).map(|id| language.node_kind_for_id(id as u16).unwrap_or("")).collect()
});

/// A node's kind by name (`"call"`, `"identifier"`), from a table made once.
/// tree-sitter's own `Node::kind` measures and checks the grammar's C string
/// on every call: a tenth of a run over many agent files.
pub trait NodeKind {
    fn kind_name(&self) -> &'static str;
}

impl NodeKind for Node<'_> {
    fn kind_name(&self) -> &'static str {
        match self.kind_id() {
            u16::MAX => "ERROR",
            id => KIND_NAMES.get(usize::from(id)).copied().unwrap_or(""),
        }
    }
}

/// The grammar's field names this crate asks for, and their ids, read once.
const FIELD_NAMES: [&str; 18] = [
    "alias",
    "arguments",
    "attribute",
    "body",
    "condition",
    "definition",
    "function",
    "key",
    "left",
    "module_name",
    "name",
    "object",
    "parameters",
    "return_type",
    "right",
    "subscript",
    "type",
    "value",
];

static FIELD_IDS: LazyLock<[Option<std::num::NonZeroU16>; FIELD_NAMES.len()]> = LazyLock::new(|| {
    let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
    FIELD_NAMES.map(|name| language.field_id_for_name(name))
});

/// A node's child in a field, by the field's name (`"function"`, `"body"`),
/// its id found in a table made once: tree-sitter's own
/// `Node::child_by_field_name` compares the name with every field name of the
/// grammar on each call.
pub trait Field<'t> {
    fn field(&self, name: &str) -> Option<Node<'t>>;
}

impl<'t> Field<'t> for Node<'t> {
    fn field(&self, name: &str) -> Option<Node<'t>> {
        match FIELD_NAMES.iter().position(|&known| known == name) {
            Some(index) => self.child_by_field_id(FIELD_IDS[index]?.get()),
            None => self.child_by_field_name(name),
        }
    }
}

/// The source text of `node`.
pub fn text<'a>(node: Node, source: &'a str) -> &'a str {
    &source[node.byte_range()]
}

/// The named children of `node`, comments excluded.
pub fn named_children(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).filter(|n| n.kind_name() != "comment").collect()
}

/// Every node below `node` (pre-order), `node` included, descending into everything.
pub fn descendants(node: Node) -> Vec<Node> {
    let mut out = Vec::with_capacity(node.descendant_count());
    walk_into(&mut out, node, true, |_| true);
    out
}

/// Nodes below `node` in the same scope: nested functions, lambdas and classes
/// are listed but not entered.
pub fn same_scope_descendants(node: Node) -> Vec<Node> {
    walk(node, false, |n| !matches!(n.kind_name(), "function_definition" | "lambda" | "class_definition"))
}

/// A pre-order walk with one tree cursor (a cursor per node costs more than
/// the walk). `enter(n)` says whether to go below `n`.
fn walk<'t>(node: Node<'t>, include_root: bool, enter: impl Fn(&Node<'t>) -> bool) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    walk_into(&mut out, node, include_root, enter);
    out
}

fn walk_into<'t>(out: &mut Vec<Node<'t>>, node: Node<'t>, include_root: bool, enter: impl Fn(&Node<'t>) -> bool) {
    if include_root {
        out.push(node);
    }
    let mut cursor = node.walk();
    if !cursor.goto_first_child() {
        return;
    }
    loop {
        let current = cursor.node();
        out.push(current);
        if enter(&current) && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() || cursor.node() == node {
                return;
            }
        }
    }
}

/// The function definition's statements (its `block`), comments excluded.
pub fn body_statements(function: Node) -> Vec<Node> {
    function.field("body").map(named_children).unwrap_or_default()
}

/// The definition a decorated definition wraps, or the node itself.
pub fn undecorated(node: Node) -> Node {
    if node.kind_name() == "decorated_definition" {
        node.field("definition").unwrap_or(node)
    } else {
        node
    }
}

/// The node that starts a definition's text: its decorators when it has some.
pub fn outermost(def: Node) -> Node {
    match def.parent() {
        Some(parent) if parent.kind_name() == "decorated_definition" => parent,
        _ => def,
    }
}

/// The decorators of a function or class definition.
pub fn decorators(def: Node) -> Vec<Node> {
    match def.parent() {
        Some(parent) if parent.kind_name() == "decorated_definition" => {
            named_children(parent).into_iter().filter(|n| n.kind_name() == "decorator").collect()
        }
        _ => Vec::new(),
    }
}

/// The name of a parameter node (`ctx`, `ctx: JobContext`, `ctx=None`, …).
pub fn parameter_name<'a>(param: Node, source: &'a str) -> Option<&'a str> {
    match param.kind_name() {
        "identifier" => Some(text(param, source)),
        "typed_parameter" => {
            named_children(param).into_iter().find(|n| n.kind_name() == "identifier").map(|n| text(n, source))
        }
        "default_parameter" | "typed_default_parameter" => param.field("name").map(|n| text(n, source)),
        // `*args`, `**kwargs`
        "list_splat_pattern" | "dictionary_splat_pattern" => {
            named_children(param).into_iter().find(|n| n.kind_name() == "identifier").map(|n| text(n, source))
        }
        _ => None,
    }
}

/// The names of a function's positional parameters, in order.
pub fn positional_parameters<'a>(function: Node, source: &'a str) -> Vec<&'a str> {
    let Some(params) = function.field("parameters") else { return Vec::new() };
    let mut out = Vec::new();
    for param in named_children(params) {
        match param.kind_name() {
            "list_splat_pattern" | "dictionary_splat_pattern" | "keyword_separator" => break,
            _ => {
                if let Some(name) = parameter_name(param, source) {
                    out.push(name);
                }
            }
        }
    }
    out
}

/// Whether the function is `async def`.
pub fn is_async(function: Node) -> bool {
    function.child(0).is_some_and(|c| c.kind_name() == "async")
}

/// Whether the function's own body yields (a generator or async generator).
pub fn is_generator(function: Node) -> bool {
    function.field("body").is_some_and(|body| same_scope_descendants(body).iter().any(|n| n.kind_name() == "yield"))
}

/// The value of a plain string literal (no prefix games), for names like `"voice.session"`.
pub fn string_value<'a>(node: Node, source: &'a str) -> Option<&'a str> {
    if node.kind_name() != "string" {
        return None;
    }
    let raw = text(node, source);
    let raw = raw.trim_start_matches(['r', 'R', 'u', 'U', 'b', 'B']);
    for quote in ["\"\"\"", "'''", "\"", "'"] {
        if raw.len() >= 2 * quote.len() && raw.starts_with(quote) && raw.ends_with(quote) {
            return Some(&raw[quote.len()..raw.len() - quote.len()]);
        }
    }
    None
}

/// The keyword argument `name` of a call, with its name read from `source`.
pub fn keyword_argument<'t>(call: Node<'t>, name: &str, source: &str) -> Option<Node<'t>> {
    let args = call.field("arguments")?;
    named_children(args).into_iter().find_map(|arg| {
        (arg.kind_name() == "keyword_argument" && arg.field("name").map(|n| text(n, source)) == Some(name))
            .then(|| arg.field("value"))
            .flatten()
    })
}

/// The first positional argument of a call.
pub fn first_positional(call: Node) -> Option<Node> {
    let args = call.field("arguments")?;
    named_children(args).into_iter().next().filter(|a| {
        !matches!(a.kind_name(), "keyword_argument" | "list_splat" | "dictionary_splat" | "parenthesized_list_splat")
    })
}

/// Whether `node` is a docstring statement.
pub fn is_docstring(statement: Node) -> bool {
    statement.kind_name() == "expression_statement"
        && statement.named_child_count() == 1
        && statement.named_child(0).is_some_and(|c| matches!(c.kind_name(), "string" | "concatenated_string"))
}

/// The byte offset of the start of the line holding `offset`.
pub fn line_start(source: &str, offset: usize) -> usize {
    source[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// The start of the comment lines indented with `indent` (or more) just
/// above `start` (a line start), blank lines between them included; `start`
/// when there are none. Comments right above a statement are about it: code
/// inserted before the statement goes before them.
pub fn leading_comments_start(source: &str, start: usize, indent: &str) -> usize {
    let mut at = start;
    let mut cursor = start;
    while cursor > 0 {
        let previous = line_start(source, cursor - 1);
        let line = source[previous..cursor].trim_end_matches(['\n', '\r']);
        let code = line.trim_start();
        if code.starts_with('#') && line.starts_with(indent) {
            at = previous;
        } else if !code.is_empty() {
            break;
        }
        cursor = previous;
    }
    at
}

/// The byte offset just past the line ending of the line holding `offset`
/// (the text length when that line has no ending).
pub fn next_line_start(source: &str, offset: usize) -> usize {
    source[offset..].find('\n').map_or(source.len(), |i| offset + i + 1)
}

/// The start of the line after the logical line holding `offset`: physical
/// lines joined by a trailing backslash are one logical line.
pub fn after_logical_line(source: &str, offset: usize) -> usize {
    let mut at = offset;
    loop {
        let next = next_line_start(source, at);
        let line = source[at..next].trim_end_matches(['\n', '\r']);
        if next >= source.len() || line.contains('#') || !line.ends_with('\\') {
            return next;
        }
        at = next;
    }
}

/// Where a new line can go after a statement that ends at `end`: the start of
/// the next line, or `None` when code other than a comment follows on its line.
pub fn line_after_statement(source: &str, end: usize) -> Option<usize> {
    let next = next_line_start(source, end);
    let rest = source[end..next].trim();
    (rest.is_empty() || rest.starts_with('#')).then_some(next)
}

/// The whitespace before `offset` on its line, when only whitespace precedes
/// it and the line does not continue the one before (which ends in a
/// backslash: then the statement's indentation is that line's, and the
/// statement does not start a line of its own).
pub fn indentation_at(source: &str, offset: usize) -> Option<&str> {
    let start = line_start(source, offset);
    let before = &source[start..offset];
    let previous = source[..start].strip_suffix('\n').unwrap_or(&source[..start]);
    let continued = previous.strip_suffix('\r').unwrap_or(previous).ends_with('\\');
    (!continued && before.chars().all(|c| c == ' ' || c == '\t')).then_some(before)
}

/// `name`, or `Class.name` for a method.
pub fn symbol(function: Node, source: &str) -> String {
    let name = function.field("name").map_or("?", |n| text(n, source)).to_string();
    let class = function
        .parent()
        .and_then(|p| if p.kind_name() == "decorated_definition" { p.parent() } else { Some(p) })
        .filter(|p| p.kind_name() == "block")
        .and_then(|b| b.parent())
        .filter(|c| c.kind_name() == "class_definition")
        .and_then(|c| c.field("name"));
    match class {
        Some(class) => format!("{}.{name}", text(class, source)),
        None => name,
    }
}

/// The function a node is in, as a call site: `func`, `Class.method`, or `<module>`.
pub fn enclosing_symbol(node: Node, source: &str) -> String {
    let mut current = node.parent();
    while let Some(n) = current {
        if n.kind_name() == "function_definition" {
            return symbol(n, source);
        }
        current = n.parent();
    }
    "<module>".to_string()
}

/// The `def name` visible from `site`: in an enclosing function's body, or at
/// module level when `module_level` (entrypoints nested in `main()`, callbacks).
pub fn visible_definition<'t>(site: Node<'t>, name: &str, source: &str, module_level: bool) -> Option<Node<'t>> {
    let mut scope = site.parent();
    while let Some(node) = scope {
        let body = match node.kind_name() {
            "function_definition" => node.field("body"),
            "module" if module_level => Some(node),
            _ => None,
        };
        for statement in body.map(named_children).unwrap_or_default() {
            let def = undecorated(statement);
            if def.kind_name() == "function_definition" && def.field("name").is_some_and(|n| text(n, source) == name) {
                return Some(def);
            }
        }
        scope = node.parent();
    }
    None
}

/// The function a node is in.
pub fn enclosing_function(node: Node) -> Option<Node> {
    enclosing(node, "function_definition")
}

/// The class a node is in.
pub fn enclosing_class(node: Node) -> Option<Node> {
    enclosing(node, "class_definition")
}

fn enclosing<'t>(node: Node<'t>, kind: &str) -> Option<Node<'t>> {
    let mut current = node.parent();
    while let Some(n) = current {
        if n.kind_name() == kind {
            return Some(n);
        }
        current = n.parent();
    }
    None
}
