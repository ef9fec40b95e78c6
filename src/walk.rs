//! Finding the Python and Rust files to look at: `ignore`'s parallel walker, which
//! respects `.gitignore`, never follows symlinks, and takes `--exclude` globs.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use ignore::overrides::OverrideBuilder;
use ignore::{WalkBuilder, WalkState};

/// A path the walk could not read, reported once with the path.
#[derive(Debug, Clone)]
pub struct WalkError {
    pub path: PathBuf,
    pub message: String,
}

/// Walks `roots` and hands every Python and Rust file to `visit` as it is
/// found, on the walker's threads (so that reading and prefiltering overlap
/// the walk, as in ripgrep); returns how many files it handed over and the
/// errors met on the way. A file under two of the roots is handed over once.
/// Below a root, regular files only: the walk follows no symlink and yields none.
pub fn visit_source_files(
    roots: &[PathBuf],
    excludes: &[String],
    visit: &(dyn Fn(PathBuf) + Sync),
) -> (usize, Vec<WalkError>) {
    let errors = Mutex::new(Vec::new());
    // Only overlapping roots can yield a file twice.
    let seen = Mutex::new(HashSet::new());
    let count = AtomicUsize::new(0);
    let hand_over = |path: PathBuf| {
        if roots.len() > 1 && !seen.lock().unwrap().insert(path.clone()) {
            return;
        }
        count.fetch_add(1, Ordering::Relaxed);
        visit(path);
    };
    for root in roots {
        match std::fs::symlink_metadata(root) {
            Err(err) => {
                errors.lock().unwrap().push(WalkError { path: root.clone(), message: err.to_string() });
                continue;
            }
            Ok(meta) if meta.is_file() => {
                hand_over(root.clone());
                continue;
            }
            Ok(_) => {}
        }
        let mut builder = WalkBuilder::new(root);
        builder.follow_links(false).hidden(true).git_ignore(true).require_git(false);
        if !excludes.is_empty() {
            let mut overrides = OverrideBuilder::new(root);
            for glob in excludes {
                if let Err(err) = overrides.add(&format!("!{glob}")) {
                    errors
                        .lock()
                        .unwrap()
                        .push(WalkError { path: root.clone(), message: format!("bad --exclude glob {glob:?}: {err}") });
                }
            }
            if let Ok(built) = overrides.build() {
                builder.overrides(built);
            }
        }
        builder.build_parallel().run(|| {
            Box::new(|entry| {
                match entry {
                    Ok(entry) => {
                        let is_file = entry.file_type().is_some_and(|t| t.is_file());
                        if is_file && is_source(entry.path()) {
                            hand_over(entry.into_path());
                        }
                    }
                    Err(err) => {
                        let path = error_path(&err).unwrap_or_else(|| root.clone());
                        errors.lock().unwrap().push(WalkError { path, message: err.to_string() });
                    }
                }
                WalkState::Continue
            })
        });
    }
    (count.into_inner(), errors.into_inner().unwrap())
}

fn is_source(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("py" | "rs"))
}

/// The languages the tool reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Python,
    Rust,
}

impl Language {
    /// By extension: `.rs` is Rust; anything else named is taken as Python.
    pub fn of(path: &Path) -> Language {
        if path.extension().and_then(|e| e.to_str()) == Some("rs") {
            Language::Rust
        } else {
            Language::Python
        }
    }
}

fn error_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => error_path(err),
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        _ => None,
    }
}
