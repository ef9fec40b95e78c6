//! Refusing to write over uncommitted work: files to be changed that git
//! reports as modified, added or untracked-and-unignored are "dirty".

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The files among `paths` with uncommitted changes. Files outside a git work
/// tree, or where git is not installed, are never dirty.
pub fn dirty_files(paths: &[&Path]) -> Vec<PathBuf> {
    let mut by_dir: HashMap<PathBuf, Vec<PathBuf>> = HashMap::new();
    for path in paths {
        let Ok(absolute) = std::fs::canonicalize(path) else { continue };
        let dir = absolute.parent().unwrap_or(Path::new("/")).to_path_buf();
        by_dir.entry(dir).or_default().push(absolute);
    }
    let mut dirty = Vec::new();
    for (dir, files) in by_dir {
        let output =
            Command::new("git").arg("-C").arg(&dir).args(["status", "--porcelain", "-z", "--"]).args(&files).output();
        let Ok(output) = output else { continue };
        if !output.status.success() {
            continue; // not a work tree
        }
        for entry in output.stdout.split(|b| *b == 0).filter(|e| e.len() > 3) {
            let name = String::from_utf8_lossy(&entry[3..]);
            if let Some(file) =
                files.iter().find(|f| f.file_name().is_some_and(|n| name.ends_with(&*n.to_string_lossy())))
            {
                if let Some(original) = paths.iter().find(|p| std::fs::canonicalize(p).ok().as_ref() == Some(file)) {
                    dirty.push(original.to_path_buf());
                }
            }
        }
    }
    dirty.sort();
    dirty.dedup();
    dirty
}
