//! Session span: the whole LiveKit session becomes one `voice.session` span,
//! made current with `trace.use_span(..., end_on_exit=False)` and ended only in
//! a shutdown callback (the seed's "Whole-Session Span", SPEC §3). The rest of
//! the body moves, unchanged but for one level of indentation, into the `with`.
//!
//! ```python
//! # before
//! async def entrypoint(ctx: JobContext) -> None:
//!     await ctx.connect()
//!     session = AgentSession(llm=openai.LLM())
//!     await session.start(agent=Assistant(), room=ctx.room)
//! ```
//! ```python
//! # after
//! async def entrypoint(ctx: JobContext) -> None:
//!     await ctx.connect()
//!     started_at = asyncio.get_running_loop().time()
//!     tenant_id = _job_metadata_value(ctx, "tenant_id")
//!     user_id = _job_metadata_value(ctx, "user_id")
//!     room_name = ctx.job.room.name or "unknown"
//!     session_span = tracer.start_span(
//!         "voice.session",
//!         attributes={
//!             "tenant.id": tenant_id,
//!             "user.id": user_id,
//!             "voice.room_name": room_name,
//!         },
//!     )
//!     with trace.use_span(session_span, end_on_exit=False):
//!         voice_sessions_started.add(1, {
//!             "tenant.id": tenant_id,
//!             "voice.room_name.present": room_name != "unknown",
//!         })
//!
//!         async def on_shutdown(reason: str) -> None:
//!             duration_ms = int((asyncio.get_running_loop().time() - started_at) * 1000)
//!             # LiveKit waits for the entrypoint first; it says "job crashed" unless the room went first,
//!             # and `use_span` has set ERROR on the span if the body raised.
//!             session_status = getattr(getattr(session_span, "status", None), "status_code", None)
//!             crashed = reason == "job crashed" or session_status == trace.StatusCode.ERROR
//!             session_span.set_attribute("voice.duration_ms", duration_ms)
//!             voice_session_duration.record(duration_ms, {
//!                 "tenant.id": tenant_id,
//!                 "voice.disconnect_reason": reason,
//!                 "outcome": "error" if crashed else "success",
//!             })
//!             session_span.end()
//!
//!         ctx.add_shutdown_callback(on_shutdown)
//!         session = AgentSession(llm=openai.LLM())
//!         await session.start(agent=Assistant(), room=ctx.room)
//! ```
//!
//! The callback takes the shutdown reason, which LiveKit passes to
//! one-argument callbacks and which is `"job crashed"` when the entrypoint
//! raised, unless the room disconnected first (a callee hanging up while the
//! agent waits for them, and the wait raising). LiveKit runs the callbacks only
//! once the entrypoint has finished, and `use_span` sets ERROR on the span when
//! the body raises: so `outcome` is "error" on either sign, without wrapping
//! the body in a `try`, and agrees with the span. livekit-agents before 0.12.13 calls its callbacks with no argument:
//! where the project may run such a release (its oldest allowed version is
//! 0.x, or it names none and imports 0.x's `livekit.agents.pipeline` /
//! `multimodal`), the parameter is `reason: str = "unknown"` (later releases
//! still pass the reason to it). The user's own shutdown callbacks are left as they are.
//!
//! An entrypoint that sets up telemetry itself (`setup_otel()` installing a
//! tracer or meter provider, `detect::telemetry_setup`) gets its span after
//! the last of its leading plain statements that does: before it, the span
//! would not record and the counter's point would be dropped. A setup later in
//! the body, or inside a block, is reported (VOF108) rather than moved. A lone
//! `pass` or `...` body goes once the span's own statements fill the block.

use crate::python::syntax::Field;
use std::collections::HashMap;

use tree_sitter::Node;

use crate::config::Attributes;
use crate::edit::Edit;
use crate::python::detect::telemetry_setup::sets_up_telemetry;
use crate::python::names::fresh;
use crate::python::semantics::{is_livekit_agents, Semantics};
use crate::python::syntax::NodeKind;
use crate::python::syntax::{
    body_statements, decorators, descendants, first_positional, indentation_at, is_docstring, leading_comments_start,
    line_start, next_line_start, outermost, positional_parameters, string_value, text, undecorated,
};
use crate::python::template::{self, Layout};
use crate::python::transforms::module_setup::{Instrument, ModuleNames, Needs};

/// The planned rewrite of one entrypoint.
#[derive(Debug, Clone)]
pub struct SessionSpan {
    pub edits: Vec<Edit>,
    /// The byte range of the original body that moves into the `with` block.
    pub moved: std::ops::Range<usize>,
    /// One indentation level, as this function writes it.
    pub unit: String,
    /// The local holding the tenant id, for the transforms that count per tenant.
    pub tenant_id: String,
    /// Attributes that use the tool's defaults rather than configured expressions.
    pub defaulted: Vec<&'static str>,
    /// Diagnostics about the rewritten entrypoint: code, message, offset.
    pub warnings: Vec<(&'static str, String, usize)>,
}

/// Why an entrypoint is not rewritten.
#[derive(Debug, Clone)]
pub enum NotApplicable {
    /// It already starts a `voice.session` span.
    AlreadyInstrumented,
    /// It cannot be rewritten safely; the message says why.
    Unsafe { code: &'static str, message: String, at: usize },
}

/// What the planner needs to know about the file beyond the function itself.
pub struct Context<'a, 't> {
    pub source: &'a str,
    pub semantics: &'a Semantics<'t>,
    pub names: &'a ModuleNames,
    pub attributes: &'a Attributes,
    pub file_unit: &'a str,
    pub line_ending: &'a str,
    /// The project may run a livekit-agents before 0.12.13, which calls
    /// shutdown callbacks without the reason: the parameter gets a default.
    pub reasonless_callbacks: bool,
}

/// Whether `function` already starts a `voice.session` span (its body or its decorators).
pub fn already_instrumented(function: Node, source: &str) -> bool {
    let starts_session = |node: Node| {
        node.kind_name() == "call"
            && node.field("function").is_some_and(|f| {
                f.kind_name() == "attribute"
                    && f.field("attribute")
                        .is_some_and(|a| matches!(text(a, source), "start_span" | "start_as_current_span"))
            })
            && first_positional(node).and_then(|a| string_value(a, source)) == Some("voice.session")
    };
    descendants(function).into_iter().any(starts_session)
        || decorators(function).into_iter().any(|d| descendants(d).into_iter().any(starts_session))
}

/// Whether the parameter `name` of `function` is annotated as a `JobRequest`.
fn takes_job_request(function: Node, name: &str, source: &str) -> bool {
    use crate::python::syntax::named_children;
    let Some(params) = function.field("parameters") else { return false };
    named_children(params).into_iter().any(|param| {
        let typed = matches!(param.kind_name(), "typed_parameter" | "typed_default_parameter");
        let named = named_children(param).into_iter().find(|n| n.kind_name() == "identifier").map(|n| text(n, source));
        typed
            && named == Some(name)
            && param.field("type").is_some_and(|t| text(t, source).rsplit('.').next() == Some("JobRequest"))
    })
}

pub fn plan(function: Node, is_method: bool, cx: &Context, needs: &mut Needs) -> Result<SessionSpan, NotApplicable> {
    let source = cx.source;
    if already_instrumented(function, source) {
        return Err(NotApplicable::AlreadyInstrumented);
    }
    let unsafe_at = |code: &'static str, message: &str| NotApplicable::Unsafe {
        code,
        message: message.to_string(),
        at: function.start_byte(),
    };
    let params = positional_parameters(function, source);
    let ctx = params
        .get(usize::from(is_method))
        .copied()
        .ok_or_else(|| unsafe_at("VOF101", "entrypoint takes no JobContext parameter; not rewritten"))?;
    // livekit-agents before 0.7 took the request handler first: `WorkerOptions(request_fnc)`.
    if takes_job_request(function, ctx, source) {
        return Err(unsafe_at(
            "VOF101",
            "takes a `JobRequest`, not a `JobContext`: a request handler (livekit-agents before 0.7 took it first \
             in `WorkerOptions(...)`), whose job has no shutdown callbacks; instrument the entrypoint it accepts",
        ));
    }
    let statements = body_statements(function);
    let first = *statements.first().ok_or_else(|| unsafe_at("VOF102", "entrypoint has an empty body"))?;
    let Some(body_indent) = indentation_at(source, first.start_byte()).filter(|i| !i.is_empty()) else {
        return Err(unsafe_at(
            "VOF102",
            "entrypoint body is on the `def` line; put it on its own lines to instrument it",
        ));
    };
    let def_indent = indentation_at(source, outermost(function).start_byte()).unwrap_or("");
    let unit = match body_indent.strip_prefix(def_indent) {
        Some(unit) if !unit.is_empty() => unit,
        _ => cx.file_unit,
    };

    // The anchor: a docstring, the statements that set up telemetry, then a leading `await ctx.connect(...)`.
    let mut anchor = 0;
    if is_docstring(first) {
        anchor = 1;
    }
    // Telemetry set up first in the body stays first: a span started before the provider goes
    // nowhere. "First": plain statements before any block, session or other awaited work.
    let leading = |s: &Node| {
        if s.kind_name() != "expression_statement" {
            return false;
        }
        let nodes = descendants(*s);
        let awaits = nodes.iter().any(|n| n.kind_name() == "await");
        let makes_session = nodes.iter().any(|n| {
            n.kind_name() == "call"
                && cx.semantics.callee(*n, source).is_some_and(|q| is_livekit_agents(&q, &["AgentSession"]))
        });
        (!awaits || is_connect(*s, ctx, source)) && !makes_session
    };
    let leading_end = anchor + statements[anchor..].iter().take_while(|s| leading(s)).count();
    if let Some(last_setup) =
        statements[anchor..leading_end].iter().rposition(|s| sets_up_telemetry(*s, source, cx.semantics))
    {
        anchor += last_setup + 1;
    }
    if statements.get(anchor).is_some_and(|s| is_connect(*s, ctx, source)) {
        anchor += 1;
    }
    // Set up later, or inside a block: the span would start first. Said, not moved.
    let mut warnings = Vec::new();
    for statement in &statements[anchor..] {
        let defines = matches!(undecorated(*statement).kind_name(), "function_definition" | "class_definition");
        if !defines && sets_up_telemetry(*statement, source, cx.semantics) {
            warnings.push((
                "VOF108",
                "telemetry is set up here, after the session span starts (or inside a block): the span and \
                 `voice.sessions.started` are lost; set it up at module level or first in the entrypoint"
                    .to_string(),
                statement.start_byte(),
            ));
        }
    }
    let at = match anchor {
        // Comments just above the first statement are about it: they move with it.
        0 => leading_comments_start(source, line_start(source, first.start_byte()), body_indent),
        n => {
            let end = statements[n - 1].end_byte();
            let rest = &source[end..next_line_start(source, end)];
            let rest = rest.trim();
            if !(rest.is_empty() || rest.starts_with('#')) {
                return Err(unsafe_at(
                    "VOF103",
                    "statements share a line with the entrypoint's first statements; not rewritten",
                ));
            }
            next_line_start(source, end)
        }
    };
    let last = *statements.last().expect("a body with a first statement has a last one");
    let moved_end = if anchor == statements.len() {
        at
    } else {
        trailing_comments_end(source, next_line_start(source, last.end_byte()), body_indent)
    };

    // Locals: free in the function, and distinct from every module-level name we use.
    let mut taken = cx.semantics.names_within(function, source);
    let mut holes = cx.names.holes();
    taken.extend(holes.values().cloned());
    let mut local = |name: &'static str| (name, fresh(name, &mut taken));
    let locals: HashMap<&str, String> = [
        local("started_at"),
        local("tenant_id"),
        local("user_id"),
        local("room_name"),
        local("session_span"),
        local("on_shutdown"),
    ]
    .into();
    let mut defaulted = Vec::new();
    let mut configured_used = false;
    let configured_value = &cx.names.configured_value.name;
    let mut value = |configured: &Option<String>, attribute: &'static str, default: String| match configured {
        // Read through a lambda that may raise: `ctx.room.local_participant` before the room is connected.
        Some(expression) if !expression.contains("await") && !is_literal(expression) => {
            configured_used = true;
            format!("{configured_value}(lambda: {})", with_ctx(expression, ctx))
        }
        Some(expression) => with_ctx(expression, ctx),
        None => {
            defaulted.push(attribute);
            default
        }
    };
    let metadata = &cx.names.job_metadata_value.name;
    let tenant_value = value(&cx.attributes.tenant_id, "tenant.id", format!("{metadata}({ctx}, \"tenant_id\")"));
    let user_value = value(&cx.attributes.user_id, "user.id", format!("{metadata}({ctx}, \"user_id\")"));
    let room_value = value(&cx.attributes.room_name, "voice.room_name", format!("{ctx}.job.room.name or \"unknown\""));
    needs.job_metadata_value |= defaulted.contains(&"tenant.id") || defaulted.contains(&"user.id");
    needs.configured_value |= configured_used;
    holes.extend(locals.iter().map(|(k, v)| (*k, v.clone())));
    holes.insert("ctx", ctx.to_string());
    holes.insert("tenant_id_value", tenant_value);
    holes.insert("user_id_value", user_value);
    holes.insert("room_name_value", room_value);
    let reason = if cx.reasonless_callbacks { "reason: str = \"unknown\"" } else { "reason: str" };
    holes.insert("reason_parameter", reason.to_string());

    let layout = Layout { indent: body_indent, unit, line_ending: cx.line_ending };
    let mut preamble = String::new();
    if at == source.len() && !source.ends_with('\n') {
        preamble.push_str(cx.line_ending);
    }
    preamble.push_str(&template::SESSION_SPAN_START.render(&holes, &layout));
    preamble.push_str(&template::SESSION_SPAN_USE.render(&holes, &layout));
    let mut edits = vec![Edit::insert(at, preamble)];
    // A placeholder body (`pass`, `...`) holds nothing once the span's own statements are there: it goes.
    let placeholder = statements[anchor..]
        .first()
        .filter(|_| anchor + 1 == statements.len())
        .filter(|s| is_placeholder(**s))
        .map(|s| line_start(source, s.start_byte())..next_line_start(source, s.end_byte()))
        .filter(|line| line.start >= at && matches!(source[line.clone()].trim(), "pass" | "..."));
    match placeholder {
        Some(line) => {
            edits.extend(reindent(function, source, at..line.start, unit));
            edits.push(Edit { start: line.start, end: line.end, text: String::new(), order: 1 });
            edits.extend(reindent(function, source, line.end..moved_end, unit));
        }
        None => edits.extend(reindent(function, source, at..moved_end, unit)),
    }

    needs.tracer = true;
    needs.trace = true;
    needs.otel_context = true;
    needs.asyncio = true;
    needs.instruments.insert(Instrument::SessionsStarted);
    needs.instruments.insert(Instrument::SessionDuration);
    Ok(SessionSpan {
        edits,
        moved: at..moved_end,
        unit: unit.to_string(),
        tenant_id: locals["tenant_id"].clone(),
        defaulted,
        warnings,
    })
}

/// `pass`, or `...` as a statement.
fn is_placeholder(statement: Node) -> bool {
    statement.kind_name() == "pass_statement"
        || statement.kind_name() == "expression_statement"
            && statement.named_child_count() == 1
            && statement.named_child(0).is_some_and(|n| n.kind_name() == "ellipsis")
}

/// `await <ctx>.connect(...)` as a statement.
fn is_connect(statement: Node, ctx: &str, source: &str) -> bool {
    let Some(expr) = statement.named_child(0).filter(|_| statement.kind_name() == "expression_statement") else {
        return false;
    };
    let Some(call) =
        (expr.kind_name() == "await").then(|| expr.named_child(0)).flatten().filter(|c| c.kind_name() == "call")
    else {
        return false;
    };
    let Some(function) = call.field("function").filter(|f| f.kind_name() == "attribute") else {
        return false;
    };
    function.field("object").is_some_and(|o| text(o, source) == ctx)
        && function.field("attribute").is_some_and(|a| text(a, source) == "connect")
}

/// Comment lines (and the blank lines between them) after the last statement
/// that are indented as the body belong to it and move with it.
fn trailing_comments_end(source: &str, mut end: usize, body_indent: &str) -> usize {
    let mut cursor = end;
    while cursor < source.len() {
        let next = next_line_start(source, cursor);
        let line = source[cursor..next].trim_end_matches(['\n', '\r']);
        let code = line.trim_start();
        if code.is_empty() {
            cursor = next;
            continue;
        }
        if code.starts_with('#') && line.len() - code.len() >= body_indent.len() && line.starts_with(body_indent) {
            cursor = next;
            end = next;
            continue;
        }
        break;
    }
    end
}

/// One more level of indentation for every non-blank line of `range`, except
/// lines inside a string literal (their text is data).
pub fn reindent(scope: Node, source: &str, range: std::ops::Range<usize>, unit: &str) -> Vec<Edit> {
    let strings: Vec<std::ops::Range<usize>> = descendants(scope)
        .into_iter()
        .filter(|n| n.kind_name() == "string" && text(*n, source).contains('\n'))
        .map(|n| n.byte_range())
        .collect();
    let mut edits = Vec::new();
    let mut line = range.start;
    while line < range.end {
        let next = next_line_start(source, line);
        let blank = source[line..next].trim().is_empty();
        let in_string = strings.iter().any(|s| s.start < line && line < s.end);
        // A backslash first on its line, in column 0, lets the next line's indentation
        // count (CPython's tokenizer); indented, it would fix the block's at its own.
        let continues_at_zero = source[line..].starts_with('\\');
        if !blank && !in_string && !continues_at_zero {
            edits.push(Edit::indent(line, unit));
        }
        if next == line {
            break;
        }
        line = next;
    }
    edits
}

/// A string or number written as itself: nothing to read, nothing to raise.
fn is_literal(expression: &str) -> bool {
    let Ok(tree) = crate::python::parse::parse(expression) else { return false };
    let statements = crate::python::syntax::named_children(tree.root_node());
    let [statement] = statements.as_slice() else { return false };
    let Some(value) = statement.named_child(0).filter(|_| statement.named_child_count() == 1) else { return false };
    match value.kind_name() {
        "string" => !descendants(value).iter().any(|n| n.kind_name() == "interpolation"),
        "integer" | "float" => true,
        _ => false,
    }
}

/// A configured expression, with `ctx` meaning the entrypoint's own parameter.
fn with_ctx(expression: &str, ctx: &str) -> String {
    if ctx == "ctx" {
        return expression.to_string();
    }
    let Ok(tree) = crate::python::parse::parse(expression) else { return expression.to_string() };
    let mut out = String::new();
    let mut last = 0;
    for node in descendants(tree.root_node()) {
        let is_field = node.parent().is_some_and(|p| {
            (p.kind_name() == "attribute" && p.field("attribute") == Some(node))
                || (p.kind_name() == "keyword_argument" && p.field("name") == Some(node))
        });
        if node.kind_name() == "identifier" && !is_field && text(node, expression) == "ctx" {
            out.push_str(&expression[last..node.start_byte()]);
            out.push_str(ctx);
            last = node.end_byte();
        }
    }
    out.push_str(&expression[last..]);
    out
}
