//! The command line: arguments in, exit code out. Everything else is the library's.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use voice_otel_fix::report::{FileStatus, Report};
use voice_otel_fix::{run, Mode, Options};

/// Instrument LiveKit Agents voice bots with OpenTelemetry, in the house style.
#[derive(Parser, Debug)]
#[command(name = "voice-otel-fix", version, about)]
struct Cli {
    /// Files or directories (default: the current directory).
    paths: Vec<PathBuf>,
    /// Print unified diffs; write nothing.
    #[arg(long, conflicts_with = "check")]
    dry_run: bool,
    /// Like --dry-run, and exit 1 if anything would change or a file has an error.
    #[arg(long)]
    check: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// When to colour diffs.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Skip paths matching this glob (repeatable), on top of .gitignore.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mode = if cli.check {
        Mode::Check
    } else if cli.dry_run {
        Mode::DryRun
    } else {
        Mode::Apply
    };
    let paths = if cli.paths.is_empty() { vec![PathBuf::from(".")] } else { cli.paths.clone() };
    let report = run(&Options { paths, mode, excludes: cli.exclude.clone() });

    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match cli.format {
        Format::Json => {
            let _ = writeln!(out, "{}", report.to_json());
        }
        Format::Text => {
            if mode != Mode::Apply {
                for file in &report.files {
                    if let Some(diff) = &file.diff {
                        let _ = write!(out, "{}", if color { colorize(diff) } else { diff.clone() });
                    }
                }
            }
        }
    }
    print_problems(&report);
    if matches!(cli.format, Format::Text) {
        eprintln!("{}", report.summary_line(mode == Mode::Apply));
    }

    if report.has_io_error() {
        ExitCode::from(2)
    } else if mode == Mode::Check && report.has_work() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Per-file errors and diagnostics, as `path:line:col: kind: message` on stderr.
fn print_problems(report: &Report) {
    for file in &report.files {
        if file.status == FileStatus::Error {
            let (line, column) = file.error_at.unwrap_or((1, 1));
            let reason = file.reason.as_deref().unwrap_or("error");
            if reason.starts_with(&file.path) {
                eprintln!("{reason}");
            } else {
                eprintln!("{}:{line}:{column}: error: {reason}", file.path);
            }
        }
        for finding in &file.findings {
            if let (Some(code), Some(message)) = (&finding.code, &finding.message) {
                eprintln!("{}:{}:{}: warning: {code} {message}", file.path, finding.line, finding.column);
            }
        }
    }
}

fn colorize(diff: &str) -> String {
    let mut out = String::with_capacity(diff.len() + 64);
    for line in diff.split_inclusive('\n') {
        let (style, body) = match line.as_bytes().first() {
            _ if line.starts_with("+++") || line.starts_with("---") || line.starts_with("diff ") => ("\x1b[1m", line),
            Some(b'+') => ("\x1b[32m", line),
            Some(b'-') => ("\x1b[31m", line),
            Some(b'@') => ("\x1b[36m", line),
            _ => ("", line),
        };
        if style.is_empty() {
            out.push_str(body);
        } else {
            let trimmed = body.trim_end_matches('\n');
            out.push_str(style);
            out.push_str(trimmed);
            out.push_str("\x1b[0m");
            out.push_str(&body[trimmed.len()..]);
        }
    }
    out
}
