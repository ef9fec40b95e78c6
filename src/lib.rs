//! `voice-otel-fix`: instruments LiveKit Agents voice bots (Python) and the
//! LLM calls of Rust services with OpenTelemetry in the house style. The
//! pipeline reads top to bottom:
//!
//! walk → prefilter (bytes) → decode → parse → detect (registrations, linked
//! across modules) → plan edits (one transform a file) → apply in memory →
//! validate → diff → write (atomic) → report.
//!
//! Python lives in `python/`, Rust in `rust/`; both produce the fixes and
//! results of `fix`, so everything after planning is shared.

pub mod config;
pub mod diff;
mod gitdirty;
pub use gitdirty::dirty_files;
pub mod edit;
pub mod fix;
pub mod llm;
mod prefilter;
mod progress;
pub mod python;
pub mod report;
pub mod review;
pub mod rust;
pub mod sarif;
pub mod smoke;
pub mod source;
mod vendored;
pub mod walk;
pub mod write;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use config::Settings;
use python::detect::link::{self, EntrypointRef, ModuleFacts};
use report::{FileReport, FileStatus, FindingKind, Report, Summary};
use source::SourceFile;

/// What to do with the planned changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write them.
    Apply,
    /// Show them, write nothing.
    DryRun,
    /// Show them, write nothing, and fail when there are any.
    Check,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    pub mode: Mode,
    /// `--exclude` globs, on top of `.gitignore` and configuration.
    pub excludes: Vec<String>,
    /// Write even into files with uncommitted changes in their git work tree.
    pub allow_dirty: bool,
    /// Show a progress bar on stderr (the CLI sets it for terminals).
    pub progress: bool,
    /// `--select`: rule codes or prefixes to check, instead of the configuration's.
    pub select: Option<Vec<String>>,
    /// `--ignore`: rule codes or prefixes not to check, on top of the configuration's.
    pub ignore: Vec<String>,
    /// Keep each fix's replacements for SARIF (`--format sarif`).
    pub sarif: bool,
    /// `--add-deps`: add what the Rust rewrite needs to the crate's `Cargo.toml`.
    pub add_deps: bool,
    /// Make each changed file's unified diff (the CLI shows them only as text, when not applying).
    pub diffs: bool,
}

impl Options {
    pub fn new(paths: Vec<PathBuf>, mode: Mode) -> Options {
        Options {
            paths,
            mode,
            excludes: Vec::new(),
            allow_dirty: false,
            progress: false,
            select: None,
            ignore: Vec::new(),
            sarif: false,
            add_deps: false,
            diffs: true,
        }
    }
}

/// A file read and decoded (a Rust file also accepted by its parser; a Python
/// file is parsed strictly when it is instrumented). Its tree-sitter tree is
/// made when the file is instrumented and dropped after, so that a large tree
/// is never held whole in memory.
struct Parsed {
    file: Source,
    settings: Arc<Settings>,
    /// A file that registers entrypoints is parsed before the links are known,
    /// for its module facts. It is instrumented with every fix right then, for
    /// the entrypoints it registers itself, rather than parsed a second time:
    /// kept for when no other module registers anything in it (almost always).
    early: Option<Early>,
}

/// A file's source: held, or let go of once its early result is made (that
/// result holds what it needs; a large run holds thousands) and read again,
/// checked unchanged, when it is needed.
enum Source {
    Held(SourceFile),
    Released(source::Released),
}

impl Source {
    fn get(&self) -> Result<std::borrow::Cow<'_, SourceFile>, source::SourceError> {
        match self {
            Source::Held(file) => Ok(std::borrow::Cow::Borrowed(file)),
            Source::Released(released) => released.reload().map(std::borrow::Cow::Owned),
        }
    }

    fn path(&self) -> &Path {
        match self {
            Source::Held(file) => &file.path,
            Source::Released(released) => &released.path,
        }
    }
}

/// A file instrumented with every fix before the links were known.
struct Early {
    refs: Vec<EntrypointRef>,
    result: Compact,
}

/// An instrumentation result held until it is used. Its new text, when its
/// fixes' and setup's edits make exactly that text again, is dropped and
/// re-made when taken: the edits are a fraction of a whole file. The edits'
/// texts are held once for all files (most are the same inserted helpers).
struct Compact {
    /// The result, its edits' texts moved to `texts`.
    result: python::Instrumented,
    /// The fixes' edits' texts, then the setup's, in order.
    texts: Vec<Arc<str>>,
    text_dropped: bool,
}

impl Compact {
    fn new(source: &str, mut result: python::Instrumented, shared: &SharedTexts) -> Compact {
        let same = result.text.as_ref().is_some_and(|text| rebuilt(source, &result).as_ref() == Some(text));
        if same {
            result.text = None;
        }
        let edits = result.fixes.iter_mut().flat_map(|f| f.edits.iter_mut()).chain(result.setup.iter_mut());
        let texts = edits.map(|edit| shared.get(std::mem::take(&mut edit.text))).collect();
        // Held for the whole of stage 1: no room to grow.
        result.findings.shrink_to_fit();
        result.fixes.shrink_to_fit();
        result.fixes.iter_mut().for_each(|fix| fix.edits.shrink_to_fit());
        result.setup.shrink_to_fit();
        Compact { result, texts, text_dropped: same }
    }

    fn take(self, source: &str) -> python::Instrumented {
        let mut result = self.result;
        let edits = result.fixes.iter_mut().flat_map(|f| f.edits.iter_mut()).chain(result.setup.iter_mut());
        for (edit, text) in edits.zip(self.texts) {
            edit.text = text.to_string();
        }
        if self.text_dropped {
            result.text = rebuilt(source, &result);
        }
        result
    }
}

/// Edits' texts seen while planning, so that files inserting the same text
/// share one copy (dropped with the plan's stage 1; the copies live on in the results).
#[derive(Default)]
struct SharedTexts(std::sync::Mutex<HashSet<Arc<str>>>);

impl SharedTexts {
    /// The one copy of a text: a helper class, usage readers, a line's added indentation.
    fn get(&self, text: String) -> Arc<str> {
        let mut seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = seen.get(text.as_str()) {
            return found.clone();
        }
        let text: Arc<str> = Arc::from(text);
        seen.insert(text.clone());
        text
    }
}

/// The text every fix and the setup of a result make.
fn rebuilt(source: &str, result: &python::Instrumented) -> Option<String> {
    let edits = result.fixes.iter().flat_map(|f| f.edits.iter().cloned()).chain(result.setup.iter().cloned()).collect();
    edit::apply(source, edits).ok()
}

/// A file the tool will look at closely: parsed, with the entrypoints that other
/// modules register in it. `instrument` plans its fixes for any selection.
pub struct FilePlan {
    /// The path as shown (relative to the working directory when under it).
    pub shown: String,
    parsed: Parsed,
    refs: Vec<EntrypointRef>,
    /// What instrumenting with every fix gave before the links were known, when
    /// the links did not change it; taken by the first `instrument(All)`.
    early: std::sync::Mutex<Option<Compact>>,
}

impl FilePlan {
    /// Plans and applies the selected fixes in memory.
    pub fn instrument(&self, selection: python::Selection) -> python::Instrumented {
        match self.parsed.file.get() {
            Ok(file) => self.instrument_source(&file, selection),
            Err(err) => unreadable_now(err),
        }
    }

    /// `instrument`, with the source already at hand.
    fn instrument_source(&self, file: &SourceFile, selection: python::Selection) -> python::Instrumented {
        if matches!(selection, python::Selection::All) {
            if let Some(result) = self.early.lock().unwrap_or_else(|e| e.into_inner()).take() {
                return result.take(&file.text);
            }
        }
        if walk::Language::of(&file.path) == walk::Language::Rust {
            return rust::instrument(file, &self.parsed.settings, selection);
        }
        let tree = match python::parse::tree(&file.text) {
            Ok(tree) => tree,
            Err(err) => return python::Instrumented { invalid_input: Some(err), ..python::Instrumented::default() },
        };
        python::instrument(file, &tree, &self.refs, &self.parsed.settings, selection)
    }

    /// The decoded text (no BOM) that fixes' edits apply to.
    pub fn text(&self) -> String {
        self.parsed.file.get().map(|file| file.text.clone()).unwrap_or_default()
    }

    /// The file's text as read (BOM included), for diffs.
    pub fn original_text(&self) -> String {
        self.parsed.file.get().map(|file| String::from_utf8_lossy(&file.original()).into_owned()).unwrap_or_default()
    }

    /// The bytes of a new text, in the file's encoding (BOM kept).
    pub fn encode(&self, text: &str) -> Vec<u8> {
        let bom = match &self.parsed.file {
            Source::Held(file) => file.bom,
            Source::Released(released) => released.bom,
        };
        source::encode(bom, text)
    }

    /// Writes new bytes atomically, unless the file changed since it was read.
    pub fn write(&self, bytes: &[u8]) -> Result<(), write::WriteError> {
        let file = self.parsed.file.get().map_err(|_| write::WriteError::ChangedDuringRun)?;
        write::replace_atomically(&file.path, &file.original(), bytes)
    }

    /// The package the file belongs to: the directory of the config that applies, as shown.
    pub fn package(&self) -> Option<String> {
        let cwd = std::env::current_dir().unwrap_or_default();
        let dir = self.parsed.settings.source.as_ref()?.parent()?;
        Some(display(dir, &cwd)).map(|d| if d.is_empty() { ".".to_string() } else { d })
    }

    /// The file's path on disk.
    pub fn path(&self) -> &Path {
        self.parsed.file.path()
    }
}

/// A released source that could not be read again, or changed: reported, never written.
fn unreadable_now(err: source::SourceError) -> python::Instrumented {
    let at = python::parse::SyntaxError { line: err.line, column: err.column, message: err.message };
    python::Instrumented { invalid_input: Some(at), ..python::Instrumented::default() }
}

/// What the walk, the prefilter and the parser found: files to plan, and problems.
pub struct Plan {
    pub files: Vec<FilePlan>,
    /// Files that could not be read, decoded or parsed, or were skipped.
    pub problems: Vec<FileReport>,
    pub summary: Summary,
}

/// A file the prefilter kept.
struct Kept {
    path: PathBuf,
    canonical: PathBuf,
    settings: Arc<Settings>,
    /// Whether it may register entrypoints.
    registers: bool,
    bytes: Vec<u8>,
}

/// What the first look and the parse made of a file.
enum Stage1 {
    Parsed(PathBuf, Box<Parsed>, ModuleFacts),
    /// Skipped by the prefilter: looked at again only if another module registers an entrypoint in it.
    Other(PathBuf),
    Report(Box<FileReport>, Option<&'static str>),
    /// Not looked at, and not worth a line of its own: counted in the summary.
    Skipped(&'static str),
}

/// Decodes and parses a kept file; one that may register entrypoints is
/// instrumented right away, for its module facts and links.
fn parse_kept(kept: Kept, cwd: &Path, shared: &SharedTexts) -> Stage1 {
    let Kept { path, canonical, settings, registers, bytes } = kept;
    let shown = || display(&path, cwd);
    let file = match read_source(&path, bytes) {
        Ok(file) => file,
        Err(unreadable) => return Stage1::Report(Box::new(unreadable.report(shown())), None),
    };
    if !registers {
        let parsed = Parsed { file: Source::Held(file), settings, early: None };
        return Stage1::Parsed(canonical, Box::new(parsed), ModuleFacts::default());
    }
    // Only files that may register entrypoints need a tree now, for the links.
    let tree = match python::parse::tree(&file.text) {
        Ok(tree) => tree,
        Err(err) => {
            return Stage1::Report(Box::new(FileReport::error(shown(), (err.line, err.column), err.message)), None)
        }
    };
    let semantics = python::semantics::Semantics::of(tree.root_node(), &file.text);
    let facts = python::module_facts(&semantics, &file.text);
    let own = HashMap::from([(canonical.clone(), facts)]);
    let refs = link::link(&own).remove(&canonical).unwrap_or_default();
    let result = python::instrument_with(&file, &tree, &semantics, &refs, &settings, python::Selection::All);
    let early = Some(Early { refs, result: Compact::new(&file.text, result, shared) });
    drop(semantics);
    drop(tree);
    let parsed = Parsed { file: Source::Released(file.release()), settings, early };
    Stage1::Parsed(canonical, Box::new(parsed), own.into_values().next().unwrap_or_default())
}

/// Settings, excludes, the bytes and the prefilter: the first look at a file,
/// which most files go no further than (`Err`: what became of it).
fn look(
    path: PathBuf,
    options: &Options,
    resolver: &config::Resolver,
    prefilter: &prefilter::Prefilter,
    cwd: &Path,
) -> Result<Box<Kept>, Stage1> {
    let shown = || display(&path, cwd);
    // A path given on the command line may be a symlink; what the walk found below one is not.
    let canonical =
        if options.paths.contains(&path) { resolver.canonical(&path) } else { resolver.canonical_walked(&path) };
    let settings = match resolver.for_dir(canonical.parent().unwrap_or(Path::new("/"))) {
        Ok(settings) => with_rule_options(settings, options),
        Err(err) => {
            let mut report = FileReport::error(shown(), (err.line, err.column), err.to_string());
            report.io_error = true;
            return Err(Stage1::Report(Box::new(report), None));
        }
    };
    if settings.excludes(&canonical) {
        let mut report = FileReport::new(shown(), FileStatus::Skipped);
        report.reason = Some("excluded by configuration".into());
        return Err(Stage1::Report(Box::new(report), Some("excluded by configuration")));
    }
    // Most files are skipped on their bytes: read into this thread's buffer, copied only when kept.
    let language = walk::Language::of(&path);
    let kept = read_reusing(&path, |bytes| {
        let verdict = match language {
            walk::Language::Python => prefilter.verdict(bytes),
            walk::Language::Rust => prefilter.verdict_rust(bytes),
        };
        (verdict != prefilter::Verdict::Skip).then(|| (verdict, bytes.to_vec()))
    });
    let (verdict, bytes) = match kept {
        Ok(Some(kept)) => kept,
        Ok(None) => return Err(Stage1::Other(path)),
        Err(err) => {
            let mut report = FileReport::error(shown(), (1, 1), format!("cannot read: {err}"));
            report.io_error = true;
            return Err(Stage1::Report(Box::new(report), None));
        }
    };
    if language == walk::Language::Python && settings.skip_third_party && vendored::package_of(&path).is_some() {
        return Err(Stage1::Skipped(VENDORED));
    }
    let registers = verdict == prefilter::Verdict::ParseRegistering;
    Ok(Box::new(Kept { path, canonical, settings, registers, bytes }))
}

/// Why files of a provider SDK's, LiveKit's or OpenTelemetry's own packages are skipped.
const VENDORED: &str = "third-party package sources";

/// Walks, prefilters, parses and links entrypoints across modules.
pub fn plan(options: &Options) -> Plan {
    // Deeply nested sources make deep trees: give the workers room (once per process).
    let _ = rayon::ThreadPoolBuilder::new().stack_size(64 << 20).build_global();
    let cwd = std::env::current_dir().unwrap_or_default();
    let resolver = config::Resolver::default();
    let prefilter = prefilter::Prefilter::default();

    // Walk, read and prefilter together, on the walker's threads (most files end there);
    // what is kept is parsed on the workers meanwhile.
    let stage1 = std::sync::Mutex::new(Vec::new());
    let shared = SharedTexts::default();
    let push = |stage: Stage1| stage1.lock().unwrap_or_else(|e| e.into_inner()).push(stage);
    let (files_scanned, walk_errors) = rayon::in_place_scope(|scope| {
        let look_at = |path: PathBuf| match look(path, options, &resolver, &prefilter, &cwd) {
            Ok(kept) => scope.spawn(|_| push(parse_kept(*kept, &cwd, &shared))),
            Err(stage) => push(stage),
        };
        walk::visit_source_files(&options.paths, &options.excludes, &look_at)
    });
    let stage1 = stage1.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut problems: Vec<FileReport> = walk_errors
        .into_iter()
        .map(|e| {
            let mut report = FileReport::error(display(&e.path, &cwd), (1, 1), e.message);
            report.io_error = true;
            report
        })
        .collect();
    let mut summary = Summary { files_scanned, ..Summary::default() };

    let mut parsed: HashMap<PathBuf, Parsed> = HashMap::new();
    let mut facts: HashMap<PathBuf, ModuleFacts> = HashMap::new();
    let mut others: Vec<PathBuf> = Vec::new();
    for stage in stage1 {
        match stage {
            Stage1::Parsed(canonical, file, module) => {
                facts.insert(canonical.clone(), module);
                parsed.insert(canonical, *file);
            }
            Stage1::Other(path) => others.push(path),
            Stage1::Skipped(reason) => *summary.skipped.entry(reason.to_string()).or_default() += 1,
            Stage1::Report(report, skipped) => {
                if let Some(reason) = skipped {
                    *summary.skipped.entry(reason.to_string()).or_default() += 1;
                }
                problems.push(*report);
            }
        }
    }

    // Entrypoints, linked across modules; only files we were given are touched.
    let mut entrypoints = link::link(&facts);
    // Files the prefilter skipped that another module registers an entrypoint in: few,
    // found by name first, so that only their directories' realpaths are looked up.
    let names: HashSet<&std::ffi::OsStr> = entrypoints.keys().filter_map(|p| p.file_name()).collect();
    let targets: Vec<(PathBuf, &PathBuf)> = others
        .iter()
        .filter(|path| path.file_name().is_some_and(|name| names.contains(name)))
        .map(|path| (resolver.canonical(path), path))
        .filter(|(canonical, _)| entrypoints.contains_key(canonical))
        .collect();
    let loaded: Vec<(PathBuf, Result<Parsed, Box<FileReport>>)> = targets
        .into_par_iter()
        .map(|(canonical, path)| {
            let shown = display(path, &cwd);
            let file = match std::fs::read(path) {
                Ok(bytes) => {
                    let settings = with_rule_options(resolver.for_file(path).unwrap_or_default(), options);
                    read_source(path, bytes)
                        .map(|file| Parsed { file: Source::Held(file), settings, early: None })
                        .map_err(|u| Box::new(u.report(shown)))
                }
                Err(err) => {
                    let mut report = FileReport::error(shown, (1, 1), format!("cannot read: {err}"));
                    report.io_error = true;
                    Err(Box::new(report))
                }
            };
            (canonical, file)
        })
        .collect();
    for (canonical, result) in loaded {
        match result {
            Ok(file) => {
                parsed.insert(canonical, file);
            }
            Err(report) => problems.push(*report),
        }
    }
    let mut files: Vec<FilePlan> = parsed
        .into_iter()
        .map(|(canonical, mut parsed)| {
            let refs = entrypoints.remove(&canonical).unwrap_or_default();
            let early = parsed.early.take().filter(|early| early.refs == refs).map(|early| early.result);
            FilePlan { shown: display(parsed.file.path(), &cwd), refs, parsed, early: std::sync::Mutex::new(early) }
        })
        .collect();
    files.sort_by(|a, b| a.shown.cmp(&b.shown));
    Plan { files, problems, summary }
}

/// Runs the whole pipeline over `options.paths`: plan, instrument every file
/// with every fix, diff, write (in apply mode), report.
pub fn run(options: &Options) -> Report {
    run_showing(options, &mut |_| {})
}

/// Files instrumented at a time when reports are shown as they come.
const BATCH: usize = 64;

/// `run`, handing every file's report to `show` in path order as soon as it is
/// ready: in dry-run and check modes a batch of files at a time, each batch's
/// sources dropped after it, so that what is printed (diffs, JSON) is never
/// held for the whole run — `show` may take the diff out of the report; in
/// apply mode (writes wait for the git check of every file) and with
/// `--add-deps` (manifests gather every file's needs), at the end.
pub fn run_showing(options: &Options, show: &mut dyn FnMut(&mut FileReport)) -> Report {
    let Plan { files, mut problems, summary } = plan(options);
    if options.mode == Mode::Apply || options.add_deps {
        let mut report = run_all(files, problems, summary, options);
        report.files.iter_mut().for_each(show);
        return report;
    }
    let progress = progress::Progress::new(options.progress && files.len() >= 200, files.len());
    problems.sort_by(|a, b| a.path.cmp(&b.path));
    let mut problems = problems.into_iter().peekable();
    let mut reports = Vec::new();
    let mut emit = |mut report: FileReport| {
        show(&mut report);
        reports.push(report);
    };
    let mut files = files.into_iter();
    loop {
        let batch: Vec<FilePlan> = files.by_ref().take(BATCH).collect();
        if batch.is_empty() {
            break;
        }
        let planned: Vec<FileReport> = batch
            .par_iter()
            .map(|file| {
                let (report, _) = instrument_file(file, options);
                progress.tick();
                report
            })
            .collect();
        drop(batch);
        // Off the terminal while the batch is shown (diffs may go to the same one), then back.
        progress.finish();
        for report in planned {
            while let Some(problem) = problems.next_if(|p| p.path <= report.path) {
                emit(problem);
            }
            emit(report);
        }
        progress.draw();
    }
    problems.for_each(&mut emit);
    progress.finish();
    finish(reports, summary)
}

/// Every file instrumented before any report is shown: apply mode and `--add-deps`.
fn run_all(files: Vec<FilePlan>, problems: Vec<FileReport>, summary: Summary, options: &Options) -> Report {
    let progress = progress::Progress::new(options.progress && files.len() >= 200, files.len());
    let planned: Vec<(FileReport, Option<Vec<u8>>)> = files
        .par_iter()
        .map(|file| {
            let (report, bytes) = instrument_file(file, options);
            progress.tick();
            // The new bytes are only needed to write them: not held for the whole run otherwise.
            (report, bytes.filter(|_| options.mode == Mode::Apply))
        })
        .collect();
    progress.finish();
    let mut reports = problems;
    let mut refusal = None;
    if options.mode == Mode::Apply && !options.allow_dirty {
        let changing: Vec<&Path> =
            files.iter().zip(&planned).filter(|(_, (_, bytes))| bytes.is_some()).map(|(f, _)| f.path()).collect();
        let dirty = gitdirty::dirty_files(&changing);
        if !dirty.is_empty() {
            refusal = Some(dirty);
        }
    }
    for (file, (mut report, bytes)) in files.iter().zip(planned) {
        if options.mode == Mode::Apply {
            if let Some(bytes) = bytes {
                if let Some(dirty) = &refusal {
                    report.status = FileStatus::Skipped;
                    report.reason = Some(if dirty.iter().any(|d| d == file.path()) {
                        "uncommitted changes in the git work tree; commit or stash them, or pass --allow-dirty".into()
                    } else {
                        "not written: other files to change have uncommitted changes (--allow-dirty)".into()
                    });
                    report.io_error = true;
                } else if let Err(err) = file.write(&bytes) {
                    report.status = FileStatus::Error;
                    report.reason = Some(err.to_string());
                    report.error_at = Some((1, 1));
                    report.io_error = true;
                } else {
                    // Applied: what was missing is there now.
                    let fixed = |code: &str| python::rules::FIX_RULES.iter().any(|r| r.code == code);
                    report.findings.retain(|f| !f.code.as_deref().is_some_and(fixed));
                }
            }
        }
        reports.push(report);
    }
    if options.add_deps {
        let write = options.mode == Mode::Apply && refusal.is_none();
        let manifests = add_dependencies(&mut reports, write);
        reports.extend(manifests);
    }
    finish(reports, summary)
}

/// `--add-deps`: one change per crate manifest, adding the lines its changed
/// Rust files need; the files' own VOF132 diagnostics go.
fn add_dependencies(reports: &mut [FileReport], write: bool) -> Vec<FileReport> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut by_manifest: std::collections::BTreeMap<PathBuf, Vec<String>> = Default::default();
    for report in reports.iter_mut() {
        let Some(needed) = report.dependencies.take() else { continue };
        report.findings.retain(|f| f.code.as_deref() != Some("VOF132"));
        let lines = by_manifest.entry(needed.manifest).or_default();
        for line in needed.lines {
            if !lines.contains(&line) {
                lines.push(line);
            }
        }
    }
    let mut out = Vec::new();
    for (manifest, lines) in by_manifest {
        let shown = display(&manifest, &cwd);
        let old = match std::fs::read(&manifest) {
            Ok(old) => old,
            Err(err) => {
                let mut report = FileReport::error(shown, (1, 1), format!("cannot read: {err}"));
                report.io_error = true;
                out.push(report);
                continue;
            }
        };
        let text = String::from_utf8_lossy(&old);
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let new = rust::cargo::add(&text, &lines);
        let mut report = FileReport::new(shown.clone(), FileStatus::Changed);
        report.diff = diff::unified(&shown, &text, &new);
        if write {
            if let Err(err) = write::replace_atomically(&manifest, &old, new.as_bytes()) {
                report.status = FileStatus::Error;
                report.reason = Some(err.to_string());
                report.error_at = Some((1, 1));
                report.io_error = true;
            }
        }
        out.push(report);
    }
    out
}

/// Sorts the reports and fills in the summary's counts.
pub fn finish(mut reports: Vec<FileReport>, mut summary: Summary) -> Report {
    reports.sort_by(|a, b| a.path.cmp(&b.path));
    for report in &reports {
        summary.entrypoints += report.findings.iter().filter(|f| f.kind == FindingKind::Entrypoint).count();
        summary.helpers += report.findings.iter().filter(|f| f.kind == FindingKind::Helper).count();
        summary.llm_call_sites += report.findings.iter().filter(|f| f.kind == FindingKind::LlmCall).count();
        summary.framework_llm += report.findings.iter().filter(|f| f.kind == FindingKind::FrameworkLlm).count();
        summary.diagnostics += report.findings.iter().filter(|f| f.kind == FindingKind::Diagnostic).count();
        for attribute in &report.defaulted {
            *summary.default_attributes.entry(attribute.to_string()).or_default() += 1;
        }
        match report.status {
            FileStatus::Changed => summary.files_changed += 1,
            FileStatus::Error => summary.files_with_errors += 1,
            _ => {}
        }
    }
    Report { version: 1, files: reports, summary }
}

/// Reads a file into this thread's buffer and hands its bytes to `look`: no
/// `stat` for a size hint and no allocation per file, as most files are looked
/// at once and dropped. A buffer grown by a very large file is let go after.
fn read_reusing<R>(path: &Path, look: impl FnOnce(&[u8]) -> R) -> std::io::Result<R> {
    use std::io::Read;
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUFFER.with(|buffer| {
        let mut buffer = buffer.borrow_mut();
        buffer.clear();
        std::fs::File::open(path)?.read_to_end(&mut buffer)?;
        let seen = look(&buffer);
        if buffer.capacity() > 4 << 20 {
            *buffer = Vec::new();
        }
        Ok(seen)
    })
}

/// Why a file is not Python we can work on: where, and what.
struct Unreadable {
    at: (usize, usize),
    message: String,
}

impl Unreadable {
    fn report(self, path: String) -> FileReport {
        FileReport::error(path, self.at, self.message)
    }
}

fn read_source(path: &Path, bytes: Vec<u8>) -> Result<SourceFile, Unreadable> {
    let file = SourceFile::decode(path, bytes)
        .map_err(|err| Unreadable { at: (err.line, err.column), message: err.message })?;
    // Python's strict parse comes with instrumenting, of the output (`python::instrument_with`).
    if walk::Language::of(path) == walk::Language::Rust {
        rust::parse::check_syntax(&file.text)
            .map_err(|err| Unreadable { at: (err.line, err.column), message: err.message })?;
    }
    Ok(file)
}

/// Instruments one file with every fix, in memory: its report (with the diff)
/// and the bytes to write when it changes.
pub fn instrument_file(file: &FilePlan, options: &Options) -> (FileReport, Option<Vec<u8>>) {
    // Read once (a released source is read again here) for the result, the diff and SARIF.
    let source = match file.parsed.file.get() {
        Ok(source) => source,
        Err(err) => return (FileReport::error(file.shown.clone(), (err.line, err.column), err.message), None),
    };
    let mut result = file.instrument_source(&source, python::Selection::All);
    let mut report = FileReport::new(file.shown.clone(), FileStatus::Unchanged);
    report.findings = std::mem::take(&mut result.findings);
    report.defaulted = std::mem::take(&mut result.defaulted);
    report.package = file.package();
    if let Some(err) = result.invalid_input {
        return (FileReport::error(file.shown.clone(), (err.line, err.column), err.message), None);
    }
    if let Some(err) = result.invalid_output {
        let report = FileReport::error(
            file.shown.clone(),
            (err.line, err.column),
            format!("internal error: the planned rewrite does not parse ({}); file left untouched", err.message),
        );
        return (report, None);
    }
    let Some(new_text) = result.text.take() else { return (report, None) };
    let new_bytes = file.encode(&new_text);
    if options.diffs {
        let original = String::from_utf8_lossy(&source.original()).into_owned();
        let new = String::from_utf8_lossy(&new_bytes);
        report.diff = match changes_of(&source, &result, &new_text) {
            Some(changes) => diff::unified_changes(&file.shown, &original, &new, &changes),
            None => diff::unified(&file.shown, &original, &new),
        };
    }
    report.status = FileStatus::Changed;
    report.dependencies = result.dependencies;
    if options.sarif {
        report.sarif = sarif::fixes_of(&source.text, &result.fixes, &result.setup);
    }
    (report, Some(new_bytes))
}

/// The edits of a result as changes to the file's text as read (its BOM
/// included), when they are exactly what made `new_text`: the diff then needs
/// to look only where they are.
fn changes_of(source: &SourceFile, result: &python::Instrumented, new_text: &str) -> Option<Vec<diff::Change>> {
    let mut edits: Vec<&edit::Edit> = result.fixes.iter().flat_map(|f| &f.edits).chain(&result.setup).collect();
    edits.sort_by_key(|e| (e.start, e.order, e.end));
    if rebuilt(&source.text, result).as_deref() != Some(new_text) {
        return None;
    }
    let bom = if source.bom { source::BOM.len() } else { 0 };
    let changes = edits.iter().map(|e| diff::Change { start: e.start + bom, end: e.end + bom, new_len: e.text.len() });
    Some(changes.collect())
}

/// The command line's `--select` / `--ignore` over a file's configuration.
fn with_rule_options(settings: Arc<Settings>, options: &Options) -> Arc<Settings> {
    if options.select.is_none() && options.ignore.is_empty() {
        return settings;
    }
    let mut settings = (*settings).clone();
    if let Some(select) = &options.select {
        settings.select = Some(select.clone());
    }
    settings.ignore.extend(options.ignore.iter().cloned());
    Arc::new(settings)
}

/// The path as shown to the user: relative to the working directory when under it.
fn display(path: &Path, cwd: &Path) -> String {
    let relative = if path.is_absolute() { path.strip_prefix(cwd).unwrap_or(path) } else { path };
    let shown = relative.to_string_lossy().replace('\\', "/");
    shown.strip_prefix("./").map(str::to_string).unwrap_or(shown)
}
