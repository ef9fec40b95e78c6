//! The fixture runner: every `fixtures/<transform>/<case>/before` tree is
//! copied, instrumented in place, and must then
//! 1. equal `after/` byte for byte (`VOF_BLESS=1` rewrites `after/` instead);
//! 2. need nothing on a second run;
//! 3. byte-compile with CPython;
//! 4. add no `ruff check --select F` diagnostic that `before/` did not have;
//! 5. keep imports sorted (`ruff check --select I`, with the case's own ruff configuration if it has
//!    one) where `before/` had them sorted.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use voice_otel_fix::report::FileStatus;
use voice_otel_fix::{run, Mode, Options};

fn cases() -> Vec<PathBuf> {
    let mut cases = Vec::new();
    for group in std::fs::read_dir(common::repo().join("fixtures")).expect("fixtures/") {
        let group = group.expect("entry").path();
        if !group.is_dir() {
            continue;
        }
        for case in std::fs::read_dir(&group).expect("group") {
            let case = case.expect("entry").path();
            if case.join("before").is_dir() {
                cases.push(case);
            }
        }
    }
    cases.sort();
    cases
}

fn instrument(dir: &Path, mode: Mode) -> voice_otel_fix::report::Report {
    // Rust cases' manifests get what the rewrite needs, so that `tests/rust_check.rs` can build them.
    run(&Options { add_deps: true, ..Options::new(vec![dir.to_path_buf()], mode) })
}

#[test]
fn every_fixture_matches_is_idempotent_compiles_and_is_f_clean() {
    let bless = std::env::var_os("VOF_BLESS").is_some();
    let scratch = tempfile::tempdir().expect("tempdir");
    let mut failures = Vec::new();
    let mut outputs: Vec<(String, PathBuf, PathBuf)> = Vec::new();
    let cases = cases();
    assert!(cases.len() >= 25, "expected at least 25 fixtures, found {}", cases.len());
    for case in &cases {
        let name = case.strip_prefix(common::repo().join("fixtures")).unwrap().display().to_string();
        let work = scratch.path().join(name.replace('/', "__"));
        common::copy_tree(&case.join("before"), &work);
        let first = instrument(&work, Mode::Apply);
        for file in &first.files {
            if file.status == FileStatus::Error {
                failures.push(format!("{name}: {}: {:?}", file.path, file.reason));
            }
        }
        let after = case.join("after");
        if bless {
            let _ = std::fs::remove_dir_all(&after);
            common::copy_tree(&work, &after);
        } else {
            let expected = common::files(&after);
            let actual = common::files(&work);
            if expected != actual {
                failures.push(format!("{name}: files differ: expected {expected:?}, got {actual:?}"));
            }
            for file in &actual {
                let got = std::fs::read(work.join(file)).unwrap();
                let want = std::fs::read(after.join(file)).unwrap_or_default();
                if got != want {
                    failures.push(format!(
                        "{name}: {} differs from after/ (VOF_BLESS=1 to update):\n{}",
                        file.display(),
                        similar::TextDiff::from_lines(&String::from_utf8_lossy(&want), &String::from_utf8_lossy(&got))
                            .unified_diff()
                            .header("expected", "actual")
                    ));
                }
            }
        }
        let second = instrument(&work, Mode::Check);
        for file in second.files.iter().filter(|f| f.status == FileStatus::Changed) {
            failures.push(format!(
                "{name}: second run changes {}:\n{}",
                file.path,
                file.diff.clone().unwrap_or_default()
            ));
        }
        outputs.push((name, case.join("before"), work));
    }

    // Byte-compile every output file in one interpreter.
    let python = common::python();
    let py_files: Vec<PathBuf> = outputs
        .iter()
        .flat_map(|(_, _, work)| common::files(work).into_iter().map(move |f| work.join(f)))
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .collect();
    let compiled = Command::new(&python)
        .args([
            "-c",
            "import sys\nfor f in sys.argv[1:]:\n    compile(open(f, 'rb').read(), f, 'exec', dont_inherit=True)",
        ])
        .args(&py_files)
        .output()
        .expect("python");
    if !compiled.status.success() {
        failures.push(format!("byte-compile failed:\n{}", String::from_utf8_lossy(&compiled.stderr)));
    }

    // ruff's F rules: nothing new after the rewrite.
    for (name, before, work) in &outputs {
        let old = ruff_f(before);
        let new = ruff_f(work);
        for (key, count) in &new {
            if old.get(key).copied().unwrap_or(0) < *count {
                failures.push(format!("{name}: ruff F rule {key:?} is new after the rewrite"));
            }
        }
    }

    // isort's order: a file whose imports were sorted keeps them sorted. (ruff leaves a
    // block's backslash continuations alone until the block changes, then joins them:
    // such a file cannot stay unchanged and sorted both.)
    for (name, before, work) in &outputs {
        let continued = common::files(before)
            .iter()
            .any(|f| std::fs::read_to_string(before.join(f)).is_ok_and(|t| t.contains("\\\n")));
        if !continued && imports_sorted(before).is_ok() {
            if let Err(diff) = imports_sorted(work) {
                failures.push(format!("{name}: the rewrite unsorts the imports (ruff I001):\n{diff}"));
            }
        }
    }

    assert!(failures.is_empty(), "{} fixture failures:\n\n{}", failures.len(), failures.join("\n\n"));
}

/// `ruff check --select I` under `dir` (isort's defaults, or the case's own
/// configuration): what it would change, if anything.
fn imports_sorted(dir: &Path) -> Result<(), String> {
    let output = Command::new(common::ruff())
        .args(["check", "--select", "I", "--no-cache", "--diff"])
        .arg(dir)
        .output()
        .expect("ruff");
    match output.status.code() {
        Some(0) => Ok(()),
        Some(1) => Err(String::from_utf8_lossy(&output.stdout).into_owned()),
        _ => panic!("ruff failed: {}", String::from_utf8_lossy(&output.stderr)),
    }
}

/// `(file, code, message)` → count of ruff's F diagnostics under `dir`.
fn ruff_f(dir: &Path) -> BTreeMap<(String, String, String), usize> {
    let output = Command::new(common::ruff())
        .args(["check", "--select", "F", "--no-cache", "--output-format", "json", "--exit-zero", "--isolated"])
        .arg(dir)
        .output()
        .expect("ruff");
    assert!(output.status.success(), "ruff failed: {}", String::from_utf8_lossy(&output.stderr));
    let diagnostics: serde_json::Value = serde_json::from_slice(&output.stdout).expect("ruff json");
    let mut out = BTreeMap::new();
    for d in diagnostics.as_array().expect("array") {
        let file = d["filename"].as_str().unwrap_or_default();
        let file = Path::new(file).strip_prefix(dir).map(|p| p.display().to_string()).unwrap_or(file.to_string());
        let key = (
            file,
            d["code"].as_str().unwrap_or_default().to_string(),
            d["message"].as_str().unwrap_or_default().to_string(),
        );
        *out.entry(key).or_default() += 1;
    }
    out
}
