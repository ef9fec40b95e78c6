//! Python: parse, understand, detect and rewrite one file at a time.

pub mod detect;
pub mod imports;
pub mod names;
pub mod parse;
pub mod project;
pub mod rules;
pub mod semantics;
pub mod style;
pub mod syntax;
pub mod template;
pub mod transforms;

use std::collections::HashSet;

use tree_sitter::{Node, Tree};

use crate::config::Settings;
use crate::edit;
use crate::python::syntax::NodeKind;
use crate::report::{Finding, FindingKind};
use crate::source::SourceFile;
use detect::link::{EntrypointRef, FunctionRef, ModuleFacts};
use semantics::{is_livekit_agents, Binding, Semantics};
use transforms::bounded_span::{self, HelperCall};
use transforms::executor_context;
use transforms::framework_usage;
use transforms::greeting_counter;
use transforms::llm_span;
use transforms::module_setup::{self, ModuleNames, Needs};
use transforms::session_span::{self, NotApplicable, SessionSpan};
use transforms::shutdown_context;

/// What a file contributes to finding entrypoints in the package.
pub fn module_facts(semantics: &Semantics, source: &str) -> ModuleFacts {
    let registrations = detect::registrations::find(source, semantics);
    let agent_servers = semantics
        .assignments
        .iter()
        .map(|(name, value)| (name.as_str(), *value))
        .filter(|(_, value)| {
            value.kind_name() == "call"
                && semantics.callee(*value, source).is_some_and(|q| is_livekit_agents(&q, &["AgentServer"]))
        })
        .map(|(name, _)| name.to_string())
        .collect();
    ModuleFacts { registrations, agent_servers, ..ModuleFacts::default() }
}

/// `module_facts`, and what the links across modules also read: the module's
/// functions and imports (for `link::delegations`).
pub fn cross_module_facts(semantics: &Semantics, source: &str) -> ModuleFacts {
    let functions = semantics.functions.iter().map(|(name, def)| (def.start_byte(), name.clone())).collect();
    let imports = semantics
        .imports
        .iter()
        .map(|(local, binding)| match binding {
            Binding::Module(module) => (local.clone(), module.clone(), None),
            Binding::Member { module, name } => (local.clone(), module.clone(), Some(name.clone())),
        })
        .collect();
    ModuleFacts { functions, imports, ..module_facts(semantics, source) }
}

pub use crate::fix::{Fix, FixId, Instrumented, Selection};

/// Collects fixes as the transforms plan them; only selected ones reach the output.
struct Planner<'s> {
    selection: Selection<'s>,
    /// Whether a rule is enabled at a place (configuration, `# voice-otel-fix: ignore[...]`).
    enabled: &'s dyn Fn(&str, usize) -> bool,
    fixes: Vec<Fix>,
    edits: Vec<edit::Edit>,
    needs: Needs,
}

impl Planner<'_> {
    fn add(&mut self, fix: Fix, needs: &Needs) {
        if !(self.enabled)(fix.code, fix.at) {
            return;
        }
        if self.selection.allows(&fix.id) && fix.requires.iter().all(|r| self.selection.allows(r)) {
            self.edits.extend(fix.edits.iter().cloned());
            self.needs.merge(needs);
        }
        self.fixes.push(fix);
    }

    fn applies(&self, fix: &Fix) -> bool {
        (self.enabled)(fix.code, fix.at) && self.selection.allows(&fix.id)
    }
}

/// Why test code with entrypoints, LLM calls or sessions is not instrumented (the summary's key).
const TEST_CODE: &str = "test code";

/// What is known of a file's entrypoints before it is parsed.
#[derive(Clone, Copy)]
pub struct Entrypoints<'a> {
    /// Its functions that are registered entrypoints, here or in another module.
    pub refs: &'a [EntrypointRef],
    /// Callees, as written, that run another module's entrypoint (`link::delegations`).
    pub delegates: &'a HashSet<String>,
}

/// Plans every transform for one file (entrypoints, helpers, greetings,
/// framework usage, LLM call sites), applies the selected fixes and the module
/// setup they need, and validates the result. `semantics` is the module's, from `tree`.
/// Test code (`test_code`) gets its style rules checked and is not
/// instrumented, unless the settings say `instrument-tests`.
pub fn instrument(
    file: &SourceFile,
    tree: &Tree,
    semantics: &Semantics,
    entrypoints: Entrypoints,
    settings: &Settings,
    selection: Selection,
    test_code: bool,
) -> Instrumented {
    let Entrypoints { refs: entrypoints, delegates } = entrypoints;
    let instrumented = !test_code || settings.instrument_tests;
    // Test code with something to instrument is reported skipped, not left unchanged in silence.
    let skipped = (!instrumented
        && (!entrypoints.is_empty()
            || !detect::llm_calls::find(file.text.as_str(), semantics).is_empty()
            || !framework_usage::sessions(file.text.as_str(), semantics).0.is_empty()))
    .then_some(TEST_CODE);
    let entrypoints = if instrumented { entrypoints } else { &[] };
    let source = file.text.as_str();
    let root = tree.root_node();
    let mut out = Instrumented { skipped, ..Instrumented::default() };
    let at = |offset: usize| file.line_col(offset);

    // Entrypoints, in file order, each once.
    let mut functions: Vec<(Node, &EntrypointRef)> = Vec::new();
    for entrypoint in entrypoints {
        let function = match &entrypoint.function {
            FunctionRef::At(start) => function_at(root, *start),
            FunctionRef::Named(name) => semantics.functions.get(name.as_str()).copied(),
        };
        if let Some(function) = function {
            if !functions.iter().any(|(f, _)| *f == function) {
                functions.push((function, entrypoint));
            }
        }
    }
    functions.sort_by_key(|(f, _)| f.start_byte());
    let entrypoint_nodes: Vec<Node> = functions.iter().map(|(f, _)| *f).collect();

    let mut taken = semantics.identifiers.clone();
    let shadowed: HashSet<String> =
        entrypoint_nodes.iter().flat_map(|function| semantics::bound_in(*function, source)).collect();
    let names = ModuleNames::of(root, source, semantics, &shadowed, &mut taken);
    let enabled =
        |code: &str, at: usize| settings.rule_enabled(code, &file.path) && !rules::suppressed(source, at, code);
    let mut planner =
        Planner { selection, enabled: &enabled, fixes: Vec::new(), edits: Vec::new(), needs: Needs::default() };
    let livekit_version = if functions.is_empty() { None } else { project::livekit_agents_version(&file.path) };
    let imports_0x = || {
        semantics.imports.values().map(Binding::module).any(|module| {
            ["livekit.agents.pipeline", "livekit.agents.multimodal"].iter().any(|m| module.starts_with(m))
        })
    };
    let cx = session_span::Context {
        source,
        semantics,
        names: &names,
        attributes: &settings.attributes,
        file_unit: &file.indent_unit,
        line_ending: file.line_ending,
        reasonless_callbacks: match livekit_version {
            Some(version) => version < (1, 0),
            None => imports_0x(),
        },
    };
    let mut decorated = Vec::new();
    let mut sessions: Vec<SessionSpan> = Vec::new();
    for (function, entrypoint) in &functions {
        let symbol = syntax::symbol(*function, source);
        let mut finding = Finding::new(FindingKind::Entrypoint, at(function.start_byte()));
        finding.symbol = Some(symbol.clone());
        finding.form = Some(entrypoint.form.clone());
        let mut needs = Needs::default();
        let session_id = FixId::new("session", function.start_byte());
        if let Some((callee, call, own_session)) =
            detect::dispatch::delegation(*function, &entrypoint_nodes, delegates, source, semantics)
        {
            if own_session {
                out.findings.push(Finding::diagnostic(
                    at(call),
                    "VOF107",
                    format!(
                        "`{symbol}` hands the job to the entrypoint `{callee}` here, which starts its own session \
                         span, and runs a session of its own too: not instrumented, since the delegated sessions \
                         would be counted twice; split the dispatch from the session"
                    ),
                ));
                finding.message = Some("not instrumented".into());
            } else {
                finding.message = Some(format!("delegates the job to the entrypoint `{callee}`, whose span covers it"));
            }
            out.findings.push(finding);
            continue;
        }
        let session = match session_span::plan(*function, entrypoint.method, &cx, &mut needs) {
            Ok(session) => {
                for (code, message, offset) in &session.warnings {
                    out.findings.push(Finding::diagnostic(at(*offset), code, message.clone()));
                }
                Some(session)
            }
            Err(NotApplicable::AlreadyInstrumented) => {
                finding.message = Some("already instrumented".into());
                None
            }
            Err(NotApplicable::Unsafe { code, message, at: offset }) => {
                out.findings.push(Finding::diagnostic(at(offset), code, message));
                None
            }
        };
        out.findings.push(finding);
        // An entrypoint someone already instrumented is left alone, helpers included.
        let Some(session) = session else { continue };
        let fix = Fix {
            id: session_id.clone(),
            code: "VOF001",
            at: function.start_byte(),
            title: format!("session span for `{symbol}`"),
            line: at(function.start_byte()).0,
            requires: Vec::new(),
            edits: session.edits.clone(),
        };
        let applied = planner.applies(&fix);
        planner.add(fix, &needs);
        if applied {
            out.defaulted.extend(session.defaulted.iter().copied());
        }
        let mut greets = false;
        for call in bounded_span::helper_calls(*function, source, semantics, &entrypoint_nodes) {
            if !decorated.contains(&call.helper) {
                decorated.push(call.helper);
                plan_helper(call, file, (semantics, &names), &session.unit, &mut planner, &mut out.findings);
            }
            let greeting = (&session, &session_id);
            greets |= plan_greeting(call, greeting, file, semantics, &names, &mut planner, &mut out.findings);
        }
        if !greets {
            plan_opening_line(
                *function,
                (&session, &session_id),
                file,
                (semantics, &names),
                &mut planner,
                &mut out.findings,
            );
        }
        if applied {
            sessions.push(session);
        }
    }
    if !functions.is_empty() {
        if let Some(call) = detect::telemetry_setup::livekit_only_provider(source, semantics) {
            out.findings.push(Finding::diagnostic(
                at(call.start_byte()),
                "VOF109",
                "LiveKit's `telemetry.set_tracer_provider` sets only LiveKit's own tracer: the `voice.session` \
                 and LLM spans use the global provider; also call `opentelemetry.trace.set_tracer_provider(...)` \
                 with it"
                    .to_string(),
            ));
        }
    }
    let shifted: Vec<(std::ops::Range<usize>, String)> =
        sessions.iter().map(|s| (s.moved.clone(), s.unit.clone())).collect();

    let (creations, unheld) =
        if instrumented { framework_usage::sessions(source, semantics) } else { (Vec::new(), Vec::new()) };
    for call in unheld {
        out.findings.push(Finding::diagnostic(
            at(call.start_byte()),
            "VOF121",
            "this AgentSession is not held in a name (`session = AgentSession(...)`, `... as session:`): its LLM \
             usage is not counted"
                .to_string(),
        ));
    }
    if instrumented {
        for call in framework_usage::agents_0x(source, semantics) {
            let class = call.child_by_field_name("function").map_or("", |f| syntax::text(f, source));
            out.findings.push(Finding::diagnostic(
                at(call.start_byte()),
                "VOF122",
                format!(
                    "the LLM turns of this livekit-agents 0.x `{class}` are not counted: the tool counts an \
                     AgentSession's (livekit-agents 1.0 and later); count the tokens of its `metrics_collected` \
                     LLM metrics by hand, or move to AgentSession"
                ),
            ));
        }
    }
    if !creations.is_empty() {
        let deprecated_event = project::livekit_agents_version(&file.path).is_some_and(|v| v < (1, 5));
        let framework_cx = framework_usage::Context {
            source,
            names: &names,
            line_ending: file.line_ending,
            file_unit: &file.indent_unit,
            deprecated_event,
            use_case: settings.framework.use_case.as_deref().unwrap_or("voice.response"),
            shifted: &shifted,
        };
        for creation in &creations {
            let position = at(creation.statement.start_byte());
            let target = creation.symbol(source);
            let mut finding = Finding::new(FindingKind::FrameworkLlm, position);
            finding.symbol = Some(target.clone());
            finding.form =
                Some(if deprecated_event { "metrics_collected" } else { "session_usage_updated" }.to_string());
            finding.provider = creation.plugin.clone();
            let mut needs = Needs::default();
            match framework_usage::plan(creation, &semantics.calls, &framework_cx, &mut needs) {
                Ok(Some(edits)) => {
                    let fix = Fix {
                        id: FixId::new("framework", creation.statement.start_byte()),
                        code: "VOF005",
                        at: creation.statement.start_byte(),
                        title: format!("LLM usage of the AgentSession `{target}`"),
                        line: position.0,
                        requires: Vec::new(),
                        edits,
                    };
                    planner.add(fix, &needs);
                }
                Ok(None) => finding.message = Some("already instrumented".into()),
                Err(message) => out.findings.push(Finding::diagnostic(position, "VOF121", message)),
            }
            out.findings.push(finding);
        }
    }

    let overrides = settings.llm_overrides(&file.path);
    let llm_cx = llm_span::Context {
        source,
        names: &names,
        file_unit: &file.indent_unit,
        line_ending: file.line_ending,
        overrides: &overrides,
        shifted: &shifted,
        module: file.path.file_stem().and_then(|s| s.to_str()).unwrap_or(""),
    };
    let found = if instrumented { detect::llm_calls::find(source, semantics) } else { Vec::new() };
    let mut calls = found.clone();
    // A LiveKit LLM of the project's own that reports its usage: the session's handler counts its turns.
    calls.retain(|call| {
        let Some(class) = framework_usage::reported_by_livekit_llm(call.call, source, semantics) else { return true };
        let mut finding = Finding::new(FindingKind::FrameworkLlm, at(call.call.start_byte()));
        finding.symbol = Some(syntax::enclosing_symbol(call.call, source));
        finding.form = Some(call.method.clone());
        finding.provider = Some(call.client.provider.clone());
        finding.message = Some(format!(
            "not wrapped: `{class}` is a LiveKit LLM that reports this call's usage to LiveKit, and an \
             AgentSession running it counts the turn with its usage handler"
        ));
        out.findings.push(finding);
        false
    });
    let selected_site = |start: usize| selection.allows(&FixId::new("llm", start));
    let (sites, outcomes) = llm_span::plan(&calls, &llm_cx, &selected_site);
    for site in sites {
        let position = at(site.start);
        let fix = Fix {
            id: FixId::new("llm", site.start),
            code: "VOF004",
            at: site.call_at,
            title: format!("LLM span in `{}`", syntax::enclosing_symbol(node_at(root, site.start), source)),
            line: position.0,
            requires: Vec::new(),
            edits: site.edits,
        };
        planner.add(fix, &site.needs);
    }
    // Shutdown callbacks that make those calls: run in the session's context.
    let llm_ranges: Vec<std::ops::Range<usize>> =
        calls.iter().map(|c| c.call.start_byte()..c.call.end_byte()).collect();
    let mut context_fix = |id: &str, code: &'static str, start: usize, title: String, edits, needs: &Needs| {
        let fix =
            Fix { id: FixId::new(id, start), code, at: start, title, line: at(start).0, requires: Vec::new(), edits };
        planner.add(fix, needs);
    };
    for registration in shutdown_context::registrations(source, semantics, &llm_ranges) {
        if shutdown_context::already_wrapped(&registration, source) {
            continue;
        }
        let mut needs = Needs::default();
        let edits = shutdown_context::plan(&registration, &names, &mut needs);
        let callback = syntax::text(registration.callback, source);
        let title = format!("session context for the shutdown callback `{callback}`");
        context_fix("shutdown", "VOF006", registration.call.start_byte(), title, edits, &needs);
    }
    // Functions run by `loop.run_in_executor` that make them: in a copy of the caller's context.
    for executor_call in executor_context::calls(source, semantics, &llm_ranges) {
        let mut needs = Needs::default();
        let edits = executor_context::plan(&executor_call, &names, &mut needs);
        let function = syntax::text(executor_call.function, source);
        let title = format!("the caller's context for `{function}` in the executor");
        context_fix("executor", "VOF007", executor_call.call.start_byte(), title, edits, &needs);
    }
    if instrumented {
        for (call, written, client) in detect::llm_calls::unknown_clients(source, semantics, &found) {
            if llm_span::already_instrumented(call, source) {
                continue;
            }
            out.findings.push(Finding::diagnostic(
                at(call.start_byte()),
                "VOF116",
                format!(
                    "`{written}(...)` looks like a provider SDK call, but this module does not say which SDK made \
                     its client (a parameter not annotated with an SDK class, an object made or returned in \
                     another module): annotate it (`{client}`) or make it in this module to have the call \
                     instrumented"
                ),
            ));
        }
    }
    for (call, outcome) in calls.iter().zip(outcomes) {
        let position = at(call.call.start_byte());
        // A LiveKit LLM's own `chat(...)` is a framework-driven turn, not a provider SDK call.
        let kind = if call.client.shape == detect::clients::Shape::Livekit {
            FindingKind::FrameworkLlm
        } else {
            FindingKind::LlmCall
        };
        let mut finding = Finding::new(kind, position);
        finding.symbol = Some(syntax::enclosing_symbol(call.call, source));
        finding.form = Some(call.method.clone());
        finding.provider = Some(call.client.provider.clone());
        finding.model =
            call.model.map(|m| syntax::string_value(m, source).unwrap_or(syntax::text(m, source)).to_string());
        match outcome {
            llm_span::Outcome::Instrumented { span } => {
                finding.message = Some(format!("span {span}"));
                if llm_span::azure_usage_not_asked(call, source) {
                    out.findings.push(Finding::diagnostic(
                        position,
                        "VOF118",
                        "this Azure OpenAI stream does not ask for its usage, and `stream_options={\"include_usage\": \
                         True}` is not added for it (api-versions before 2024-09-01-preview reject it): its tokens \
                         are not counted; add it yourself if your api-version takes it"
                            .to_string(),
                    ));
                }
            }
            llm_span::Outcome::AlreadyInstrumented => finding.message = Some("already instrumented".into()),
            llm_span::Outcome::Unsafe { code, message } => {
                finding.message = Some("not instrumented".into());
                out.findings.push(Finding::diagnostic(position, code, message));
            }
        }
        out.findings.push(finding);
    }

    let Planner { fixes, mut edits, needs, .. } = planner;
    out.fixes = fixes;
    out.fixes.sort_by_key(|f| f.line);
    // What is missing is reported with its rule, the fix attached.
    for fix in &out.fixes {
        let rule = rules::rule(fix.code).map_or("", |r| r.summary);
        out.findings.push(Finding::diagnostic(at(fix.at), fix.code, format!("{rule}: {} (fix available)", fix.title)));
    }
    let rule_cx = rules::Context {
        root,
        source,
        semantics,
        file_name: file.path.file_name().and_then(|n| n.to_str()).unwrap_or(""),
    };
    // The style rules read OpenTelemetry code and tests: files with neither have nothing for them.
    let is_test = rule_cx.file_name.starts_with("test_") || rule_cx.file_name.ends_with("_test.py");
    let violations = if source.contains("opentelemetry") || is_test { rules::check(&rule_cx) } else { Vec::new() };
    for violation in violations {
        out.findings.push(Finding::diagnostic(at(violation.at), violation.code, violation.message));
    }
    // Configuration and `# voice-otel-fix: ignore[...]` comments silence diagnostics too.
    out.findings.retain(|f| {
        let Some(code) = &f.code else { return true };
        let offset = file.offset(f.line, f.column);
        enabled(code, offset)
    });
    out.setup = module_setup::plan(root, source, &file.path, &names, &needs, &file.indent_unit, file.line_ending);
    edits.extend(out.setup.iter().cloned());
    if edits.is_empty() {
        // Nothing to rewrite: the strict parser still says whether CPython would take the file.
        if let Err(err) = parse::check_syntax(source) {
            out.invalid_input = Some(err);
        }
        return out;
    }
    if semantics.quotes.0 > semantics.quotes.1 {
        let fix_edits = out.fixes.iter_mut().flat_map(|f| f.edits.iter_mut());
        for edit in edits.iter_mut().chain(out.setup.iter_mut()).chain(fix_edits) {
            edit.text = style::to_single_quotes(&edit.text);
        }
    }
    match edit::apply(source, edits) {
        // The edits only add code around what is there: a rewrite CPython accepts had an input it accepts.
        Ok(text) => match parse::check_syntax(&text) {
            Ok(()) if text != source => out.text = Some(text),
            Ok(()) => {}
            // The input itself may be what CPython rejects (tree-sitter is lenient): then say so.
            Err(err) => match parse::check_syntax(source) {
                Err(input) => out.invalid_input = Some(input),
                // Re-indenting a block whose lines mix tabs and spaces can change what
                // Python makes of them: say so rather than report an internal error.
                Ok(()) => match mixed_indentation(source) {
                    Some(line) => {
                        out.fixes.clear();
                        out.setup.clear();
                        out.findings.retain(|f| f.code.is_none());
                        out.findings.push(Finding::diagnostic(
                            (line, 1),
                            "VOF106",
                            "indentation mixes tabs and spaces here: not rewritten, since re-indenting could change \
                             its meaning; indent with one or the other",
                        ));
                    }
                    None => {
                        // A developer's aid: the planned text that did not parse.
                        if std::env::var_os("VOF_DEBUG_INVALID").is_some() {
                            eprintln!("{text}");
                        }
                        out.invalid_output = Some(err)
                    }
                },
            },
        },
        Err(overlap) => {
            out.invalid_output = Some(parse::SyntaxError {
                line: at(overlap.1.start).0,
                column: at(overlap.1.start).1,
                message: "two planned edits overlap".into(),
            })
        }
    }
    out
}

fn plan_helper(
    call: HelperCall,
    file: &SourceFile,
    (semantics, names): (&Semantics, &ModuleNames),
    unit: &str,
    planner: &mut Planner,
    findings: &mut Vec<Finding>,
) {
    let source = file.text.as_str();
    let symbol = syntax::symbol(call.helper, source);
    let position = file.line_col(call.helper.start_byte());
    let mut finding = Finding::new(FindingKind::Helper, position);
    finding.symbol = Some(symbol.clone());
    let mut needs = Needs::default();
    let awaited = call.call.parent().is_some_and(|p| p.kind_name() == "await");
    match bounded_span::plan(call.helper, awaited, (source, semantics), names, unit, file.line_ending, &mut needs) {
        bounded_span::Outcome::Decorated(edit) => {
            let span = bounded_span::span_name(call.helper, source);
            finding.message = Some(format!("span {span}"));
            let fix = Fix {
                id: FixId::new("helper", call.helper.start_byte()),
                code: "VOF002",
                at: call.helper.start_byte(),
                title: format!("span {span} on `{symbol}`"),
                line: position.0,
                requires: Vec::new(),
                edits: vec![edit],
            };
            planner.add(fix, &needs);
        }
        bounded_span::Outcome::AlreadyDecorated => finding.message = Some("already instrumented".into()),
        bounded_span::Outcome::Generator => {
            findings.push(Finding::diagnostic(
                position,
                "VOF104",
                format!(
                    "`{symbol}` is a generator: a span decorator would end before iteration; wrap its consumer instead"
                ),
            ));
            finding.message = Some("generator: not decorated".into());
        }
        bounded_span::Outcome::ReturnsAwaitable => {
            findings.push(Finding::diagnostic(
                position,
                "VOF104",
                format!(
                    "`{symbol}` is a plain `def` whose result is awaited (a coroutine or a task): its work runs \
                     after it returns, so a span decorator would end before it; make it `async def` and await \
                     inside, or wrap the code that awaits it"
                ),
            ));
            finding.message = Some("returns an awaitable: not decorated".into());
        }
    }
    findings.push(finding);
}

/// The greeting counter after the opening line an entrypoint says itself
/// (`greeting_counter::opening_lines`: one, or one per way it may say it),
/// when it calls no greeting helper.
fn plan_opening_line(
    function: Node,
    greeting: (&SessionSpan, &FixId),
    file: &SourceFile,
    (semantics, names): (&Semantics, &ModuleNames),
    planner: &mut Planner,
    findings: &mut Vec<Finding>,
) {
    let (session, session_id) = greeting;
    let source = file.text.as_str();
    if let Some((speech, why)) = greeting_counter::opening_line_by_0x_agent(function, source, semantics) {
        findings.push(Finding::diagnostic(file.line_col(speech.start_byte()), "VOF105", why));
    }
    for statement in greeting_counter::opening_lines(function, source, semantics) {
        let mut needs = Needs::default();
        let Ok(edit) = greeting_counter::count_after(statement, session, source, names, file.line_ending, &mut needs)
        else {
            continue;
        };
        let fix = Fix {
            id: FixId::new("greeting", statement.start_byte()),
            code: "VOF003",
            at: statement.start_byte(),
            title: format!(
                "voice.greetings.delivered after the opening line of `{}`",
                syntax::symbol(function, source)
            ),
            line: file.line_col(statement.start_byte()).0,
            requires: vec![session_id.clone()],
            edits: vec![edit],
        };
        planner.add(fix, &needs);
    }
}

/// The greeting counter after an entrypoint's call of a greeting helper
/// (`greeting`: the entrypoint's session span and its fix); whether the helper greets.
fn plan_greeting(
    call: HelperCall,
    greeting: (&SessionSpan, &FixId),
    file: &SourceFile,
    semantics: &Semantics,
    names: &ModuleNames,
    planner: &mut Planner,
    findings: &mut Vec<Finding>,
) -> bool {
    let (session, session_id) = greeting;
    let source = file.text.as_str();
    if !greeting_counter::is_greeting(call.helper, source, semantics) || syntax::is_generator(call.helper) {
        return false;
    }
    let position = file.line_col(call.call.start_byte());
    let mut needs = Needs::default();
    match greeting_counter::plan(call, session, source, semantics, names, file.line_ending, &mut needs) {
        Ok(edit) => {
            let fix = Fix {
                id: FixId::new("greeting", call.call.start_byte()),
                code: "VOF003",
                at: call.call.start_byte(),
                title: format!("voice.greetings.delivered after `{}`", syntax::symbol(call.helper, source)),
                line: position.0,
                requires: vec![session_id.clone()],
                edits: vec![edit],
            };
            planner.add(fix, &needs);
        }
        Err(message) => findings.push(Finding::diagnostic(position, "VOF105", message)),
    }
    true
}

/// The first line (1-based) whose indentation mixes tabs and spaces, when the
/// file indents some lines with tabs and others with spaces or both.
fn mixed_indentation(source: &str) -> Option<usize> {
    let indents = source.lines().map(|l| &l[..l.len() - l.trim_start_matches([' ', '\t']).len()]);
    let (mut tabs, mut spaces) = (false, false);
    let mut first_mixed = None;
    for (i, indent) in indents.enumerate() {
        tabs |= indent.contains('\t');
        spaces |= indent.contains(' ');
        if first_mixed.is_none() && indent.contains('\t') && indent.contains(' ') {
            first_mixed = Some(i + 1);
        }
    }
    first_mixed.or_else(|| (tabs && spaces).then_some(1))
}

/// The smallest named node starting at `offset`.
fn node_at(root: Node, offset: usize) -> Node {
    root.descendant_for_byte_range(offset, offset).unwrap_or(root)
}

/// The `function_definition` that starts at `start`.
fn function_at(root: Node, start: usize) -> Option<Node> {
    let mut node = root.descendant_for_byte_range(start, start)?;
    loop {
        if node.kind_name() == "function_definition" && node.start_byte() == start {
            return Some(node);
        }
        node = node.parent()?;
    }
}
