//! The inserted code, read from `templates/python/*.py` at build time, with
//! its `__hole__` identifiers filled and its indentation and line endings
//! made the file's own.

use std::collections::HashMap;

/// One snippet from `templates/python/`.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    pub name: &'static str,
    pub text: &'static str,
}

macro_rules! template {
    ($name:literal) => {
        Template { name: $name, text: include_str!(concat!("../../templates/python/", $name, ".py")) }
    };
}

pub const OTEL_IMPORTS: Template = template!("otel_imports");
pub const IMPORT_MODULE: Template = template!("import_module");
pub const TRACER: Template = template!("tracer");
pub const METER: Template = template!("meter");
pub const SESSIONS_STARTED: Template = template!("instrument_sessions_started");
pub const SESSION_DURATION: Template = template!("instrument_session_duration");
pub const GREETINGS_DELIVERED: Template = template!("instrument_greetings_delivered");
pub const LLM_TOKENS_INPUT: Template = template!("instrument_llm_tokens_input");
pub const LLM_TOKENS_OUTPUT: Template = template!("instrument_llm_tokens_output");
pub const LLM_TOKENS_CACHE_READ: Template = template!("instrument_llm_tokens_cache_read");
pub const LLM_SPAN: Template = template!("llm_span");
pub const LLM_CALL: Template = template!("llm_call");
pub const LLM_CALL_STREAM: Template = template!("llm_call_stream");
pub const LLM_CALL_WATCH: Template = template!("llm_call_watch");
pub const LLM_WATCHED_STREAM: Template = template!("llm_watched_stream");
pub const LLM_CALL_SITE: Template = template!("llm_call_site");
pub const USAGE_ANTHROPIC: Template = template!("llm_usage_anthropic");
pub const USAGE_OPENAI: Template = template!("llm_usage_openai");
pub const USAGE_GOOGLE: Template = template!("llm_usage_google");
pub const USAGE_COHERE: Template = template!("llm_usage_cohere");
pub const USAGE_BEDROCK: Template = template!("llm_usage_bedrock");
pub const USAGE_LIVEKIT: Template = template!("llm_usage_livekit");
pub const FRAMEWORK_USAGE_UPDATED: Template = template!("framework_usage_updated");
pub const FRAMEWORK_METRICS_COLLECTED: Template = template!("framework_metrics_collected");
pub const FRAMEWORK_COUNT: Template = template!("framework_count");
pub const FRAMEWORK_SUBSCRIBE: Template = template!("framework_subscribe");
pub const FRAMEWORK_SUBSCRIBE_RETURN: Template = template!("framework_subscribe_return");
pub const LLM_PROVIDER_NAME: Template = template!("llm_provider_name");
pub const JOB_METADATA_VALUE: Template = template!("job_metadata_value");
pub const SESSION_SPAN_START: Template = template!("session_span_start");
pub const SESSION_SPAN_USE: Template = template!("session_span_use");
pub const BOUNDED_SPAN_DECORATOR: Template = template!("bounded_span_decorator");
pub const GREETING_DELIVERED: Template = template!("greeting_delivered");
pub const WITH_SESSION_CONTEXT: Template = template!("with_session_context");
pub const CONFIGURED_VALUE: Template = template!("configured_value");
pub const LLM_ENDPOINT_PROVIDER: Template = template!("llm_endpoint_provider");

pub const ALL: &[Template] = &[
    OTEL_IMPORTS,
    IMPORT_MODULE,
    TRACER,
    METER,
    SESSIONS_STARTED,
    SESSION_DURATION,
    GREETINGS_DELIVERED,
    LLM_TOKENS_INPUT,
    LLM_TOKENS_OUTPUT,
    LLM_TOKENS_CACHE_READ,
    LLM_SPAN,
    LLM_CALL,
    LLM_CALL_STREAM,
    LLM_CALL_WATCH,
    LLM_WATCHED_STREAM,
    LLM_CALL_SITE,
    USAGE_ANTHROPIC,
    USAGE_OPENAI,
    USAGE_GOOGLE,
    USAGE_COHERE,
    USAGE_BEDROCK,
    USAGE_LIVEKIT,
    FRAMEWORK_USAGE_UPDATED,
    FRAMEWORK_METRICS_COLLECTED,
    FRAMEWORK_COUNT,
    FRAMEWORK_SUBSCRIBE,
    FRAMEWORK_SUBSCRIBE_RETURN,
    LLM_PROVIDER_NAME,
    JOB_METADATA_VALUE,
    SESSION_SPAN_START,
    SESSION_SPAN_USE,
    BOUNDED_SPAN_DECORATOR,
    GREETING_DELIVERED,
    WITH_SESSION_CONTEXT,
    CONFIGURED_VALUE,
    LLM_ENDPOINT_PROVIDER,
];

/// Python's own dunder names, which templates use as themselves.
const PYTHON_DUNDERS: &[&str] = &[
    "__name__",
    "__init__",
    "__enter__",
    "__exit__",
    "__aenter__",
    "__aexit__",
    "__aiter__",
    "__anext__",
    "__iter__",
    "__next__",
    "__call__",
    "__code__",
    "__qualname__",
];

/// How inserted lines are laid out in a particular place of a file.
#[derive(Debug, Clone)]
pub struct Layout<'a> {
    /// Whitespace before every line (the indentation of the place).
    pub indent: &'a str,
    /// One indentation level of the file (replaces each four-space step).
    pub unit: &'a str,
    pub line_ending: &'a str,
}

impl Template {
    /// The template with its holes filled; holes not in `holes` are left alone
    /// (`__name__` is Python's, not ours).
    pub fn fill(&self, holes: &HashMap<&str, String>) -> String {
        fill_holes(self.text, holes)
    }

    /// Filled and laid out: every line ends with the layout's line ending.
    pub fn render(&self, holes: &HashMap<&str, String>, layout: &Layout) -> String {
        lay_out(&self.fill(holes), layout)
    }

    /// The first `n` lines only (for snippets that need context to parse,
    /// like a decorator that must sit on a `def`).
    pub fn render_lines(&self, n: usize, holes: &HashMap<&str, String>, layout: &Layout) -> String {
        let filled = self.fill(holes);
        let head: Vec<&str> = filled.lines().take(n).collect();
        lay_out(&head.join("\n"), layout)
    }

    /// The body of a class snippet (its first line, the class header, left out):
    /// methods that join a class rendered from another template.
    pub fn render_members(&self, holes: &HashMap<&str, String>, layout: &Layout) -> String {
        let filled = self.fill(holes);
        let body: Vec<&str> = filled.lines().skip(1).collect();
        lay_out(&body.join("\n"), layout)
    }

    /// The holes this template uses.
    pub fn holes(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        scan_holes(self.text, |hole, _| {
            if !PYTHON_DUNDERS.contains(&hole) && !out.contains(&hole) {
                out.push(hole);
            }
        });
        out
    }
}

fn fill_holes(text: &str, holes: &HashMap<&str, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    scan_holes(text, |hole, at| {
        let key = &hole[2..hole.len() - 2];
        if let Some(value) = holes.get(key) {
            out.push_str(&text[last..at]);
            out.push_str(value);
            last = at + hole.len();
        }
    });
    out.push_str(&text[last..]);
    out
}

/// Calls `f(hole, offset)` for every `__identifier__` token of `text`.
fn scan_holes<'a>(text: &'a str, mut f: impl FnMut(&'a str, usize)) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i + 4 <= bytes.len() {
        let boundary = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if boundary && bytes[i] == b'_' && bytes[i + 1] == b'_' {
            let mut j = i + 2;
            while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                j += 1;
            }
            let token = &text[i..j];
            if token.len() > 4 && token.ends_with("__") && !token[2..token.len() - 2].starts_with('_') {
                f(token, i);
            }
            i = j;
        } else {
            i += 1;
        }
    }
}

fn lay_out(text: &str, layout: &Layout) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            out.push_str(layout.line_ending);
            continue;
        }
        let spaces = line.len() - line.trim_start_matches(' ').len();
        out.push_str(layout.indent);
        for _ in 0..spaces / 4 {
            out.push_str(layout.unit);
        }
        out.push_str(&" ".repeat(spaces % 4));
        out.push_str(line.trim_start_matches(' '));
        out.push_str(layout.line_ending);
    }
    out
}

/// The holes the transforms know how to fill.
#[cfg(test)]
const KNOWN_HOLES: &[&str] = &[
    "tracer",
    "trace",
    "meter",
    "metrics",
    "asyncio",
    "json",
    "voice_sessions_started",
    "voice_session_duration",
    "voice_greetings_delivered",
    "job_metadata_value",
    "started_at",
    "tenant_id",
    "user_id",
    "room_name",
    "tenant_id_value",
    "user_id_value",
    "room_name_value",
    "session_span",
    "on_shutdown",
    "reason_parameter",
    "ctx",
    "span_name",
    "helper",
    "names",
    "module",
    "otel_context",
    "contextlib",
    "inspect",
    "llm_span",
    "LlmCall",
    "WatchedStream",
    "llm_call",
    "llm_tokens_input",
    "llm_tokens_output",
    "llm_tokens_cache_read",
    "anthropic_usage",
    "openai_usage",
    "google_usage",
    "cohere_usage",
    "bedrock_usage",
    "livekit_usage",
    "framework_llm_usage",
    "framework_llm_metrics",
    "count_framework_llm_tokens",
    "llm_provider_name",
    "with_session_context",
    "configured_value",
    "llm_endpoint_provider",
    "session",
    "event",
    "handler",
    "plugin",
    "provider",
    "model",
    "use_case",
    "call_site",
    "usage",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses_and_uses_known_holes() {
        for template in ALL {
            let holes: HashMap<&str, String> =
                template.holes().iter().map(|h| (&h[2..h.len() - 2], format!("x_{}", &h[2..h.len() - 2]))).collect();
            let filled = template.fill(&holes);
            crate::python::parse::check_syntax(&filled).unwrap_or_else(|e| {
                panic!("templates/python/{}.py: {}:{}: {}", template.name, e.line, e.column, e.message)
            });
            for hole in template.holes() {
                assert!(KNOWN_HOLES.contains(&&hole[2..hole.len() - 2]), "{}: unknown hole {hole}", template.name);
            }
        }
    }

    #[test]
    fn lays_out_with_tabs_and_crlf() {
        let holes = HashMap::from([("tracer", "tracer".to_string()), ("span_name", "\"voice.x\"".to_string())]);
        let layout = Layout { indent: "\t", unit: "\t", line_ending: "\r\n" };
        assert_eq!(
            BOUNDED_SPAN_DECORATOR.render_lines(1, &holes, &layout),
            "\t@tracer.start_as_current_span(\"voice.x\")\r\n"
        );
        let holes = HashMap::new();
        let rendered = JOB_METADATA_VALUE.render(&holes, &Layout { indent: "", unit: "  ", line_ending: "\n" });
        assert!(rendered.contains("\n  try:\n    value = "), "{rendered}");
    }
}
