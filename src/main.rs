//! The command line: arguments in, exit code out. Everything else is the library's.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use voice_otel_fix::python::Selection;
use voice_otel_fix::report::{FileStatus, JsonStream, Report};
use voice_otel_fix::{finish, plan, run_showing, Mode, Options, Plan};

/// Instrument LiveKit Agents voice bots with OpenTelemetry, in the house style.
#[derive(Parser, Debug)]
#[command(name = "voice-otel-fix", version, about, args_conflicts_with_subcommands = true)]
struct Cli {
    /// Files or directories (default: the current directory).
    paths: Vec<PathBuf>,
    /// Print unified diffs; write nothing.
    #[arg(long, conflicts_with_all = ["check", "interactive"])]
    dry_run: bool,
    /// Like --dry-run, and exit 1 if anything would change or a file has an error.
    #[arg(long, conflicts_with = "interactive")]
    check: bool,
    /// Review hunk by hunk, as `git add -p` (y n a d s q j k ?).
    #[arg(short, long)]
    interactive: bool,
    /// Output format (`sarif` goes with --check or --dry-run).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// When to colour diffs.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Skip paths matching this glob (repeatable), on top of .gitignore.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Write the combined patch to FILE instead of changing sources (implies --dry-run).
    #[arg(long, value_name = "FILE", conflicts_with = "interactive")]
    diff_output: Option<PathBuf>,
    /// Write even into files with uncommitted changes in their git work tree.
    #[arg(long)]
    allow_dirty: bool,
    /// Add the dependencies the Rust rewrite needs (opentelemetry, tracing) to the crate's Cargo.toml.
    #[arg(long)]
    add_deps: bool,
    /// Print the configuration that applies to PATH, and exit.
    #[arg(long, value_name = "PATH", exclusive = true)]
    show_settings: Option<PathBuf>,
    /// Check only these rule codes or prefixes (comma-separated), instead of the configuration's.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    select: Option<Vec<String>>,
    /// Do not check these rule codes or prefixes (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    ignore: Vec<String>,
    /// Explain a rule (`--explain VOF012`), and exit.
    #[arg(long, value_name = "CODE", exclusive = true)]
    explain: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// List every rule: code, name, whether it has a fix, summary.
    Rules,
    /// Write (or print, with --dry-run) a pytest smoke test for an agent package.
    Smoke {
        /// The agent package or file (default: the current directory).
        path: Option<PathBuf>,
        /// Print the test instead of writing it.
        #[arg(long)]
        dry_run: bool,
        /// Where to write it (default: tests/test_voice_otel_smoke.py beside the package).
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    Sarif,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

fn main() -> ExitCode {
    fewer_malloc_arenas();
    // Threads the tool does not make itself (ra_ap_syntax drops its trees on one)
    // free deeply nested trees recursively: give them the workers' stack. Set
    // before any thread exists.
    if std::env::var_os("RUST_MIN_STACK").is_none() {
        std::env::set_var("RUST_MIN_STACK", (64usize << 20).to_string());
    }
    let cli = Cli::parse();
    if let Some(path) = &cli.show_settings {
        return show_settings(path);
    }
    if let Some(code) = &cli.explain {
        let rule = voice_otel_fix::python::rules::rule(code).or_else(|| voice_otel_fix::diagnostics::notice_for(code));
        return match rule {
            Some(rule) => {
                println!("# {} ({})\n\n{}\n\n{}", rule.name, rule.code, rule.summary, rule.doc);
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("voice-otel-fix: error: no rule {code}; `voice-otel-fix rules` lists them");
                ExitCode::from(2)
            }
        };
    }
    match &cli.command {
        Some(Command::Rules) => {
            for rule in voice_otel_fix::python::rules::all_rules() {
                println!("{}  {:<30} {:<5} {}", rule.code, rule.name, if rule.fix { "fix" } else { "" }, rule.summary);
            }
            println!("\nTool diagnostics (places the tool reports instead of rewriting):");
            for notice in voice_otel_fix::diagnostics::TOOL_DIAGNOSTICS {
                println!("{}  {:<37} {}", notice.code, notice.name, notice.summary);
            }
            return ExitCode::SUCCESS;
        }
        Some(Command::Smoke { path, dry_run, output }) => {
            return smoke(path.as_deref(), *dry_run, output.as_deref());
        }
        None => {}
    }
    let mode = if cli.check {
        Mode::Check
    } else if cli.dry_run || cli.diff_output.is_some() || cli.interactive {
        Mode::DryRun
    } else {
        Mode::Apply
    };
    let paths = if cli.paths.is_empty() { vec![PathBuf::from(".")] } else { cli.paths.clone() };
    let options = Options {
        paths,
        mode,
        excludes: cli.exclude.clone(),
        allow_dirty: cli.allow_dirty,
        progress: matches!(cli.format, Format::Text),
        select: cli.select.clone(),
        ignore: cli.ignore.clone(),
        sarif: cli.format == Format::Sarif,
        add_deps: cli.add_deps,
        diffs: cli.format == Format::Text && mode != Mode::Apply,
    };
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    if cli.interactive {
        // Review plans files on this thread: give deeply nested sources the workers' stack.
        return std::thread::scope(|scope| {
            std::thread::Builder::new()
                .stack_size(64 << 20)
                .spawn_scoped(scope, || interactive(&options, &cli, color))
                .map(|handle| handle.join().unwrap_or(ExitCode::from(2)))
                .unwrap_or_else(|_| interactive(&options, &cli, color))
        });
    }
    // Diffs and the JSON document are printed as files are done, in path order,
    // not held for the whole run.
    let stdout = std::io::stdout();
    // A terminal gets each line as it comes (the progress line on stderr shares it).
    let out: Box<dyn Write> =
        if stdout.is_terminal() { Box::new(stdout.lock()) } else { Box::new(std::io::BufWriter::new(stdout.lock())) };
    let mut printer = match cli.format {
        Format::Json => Printer::Json(JsonStream::begin(out, 1).ok()),
        Format::Text if mode != Mode::Apply => match &cli.diff_output {
            Some(file) => match std::fs::File::create(file) {
                Ok(created) => Printer::Diffs(Box::new(std::io::BufWriter::new(created)), false, Ok(())),
                Err(err) => {
                    eprintln!("{}: error: cannot write the patch: {err}", file.display());
                    return ExitCode::from(2);
                }
            },
            None => Printer::Diffs(out, color, Ok(())),
        },
        Format::Text | Format::Sarif => Printer::Nothing(out),
    };
    // Each file's errors and warnings go to stderr as it is shown, and the run
    // keeps nothing of it but its tally; SARIF needs every finding at the end.
    let streamed = cli.format != Format::Sarif;
    let mut tally = Tally::default();
    let report = run_showing(&options, &mut |mut file| {
        printer.show(&mut file);
        if !streamed {
            return Some(file);
        }
        print_file_problems(&file, mode == Mode::Check);
        tally.add(&file);
        None
    });
    match printer {
        Printer::Json(json) => {
            if let Some(mut out) = json.and_then(|json| json.end(&report.summary).ok()) {
                let _ = writeln!(out).and_then(|_| out.flush());
            }
        }
        Printer::Diffs(mut to, _, written) => {
            if let Err(err) = written.and_then(|_| to.flush()) {
                if let Some(file) = &cli.diff_output {
                    eprintln!("{}: error: cannot write the patch: {err}", file.display());
                    return ExitCode::from(2);
                }
            }
        }
        Printer::Nothing(mut out) => {
            if cli.format == Format::Sarif {
                let _ = writeln!(out, "{}", voice_otel_fix::sarif::to_sarif(&report)).and_then(|_| out.flush());
            }
        }
    }
    if !streamed {
        print_problems(&report, mode == Mode::Check);
        report.files.iter().for_each(|file| tally.add(file));
    }
    if matches!(cli.format, Format::Text) {
        print_packages(&tally.packages, mode == Mode::Apply);
        eprintln!("{}", report.summary_line(mode == Mode::Apply));
    }

    if tally.io_error {
        ExitCode::from(2)
    } else if mode == Mode::Check && tally.work {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// What the end of a run needs of every file (the files themselves are not kept).
#[derive(Default)]
struct Tally {
    /// An I/O problem: exit status 2.
    io_error: bool,
    /// Something `--check` fails on.
    work: bool,
    /// Per package: files looked at, files changed.
    packages: std::collections::BTreeMap<String, (usize, usize)>,
}

impl Tally {
    fn add(&mut self, file: &voice_otel_fix::report::FileReport) {
        self.io_error |= file.io_error;
        self.work |= file.has_work();
        if let Some(package) = &file.package {
            let entry = self.packages.entry(package.clone()).or_default();
            entry.0 += 1;
            entry.1 += usize::from(file.status == FileStatus::Changed);
        }
    }
}

fn interactive(options: &Options, cli: &Cli, color: bool) -> ExitCode {
    let Plan { files, problems, summary } = plan(options);
    if !cli.allow_dirty {
        let changing: Vec<&std::path::Path> = files.iter().map(|f| f.path()).collect();
        let dirty = voice_otel_fix::dirty_files(&changing);
        // Only files that would change matter; a file we would not touch may be dirty.
        let dirty: Vec<_> = dirty
            .into_iter()
            .filter(|d| files.iter().any(|f| f.path() == d.as_path() && f.instrument(Selection::All).text.is_some()))
            .collect();
        if !dirty.is_empty() {
            for path in &dirty {
                eprintln!(
                    "{}: error: uncommitted changes in the git work tree; commit or stash them, or pass --allow-dirty",
                    path.display()
                );
            }
            return ExitCode::from(2);
        }
    }
    match voice_otel_fix::review::review(&files, color) {
        Ok(mut reports) => {
            reports.extend(problems);
            let report = finish(reports, summary);
            print_problems(&report, false);
            eprintln!("{}", report.summary_line(true));
            if report.has_io_error() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(err) => {
            eprintln!("voice-otel-fix: error: {err}");
            ExitCode::from(2)
        }
    }
}

fn smoke(path: Option<&std::path::Path>, dry_run: bool, output: Option<&std::path::Path>) -> ExitCode {
    let root = path.unwrap_or(std::path::Path::new("."));
    match voice_otel_fix::smoke::generate(root) {
        Ok((default_output, test)) => {
            if dry_run {
                print!("{test}");
                return ExitCode::SUCCESS;
            }
            let output = output.map(std::path::Path::to_path_buf).unwrap_or(default_output);
            if let Some(dir) = output.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            match std::fs::write(&output, test) {
                Ok(()) => {
                    eprintln!("wrote {}", output.display());
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("{}: error: {err}", output.display());
                    ExitCode::from(2)
                }
            }
        }
        Err(err) => {
            eprintln!("voice-otel-fix: error: {err}");
            ExitCode::from(2)
        }
    }
}

fn show_settings(path: &std::path::Path) -> ExitCode {
    let resolver = voice_otel_fix::config::Resolver::default();
    match resolver.for_file(path) {
        Ok(settings) => {
            println!("{}", voice_otel_fix::config::describe(path, &settings));
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("{err}");
            ExitCode::from(2)
        }
    }
}

/// With several packages (directories with their own config), a line each.
fn print_packages(packages: &std::collections::BTreeMap<String, (usize, usize)>, applied: bool) {
    if packages.len() > 1 {
        let verb = if applied { "changed" } else { "would change" };
        for (package, (files, changed)) in packages {
            eprintln!("  {package}: {files} files looked at, {changed} {verb}");
        }
    }
}

/// Per-file errors and diagnostics, as `path:line:col: kind: message` on stderr.
fn print_problems(report: &Report, list_fixes: bool) {
    report.files.iter().for_each(|file| print_file_problems(file, list_fixes));
}

/// A file's error and diagnostics, as `path:line:col: kind: message` on stderr.
fn print_file_problems(file: &voice_otel_fix::report::FileReport, list_fixes: bool) {
    if file.status == FileStatus::Error || (file.status == FileStatus::Skipped && file.io_error) {
        let (line, column) = file.error_at.unwrap_or((1, 1));
        let reason = file.reason.as_deref().unwrap_or("error");
        if reason.starts_with(&file.path) {
            eprintln!("{reason}");
        } else {
            eprintln!("{}:{line}:{column}: error: {reason}", file.path);
        }
    }
    for finding in &file.findings {
        // What a fix adds is in the diff; `--check` lists it too, as a rule.
        let fix_rule = finding.code.as_deref().is_some_and(voice_otel_fix::python::rules::is_fix_rule);
        if fix_rule && !list_fixes {
            continue;
        }
        if let (Some(code), Some(message)) = (&finding.code, &finding.message) {
            eprintln!("{}:{}:{}: warning: {code} {message}", file.path, finding.line, finding.column);
        }
    }
}

/// Where each file's report goes as it is done.
enum Printer<'a> {
    /// The JSON document, file by file (`None` once stdout failed).
    Json(Option<JsonStream<Box<dyn Write + 'a>>>),
    /// Unified diffs (coloured or not) to stdout or the `--diff-output` file, and the first write error.
    Diffs(Box<dyn Write + 'a>, bool, std::io::Result<()>),
    /// Nothing per file (apply mode's text, SARIF at the end).
    Nothing(Box<dyn Write + 'a>),
}

impl Printer<'_> {
    fn show(&mut self, file: &mut voice_otel_fix::report::FileReport) {
        match self {
            Printer::Json(json) => {
                if json.as_mut().is_some_and(|j| j.file(file).is_err()) {
                    *json = None;
                }
            }
            Printer::Diffs(to, color, written) => {
                // Printed, the diff is not needed again.
                let Some(diff) = file.diff.take() else { return };
                if written.is_ok() {
                    let diff = if *color { voice_otel_fix::diff::colorize(&diff) } else { diff };
                    *written = to.write_all(diff.as_bytes());
                }
            }
            Printer::Nothing(_) => {}
        }
    }
}

/// glibc gives each new thread a malloc arena of its own (up to 8 per core):
/// memory freed on one thread then sits in an arena another may never reuse,
/// and a run that frees as it goes (file by file) keeps far more
/// than it holds. As many arenas as cores keeps the threads off each other's
/// locks (one arena would serialise them) and the peak near what is held: on
/// 2,000 agent files, 73 → 46 MB at the same speed. Set before any thread exists.
fn fewer_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        // SAFETY: `mallopt` only sets an allocator parameter; no thread exists yet.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, i32::try_from(cores).unwrap_or(i32::MAX));
        }
    }
}
