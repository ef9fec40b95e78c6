//! Module setup: the imports, `tracer`, `meter` and instruments the other
//! transforms use, inserted once per file after its imports. What the file
//! already has is reused (a module-level `tracer = trace.get_tracer(...)`, an
//! existing `voice.sessions.started` counter, `import asyncio`), only what is
//! used is added, and new names never collide with the file's own.
//!
//! ```python
//! # before
//! import logging
//!
//! from livekit.agents import JobContext, WorkerOptions, cli
//!
//! logger = logging.getLogger("agent")
//! ```
//! ```python
//! # after (for a file with one instrumented entrypoint)
//! import logging
//!
//! from livekit.agents import JobContext, WorkerOptions, cli
//! import asyncio
//! import json
//! from opentelemetry import metrics, trace
//!
//! tracer = trace.get_tracer(__name__)
//! meter = metrics.get_meter(__name__)
//! voice_sessions_started = meter.create_counter(
//!     "voice.sessions.started",
//!     unit="{session}",
//!     description="Voice sessions started by a LiveKit job entrypoint.",
//! )
//! voice_session_duration = meter.create_histogram(...)
//!
//!
//! def _job_metadata_value(ctx, key: str) -> str:
//!     ...
//!
//! logger = logging.getLogger("agent")
//! ```

use crate::python::syntax::Field;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use tree_sitter::Node;

use crate::edit::Edit;
use crate::python::imports::{self, NewImport};
use crate::python::names::fresh;
use crate::python::project::import_style;
use crate::python::semantics::{Binding, Semantics};
use crate::python::syntax::NodeKind;
use crate::python::syntax::{
    after_logical_line, first_positional, is_docstring, named_children, string_value, text, undecorated,
};
use crate::python::template::{self, Layout, Template};

/// A metric instrument the style guide names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Instrument {
    SessionsStarted,
    SessionDuration,
    GreetingsDelivered,
    LlmTokensInput,
    LlmTokensOutput,
    LlmTokensCacheRead,
}

impl Instrument {
    pub const ALL: [Instrument; 6] = [
        Instrument::SessionsStarted,
        Instrument::SessionDuration,
        Instrument::GreetingsDelivered,
        Instrument::LlmTokensInput,
        Instrument::LlmTokensOutput,
        Instrument::LlmTokensCacheRead,
    ];

    /// The metric name: contract, dashboards depend on it.
    pub fn metric(self) -> &'static str {
        match self {
            Instrument::SessionsStarted => "voice.sessions.started",
            Instrument::SessionDuration => "voice.session.duration_ms",
            Instrument::GreetingsDelivered => "voice.greetings.delivered",
            Instrument::LlmTokensInput => "llm.tokens.input",
            Instrument::LlmTokensOutput => "llm.tokens.output",
            Instrument::LlmTokensCacheRead => "llm.tokens.cache_read",
        }
    }

    fn variable(self) -> &'static str {
        match self {
            Instrument::SessionsStarted => "voice_sessions_started",
            Instrument::SessionDuration => "voice_session_duration",
            Instrument::GreetingsDelivered => "voice_greetings_delivered",
            Instrument::LlmTokensInput => "llm_tokens_input",
            Instrument::LlmTokensOutput => "llm_tokens_output",
            Instrument::LlmTokensCacheRead => "llm_tokens_cache_read",
        }
    }

    fn template(self) -> Template {
        match self {
            Instrument::SessionsStarted => template::SESSIONS_STARTED,
            Instrument::SessionDuration => template::SESSION_DURATION,
            Instrument::GreetingsDelivered => template::GREETINGS_DELIVERED,
            Instrument::LlmTokensInput => template::LLM_TOKENS_INPUT,
            Instrument::LlmTokensOutput => template::LLM_TOKENS_OUTPUT,
            Instrument::LlmTokensCacheRead => template::LLM_TOKENS_CACHE_READ,
        }
    }
}

/// A function that reads one SDK shape's usage (`templates/python/llm_usage_*.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UsageReader {
    Anthropic,
    OpenAi,
    Google,
    Cohere,
    Bedrock,
    Livekit,
}

impl UsageReader {
    pub const ALL: [UsageReader; 6] = [
        UsageReader::Anthropic,
        UsageReader::OpenAi,
        UsageReader::Google,
        UsageReader::Cohere,
        UsageReader::Bedrock,
        UsageReader::Livekit,
    ];

    /// The hole (and preferred name, with a leading underscore) of the function.
    pub fn hole(self) -> &'static str {
        match self {
            UsageReader::Anthropic => "anthropic_usage",
            UsageReader::OpenAi => "openai_usage",
            UsageReader::Google => "google_usage",
            UsageReader::Cohere => "cohere_usage",
            UsageReader::Bedrock => "bedrock_usage",
            UsageReader::Livekit => "livekit_usage",
        }
    }

    fn template(self) -> Template {
        match self {
            UsageReader::Anthropic => template::USAGE_ANTHROPIC,
            UsageReader::OpenAi => template::USAGE_OPENAI,
            UsageReader::Google => template::USAGE_GOOGLE,
            UsageReader::Cohere => template::USAGE_COHERE,
            UsageReader::Bedrock => template::USAGE_BEDROCK,
            UsageReader::Livekit => template::USAGE_LIVEKIT,
        }
    }
}

/// A module-level name the inserted code refers to, and whether the file already defines it.
#[derive(Debug, Clone)]
pub struct Name {
    pub name: String,
    pub exists: bool,
    /// Where the file's own module-level definition ends, when it has one.
    pub defined_end: Option<usize>,
}

/// The module-level names of one file, chosen once before any transform runs.
#[derive(Debug, Clone)]
pub struct ModuleNames {
    pub trace: Name,
    pub metrics: Name,
    pub tracer: Name,
    pub meter: Name,
    pub asyncio: Name,
    pub json: Name,
    pub job_metadata_value: Name,
    pub instruments: HashMap<Instrument, Name>,
    pub otel_context: Name,
    pub contextlib: Name,
    pub inspect: Name,
    pub llm_span: Name,
    pub llm_call_class: Name,
    pub watched_stream: Name,
    pub usage_readers: HashMap<UsageReader, Name>,
    pub framework_llm_usage: Name,
    pub framework_llm_metrics: Name,
    pub count_framework_llm_tokens: Name,
    pub llm_provider_name: Name,
    pub with_session_context: Name,
    pub configured_value: Name,
    pub llm_endpoint_provider: Name,
    pub contextvars: Name,
}

/// What the planned code uses; module setup adds exactly that.
#[derive(Debug, Clone, Default)]
pub struct Needs {
    pub tracer: bool,
    pub trace: bool,
    pub asyncio: bool,
    pub job_metadata_value: bool,
    pub instruments: BTreeSet<Instrument>,
    /// `opentelemetry.context`, where the session keeps the tenant for LLM call sites.
    pub otel_context: bool,
    /// The LLM span helper (`_llm_span`, `_LlmCall`) and the usage readers it is given.
    pub llm_helpers: bool,
    /// `_LlmCall.stream`, for streams consumed by a loop.
    pub llm_stream: bool,
    /// `_LlmCall.watch` and `_WatchedStream`, for anthropic's stream managers.
    pub llm_watch: bool,
    pub usage_readers: BTreeSet<UsageReader>,
    /// The `session_usage_updated` handler factory (livekit-agents 1.5 and later).
    pub framework_usage_updated: bool,
    /// The `metrics_collected` handler factory (before 1.5).
    pub framework_metrics_collected: bool,
    /// `_with_session_context`, for shutdown callbacks that make LLM calls.
    pub with_session_context: bool,
    /// `_configured_value`, reading a configured attribute expression safely.
    pub configured_value: bool,
    /// `_llm_endpoint_provider`, for clients whose `base_url` is set at run time.
    pub llm_endpoint_provider: bool,
    /// `import contextvars`, for functions run in an executor.
    pub contextvars: bool,
    /// Where code that runs at import first uses what the setup defines (a
    /// module-level LLM call in `_llm_span`): the setup must come before it.
    pub used_at_import: Option<usize>,
}

impl Needs {
    pub fn is_empty(&self) -> bool {
        !self.tracer
            && !self.trace
            && !self.asyncio
            && !self.job_metadata_value
            && self.instruments.is_empty()
            && !self.otel_context
            && !self.llm_helpers
            && !self.framework_usage_updated
            && !self.framework_metrics_collected
            && !self.with_session_context
            && !self.configured_value
            && !self.llm_endpoint_provider
            && !self.contextvars
    }

    /// What a framework usage handler uses.
    pub fn framework(&mut self, deprecated_event: bool) {
        if deprecated_event {
            self.framework_metrics_collected = true;
        } else {
            self.framework_usage_updated = true;
        }
        self.otel_context = true;
        self.instruments.extend([
            Instrument::LlmTokensInput,
            Instrument::LlmTokensOutput,
            Instrument::LlmTokensCacheRead,
        ]);
    }

    /// Everything `other` needs too.
    pub fn merge(&mut self, other: &Needs) {
        self.tracer |= other.tracer;
        self.trace |= other.trace;
        self.asyncio |= other.asyncio;
        self.job_metadata_value |= other.job_metadata_value;
        self.instruments.extend(other.instruments.iter().copied());
        self.otel_context |= other.otel_context;
        self.llm_helpers |= other.llm_helpers;
        self.llm_stream |= other.llm_stream;
        self.llm_watch |= other.llm_watch;
        self.usage_readers.extend(other.usage_readers.iter().copied());
        self.framework_usage_updated |= other.framework_usage_updated;
        self.framework_metrics_collected |= other.framework_metrics_collected;
        self.with_session_context |= other.with_session_context;
        self.configured_value |= other.configured_value;
        self.llm_endpoint_provider |= other.llm_endpoint_provider;
        self.contextvars |= other.contextvars;
        self.used_at_import = match (self.used_at_import, other.used_at_import) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }

    /// What the LLM helpers use.
    pub fn llm(&mut self, reader: UsageReader) {
        self.llm_helpers = true;
        self.otel_context = true;
        self.tracer = true;
        self.usage_readers.insert(reader);
        self.instruments.extend([
            Instrument::LlmTokensInput,
            Instrument::LlmTokensOutput,
            Instrument::LlmTokensCacheRead,
        ]);
    }
}

impl ModuleNames {
    /// The names the inserted code uses. A module-level name is reused only
    /// where no function the code goes into (`shadowed`: what the entrypoints
    /// bind locally) makes it a local of its own.
    pub fn of(
        root: Node,
        source: &str,
        semantics: &Semantics,
        shadowed: &HashSet<String>,
        taken: &mut HashSet<String>,
    ) -> ModuleNames {
        let imported = |module: &str, member: &str| -> Option<String> {
            semantics.module_imports.iter().filter(|(alias, _)| !shadowed.contains(*alias)).find_map(
                |(alias, binding)| match binding {
                    Binding::Member { module: m, name } if m == module && name == member => Some(alias.clone()),
                    Binding::Module(m) if m == &format!("{module}.{member}") => Some(alias.clone()),
                    _ => None,
                },
            )
        };
        let module = |name: &str, taken: &mut HashSet<String>| -> Name {
            match semantics.module_imports.get(name).filter(|_| !shadowed.contains(name)) {
                Some(Binding::Module(m)) if m == name => {
                    Name { name: name.to_string(), exists: true, defined_end: None }
                }
                _ => match semantics
                    .module_imports
                    .iter()
                    .find(|(alias, b)| **b == Binding::Module(name.to_string()) && !shadowed.contains(*alias))
                {
                    Some((alias, _)) => Name { name: alias.clone(), exists: true, defined_end: None },
                    None => Name { name: fresh(name, taken), exists: false, defined_end: None },
                },
            }
        };
        let otel = |member: &str, preferred: &str, taken: &mut HashSet<String>| -> Name {
            match imported("opentelemetry", member) {
                Some(alias) => Name { name: alias, exists: true, defined_end: None },
                None => Name { name: fresh(preferred, taken), exists: false, defined_end: None },
            }
        };
        let new = |preferred: &str, taken: &mut HashSet<String>| Name {
            name: fresh(preferred, taken),
            exists: false,
            defined_end: None,
        };
        let assigned = |callee: &str, preferred: &str, taken: &mut HashSet<String>| -> Name {
            let existing = semantics.assignments.iter().find(|(name, value)| {
                !shadowed.contains(*name)
                    && value.kind_name() == "call"
                    && semantics.callee(**value, source).as_deref() == Some(callee)
            });
            match existing {
                Some((name, value)) => Name { name: name.clone(), exists: true, defined_end: statement_end(*value) },
                None => Name { name: fresh(preferred, taken), exists: false, defined_end: None },
            }
        };
        let trace = otel("trace", "trace", taken);
        let metrics = otel("metrics", "metrics", taken);
        let otel_context = otel("context", "otel_context", taken);
        let tracer = assigned("opentelemetry.trace.get_tracer", "tracer", taken);
        let meter = assigned("opentelemetry.metrics.get_meter", "meter", taken);
        let asyncio = module("asyncio", taken);
        let json = module("json", taken);
        let job_metadata_value = new("_job_metadata_value", taken);
        let contextlib = module("contextlib", taken);
        let inspect = module("inspect", taken);
        let llm_span = new("_llm_span", taken);
        let llm_call_class = new("_LlmCall", taken);
        let watched_stream = new("_WatchedStream", taken);
        let usage_readers = UsageReader::ALL.into_iter().map(|r| (r, new(&format!("_{}", r.hole()), taken))).collect();
        let framework_llm_usage = new("_framework_llm_usage", taken);
        let framework_llm_metrics = new("_framework_llm_metrics", taken);
        let count_framework_llm_tokens = new("_count_framework_llm_tokens", taken);
        let llm_provider_name = new("_llm_provider_name", taken);
        let with_session_context = new("_with_session_context", taken);
        let configured_value = new("_configured_value", taken);
        let llm_endpoint_provider = new("_llm_endpoint_provider", taken);
        let contextvars = module("contextvars", taken);
        let mut instruments = HashMap::new();
        for instrument in Instrument::ALL {
            let existing = named_children(root).into_iter().find_map(|statement| {
                let (name, value) = crate::python::semantics::simple_assignment(statement, source)?;
                let function = value.field("function").filter(|f| f.kind_name() == "attribute")?;
                let method = text(function.field("attribute")?, source);
                let metric = first_positional(value).and_then(|a| string_value(a, source))?;
                (matches!(method, "create_counter" | "create_histogram" | "create_up_down_counter")
                    && metric == instrument.metric()
                    && !shadowed.contains(name))
                .then(|| name.to_string())
            });
            let name = match existing {
                Some(name) => Name { name, exists: true, defined_end: None },
                None => Name { name: fresh(instrument.variable(), taken), exists: false, defined_end: None },
            };
            instruments.insert(instrument, name);
        }
        ModuleNames {
            trace,
            metrics,
            tracer,
            meter,
            asyncio,
            json,
            job_metadata_value,
            instruments,
            otel_context,
            contextlib,
            inspect,
            llm_span,
            llm_call_class,
            watched_stream,
            usage_readers,
            framework_llm_usage,
            framework_llm_metrics,
            count_framework_llm_tokens,
            llm_provider_name,
            with_session_context,
            configured_value,
            llm_endpoint_provider,
            contextvars,
        }
    }

    pub fn instrument(&self, instrument: Instrument) -> &str {
        &self.instruments[&instrument].name
    }

    /// The holes every template may use for module-level names.
    pub fn holes(&self) -> HashMap<&'static str, String> {
        let mut holes = HashMap::from([
            ("trace", self.trace.name.clone()),
            ("metrics", self.metrics.name.clone()),
            ("tracer", self.tracer.name.clone()),
            ("meter", self.meter.name.clone()),
            ("asyncio", self.asyncio.name.clone()),
            ("json", self.json.name.clone()),
            ("job_metadata_value", self.job_metadata_value.name.clone()),
            ("otel_context", self.otel_context.name.clone()),
            ("contextlib", self.contextlib.name.clone()),
            ("inspect", self.inspect.name.clone()),
            ("llm_span", self.llm_span.name.clone()),
            ("LlmCall", self.llm_call_class.name.clone()),
            ("WatchedStream", self.watched_stream.name.clone()),
            ("framework_llm_usage", self.framework_llm_usage.name.clone()),
            ("framework_llm_metrics", self.framework_llm_metrics.name.clone()),
            ("count_framework_llm_tokens", self.count_framework_llm_tokens.name.clone()),
            ("llm_provider_name", self.llm_provider_name.name.clone()),
            ("with_session_context", self.with_session_context.name.clone()),
            ("configured_value", self.configured_value.name.clone()),
            ("llm_endpoint_provider", self.llm_endpoint_provider.name.clone()),
        ]);
        for reader in UsageReader::ALL {
            holes.insert(reader.hole(), self.usage_readers[&reader].name.clone());
        }
        for instrument in Instrument::ALL {
            holes.insert(instrument.variable(), self.instrument(instrument).to_string());
        }
        holes
    }
}

/// The edits that add what `needs` asks for and the file lacks.
pub fn plan(
    root: Node,
    source: &str,
    path: &Path,
    names: &ModuleNames,
    needs: &Needs,
    unit: &str,
    line_ending: &str,
) -> Vec<Edit> {
    if needs.is_empty() {
        return Vec::new();
    }
    let holes = names.holes();
    let layout = Layout { indent: "", unit, line_ending };
    let need_instruments = needs.instruments.iter().any(|i| !names.instruments[i].exists);
    let need_meter = need_instruments && !names.meter.exists;
    let need_tracer = needs.tracer && !names.tracer.exists;

    // New imports, each a statement of its own: `import asyncio`, and `from opentelemetry import ...`
    // with an aliased name on its own line (as isort writes them).
    let mut new_imports = Vec::new();
    for (needed, module, name) in [
        (needs.asyncio, "asyncio", &names.asyncio),
        (needs.llm_helpers, "contextlib", &names.contextlib),
        (needs.llm_helpers || needs.with_session_context, "inspect", &names.inspect),
        (needs.job_metadata_value, "json", &names.json),
        (needs.contextvars, "contextvars", &names.contextvars),
    ] {
        if needed && !name.exists {
            new_imports.push(NewImport {
                module: module.to_string(),
                from: false,
                // `import asyncio as otel_asyncio` sorts after a plain `import asyncio`.
                first_name: if name.name == module { String::new() } else { name.name.to_lowercase() },
                text: import_module(module, &name.name, &layout),
            });
        }
    }
    let mut otel_names = Vec::new();
    if needs.otel_context && !names.otel_context.exists {
        otel_names.push(alias("context", &names.otel_context.name));
    }
    if need_meter && !names.metrics.exists {
        otel_names.push(alias("metrics", &names.metrics.name));
    }
    if (need_tracer || needs.trace) && !names.trace.exists {
        otel_names.push(alias("trace", &names.trace.name));
    }
    // The project's sorter says whether an aliased name shares the statement.
    let style = if otel_names.is_empty() && new_imports.is_empty() { Default::default() } else { import_style(path) };
    let (aliased, plain): (Vec<String>, Vec<String>) =
        otel_names.into_iter().partition(|n| n.contains(" as ") && !style.combine_as);
    let mut statements: Vec<Vec<String>> = aliased.into_iter().map(|n| vec![n]).collect();
    // `metrics` joins an existing `from opentelemetry import trace` rather than starting a second statement.
    let merged = if plain.is_empty() {
        None
    } else {
        imports::merge_into(root, source, "opentelemetry", &plain, style.combine_as)
    };
    if merged.is_none() && !plain.is_empty() {
        statements.push(plain);
    }
    statements.sort();
    for members in statements {
        let holes = HashMap::from([("names", members.join(", "))]);
        new_imports.push(NewImport {
            module: "opentelemetry".to_string(),
            from: true,
            first_name: members[0].clone(),
            text: template::OTEL_IMPORTS.render(&holes, &layout),
        });
    }

    let mut definitions = String::new();
    if need_tracer {
        definitions.push_str(&template::TRACER.render(&holes, &layout));
    }
    if need_meter {
        definitions.push_str(&template::METER.render(&holes, &layout));
    }
    for instrument in &needs.instruments {
        if !names.instruments[instrument].exists {
            definitions.push_str(&instrument.template().render(&holes, &layout));
        }
    }
    let mut functions = Vec::new();
    if needs.job_metadata_value {
        functions.push(template::JOB_METADATA_VALUE);
    }
    if needs.configured_value {
        functions.push(template::CONFIGURED_VALUE);
    }
    functions.extend(needs.usage_readers.iter().map(|r| r.template()));
    if needs.llm_endpoint_provider {
        functions.push(template::LLM_ENDPOINT_PROVIDER);
    }
    if needs.llm_helpers {
        functions.extend([template::LLM_CALL, template::LLM_SPAN]);
    }
    if needs.framework_usage_updated {
        functions.push(template::FRAMEWORK_USAGE_UPDATED);
    }
    if needs.framework_metrics_collected {
        functions.push(template::FRAMEWORK_METRICS_COLLECTED);
    }
    if needs.framework_usage_updated || needs.framework_metrics_collected {
        functions.extend([template::FRAMEWORK_COUNT, template::LLM_PROVIDER_NAME]);
    }
    if needs.with_session_context {
        functions.push(template::WITH_SESSION_CONTEXT);
    }
    for function in &functions {
        if !definitions.is_empty() {
            definitions.push_str(line_ending);
        }
        definitions.push_str(line_ending);
        definitions.push_str(&function.render(&holes, &layout));
        if function.name == template::LLM_CALL.name {
            // Methods only the file's call sites use join the class.
            for (wanted, members) in
                [(needs.llm_stream, template::LLM_CALL_STREAM), (needs.llm_watch, template::LLM_CALL_WATCH)]
            {
                if wanted {
                    definitions.push_str(line_ending);
                    definitions.push_str(&members.render_members(&holes, &layout));
                }
            }
            if needs.llm_watch {
                definitions.push_str(line_ending);
                definitions.push_str(line_ending);
                definitions.push_str(&template::LLM_WATCHED_STREAM.render(&holes, &layout));
            }
        }
    }
    let ends_with_def = !functions.is_empty();

    let (at, after_imports) = insertion_point(root, source, needs.used_at_import);
    // Imports at their sorted places in the file's leading block when it has
    // one; those that fall where the definitions go, and all of them otherwise, there.
    let mut imports = String::new();
    let mut edits: Vec<Edit> = merged.into_iter().collect();
    match imports::place(root, source, &new_imports, &style.first_party, line_ending) {
        Some(places) => {
            for (place, text) in places {
                if place == at {
                    imports.push_str(&text);
                } else {
                    edits.push(Edit::setup(place, text));
                }
            }
        }
        None => new_imports.iter().for_each(|import| imports.push_str(&import.text)),
    }
    // Definitions that use the file's own tracer or meter go after them.
    let reused_end = [&names.tracer, &names.meter]
        .into_iter()
        .filter(|n| n.exists)
        .filter_map(|n| n.defined_end)
        .map(|end| after_logical_line(source, end))
        .max()
        .filter(|end| *end > at);
    match reused_end {
        Some(later) => {
            if !imports.is_empty() {
                edits.push(Edit::setup(at, with_newline_before(source, at, imports, line_ending)));
            }
            if !definitions.is_empty() {
                let text = format!("{line_ending}{definitions}");
                edits.push(Edit::setup(later, spaced(source, later, text, ends_with_def, line_ending)));
            }
        }
        None => {
            let mut text = imports;
            if !definitions.is_empty() {
                if after_imports || !text.is_empty() {
                    text.push_str(line_ending);
                }
                text.push_str(&definitions);
            }
            edits.push(Edit::setup(at, spaced(source, at, text, ends_with_def, line_ending)));
        }
    }
    edits
}

/// A file without a final newline gets one before our lines, not after the file's.
fn with_newline_before(source: &str, at: usize, text: String, line_ending: &str) -> String {
    if at == source.len() && !source.is_empty() && !source.ends_with('\n') {
        format!("{line_ending}{text}")
    } else {
        text
    }
}

/// Blank lines after inserted definitions: one, or two after a function, counting those already there.
fn spaced(source: &str, at: usize, text: String, ends_with_def: bool, line_ending: &str) -> String {
    let mut text = with_newline_before(source, at, text, line_ending);
    if at >= source.len() {
        return text;
    }
    let wanted = if ends_with_def { 2 } else { 1 };
    let existing = source[at..].split_inclusive('\n').take_while(|l| l.trim().is_empty()).take(wanted).count();
    for _ in existing..wanted {
        text.push_str(line_ending);
    }
    text
}

fn statement_end(value: Node) -> Option<usize> {
    let assignment = value.parent()?;
    Some(assignment.parent().unwrap_or(assignment).end_byte())
}

fn alias(member: &str, name: &str) -> String {
    if member == name {
        member.to_string()
    } else {
        format!("{member} as {name}")
    }
}

fn import_module(module: &str, name: &str, layout: &Layout) -> String {
    let holes = HashMap::from([("module", alias(module, name))]);
    template::IMPORT_MODULE.render(&holes, layout)
}

/// Just after the last module-level import that comes before the first
/// definition (decorators run at definition time and need the tracer) and
/// before the first statement that uses the setup when the module is imported
/// (`used_at_import`), or after the docstring, or at the first statement. The
/// flag says whether the point follows imports.
fn insertion_point(root: Node, source: &str, used_at_import: Option<usize>) -> (usize, bool) {
    let statements = named_children(root);
    let mut last_import = None;
    let mut docstring = None;
    for (i, statement) in statements.iter().enumerate() {
        if used_at_import.is_some_and(|at| statement.end_byte() > at) {
            break;
        }
        match undecorated(*statement).kind_name() {
            "import_statement" | "import_from_statement" | "future_import_statement" => last_import = Some(*statement),
            "function_definition" | "class_definition" => break,
            _ if i == 0 && is_docstring(*statement) => docstring = Some(*statement),
            _ => {}
        }
    }
    if let Some(import) = last_import {
        return (after_logical_line(source, import.end_byte()), true);
    }
    if let Some(doc) = docstring {
        return (after_logical_line(source, doc.end_byte()), false);
    }
    match statements.first() {
        Some(first) => (crate::python::syntax::line_start(source, first.start_byte()), false),
        None => (source.len(), false),
    }
}
