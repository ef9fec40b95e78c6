//! Shared test support: the pinned Python environment under `target/`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The test venv's `python`, created on first use from `tests/python/requirements.txt`
/// (pinned): `target/py-venv`. Set `VOF_PYTHON` to use another interpreter as the base.
pub fn python() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(ensure_venv).clone()
}

/// The venv's `ruff`.
pub fn ruff() -> PathBuf {
    python().parent().expect("venv bin dir").join("ruff")
}

fn ensure_venv() -> PathBuf {
    let venv = repo().join("target").join("py-venv");
    let python = venv.join("bin").join("python");
    let requirements = std::fs::read_to_string(repo().join("tests/python/requirements.txt")).expect("requirements");
    let stamp = venv.join("requirements.stamp");
    let _lock = DirLock::acquire(&repo().join("target").join("py-venv.lock"));
    if python.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(requirements.as_str()) {
        return python;
    }
    let base = std::env::var("VOF_PYTHON").unwrap_or_else(|_| "python3".to_string());
    run(Command::new(&base).args(["-m", "venv", "--clear"]).arg(&venv));
    run(Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(repo().join("tests/python/requirements.txt")));
    std::fs::write(&stamp, requirements).expect("write stamp");
    python
}

fn run(command: &mut Command) {
    let status = command.status().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(status.success(), "{command:?} failed: {status}");
}

/// A lock between test processes: a directory that only one can create.
struct DirLock(PathBuf);

impl DirLock {
    fn acquire(path: &Path) -> DirLock {
        std::fs::create_dir_all(path.parent().expect("parent")).ok();
        for _ in 0..3600 {
            if std::fs::create_dir(path).is_ok() {
                return DirLock(path.to_path_buf());
            }
            // A lock older than an hour was left by a killed run.
            if let Ok(age) = std::fs::metadata(path).and_then(|m| m.modified()).map(|m| m.elapsed().unwrap_or_default())
            {
                if age.as_secs() > 3600 {
                    let _ = std::fs::remove_dir(path);
                }
            }
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
        panic!("could not lock {}", path.display());
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// Copies a directory tree byte for byte.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            if entry.file_name() == "__pycache__" || entry.file_name() == ".ruff_cache" {
                continue;
            }
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// Every file below `dir`, relative, sorted.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if entry.file_name() != "__pycache__" && entry.file_name() != ".ruff_cache" {
                    stack.push(path);
                }
            } else {
                out.push(path.strip_prefix(dir).expect("below").to_path_buf());
            }
        }
    }
    out.sort();
    out
}
