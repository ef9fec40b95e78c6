//! Interactive review, as `git add -p`: each file's fixes are shown as hunks,
//! one at a time, and the person answers with one key.
//!
//! ```text
//! y  apply this hunk             n  do not apply this hunk
//! a  apply this and the rest of the file's hunks
//! d  do not apply this or the rest of the file's hunks
//! s  split this hunk             j / k  next / previous undecided hunk
//! q  quit: apply what was accepted so far, touch nothing else
//! ?  this help
//! ```
//!
//! Hunks are not independent: every fix needs the module setup (imports,
//! tracer, meter, instruments), and a greeting counter needs its session span.
//! Accepting a hunk accepts what it needs (and says so); rejecting one rejects
//! what needs it. Whatever is accepted, the file is planned again for exactly
//! that selection, so the written code always parses and defines what it uses.
//!
//! Keys are read one at a time in raw mode; the terminal is restored on every
//! way out: the end, `q`, Ctrl-C, an error and a panic.

use std::collections::HashSet;
use std::io::{self, IsTerminal, Write};

use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::terminal;

use crate::python::{FixId, Selection};
use crate::report::{FileReport, FileStatus};
use crate::{diff, edit, FilePlan};

/// One hunk on screen: the module setup (index 0) or one fix.
struct Hunk {
    title: String,
    diff: String,
    fix: Option<FixId>,
    /// Hunks this one needs (indices).
    requires: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Undecided,
    Accepted,
    Rejected,
}

/// A key the review understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Char(char),
    Interrupt,
    Other,
}

/// Puts the terminal back as it was, whatever way the review ends.
struct RawMode;

impl RawMode {
    fn enable() -> io::Result<RawMode> {
        terminal::enable_raw_mode()?;
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = terminal::disable_raw_mode();
            previous(info);
        }));
        Ok(RawMode)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = terminal::disable_raw_mode();
    }
}

/// Reviews every planned file that would change and writes what is accepted.
pub fn review(files: &[FilePlan], color: bool) -> io::Result<Vec<FileReport>> {
    if !io::stdin().is_terminal() {
        return Err(io::Error::other("-i needs a terminal on stdin; use --dry-run to see the changes"));
    }
    let _raw = RawMode::enable()?;
    let mut out = io::stdout().lock();
    let mut reports = Vec::new();
    let mut quit = false;
    for file in files {
        let all = file.instrument(Selection::All);
        if let Some(err) = all.invalid_input {
            reports.push(FileReport::error(file.shown.clone(), (err.line, err.column), err.message));
            continue;
        }
        let mut report = FileReport::new(file.shown.clone(), FileStatus::Unchanged);
        report.findings = all.findings.clone();
        if all.text.is_none() || quit {
            reports.push(report);
            continue;
        }
        let hunks = hunks_of(file, &all);
        let (decisions, stop) = decide(file, &hunks, color, &mut out)?;
        quit = stop;
        let accepted: HashSet<FixId> = hunks
            .iter()
            .zip(&decisions)
            .filter(|(_, d)| **d == Decision::Accepted)
            .filter_map(|(h, _)| h.fix.clone())
            .collect();
        if accepted.is_empty() {
            reports.push(report);
            continue;
        }
        let chosen = file.instrument(Selection::Only(&accepted));
        if let Some(err) = chosen.invalid_input.or(chosen.invalid_output) {
            let message =
                format!("internal error: the selected hunks do not parse ({}); file left untouched", err.message);
            reports.push(FileReport::error(file.shown.clone(), (err.line, err.column), message));
            continue;
        }
        if let Some(text) = chosen.text {
            let bytes = file.encode(&text);
            match file.write(&bytes) {
                Ok(()) => report.status = FileStatus::Changed,
                Err(err) => {
                    report.status = FileStatus::Error;
                    report.reason = Some(err.to_string());
                    report.error_at = Some((1, 1));
                }
            }
        }
        report.defaulted = chosen.defaulted;
        reports.push(report);
    }
    Ok(reports)
}

fn hunks_of(file: &FilePlan, all: &crate::python::Instrumented) -> Vec<Hunk> {
    let original = file.original_text();
    let text = file.text().to_string();
    let show = |edits: &[edit::Edit]| -> String {
        let new = edit::apply(&text, edits.to_vec()).unwrap_or_else(|_| text.clone());
        let new = String::from_utf8_lossy(&file.encode(&new)).into_owned();
        diff::unified(&file.shown, &original, &new).unwrap_or_default()
    };
    // The setup hunk, when the file still needs one (a second run on a file that
    // has its imports and instruments needs none).
    let mut hunks = Vec::new();
    if !all.setup.is_empty() {
        hunks.push(Hunk {
            title: "imports and instruments".to_string(),
            diff: show(&all.setup),
            fix: None,
            requires: Vec::new(),
        });
    }
    let first_fix = hunks.len();
    for fix in &all.fixes {
        hunks.push(Hunk {
            title: format!("{} (line {})", fix.title, fix.line),
            diff: show(&fix.edits),
            fix: Some(fix.id.clone()),
            requires: Vec::new(),
        });
    }
    let ids: Vec<Option<FixId>> = hunks.iter().map(|h| h.fix.clone()).collect();
    for (i, fix) in all.fixes.iter().enumerate() {
        let mut requires: Vec<usize> = (0..first_fix).collect();
        requires.extend(fix.requires.iter().filter_map(|r| ids.iter().position(|id| id.as_ref() == Some(r))));
        hunks[first_fix + i].requires = requires;
    }
    hunks
}

/// Asks about every hunk of one file. Returns the decisions and whether to stop reviewing.
fn decide(file: &FilePlan, hunks: &[Hunk], color: bool, out: &mut impl Write) -> io::Result<(Vec<Decision>, bool)> {
    let mut decisions = vec![Decision::Undecided; hunks.len()];
    let mut current = 0;
    let rows = terminal::size().map(|(_, rows)| rows as usize).unwrap_or(24).max(8);
    loop {
        let Some(at) = next_undecided(&decisions, current, true) else { return Ok((decisions, false)) };
        current = at;
        let hunk = &hunks[current];
        let header = format!("── {} (hunk {}/{}): {}", file.shown, current + 1, hunks.len(), hunk.title);
        write_lines(out, &format!("\n{}\n", if color { format!("\x1b[1m{header}\x1b[0m") } else { header }))?;
        let body = if color { crate::diff::colorize(&hunk.diff) } else { hunk.diff.clone() };
        let key = page(out, &body, rows)?;
        let key = match key {
            Some(key) => key,
            None => prompt(out, color)?,
        };
        match key {
            Key::Char('y') => accept(current, hunks, &mut decisions, out)?,
            Key::Char('n') => reject(current, hunks, &mut decisions, out)?,
            Key::Char('a') => {
                for i in current..hunks.len() {
                    if decisions[i] == Decision::Undecided {
                        accept(i, hunks, &mut decisions, out)?;
                    }
                }
            }
            Key::Char('d') => {
                for i in current..hunks.len() {
                    if decisions[i] == Decision::Undecided {
                        reject(i, hunks, &mut decisions, out)?;
                    }
                }
            }
            Key::Char('q') | Key::Interrupt => {
                for decision in decisions.iter_mut().filter(|d| **d == Decision::Undecided) {
                    *decision = Decision::Rejected;
                }
                write_lines(out, "quit: applying what was accepted so far\n")?;
                return Ok((decisions, true));
            }
            Key::Char('j') => {
                current = next_undecided(&decisions, current + 1, true).unwrap_or(current);
            }
            Key::Char('k') => {
                current = previous_undecided(&decisions, current).unwrap_or(current);
            }
            Key::Char('s') => write_lines(out, "this hunk is one fix and cannot be split further\n")?,
            _ => write_lines(out, HELP)?,
        }
    }
}

const HELP: &str = "y - apply this hunk\n\
n - do not apply this hunk\n\
a - apply this hunk and all later hunks in the file\n\
d - do not apply this hunk or any of the later hunks in the file\n\
s - split the current hunk into smaller hunks\n\
j - go to the next undecided hunk\n\
k - go to the previous undecided hunk\n\
q - quit; apply what was accepted so far\n\
? - print help\n";

fn accept(i: usize, hunks: &[Hunk], decisions: &mut [Decision], out: &mut impl Write) -> io::Result<()> {
    decisions[i] = Decision::Accepted;
    let mut needed = Vec::new();
    let mut stack = hunks[i].requires.clone();
    while let Some(required) = stack.pop() {
        if decisions[required] != Decision::Accepted && !needed.contains(&required) {
            needed.push(required);
            stack.extend(hunks[required].requires.iter().copied());
        }
    }
    needed.sort();
    for required in needed {
        decisions[required] = Decision::Accepted;
        write_lines(out, &format!("also applies: {} (hunk {})\n", hunks[required].title, required + 1))?;
    }
    Ok(())
}

fn reject(i: usize, hunks: &[Hunk], decisions: &mut [Decision], out: &mut impl Write) -> io::Result<()> {
    decisions[i] = Decision::Rejected;
    let mut stack = vec![i];
    while let Some(rejected) = stack.pop() {
        for (j, hunk) in hunks.iter().enumerate() {
            if hunk.requires.contains(&rejected) && decisions[j] != Decision::Rejected {
                decisions[j] = Decision::Rejected;
                write_lines(out, &format!("also skips: {} (hunk {}), which needs it\n", hunk.title, j + 1))?;
                stack.push(j);
            }
        }
    }
    Ok(())
}

fn next_undecided(decisions: &[Decision], from: usize, wrap: bool) -> Option<usize> {
    (from..decisions.len())
        .chain(if wrap { 0..from.min(decisions.len()) } else { 0..0 })
        .find(|i| decisions[*i] == Decision::Undecided)
}

fn previous_undecided(decisions: &[Decision], from: usize) -> Option<usize> {
    (0..from).rev().find(|i| decisions[*i] == Decision::Undecided)
}

/// Shows `body` a screen at a time. A key other than space pressed at a
/// "more" prompt answers the hunk at once.
fn page(out: &mut impl Write, body: &str, rows: usize) -> io::Result<Option<Key>> {
    let lines: Vec<&str> = body.lines().collect();
    let height = rows.saturating_sub(3).max(4);
    let mut shown = 0;
    while shown < lines.len() {
        let end = (shown + height).min(lines.len());
        write_lines(out, &(lines[shown..end].join("\n") + "\n"))?;
        shown = end;
        if shown < lines.len() {
            write_lines(
                out,
                &format!("-- {} more lines: space for the next page, or answer now --", lines.len() - shown),
            )?;
            let key = read_key()?;
            write_lines(out, "\r\x1b[K")?;
            if key != Key::Char(' ') {
                return Ok(Some(key));
            }
        }
    }
    Ok(None)
}

fn prompt(out: &mut impl Write, color: bool) -> io::Result<Key> {
    let question = "Apply this hunk [y,n,a,d,s,q,j,k,?]? ";
    write_lines(out, &if color { format!("\x1b[1;34m{question}\x1b[0m") } else { question.to_string() })?;
    let key = read_key()?;
    let shown = match key {
        Key::Char(c) => c.to_string(),
        Key::Interrupt => "^C".to_string(),
        Key::Other => String::new(),
    };
    write_lines(out, &format!("{shown}\n"))?;
    Ok(key)
}

fn read_key() -> io::Result<Key> {
    loop {
        if let Event::Key(KeyEvent { code, modifiers, kind, .. }) = event::read()? {
            if kind != KeyEventKind::Press {
                continue;
            }
            return Ok(match code {
                KeyCode::Char('c') if modifiers.contains(KeyModifiers::CONTROL) => Key::Interrupt,
                KeyCode::Char(c) => Key::Char(c.to_ascii_lowercase()),
                KeyCode::Esc => Key::Char('q'),
                _ => Key::Other,
            });
        }
    }
}

/// Raw mode does not translate `\n`: every line ends with `\r\n` on screen.
fn write_lines(out: &mut impl Write, text: &str) -> io::Result<()> {
    out.write_all(text.replace('\n', "\r\n").as_bytes())?;
    out.flush()
}
