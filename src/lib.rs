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
pub mod diagnostics;
pub mod diff;
mod gitdirty;
pub use gitdirty::dirty_files;
pub mod edit;
pub mod fix;
pub mod llm;
mod ordered;
mod prefilter;
mod progress;
pub mod python;
pub mod report;
pub mod review;
pub mod rust;
pub mod sarif;
pub mod smoke;
pub mod source;
mod test_code;
mod vendored;
pub mod walk;
pub mod write;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use config::Settings;
use python::detect::link::{self, EntrypointRef, ModuleFacts};
use report::{FileReport, FileStatus, Report, Summary};
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

/// A file's source. A Python file is let go of once the prefilter has seen it
/// (a large run plans thousands) and read again, checked unchanged, when it is
/// instrumented; its tree-sitter tree is made then and dropped after, so no run
/// holds more than the files in `ordered`'s window. A Rust file (few, and
/// checked by its parser when found) is held.
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

    fn bom(&self) -> bool {
        match self {
            Source::Held(file) => file.bom,
            Source::Released(released) => released.bom,
        }
    }
}

/// The text every fix and the setup of a result make.
fn rebuilt(source: &str, result: &python::Instrumented) -> Option<String> {
    let edits = result.fixes.iter().flat_map(|f| f.edits.iter().cloned()).chain(result.setup.iter().cloned()).collect();
    edit::apply(source, edits).ok()
}

/// A file the tool will look at closely, with the entrypoints that other
/// modules register in it. `instrument` plans its fixes for any selection.
pub struct FilePlan {
    /// The path as shown (relative to the working directory when under it).
    pub shown: String,
    file: Source,
    settings: Arc<Settings>,
    refs: Vec<EntrypointRef>,
    /// Calls in it that run another module's entrypoint (`link::delegations`).
    delegates: HashSet<String>,
    /// For a file whose registrations link only within itself (almost every
    /// one): its canonical path, for linking them once it is parsed.
    links_own: Option<PathBuf>,
}

impl FilePlan {
    /// Plans and applies the selected fixes in memory.
    pub fn instrument(&self, selection: python::Selection) -> python::Instrumented {
        match self.file.get() {
            Ok(file) => self.instrument_source(&file, selection),
            Err(err) => unreadable_now(err),
        }
    }

    /// `instrument`, with the source already at hand.
    fn instrument_source(&self, file: &SourceFile, selection: python::Selection) -> python::Instrumented {
        if walk::Language::of(&file.path) == walk::Language::Rust {
            return rust::instrument(file, &self.settings, selection);
        }
        let tree = match python::parse::tree(&file.text) {
            Ok(tree) => tree,
            Err(err) => return python::Instrumented { invalid_input: Some(err), ..python::Instrumented::default() },
        };
        let semantics = python::semantics::Semantics::of(tree.root_node(), &file.text).at(&file.path);
        let mut refs = std::borrow::Cow::Borrowed(&self.refs);
        if let Some(canonical) = &self.links_own {
            let own = HashMap::from([(canonical.clone(), python::module_facts(&semantics, &file.text))]);
            for entrypoint in link::link(&own).remove(canonical).unwrap_or_default() {
                if !refs.contains(&entrypoint) {
                    refs.to_mut().push(entrypoint);
                }
            }
        }
        let test_code = test_code::is_test_code(&self.shown);
        let entrypoints = python::Entrypoints { refs: &refs, delegates: &self.delegates };
        python::instrument(file, &tree, &semantics, entrypoints, &self.settings, selection, test_code)
    }

    /// The decoded text (no BOM) that fixes' edits apply to.
    pub fn text(&self) -> String {
        self.file.get().map(|file| file.text.clone()).unwrap_or_default()
    }

    /// The file's text as read (BOM included), for diffs.
    pub fn original_text(&self) -> String {
        self.file.get().map(|file| String::from_utf8_lossy(&file.original()).into_owned()).unwrap_or_default()
    }

    /// The bytes of a new text, in the file's encoding (BOM kept).
    pub fn encode(&self, text: &str) -> Vec<u8> {
        source::encode(self.file.bom(), text)
    }

    /// Writes new bytes atomically, unless the file changed since it was read.
    pub fn write(&self, bytes: &[u8]) -> Result<(), write::WriteError> {
        let file = self.file.get().map_err(|_| write::WriteError::ChangedDuringRun)?;
        write::replace_atomically(&file.path, &file.original(), bytes)
    }

    /// The package the file belongs to: the directory of the config that applies, as shown.
    pub fn package(&self) -> Option<String> {
        let cwd = std::env::current_dir().unwrap_or_default();
        let dir = self.settings.source.as_ref()?.parent()?;
        Some(display(dir, &cwd)).map(|d| if d.is_empty() { ".".to_string() } else { d })
    }

    /// The file's path on disk.
    pub fn path(&self) -> &Path {
        self.file.path()
    }
}

/// A released source that could not be read again, or changed: reported, never written.
fn unreadable_now(err: source::SourceError) -> python::Instrumented {
    let at = python::parse::SyntaxError { line: err.line, column: err.column, message: err.message };
    python::Instrumented { invalid_input: Some(at), ..python::Instrumented::default() }
}

/// What the walk, the prefilter and the links found: files to plan, and problems.
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
    file: Source,
    /// For a file that may register entrypoints: the words of its import statements.
    imports: Option<Vec<prefilter::Word>>,
}

impl Kept {
    /// The names its module is imported by, under its walked and its canonical name.
    fn module_keys(&self) -> Vec<prefilter::Word> {
        let mut keys = link::module_keys(&self.path);
        if self.canonical.file_name() != self.path.file_name() {
            keys.extend(link::module_keys(&self.canonical));
        }
        keys
    }

    /// Whether one of its imports leads to another walked module (`link::module_there`),
    /// read again for the names; a file that cannot be read again is taken to.
    fn imports_another(&self) -> bool {
        let Ok(file) = self.file.get() else { return true };
        // A root need not be a walked module's name: `pkg` of `pkg.agent` may be a
        // directory with no `__init__.py`.
        prefilter::imported_roots(file.text.as_bytes()).iter().any(|name| link::module_there(&self.canonical, name))
    }
}

/// What the first look made of a file.
enum Stage1 {
    Kept(Box<Kept>),
    /// Skipped by the prefilter: looked at again only if another module registers an entrypoint in it.
    Other(PathBuf),
    Report(Box<FileReport>, Option<&'static str>),
    /// Not looked at, and not worth a line of its own: counted in the summary.
    Skipped(&'static str),
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
    // Read into this thread's buffer: a Python file is only fingerprinted (it is read
    // again when instrumented), most files are skipped on their bytes.
    let language = walk::Language::of(&path);
    let seen = read_reusing(&path, |bytes| match language {
        walk::Language::Python => match prefilter.verdict(bytes) {
            prefilter::Verdict::Skip => None,
            verdict => {
                let imports =
                    (verdict == prefilter::Verdict::ParseRegistering).then(|| prefilter::imported_words(bytes));
                Some(Seen::Python(source::Released::of_bytes(&path, bytes), imports))
            }
        },
        walk::Language::Rust => match prefilter.verdict_rust(bytes) {
            prefilter::Verdict::Skip => None,
            _ => Some(Seen::Rust(bytes.to_vec())),
        },
    });
    let (file, imports) = match seen {
        Ok(Some(Seen::Python(released, imports))) => (Source::Released(released), imports),
        Ok(Some(Seen::Rust(bytes))) => match read_rust(&path, bytes) {
            Ok(file) => (Source::Held(file), None),
            Err(unreadable) => return Err(Stage1::Report(Box::new(unreadable.report(shown())), None)),
        },
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
    Ok(Box::new(Kept { path, canonical, settings, file, imports }))
}

/// A kept file as its first read left it: a Python file fingerprinted (and,
/// when it may register entrypoints, the words of its imports), a Rust file's bytes.
enum Seen {
    Python(source::Released, Option<Vec<prefilter::Word>>),
    Rust(Vec<u8>),
}

/// Why files of a provider SDK's, LiveKit's or OpenTelemetry's own packages are skipped.
const VENDORED: &str = "third-party package sources";

/// Walks, prefilters and links entrypoints across modules. Only the few files
/// that import another walked module are parsed here, for their module facts;
/// every other file is parsed once, when it is instrumented.
pub fn plan(options: &Options) -> Plan {
    // Deeply nested sources make deep trees: give the workers room (once per process).
    let _ = rayon::ThreadPoolBuilder::new().stack_size(64 << 20).build_global();
    let cwd = std::env::current_dir().unwrap_or_default();
    let resolver = config::Resolver::default();
    let prefilter = prefilter::Prefilter::default();

    // Walk, read and prefilter together, on the walker's threads (most files end there).
    let stage1 = std::sync::Mutex::new(Vec::new());
    let look_at = |path: PathBuf| {
        let stage = match look(path, options, &resolver, &prefilter, &cwd) {
            Ok(kept) => Stage1::Kept(kept),
            Err(stage) => stage,
        };
        stage1.lock().unwrap_or_else(|e| e.into_inner()).push(stage);
    };
    let (files_scanned, walk_errors) = walk::visit_source_files(&options.paths, &options.excludes, &look_at);
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

    let mut kept: Vec<Kept> = Vec::new();
    let mut others: Vec<PathBuf> = Vec::new();
    for stage in stage1 {
        match stage {
            Stage1::Kept(file) => kept.push(*file),
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

    // Entrypoints, linked across modules, from the facts of the files that import
    // another walked module (and of those they name); only files we were given are touched.
    let early = {
        let kept_keys: Vec<Vec<prefilter::Word>> = kept.iter().map(Kept::module_keys).collect();
        let mut walked_keys: HashMap<prefilter::Word, usize> = HashMap::new();
        let python_others = others.iter().filter(|p| walk::Language::of(p) == walk::Language::Python);
        let other_keys = python_others.flat_map(|p| link::module_keys(p));
        kept_keys.iter().flatten().copied().chain(other_keys).for_each(|key| *walked_keys.entry(key).or_default() += 1);
        let (registering, importers): (Vec<&Kept>, Vec<link::Importer>) = kept
            .iter()
            .zip(&kept_keys)
            .filter_map(|(k, keys)| {
                Some((k, link::Importer { canonical: &k.canonical, keys, words: k.imports.as_deref()? }))
            })
            .unzip();
        link::early_facts(&importers, &walked_keys, |index| registering[index].imports_another())
    };
    let facts: HashMap<PathBuf, ModuleFacts> = kept
        .par_iter()
        .filter(|k| early.contains(&k.canonical))
        .filter_map(|k| Some((k.canonical.clone(), facts_of(&k.file)?)))
        .collect();
    let mut entrypoints = link::link(&facts);
    let mut delegations = link::delegations(&facts, &entrypoints);

    // Files the prefilter skipped that another module registers an entrypoint in: few,
    // found by name first, so that only their directories' realpaths are looked up.
    let names: HashSet<&std::ffi::OsStr> = entrypoints.keys().filter_map(|p| p.file_name()).collect();
    let targets: Vec<(PathBuf, &PathBuf)> = others
        .iter()
        .filter(|path| path.file_name().is_some_and(|name| names.contains(name)))
        .map(|path| (resolver.canonical(path), path))
        .filter(|(canonical, _)| entrypoints.contains_key(canonical))
        .collect();
    let loaded: Vec<Result<Kept, Box<FileReport>>> = targets
        .into_par_iter()
        .map(|(canonical, path)| match std::fs::read(path) {
            Ok(bytes) => {
                let settings = with_rule_options(resolver.for_file(path).unwrap_or_default(), options);
                let file = Source::Released(source::Released::of_bytes(path, &bytes));
                Ok(Kept { path: path.clone(), canonical, settings, file, imports: None })
            }
            Err(err) => {
                let mut report = FileReport::error(display(path, &cwd), (1, 1), format!("cannot read: {err}"));
                report.io_error = true;
                Err(Box::new(report))
            }
        })
        .collect();
    for result in loaded {
        match result {
            Ok(file) => kept.push(file),
            Err(report) => problems.push(*report),
        }
    }
    let mut files: Vec<FilePlan> = kept
        .into_iter()
        .map(|kept| {
            let refs = entrypoints.remove(&kept.canonical).unwrap_or_default();
            let delegates = delegations.remove(&kept.canonical).unwrap_or_default();
            let links_own = (kept.imports.is_some() && !early.contains(&kept.canonical)).then_some(kept.canonical);
            let shown = display(&kept.path, &cwd);
            FilePlan { shown, file: kept.file, settings: kept.settings, refs, delegates, links_own }
        })
        .collect();
    files.sort_by(|a, b| a.shown.cmp(&b.shown));
    Plan { files, problems, summary }
}

/// A module's entrypoint facts, for the links: `None` when it cannot be read
/// or parsed (reported when it is instrumented).
fn facts_of(file: &Source) -> Option<ModuleFacts> {
    let file = file.get().ok()?;
    let tree = python::parse::tree(&file.text).ok()?;
    let semantics = python::semantics::Semantics::of(tree.root_node(), &file.text);
    Some(python::cross_module_facts(&semantics, &file.text))
}

/// Runs the whole pipeline over `options.paths`: plan, instrument every file
/// with every fix, diff, write (in apply mode), report.
pub fn run(options: &Options) -> Report {
    run_showing(options, &mut Some)
}

/// Files instrumented ahead of the one being shown, at most, when reports are shown as they come.
const AHEAD: usize = 64;

/// `run`, handing every file's report to `show` in path order as soon as it is
/// ready, with at most `AHEAD` files done and not yet shown, so that what is
/// printed (diffs, JSON) is never held for the whole run, and apply mode writes
/// each file as it is done; at the end when writes wait for the git check of
/// the files that change (some file to look at has uncommitted work) and with
/// `--add-deps` (manifests gather every file's needs). The run's report keeps what `show` gives back: a caller that has
/// printed a file and noted what its end needs keeps nothing, and holds no
/// more than that window however many files there are.
pub fn run_showing(options: &Options, show: &mut dyn FnMut(FileReport) -> Option<FileReport>) -> Report {
    let Plan { files, mut problems, summary } = plan(options);
    // Apply mode writes as it goes when no file it may change has uncommitted work
    // (the usual case; otherwise which files change decides, so every file is
    // instrumented before anything is written).
    let apply = options.mode == Mode::Apply;
    let streamed = !options.add_deps
        && (!apply
            || options.allow_dirty
            || gitdirty::dirty_files(&files.iter().map(|f| f.path()).collect::<Vec<_>>()).is_empty());
    if !streamed {
        let mut report = run_all(files, problems, summary, options);
        report.files = std::mem::take(&mut report.files).into_iter().filter_map(show).collect();
        return report;
    }
    let progress = progress::Progress::new(options.progress && files.len() >= 200, files.len());
    problems.sort_by(|a, b| a.path.cmp(&b.path));
    let mut problems = problems.into_iter().peekable();
    let mut reports = Vec::new();
    let mut summary = summary;
    let mut emit = |report: FileReport| {
        summary.count(&report);
        reports.extend(show(report));
    };
    // Off the terminal while files are shown (diffs may go to the same one), then back.
    ordered::ordered(
        &files,
        AHEAD,
        |file| {
            let (mut report, bytes) = instrument_file(file, options);
            if let Some(bytes) = bytes.filter(|_| apply) {
                write_file(file, &bytes, &mut report);
            }
            report
        },
        |run| {
            progress.finish();
            for report in run {
                while let Some(problem) = problems.next_if(|p| p.path <= report.path) {
                    emit(problem);
                }
                emit(report);
                progress.add(1);
            }
            progress.draw();
        },
    );
    problems.for_each(&mut emit);
    progress.finish();
    // In path order already.
    Report { version: 1, files: reports, summary }
}

/// Every file instrumented before any report is shown: apply mode where some file to
/// look at has uncommitted work (which files change decides), and `--add-deps`.
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
                } else {
                    write_file(file, &bytes, &mut report);
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

/// Writes a file's new bytes, and says so in its report: an error, or the
/// findings its fixes answered gone.
fn write_file(file: &FilePlan, bytes: &[u8], report: &mut FileReport) {
    if let Err(err) = file.write(bytes) {
        report.status = FileStatus::Error;
        report.reason = Some(err.to_string());
        report.error_at = Some((1, 1));
        report.io_error = true;
    } else {
        // Applied: what was missing is there now.
        report.findings.retain(|f| !f.code.as_deref().is_some_and(python::rules::is_fix_rule));
    }
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
    reports.iter().for_each(|report| summary.count(report));
    reports.sort_by(|a, b| a.path.cmp(&b.path));
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

/// A Rust file decoded and accepted by its parser (Python files are decoded
/// when instrumented, and parsed strictly then, with their output).
fn read_rust(path: &Path, bytes: Vec<u8>) -> Result<SourceFile, Unreadable> {
    let unreadable = |line, column, message| Unreadable { at: (line, column), message };
    let file = SourceFile::decode(path, bytes).map_err(|err| unreadable(err.line, err.column, err.message))?;
    rust::parse::check_syntax(&file.text).map_err(|err| unreadable(err.line, err.column, err.message))?;
    Ok(file)
}

/// Instruments one file with every fix, in memory: its report (with the diff)
/// and the bytes to write when it changes.
pub fn instrument_file(file: &FilePlan, options: &Options) -> (FileReport, Option<Vec<u8>>) {
    // Read once (a released source is read again here) for the result, the diff and SARIF.
    let source = match file.file.get() {
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
    if let Some(reason) = result.skipped {
        report.status = FileStatus::Skipped;
        report.reason = Some(format!("{reason}: set `instrument-tests = true` to instrument it"));
        report.skipped_as = Some(reason);
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
