//! What every language's instrumentation produces: fixes (one reviewable
//! change each), the selection of fixes to apply, and the file's result.

use std::path::PathBuf;

use crate::edit;
use crate::report::Finding;

/// Where a text stops being valid source, 1-based.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Which fix a change belongs to: a transform and the byte where it applies.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FixId(pub String);

impl FixId {
    pub fn new(kind: &str, at: usize) -> FixId {
        FixId(format!("{kind}@{at}"))
    }
}

/// One reviewable change: what one transform does at one place. Every fix also
/// needs the module setup (imports, tracer, meter, instruments), which is made
/// for whatever set of fixes is applied.
#[derive(Debug, Clone)]
pub struct Fix {
    pub id: FixId,
    /// The rule the fix answers (`VOF001` session span, … `VOF005` AgentSession usage).
    pub code: &'static str,
    /// Byte offset it is reported at (a `# voice-otel-fix: ignore[...]` on that line silences it).
    pub at: usize,
    pub title: String,
    /// 1-based line where it applies.
    pub line: usize,
    /// Fixes this one cannot go without (a greeting counter needs its session span).
    pub requires: Vec<FixId>,
    /// Its own edits, as planned when every fix is applied (for showing it).
    pub edits: Vec<edit::Edit>,
}

/// Which fixes to apply.
#[derive(Debug, Clone, Copy)]
pub enum Selection<'a> {
    All,
    Only(&'a std::collections::HashSet<FixId>),
}

impl Selection<'_> {
    pub fn allows(&self, id: &FixId) -> bool {
        match self {
            Selection::All => true,
            Selection::Only(ids) => ids.contains(id),
        }
    }
}

/// The result of instrumenting one file in memory.
#[derive(Debug, Default)]
pub struct Instrumented {
    /// The new text, when anything changes.
    pub text: Option<String>,
    pub findings: Vec<Finding>,
    /// Attributes that fell back to defaults (one entry per place and attribute).
    pub defaulted: Vec<&'static str>,
    /// The planned output does not parse: a bug of ours, never written.
    pub invalid_output: Option<SyntaxError>,
    /// The input itself does not parse (found when validating a rewrite); never written.
    pub invalid_input: Option<SyntaxError>,
    /// Every fix that could be applied, in file order.
    pub fixes: Vec<Fix>,
    /// The module setup's edits for the applied fixes.
    pub setup: Vec<edit::Edit>,
    /// Dependencies the rewrite needs that the crate's manifest lacks (Rust).
    pub dependencies: Option<Dependencies>,
    /// Why what the file has to instrument was left alone (test code): the file is reported skipped.
    pub skipped: Option<&'static str>,
}

/// Lines a `Cargo.toml` needs in `[dependencies]` for the inserted code to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependencies {
    pub manifest: PathBuf,
    pub lines: Vec<String>,
}
