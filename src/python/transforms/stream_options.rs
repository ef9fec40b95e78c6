//! Whether `stream_options={"include_usage": True}` may be added to an openai
//! Chat Completions stream (part of `llm_span`): with it the stream ends with
//! one more chunk, whose `choices` is empty and which carries the usage. Code
//! that reads every chunk's `choices[0]`, passes the chunks on, keeps them, or
//! reads the loop's chunk after the loop would see that chunk and break or
//! change, so the option is added only where the consuming loop provably
//! tolerates it:
//!
//! ```python
//! for chunk in stream:                      # safe: every use of `chunk.choices[...]` is guarded
//!     if chunk.choices and chunk.choices[0].delta.content:
//!         parts.append(chunk.choices[0].delta.content)
//!
//! for chunk in stream:                      # not safe: `handle` may read choices[0] (VOF113)
//!     handle(chunk)
//! ```
//!
//! Reading other fields (`chunk.id`, `chunk.usage`) is safe, as are iterating
//! `chunk.choices`, testing it and taking its `len`. Everything else done with
//! the chunk, or with `chunk.choices`, must be under a test of `chunk.choices`
//! (`if chunk.choices:`, `... if chunk.choices else ...`, `chunk.choices and
//! ...`, or an earlier `if not chunk.choices: continue`).

use tree_sitter::Node;

use crate::python::syntax::{
    descendants, enclosing_function, named_children, same_scope_descendants, text, Field, NodeKind,
};

/// Why the loop `consumer` (a `for` over the stream, or the `with` block of a
/// stream helper) would not tolerate the usage chunk, if it would not.
pub fn unsafe_for_usage_chunk(consumer: Node, source: &str) -> Option<String> {
    if consumer.kind_name() == "with_statement" {
        // The stream helper's events: only a raw `chunk` event would carry the usage chunk.
        let body = consumer.field("body").map_or("", |b| text(b, source));
        return (body.contains("choices") || body.contains(".chunk")).then(|| {
            "the block reads chunks or their `choices` (`event.chunk`): with `include_usage` the stream ends with a \
             chunk without choices"
                .to_string()
        });
    }
    let target = consumer.field("left")?;
    if target.kind_name() != "identifier" {
        return Some(
            "the loop unpacks each chunk: with `include_usage` the stream ends with a chunk without choices".into(),
        );
    }
    let name = text(target, source);
    let body = consumer.field("body")?;
    for use_ in descendants(body).into_iter().filter(|n| is_variable(*n, name, source)) {
        if tolerates(use_, body, name, source) {
            continue;
        }
        let line = use_.start_position().row + 1;
        return Some(format!(
            "line {line} uses `{name}` beyond reading its fields, outside a test of `{name}.choices`: with \
             `include_usage` the stream ends with a chunk without choices; guard it (`if {name}.choices:`) and run again"
        ));
    }
    // The loop's variable keeps the last chunk: after the loop, that is the usage chunk.
    let scope = enclosing_function(consumer).and_then(|f| f.field("body")).or_else(|| consumer.parent())?;
    let after = same_scope_descendants(scope)
        .into_iter()
        .find(|n| n.start_byte() >= consumer.end_byte() && is_variable(*n, name, source));
    after.map(|n| {
        format!(
            "`{name}` is read after the loop (line {}): with `include_usage` the last chunk is the usage chunk, \
             without choices",
            n.start_position().row + 1
        )
    })
}

/// An identifier that is the variable `name` (not an attribute's or a keyword argument's name).
fn is_variable(node: Node, name: &str, source: &str) -> bool {
    node.kind_name() == "identifier"
        && text(node, source) == name
        && node.parent().is_none_or(|p| match p.kind_name() {
            "attribute" => p.field("object") == Some(node),
            "keyword_argument" => p.field("value") == Some(node),
            _ => true,
        })
}

/// Whether this use of the chunk is harmless on a chunk without choices, or guarded.
fn tolerates(use_: Node, body: Node, name: &str, source: &str) -> bool {
    let Some(parent) = use_.parent() else { return false };
    if parent.kind_name() == "attribute" && parent.field("object") == Some(use_) {
        let attribute = parent.field("attribute").map_or("", |a| text(a, source));
        let called = parent.parent().is_some_and(|c| c.kind_name() == "call" && c.field("function") == Some(parent));
        if attribute != "choices" && !called {
            return true; // `chunk.id`, `chunk.usage`
        }
        if attribute == "choices" && harmless_choices_use(parent, source) {
            return true;
        }
    }
    guarded(use_, body, name, source)
}

/// `chunk.choices` tested, measured or iterated: all fine when it is empty.
fn harmless_choices_use(choices: Node, source: &str) -> bool {
    let Some(parent) = choices.parent() else { return false };
    match parent.kind_name() {
        "for_statement" | "for_in_clause" => parent.field("right") == Some(choices),
        "if_statement" | "elif_clause" | "while_statement" => parent.field("condition") == Some(choices),
        "not_operator" | "boolean_operator" | "comparison_operator" => true,
        "conditional_expression" => parent.named_child(1) == Some(choices),
        // `len(chunk.choices)`
        "argument_list" => {
            parent.parent().and_then(|call| call.field("function")).is_some_and(|f| text(f, source) == "len")
        }
        _ => false,
    }
}

/// Whether a use sits under a test of `name.choices`: in the consequence of an
/// `if` (or the true branch of a conditional, the right of an `and`) whose
/// condition tests it, or after an `if not name.choices: continue` of the loop body.
fn guarded(use_: Node, body: Node, name: &str, source: &str) -> bool {
    let tests = |condition: Node| {
        let t = text(condition, source);
        let needle = format!("{name}.choices");
        t.match_indices(&needle).any(|(at, _)| !t[at + needle.len()..].starts_with('['))
    };
    let mut node = use_;
    while let Some(parent) = node.parent() {
        if parent == body {
            break;
        }
        let inside = match parent.kind_name() {
            "if_statement" | "elif_clause" => {
                parent.field("consequence") == Some(node) && parent.field("condition").is_some_and(tests)
            }
            "conditional_expression" => parent.named_child(0) == Some(node) && parent.named_child(1).is_some_and(tests),
            "boolean_operator" => {
                parent.field("right") == Some(node)
                    && text(parent, source).contains(" and ")
                    && parent.field("left").is_some_and(tests)
            }
            _ => false,
        };
        if inside {
            return true;
        }
        node = parent;
    }
    // `if not chunk.choices: continue` earlier in the loop's body.
    named_children(body).into_iter().take_while(|s| s.end_byte() <= use_.start_byte()).any(|statement| {
        statement.kind_name() == "if_statement"
            && statement.field("condition").is_some_and(|c| {
                c.kind_name() == "not_operator"
                    && c.field("argument").is_some_and(|a| text(a, source) == format!("{name}.choices"))
            })
            && statement
                .field("consequence")
                .is_some_and(|c| named_children(c).first().is_some_and(|s| s.kind_name() == "continue_statement"))
    })
}
