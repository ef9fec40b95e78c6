//! What a run found and did, for people (text) and machines (JSON, SPEC §1).

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    Entrypoint,
    Helper,
    LlmCall,
    FrameworkLlm,
    Diagnostic,
}

/// One thing found in a file. Lines and columns are 1-based; a function's line
/// is its `def` line, a call's line where the call expression starts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub line: usize,
    pub column: usize,
    pub symbol: Option<String>,
    pub form: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub code: Option<String>,
    pub message: Option<String>,
}

impl Finding {
    pub fn new(kind: FindingKind, (line, column): (usize, usize)) -> Finding {
        Finding { kind, line, column, symbol: None, form: None, provider: None, model: None, code: None, message: None }
    }

    pub fn diagnostic(at: (usize, usize), code: &str, message: impl Into<String>) -> Finding {
        Finding {
            code: Some(code.to_string()),
            message: Some(message.into()),
            ..Finding::new(FindingKind::Diagnostic, at)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    Changed,
    Unchanged,
    Skipped,
    Error,
}

/// One file's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: String,
    pub status: FileStatus,
    pub reason: Option<String>,
    pub findings: Vec<Finding>,
    /// The unified diff of the planned change (text output only).
    #[serde(skip)]
    pub diff: Option<String>,
    /// An I/O problem (exit status 2) rather than a problem with the source.
    #[serde(skip)]
    pub io_error: bool,
    /// Where the error is, for `path:line:col: error: …`.
    #[serde(skip)]
    pub error_at: Option<(usize, usize)>,
    /// Session attributes that use the tool's defaults, one entry per entrypoint.
    #[serde(skip)]
    pub defaulted: Vec<&'static str>,
    /// The package (directory of the applying config), for the per-package summary.
    #[serde(skip)]
    pub package: Option<String>,
    /// The planned fixes, for SARIF.
    #[serde(skip)]
    pub sarif: Vec<crate::sarif::SarifFix>,
    /// What the planned change needs in its crate's `Cargo.toml` (Rust).
    #[serde(skip)]
    pub dependencies: Option<crate::fix::Dependencies>,
    /// Skipped while instrumenting (the reason's summary key); the prefilter's skips are counted where it runs.
    #[serde(skip)]
    pub skipped_as: Option<&'static str>,
}

impl FileReport {
    /// Whether `--check` fails for this file: a change, an error, or a rule's diagnostic.
    pub fn has_work(&self) -> bool {
        matches!(self.status, FileStatus::Changed | FileStatus::Error)
            || self.findings.iter().any(|x| x.kind == FindingKind::Diagnostic && x.code.is_some())
    }

    pub fn new(path: String, status: FileStatus) -> FileReport {
        FileReport {
            path,
            status,
            reason: None,
            findings: Vec::new(),
            diff: None,
            io_error: false,
            error_at: None,
            defaulted: Vec::new(),
            sarif: Vec::new(),
            package: None,
            dependencies: None,
            skipped_as: None,
        }
    }

    pub fn error(path: String, at: (usize, usize), reason: impl Into<String>) -> FileReport {
        FileReport { reason: Some(reason.into()), error_at: Some(at), ..FileReport::new(path, FileStatus::Error) }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub files_scanned: usize,
    pub entrypoints: usize,
    pub helpers: usize,
    pub llm_call_sites: usize,
    /// AgentSessions and LiveKit LLM streams whose usage is counted.
    pub framework_llm: usize,
    pub files_changed: usize,
    pub files_with_errors: usize,
    pub diagnostics: usize,
    /// Of the diagnostics, the missing instrumentation a rewrite adds (in the
    /// text summary only: the JSON summary's fields stay as they are).
    #[serde(skip)]
    pub fixable: usize,
    /// Why files were skipped, and how many.
    pub skipped: BTreeMap<String, usize>,
    /// Session attributes that fell back to the tool's defaults, and in how many entrypoints.
    pub default_attributes: BTreeMap<String, usize>,
}

impl Summary {
    /// Adds a file's findings, defaults and status to the counts.
    pub fn count(&mut self, report: &FileReport) {
        let count = |kind: FindingKind| report.findings.iter().filter(|f| f.kind == kind).count();
        self.entrypoints += count(FindingKind::Entrypoint);
        self.helpers += count(FindingKind::Helper);
        self.llm_call_sites += count(FindingKind::LlmCall);
        self.framework_llm += count(FindingKind::FrameworkLlm);
        self.diagnostics += count(FindingKind::Diagnostic);
        self.fixable += report
            .findings
            .iter()
            .filter(|f| {
                f.kind == FindingKind::Diagnostic && f.code.as_deref().is_some_and(crate::python::rules::is_fix_rule)
            })
            .count();
        for attribute in &report.defaulted {
            *self.default_attributes.entry(attribute.to_string()).or_default() += 1;
        }
        match report.status {
            FileStatus::Changed => self.files_changed += 1,
            FileStatus::Error => self.files_with_errors += 1,
            _ => {}
        }
        if let Some(reason) = report.skipped_as {
            *self.skipped.entry(reason.to_string()).or_default() += 1;
        }
    }
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub version: u32,
    pub files: Vec<FileReport>,
    pub summary: Summary,
}

impl Report {
    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        let mut json = JsonStream::begin(&mut out, self.version).expect("writing to memory");
        for file in &self.files {
            json.file(file).expect("writing to memory");
        }
        json.end(&self.summary).expect("writing to memory");
        String::from_utf8(out).expect("JSON is UTF-8")
    }

    /// Whether anything would change, or a file could not be handled.
    pub fn has_work(&self) -> bool {
        self.files.iter().any(FileReport::has_work)
    }

    pub fn has_io_error(&self) -> bool {
        self.files.iter().any(|f| f.io_error)
    }

    /// The summary line printed at the end of a text run.
    pub fn summary_line(&self, applied: bool) -> String {
        let s = &self.summary;
        let verb = if applied { "changed" } else { "would change" };
        let mut line = format!(
            "{} files scanned, {} entrypoints, {} helpers, {} LLM call sites, {} framework LLM turns, {} files {}",
            s.files_scanned, s.entrypoints, s.helpers, s.llm_call_sites, s.framework_llm, s.files_changed, verb
        );
        if s.diagnostics > 0 {
            line.push_str(&format!(", {} diagnostics", s.diagnostics));
            if s.fixable > 0 {
                line.push_str(&format!(" ({} fixable)", s.fixable));
            }
        }
        if s.files_with_errors > 0 {
            line.push_str(&format!(", {} with errors", s.files_with_errors));
        }
        let skipped: usize = s.skipped.values().sum();
        if skipped > 0 {
            let reasons: Vec<String> = s.skipped.iter().map(|(r, n)| format!("{n} {r}")).collect();
            line.push_str(&format!(", {} skipped ({})", skipped, reasons.join(", ")));
        }
        if !s.default_attributes.is_empty() {
            let attrs: Vec<&str> = s.default_attributes.keys().map(String::as_str).collect();
            line.push_str(&format!("; defaults used for {}", attrs.join(", ")));
        }
        line
    }
}

/// The JSON document of a run (`serde_json`'s pretty form of `Report`),
/// written a file at a time, so that a large run's report is never held whole.
pub struct JsonStream<W: std::io::Write> {
    out: W,
    files: usize,
}

impl<W: std::io::Write> JsonStream<W> {
    pub fn begin(mut out: W, version: u32) -> std::io::Result<JsonStream<W>> {
        write!(out, "{{\n  \"version\": {version},\n  \"files\": [")?;
        Ok(JsonStream { out, files: 0 })
    }

    pub fn file(&mut self, file: &FileReport) -> std::io::Result<()> {
        let separator = if self.files == 0 { "" } else { "," };
        self.files += 1;
        write!(self.out, "{separator}\n    {}", indented(&serde_json::to_string_pretty(file)?, "    "))
    }

    pub fn end(mut self, summary: &Summary) -> std::io::Result<W> {
        let close = if self.files == 0 { "]" } else { "\n  ]" };
        write!(self.out, "{close},\n  \"summary\": {}\n}}", indented(&serde_json::to_string_pretty(summary)?, "  "))?;
        Ok(self.out)
    }
}

/// A pretty-printed JSON value nested `by` deeper (its strings hold no raw line breaks).
fn indented(json: &str, by: &str) -> String {
    json.replace('\n', &format!("\n{by}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_streamed_json_is_serde_jsons_pretty_report() {
        let mut changed = FileReport::new("a b/agent.py".into(), FileStatus::Changed);
        changed.findings.push(Finding::diagnostic((3, 1), "VOF001", "session span \"x\"\nmissing"));
        let error = FileReport::error("z.py".into(), (1, 2), "syntax error: ...");
        let mut summary = Summary { files_scanned: 2, ..Summary::default() };
        summary.skipped.insert("third-party package sources".into(), 3);
        for files in [vec![], vec![changed.clone()], vec![changed, error]] {
            let report = Report { version: 1, files, summary: summary.clone() };
            assert_eq!(report.to_json(), serde_json::to_string_pretty(&report).unwrap());
        }
    }
}
