//! LLM call sites: each direct provider SDK call runs inside a span named for
//! the product operation, and its usage feeds `llm.tokens.input` /
//! `llm.tokens.output` (and `llm.tokens.cache_read`) with `tenant.id`,
//! `llm.provider`, `llm.model`, `llm.use_case`, `llm.call_site` and `outcome`
//! (the seed's "LLM Turns", SPEC §3). Never a cost metric.
//!
//! ```python
//! # before
//! async def _call_mug_copy_llm(prompt: str) -> str:
//!     response = await client.messages.create(model="claude-sonnet-4-5", max_tokens=200, messages=[...])
//!     return response.content[0].text
//! ```
//! ```python
//! # after
//! async def _call_mug_copy_llm(prompt: str) -> str:
//!     with _llm_span(
//!         "llm.mug_copy",
//!         provider="anthropic",
//!         model="claude-sonnet-4-5",
//!         use_case="mug_copy",
//!         call_site="_call_mug_copy_llm",
//!         usage=_anthropic_usage,
//!     ) as llm_call:
//!         response = llm_call.record(await client.messages.create(model="claude-sonnet-4-5", max_tokens=200, messages=[...]))
//!     return response.content[0].text
//! ```
//!
//! The statement that holds the call moves into the `with`; the call itself is
//! passed through `llm_call.record(...)` (which returns it unchanged, awaitables
//! once awaited), `llm_call.stream(...)` (a stream consumed by a `for` loop:
//! every event is yielded unchanged) or `llm_call.watch(...)` (anthropic's
//! `messages.stream(...)` and openai's `chat.completions.stream(...)` managers:
//! the stream it opens is the SDK's own).
//! `_llm_span` (module setup) starts the span with the tenant read from the
//! session's OpenTelemetry context, marks `outcome="error"` when the call
//! raises and lets the exception through unchanged, and adds the counters.
//!
//! Not rewritten, with a diagnostic: a stream consumed in a way the tool
//! cannot follow, or whose usage the SDK keeps private (openai's
//! `responses.stream(...)`, `with_streaming_response`); an openai stream without `include_usage` whose loop reads
//! `chunk.choices[0]` unguarded (the usage chunk has no choices); a call in a
//! statement that yields (the span would stay current across the yield); a
//! call in a lambda that is not run right away.

use crate::python::syntax::Field;
use std::collections::{HashMap, HashSet};
use std::ops::Range;

use tree_sitter::Node;

use crate::config::LlmOverride;
use crate::edit::Edit;
use crate::llm::operation_name;
use crate::python::detect::clients::{Shape, FROM_BASE_URL};
use crate::python::detect::llm_calls::{LlmCall, Returns};
use crate::python::names::fresh;
use crate::python::syntax::NodeKind;
use crate::python::syntax::{
    decorators, descendants, enclosing_function, first_positional, indentation_at, keyword_argument, line_start,
    named_children, next_line_start, same_scope_descendants, string_value, symbol, text,
};
use crate::python::template::{self, Layout};
use crate::python::transforms::module_setup::{ModuleNames, Needs, UsageReader};
use crate::python::transforms::session_span::reindent;

/// How one call site came out.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Wrapped in a span with this name.
    Instrumented {
        span: String,
    },
    AlreadyInstrumented,
    Unsafe {
        code: &'static str,
        message: String,
    },
}

/// Statements that will be wrapped (usually one; a stream assigned and then
/// looped over takes both), with the calls inside them.
struct Site<'t> {
    statement: Node<'t>,
    last: Node<'t>,
    calls: Vec<(usize, Node<'t>)>,
}

pub struct Context<'a> {
    pub source: &'a str,
    pub names: &'a ModuleNames,
    pub file_unit: &'a str,
    pub line_ending: &'a str,
    /// Per-call-site overrides, keyed by the call site (`func` or `Class.method`).
    pub overrides: &'a HashMap<String, LlmOverride>,
    /// Ranges that another transform indents by one more unit (the session's `with`).
    pub shifted: &'a [(Range<usize>, String)],
    /// The module's name (its file's stem): the operation when nothing closer says one.
    pub module: &'a str,
}

/// The planned rewrite of one wrapped statement: a fix of its own.
pub struct SiteFix {
    /// Where the wrapped statement starts: the fix's identity.
    pub start: usize,
    /// Where its first call starts (where it is reported).
    pub call_at: usize,
    pub edits: Vec<Edit>,
    pub needs: Needs,
}

/// Plans every call site of a file. Returns one fix per wrapped statement and one
/// outcome per call (in `calls` order). `selected(start)` says which wrapped statements
/// will be applied, so that nested ones are indented for what is really there.
pub fn plan(calls: &[LlmCall], cx: &Context, selected: &dyn Fn(usize) -> bool) -> (Vec<SiteFix>, Vec<Outcome>) {
    let source = cx.source;
    let mut outcomes: Vec<Option<Outcome>> = vec![None; calls.len()];
    let mut sites: Vec<Site> = Vec::new();
    for (i, call) in calls.iter().enumerate() {
        if already_instrumented(call.call, source) {
            outcomes[i] = Some(Outcome::AlreadyInstrumented);
            continue;
        }
        match wrapped_statement(call, source) {
            Ok((statement, last, wrapped)) => match sites.iter_mut().find(|s| s.statement == statement) {
                Some(site) => site.calls.push((i, wrapped)),
                None => sites.push(Site { statement, last, calls: vec![(i, wrapped)] }),
            },
            Err((code, message)) => outcomes[i] = Some(Outcome::Unsafe { code, message }),
        }
    }

    // One span for calls of different providers or models would label them all as the first's,
    // and read every response with the first's usage reader.
    sites.retain(|site| {
        let label = |i: usize| {
            let call = &calls[i];
            (call.client.provider.clone(), call.client.shape, call.model.map(|m| text(m, source)))
        };
        let first = label(site.calls[0].0);
        if site.calls.iter().all(|(i, _)| label(*i) == first) {
            return true;
        }
        for (i, _) in &site.calls {
            outcomes[*i] = Some(Outcome::Unsafe {
                code: "VOF117",
                message: format!(
                    "{} LLM calls of different providers or models in one statement: one span would label them \
                     all as the first and miss the others' usage; give each call a statement of its own (or a \
                     helper) to instrument them",
                    site.calls.len()
                ),
            });
        }
        false
    });

    let ranges: Vec<(Range<usize>, String)> = sites
        .iter()
        .filter(|s| selected(s.statement.start_byte()))
        .map(|s| (line_start(source, s.statement.start_byte())..s.last.end_byte(), unit_of(s.statement, cx)))
        .collect();
    let mut fixes = Vec::new();
    for site in &sites {
        let mut edits = Vec::new();
        let mut needs = Needs::default();
        let statement = site.statement;
        let (first_index, _) = site.calls[0];
        let first = &calls[first_index];
        let Some(indent) = indentation_at(source, statement.start_byte()) else {
            for (i, _) in &site.calls {
                outcomes[*i] = Some(Outcome::Unsafe {
                    code: "VOF114",
                    message: "the LLM call's statement shares its line; put it on its own line to instrument it".into(),
                });
            }
            continue;
        };
        let at = line_start(source, statement.start_byte());
        let mut indent = indent.to_string();
        // A session's moved body includes its first line (the wrapped statement may
        // be that line); another site's range never includes this site's own start.
        for (range, unit) in cx.shifted {
            if range.start <= at && at < range.end {
                indent.push_str(unit);
            }
        }
        for (range, unit) in &ranges {
            if range.start < at && at < range.end {
                indent.push_str(unit);
            }
        }
        let unit = unit_of(statement, cx);
        let function = enclosing_function(statement);
        if function.is_none() {
            // Module (or class body) code runs at import: the setup it uses goes before it.
            needs.used_at_import = Some(at);
        }
        let call_site = function.map_or_else(|| "<module>".to_string(), |f| symbol(f, source));
        let class = call_site.rsplit_once('.').map_or("", |(class, _)| class);
        let operation =
            operation_name(function.and_then(|f| f.field("name")).map_or("", |n| text(n, source)), &[class, cx.module]);
        let overrides = cx.overrides.get(&call_site);
        let span = overrides.and_then(|o| o.span.clone()).unwrap_or_else(|| format!("llm.{operation}"));
        let use_case = overrides.and_then(|o| o.use_case.clone()).unwrap_or_else(|| operation.clone());
        let mut taken: HashSet<String> = descendants(function.unwrap_or(statement))
            .into_iter()
            .filter(|n| n.kind_name() == "identifier")
            .map(|n| text(n, source).to_string())
            .collect();
        let mut holes = cx.names.holes();
        taken.extend(holes.values().cloned());
        let llm_call = fresh("llm_call", &mut taken);
        let reader = reader_of(first.client.shape);
        holes.insert("span_name", quoted(&span));
        let provider = match &first.client_of {
            // Read off the client when the call is made: a plain name or attribute, evaluated once more.
            Some(client) if client.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.') => {
                needs.llm_endpoint_provider = true;
                format!("{}({client})", cx.names.llm_endpoint_provider.name)
            }
            _ if first.client.provider == FROM_BASE_URL => quoted("unknown"),
            _ => quoted(&first.client.provider),
        };
        holes.insert("provider", provider);
        let model = match (first.model, &first.model_of) {
            (Some(m), _) if is_pure(m, source) => text(m, source).to_string(),
            // `getattr`: livekit-agents 0.x LLMs have no `model` (the response's then names it).
            (None, Some(of)) if of.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.') => {
                format!("getattr({of}, {}, None)", quoted("model"))
            }
            _ => "None".to_string(),
        };
        holes.insert("model", model);
        holes.insert("use_case", quoted(&use_case));
        holes.insert("call_site", quoted(&call_site));
        holes.insert("usage", cx.names.usage_readers[&reader].name.clone());
        holes.insert("llm_call", llm_call.clone());
        let layout = Layout { indent: &indent, unit: &unit, line_ending: cx.line_ending };
        edits.push(Edit::insert(at, template::LLM_CALL_SITE.render_lines(8, &holes, &layout)));
        let scope = statement.parent().unwrap_or(statement);
        edits.extend(reindent(scope, source, at..next_line_start(source, site.last.end_byte()), &unit));
        for (i, wrapped) in &site.calls {
            let call = &calls[*i];
            let method = match call.returns {
                Returns::Response => "record",
                Returns::Stream => "stream",
                Returns::StreamManager => "watch",
                Returns::Either | Returns::Opaque(_) => unreachable!("a call that may stream is not wrapped"),
            };
            edits.push(Edit {
                start: wrapped.start_byte(),
                end: wrapped.start_byte(),
                text: format!("{llm_call}.{method}("),
                order: 3,
            });
            edits.push(Edit { start: wrapped.end_byte(), end: wrapped.end_byte(), text: ")".into(), order: 3 });
            if needs_include_usage(call, source) {
                if let Some(edit) = include_usage(call.call, source, &indent, &unit, cx.line_ending) {
                    edits.push(edit);
                }
            }
            needs.llm(reader_of(call.client.shape));
            needs.llm_stream |= call.returns == Returns::Stream;
            needs.llm_watch |= call.returns == Returns::StreamManager;
            outcomes[*i] = Some(Outcome::Instrumented { span: span.clone() });
        }
        fixes.push(SiteFix { start: statement.start_byte(), call_at: first.call.start_byte(), edits, needs });
    }
    let outcomes = outcomes
        .into_iter()
        .map(|o| o.unwrap_or(Outcome::Unsafe { code: "VOF114", message: "not planned".into() }))
        .collect();
    (fixes, outcomes)
}

fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

fn reader_of(shape: Shape) -> UsageReader {
    match shape {
        Shape::Anthropic => UsageReader::Anthropic,
        Shape::OpenAi | Shape::Mistral | Shape::Litellm => UsageReader::OpenAi,
        Shape::Google => UsageReader::Google,
        Shape::Cohere => UsageReader::Cohere,
        Shape::Bedrock => UsageReader::Bedrock,
        Shape::Livekit => UsageReader::Livekit,
    }
}

/// A call already under an `llm.*` span (ours or hand-written) or in a function decorated with one.
pub fn already_instrumented(call: Node, source: &str) -> bool {
    let llm_span = |node: Node| {
        descendants(node).into_iter().any(|n| {
            if n.kind_name() != "call" {
                return false;
            }
            let Some(function) = n.field("function") else { return false };
            let name = match function.kind_name() {
                "identifier" => text(function, source),
                "attribute" => function.field("attribute").map_or("", |a| text(a, source)),
                _ => "",
            };
            name.ends_with("llm_span")
                || (matches!(name, "start_as_current_span" | "start_span")
                    && first_positional(n).and_then(|a| string_value(a, source)).is_some_and(|s| s.starts_with("llm.")))
        })
    };
    let mut node = call.parent();
    while let Some(n) = node {
        let instrumented = match n.kind_name() {
            "with_statement" => {
                let in_body = n.field("body").is_some_and(|b| b.byte_range().contains(&call.start_byte()));
                let mut cursor = n.walk();
                in_body && n.children(&mut cursor).filter(|c| c.kind_name() == "with_clause").any(llm_span)
            }
            "function_definition" => decorators(n).into_iter().any(llm_span),
            _ => false,
        };
        if instrumented {
            return true;
        }
        node = n.parent();
    }
    false
}

/// The statement to wrap and the expression to pass through `llm_call`.
fn wrapped_statement<'t>(
    call: &LlmCall<'t>,
    source: &str,
) -> Result<(Node<'t>, Node<'t>, Node<'t>), (&'static str, String)> {
    let mut wrapped = call.call;
    if let Some(parent) = wrapped.parent().filter(|p| p.kind_name() == "await") {
        wrapped = parent;
    }
    match call.returns {
        Returns::Stream => {
            // bedrock: `client.converse_stream(...)["stream"]`
            if let Some(parent) = wrapped.parent().filter(|p| p.kind_name() == "subscript") {
                if parent.field("value") == Some(wrapped) {
                    wrapped = parent;
                }
            }
            let for_loop =
                wrapped.parent().filter(|p| p.kind_name() == "for_statement" && p.field("right") == Some(wrapped));
            if let Some((with_statement, iterable)) = opened_then_looped(wrapped, source) {
                check_no_yield(with_statement)?;
                return Ok((with_statement, with_statement, iterable));
            }
            // The statements to wrap run from `first` to `last`; `for_loop` consumes the stream.
            let (first, last, for_loop) = match for_loop {
                Some(for_loop) => (for_loop, for_loop, Some(for_loop)),
                None => match assigned_then_looped(wrapped, call.client.shape == Shape::Bedrock, source) {
                    Some(looped) => {
                        wrapped = looped.passed;
                        (looped.assignment, looped.last, Some(looped.for_loop))
                    }
                    None => (wrapped, wrapped, None),
                },
            };
            let Some(for_loop) = for_loop else {
                return Err((
                    "VOF111",
                    format!(
                    "{} returns a stream that is not consumed by a `for` loop here; its usage cannot be counted safely",
                    call.method
                ),
                ));
            };
            if reports_usage_only_when_asked(call) {
                check_include_usage(call, for_loop, source)?;
            }
            check_no_yield(first)?;
            check_no_yield(last)?;
            Ok((first, last, wrapped))
        }
        Returns::Either => Err((
            "VOF115",
            format!(
                "{} may return a stream (`stream=` comes from a variable or `**kwargs`): a span around it would \
                 end before the stream is read; pass `stream=True` or `stream=False` as written to instrument it",
                call.method
            ),
        )),
        Returns::Opaque(why) => Err(("VOF111", format!("{} {why}; not rewritten", call.method))),
        Returns::StreamManager => {
            let mut item = wrapped.parent();
            if item.is_some_and(|p| p.kind_name() == "as_pattern") {
                item = item.and_then(|p| p.parent());
            }
            let statement = item
                .filter(|p| p.kind_name() == "with_item")
                .and_then(|p| p.parent())
                .and_then(|p| p.parent())
                .filter(|p| p.kind_name() == "with_statement");
            let Some(statement) = statement else {
                return Err((
                    "VOF111",
                    format!("{} is not used as `with ... as stream:` here; not rewritten", call.method),
                ));
            };
            if reports_usage_only_when_asked(call) {
                check_include_usage(call, statement, source)?;
            }
            check_no_yield(statement)?;
            Ok((statement, statement, wrapped))
        }
        Returns::Response => {
            if wrapped == call.call {
                if let Some(why) = runs_later(call.call, source) {
                    return Err(("VOF114", why));
                }
            }
            let mut node = wrapped;
            while let Some(parent) = node.parent() {
                match parent.kind_name() {
                    "block" | "module" => break,
                    "lambda" => {
                        let runs_now = parent
                            .parent()
                            .filter(|p| p.kind_name() == "argument_list")
                            .and_then(|p| p.parent())
                            .and_then(|c| c.field("function"))
                            .is_some_and(|f| {
                                let t = text(f, source);
                                t.ends_with("to_thread") || t.ends_with("run_in_executor") || t.ends_with("run_sync")
                            });
                        if !runs_now {
                            return Err((
                                "VOF114",
                                "the LLM call is in a lambda that is not run right away; not rewritten".into(),
                            ));
                        }
                    }
                    "function_definition" | "class_definition" | "decorator" => {
                        return Err((
                            "VOF114",
                            "the LLM call is in a default value or decorator; not rewritten".into(),
                        ));
                    }
                    // The `if` around it would be wrapped: its span would also stand for the branches
                    // taken before this condition is tested, which make no call.
                    "elif_clause" if parent.field("condition") == Some(node) => {
                        return Err((
                            "VOF114",
                            "the LLM call is in an `elif` condition: a span around the whole `if` would also cover \
                             the branches that make no call; call it before the `if`, or in the branch"
                                .into(),
                        ));
                    }
                    _ => {}
                }
                node = parent;
            }
            if matches!(node.kind_name(), "function_definition" | "class_definition" | "decorated_definition") {
                return Err(("VOF114", "the LLM call cannot be wrapped where it is".into()));
            }
            check_no_yield(node)?;
            Ok((node, node, wrapped))
        }
    }
}

/// Why an async call that is not awaited where it is made runs after a span
/// around its statement has ended, if it does: it is scheduled as a task
/// (`asyncio.create_task(client.messages.create(...))`), or its coroutine is
/// held in a name that is awaited later. (A sync call is never awaited, and
/// neither is true of it.)
fn runs_later(call: Node, source: &str) -> Option<String> {
    let mut node = call;
    while let Some(parent) = node.parent() {
        match parent.kind_name() {
            "block" | "module" => break,
            "argument_list" => {
                let scheduler = parent.parent().and_then(|c| c.field("function")).map(|f| text(f, source));
                if scheduler.is_some_and(|f| f.ends_with("create_task") || f.ends_with("ensure_future")) {
                    return Some(
                        "the LLM call is scheduled as a task: a span around this statement would end before the \
                         request runs; await it in the task's own function to have it instrumented"
                            .into(),
                    );
                }
            }
            _ => {}
        }
        node = parent;
    }
    let assignment = call.parent().filter(|p| p.kind_name() == "assignment" && p.field("right") == Some(call))?;
    let name = assignment.field("left").filter(|l| l.kind_name() == "identifier").map(|l| text(l, source))?;
    let scope = enclosing_function(call)?.field("body")?;
    let awaited_later = same_scope_descendants(scope).into_iter().any(|n| {
        n.kind_name() == "await"
            && n.start_byte() > call.end_byte()
            && descendants(n).into_iter().any(|i| i.kind_name() == "identifier" && text(i, source) == name)
    });
    awaited_later.then(|| {
        format!(
            "the LLM call's coroutine is held in `{name}` and awaited later: a span around this statement would end \
             before the request runs; await the call where it is made to have it instrumented"
        )
    })
}

/// A stream held in a name and looped over later in the same block.
struct Looped<'t> {
    /// `stream = client...(stream=True)`.
    assignment: Node<'t>,
    /// The last statement to wrap: the loop, or the `try` holding it.
    last: Node<'t>,
    for_loop: Node<'t>,
    /// What to pass through `llm_call.stream(...)`.
    passed: Node<'t>,
}

/// `stream = client...(stream=True)` followed, in the same block, by `for chunk
/// in stream:` (or by a `try` whose body loops so, and whose `finally` closes
/// it): the statements to wrap, and what to pass through `llm_call`. With
/// `stream` used nowhere else, the call (`stream` is then the counting stream);
/// used in the loop's body or after it (`await stream.aclose()`), the loop's
/// iterable, so `stream` stays the provider's own object. A use between the
/// assignment and the loop (which may consume it) is not followed.
///
/// A bedrock `converse_stream(...)` returns a dict: its loop reads `response["stream"]` (or
/// `response.get("stream")`), and that iterable is what is passed.
fn assigned_then_looped<'t>(wrapped: Node<'t>, bedrock: bool, source: &str) -> Option<Looped<'t>> {
    let assignment = wrapped.parent().filter(|p| p.kind_name() == "assignment")?;
    if assignment.field("right") != Some(wrapped) {
        return None;
    }
    let target = assignment.field("left").filter(|l| l.kind_name() == "identifier")?;
    let name = text(target, source);
    let statement = assignment.parent().filter(|p| p.kind_name() == "expression_statement")?;
    let block = statement.parent()?;
    let uses = |node: Node| {
        descendants(node).into_iter().filter(|n| n.kind_name() == "identifier" && text(*n, source) == name).count()
    };
    let is_name = |n: Node| n.kind_name() == "identifier" && text(n, source) == name;
    let events_of_name = |r: Node| match r.kind_name() {
        "subscript" => {
            r.field("value").is_some_and(is_name)
                && r.field("subscript").is_some_and(|k| string_value(k, source) == Some("stream"))
        }
        "call" => {
            let getter = r.field("function").filter(|f| f.kind_name() == "attribute");
            getter.is_some_and(|g| {
                g.field("object").is_some_and(is_name)
                    && g.field("attribute").is_some_and(|a| text(a, source) == "get")
                    && first_positional(r).is_some_and(|k| string_value(k, source) == Some("stream"))
            })
        }
        _ => false,
    };
    let loops_over = |node: Node| {
        node.kind_name() == "for_statement"
            && node.field("right").is_some_and(|r| if bedrock { events_of_name(r) } else { is_name(r) })
    };
    // Every use is `name["key"]` with a key other than "stream".
    let reads_only_metadata = |node: Node| {
        descendants(node).into_iter().filter(|n| is_name(*n)).all(|n| {
            n.parent().is_some_and(|p| {
                p.kind_name() == "subscript"
                    && p.field("value") == Some(n)
                    && p.field("subscript").and_then(|k| string_value(k, source)).is_some_and(|k| k != "stream")
            })
        })
    };
    let mut after = false;
    let mut found: Option<(Node, Node)> = None;
    let mut other_uses = false;
    let mut cursor = block.walk();
    for sibling in block.named_children(&mut cursor) {
        if sibling == statement {
            after = true;
            continue;
        }
        let count = uses(sibling);
        if !after || count == 0 {
            continue;
        }
        if found.is_some() {
            other_uses = true;
            continue;
        }
        let for_loop = if loops_over(sibling) {
            sibling
        } else if bedrock && reads_only_metadata(sibling) {
            // `response["ResponseMetadata"]` before the loop: the dict, not its events.
            other_uses = true;
            continue;
        } else if sibling.kind_name() == "try_statement" {
            // The first statement of the `try` body that uses the stream must be the loop.
            let body = sibling.field("body")?;
            let mut cursor = body.walk();
            let first_use = body.named_children(&mut cursor).find(|s| uses(*s) > 0)?;
            if !loops_over(first_use) {
                return None;
            }
            first_use
        } else {
            return None;
        };
        other_uses |= count > 1;
        found = Some((sibling, for_loop));
    }
    let (last, for_loop) = found?;
    let passed = if other_uses || bedrock { for_loop.field("right")? } else { wrapped };
    Some(Looped { assignment: statement, last, for_loop, passed })
}

/// `async with llm.chat(...) as stream:` whose body loops `async for chunk in stream:` and
/// uses `stream` nowhere else: the `with` statement, and the loop's iterable to wrap.
fn opened_then_looped<'t>(wrapped: Node<'t>, source: &str) -> Option<(Node<'t>, Node<'t>)> {
    let pattern = wrapped.parent().filter(|p| p.kind_name() == "as_pattern")?;
    let alias = pattern.field("alias")?;
    let name = descendants(alias).into_iter().find(|n| n.kind_name() == "identifier").map(|n| text(n, source))?;
    let statement = pattern.parent().filter(|p| p.kind_name() == "with_item")?.parent()?.parent()?;
    if statement.kind_name() != "with_statement" {
        return None;
    }
    let body = statement.field("body")?;
    let uses: Vec<Node> =
        descendants(body).into_iter().filter(|n| n.kind_name() == "identifier" && text(*n, source) == name).collect();
    let [only] = uses.as_slice() else { return None };
    let for_loop = only.parent().filter(|p| p.kind_name() == "for_statement")?;
    (for_loop.field("right") == Some(*only)).then_some((statement, *only))
}

/// A span must not stay current across a `yield`.
fn check_no_yield(statement: Node) -> Result<(), (&'static str, String)> {
    if statement.kind_name() == "expression_statement"
        && statement.named_child(0).is_some_and(|n| n.kind_name() == "yield")
        || same_scope_descendants(statement).iter().any(|n| n.kind_name() == "yield")
    {
        return Err((
            "VOF112",
            "the LLM call's statement yields: a span would stay current across the yield; not rewritten".into(),
        ));
    }
    Ok(())
}

/// openai streams report usage only with `stream_options={"include_usage": True}`, in a last
/// chunk without choices: adding it is safe only when the consuming loop (or the stream
/// helper's `with` block) tolerates that chunk (`stream_options`), and when no `**kwargs`
/// may hold `stream_options` already (a second one would make the call raise).
fn check_include_usage(call: &LlmCall, consumer: Node, source: &str) -> Result<(), (&'static str, String)> {
    if let Some(options) = keyword_argument(call.call, "stream_options", source) {
        let t = text(options, source);
        if t.contains("include_usage") && t.contains("True") {
            return Ok(());
        }
        return Err(("VOF113", "the stream's `stream_options` do not include usage; add `\"include_usage\": True` and guard `chunk.choices`".into()));
    }
    let arguments = call.call.field("arguments").map(named_children).unwrap_or_default();
    if arguments.iter().any(|a| a.kind_name() == "dictionary_splat") {
        return Err((
            "VOF113",
            "openai streams report usage only with `stream_options={\"include_usage\": True}`, and the call's \
             `**kwargs` may hold `stream_options` already (a second one would make it raise): pass it in the \
             kwargs and run again"
                .into(),
        ));
    }
    match super::stream_options::unsafe_for_usage_chunk(consumer, source) {
        Some(why) => Err((
            "VOF113",
            format!("openai streams report usage only with `stream_options={{\"include_usage\": True}}`, but {why}"),
        )),
        None => Ok(()),
    }
}

fn needs_include_usage(call: &LlmCall, source: &str) -> bool {
    usage_not_asked(call, source) && call.client.provider != "azure_openai"
}

/// A stream that carries its usage only when asked, and is not asked.
fn usage_not_asked(call: &LlmCall, source: &str) -> bool {
    matches!(call.returns, Returns::Stream | Returns::StreamManager)
        && reports_usage_only_when_asked(call)
        && keyword_argument(call.call, "stream_options", source).is_none()
}

/// An Azure OpenAI stream that does not ask for its usage: the option is not
/// added (Azure's api-versions before 2024-09-01-preview reject
/// `stream_options` with a 400), so its tokens are not counted (VOF118).
pub fn azure_usage_not_asked(call: &LlmCall, source: &str) -> bool {
    call.client.provider == "azure_openai" && usage_not_asked(call, source)
}

/// Chat Completions and legacy text completions streams (openai-shaped SDKs
/// but groq's, and litellm) carry usage only with
/// `stream_options={"include_usage": True}`. The Responses API reports it in
/// `response.completed` and has no such option (its `stream_options` takes
/// other keys: adding it would make the request fail).
fn reports_usage_only_when_asked(call: &LlmCall) -> bool {
    let completions = call.method.contains("completions");
    call.client.shape == Shape::OpenAi && call.client.provider != "groq" && completions
        || call.client.shape == Shape::Litellm
}

/// `stream_options={"include_usage": True}` after the call's last argument: on a line of
/// its own when the arguments are one a line (`indent` and `unit`: the wrapped statement's new
/// indentation and one level), else inline.
fn include_usage(call: Node, source: &str, indent: &str, unit: &str, line_ending: &str) -> Option<Edit> {
    let last = last_argument(call)?;
    let option = "stream_options={\"include_usage\": True}";
    let after = &source[last.end_byte()..];
    let one_a_line = after.trim_start_matches([' ', '\t']).starts_with(",\n")
        || after.trim_start_matches([' ', '\t']).starts_with(",\r\n");
    if one_a_line {
        let comma = last.end_byte() + after.find(',')? + 1;
        let leading = |offset: usize| -> String {
            source[line_start(source, offset)..].chars().take_while(|c| *c == ' ' || *c == '\t').collect()
        };
        let statement_indent = leading(call.start_byte());
        let arg_indent = leading(last.start_byte());
        // The argument's depth below the statement's line, kept under the statement's new indentation.
        let depth = arg_indent.strip_prefix(statement_indent.as_str()).unwrap_or("");
        return Some(Edit {
            start: comma,
            end: comma,
            text: format!("{line_ending}{indent}{unit}{depth}{option},"),
            order: 3,
        });
    }
    Some(Edit { start: last.end_byte(), end: last.end_byte(), text: format!(", {option}"), order: 3 })
}

fn last_argument(call: Node) -> Option<Node> {
    let args = call.field("arguments")?;
    let mut cursor = args.walk();
    let last = args.named_children(&mut cursor).filter(|n| n.kind_name() != "comment").last();
    last
}

/// A model expression that can be evaluated twice without effects: a literal, a name, `self.model`, `CONFIG["model"]`.
fn is_pure(node: Node, source: &str) -> bool {
    if text(node, source).contains('\n') {
        return false;
    }
    match node.kind_name() {
        "string" => !descendants(node).iter().any(|n| n.kind_name() == "interpolation"),
        "identifier" | "integer" | "none" => true,
        "attribute" => node.field("object").is_some_and(|o| is_pure(o, source)),
        "subscript" => {
            node.field("value").is_some_and(|v| is_pure(v, source))
                && node.field("subscript").is_some_and(|s| matches!(s.kind_name(), "string" | "integer"))
        }
        _ => false,
    }
}

/// The indentation unit around a statement: its function's own, else the file's.
fn unit_of(statement: Node, cx: &Context) -> String {
    let source = cx.source;
    if let Some(function) = enclosing_function(statement) {
        let def_indent = indentation_at(source, crate::python::syntax::outermost(function).start_byte()).unwrap_or("");
        if let Some(first) = function.field("body").and_then(|b| b.named_child(0)) {
            if let Some(body_indent) = indentation_at(source, first.start_byte()) {
                if let Some(unit) = body_indent.strip_prefix(def_indent).filter(|u| !u.is_empty()) {
                    return unit.to_string();
                }
            }
        }
    }
    cx.file_unit.to_string()
}
