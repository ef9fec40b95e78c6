//! Refusing to write over uncommitted work: files to be changed that git
//! reports as modified, added or untracked-and-unignored are "dirty".

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Pathspecs given to one `git status`, at most (the command line has a limit).
const PATHSPECS: usize = 1000;

/// The files among `paths` with uncommitted changes. Files outside a git work
/// tree, or where git is not installed, are never dirty. One `git status` per
/// work tree (found by its `.git`, no process per directory), as thousands of
/// files in as many directories are usual.
pub fn dirty_files(paths: &[&Path]) -> Vec<PathBuf> {
    let mut by_tree: HashMap<PathBuf, Vec<(PathBuf, &Path)>> = HashMap::new();
    let mut trees: HashMap<PathBuf, Option<PathBuf>> = HashMap::new();
    for path in paths {
        let Ok(absolute) = std::fs::canonicalize(path) else { continue };
        let dir = absolute.parent().unwrap_or(Path::new("/")).to_path_buf();
        let tree = trees.entry(dir).or_insert_with_key(|dir| work_tree_of(dir)).clone();
        if let Some(tree) = tree {
            by_tree.entry(tree).or_default().push((absolute, path));
        }
    }
    let mut dirty = Vec::new();
    for (tree, files) in by_tree {
        let original: HashMap<&Path, &Path> =
            files.iter().map(|(absolute, path)| (absolute.as_path(), *path)).collect();
        for chunk in files.chunks(PATHSPECS) {
            let relative = chunk.iter().filter_map(|(absolute, _)| absolute.strip_prefix(&tree).ok());
            let output = Command::new("git")
                .arg("-C")
                .arg(&tree)
                .args(["status", "--porcelain", "-z", "--"])
                .args(relative.map(|p| if p.as_os_str().is_empty() { Path::new(".") } else { p }))
                .output();
            let Ok(output) = output else { continue };
            if !output.status.success() {
                continue; // not a work tree after all
            }
            for name in changed_paths(&output.stdout) {
                if let Some(path) = original.get(tree.join(name).as_path()) {
                    dirty.push(path.to_path_buf());
                }
            }
        }
    }
    dirty.sort();
    dirty.dedup();
    dirty
}

/// The work tree a directory is in: the nearest ancestor holding `.git` (a
/// directory, or a file for worktrees and submodules).
fn work_tree_of(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().find(|d| d.join(".git").exists()).map(Path::to_path_buf)
}

/// The paths of `git status --porcelain -z` (relative to the work tree): `XY path`
/// entries, a rename's or copy's origin following it as an entry of its own.
fn changed_paths(output: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut entries = output.split(|b| *b == 0).filter(|e| !e.is_empty());
    while let Some(entry) = entries.next() {
        if entry.len() < 4 {
            continue;
        }
        out.push(String::from_utf8_lossy(&entry[3..]).into_owned());
        if matches!(entry[0], b'R' | b'C') {
            entries.next();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn porcelain_entries_and_renames() {
        let output = b"?? my agents/new.py\0R  app/new.py\0app/old.py\0 M app/agent.py\0";
        assert_eq!(changed_paths(output), ["my agents/new.py", "app/new.py", "app/agent.py"]);
    }

    #[test]
    fn one_status_per_work_tree_finds_exactly_the_dirty_files() {
        let git = |dir: &Path, args: &[&str]| {
            let status = Command::new("git").arg("-C").arg(dir).args(args).status();
            status.is_ok_and(|s| s.success())
        };
        let root = tempfile::tempdir().unwrap();
        let repo = root.path().join("repo");
        std::fs::create_dir_all(repo.join("a")).unwrap();
        std::fs::create_dir_all(repo.join("b")).unwrap();
        if !git(&repo, &["init", "-q"]) {
            return; // no git here: nothing is ever dirty, which `dirty_files` says for itself
        }
        for file in ["a/agent.py", "b/agent.py", "b/xagent.py"] {
            std::fs::write(repo.join(file), "x = 1\n").unwrap();
        }
        git(&repo, &["add", "."]);
        git(&repo, &["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "one"]);
        std::fs::write(repo.join("b/xagent.py"), "x = 2\n").unwrap();
        let outside = root.path().join("outside.py");
        std::fs::write(&outside, "x = 1\n").unwrap();
        let (a, b, xb) = (repo.join("a/agent.py"), repo.join("b/agent.py"), repo.join("b/xagent.py"));
        let paths: Vec<&Path> = vec![&a, &b, &xb, &outside];
        // Not `b/agent.py`, whose name ends another dirty file's; not a file outside any work tree.
        assert_eq!(dirty_files(&paths), vec![xb.clone()]);
    }
}
