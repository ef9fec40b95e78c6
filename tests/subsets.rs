//! Whatever subset of hunks a person accepts in `-i`, the written file must
//! parse, byte-compile and have no undefined names or unused imports. For
//! every fixture: every subset of its fixes when there are few, a fixed set of
//! random subsets when there are many.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use voice_otel_fix::python::{FixId, Selection};
use voice_otel_fix::{plan, Mode, Options};

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn subsets(n: usize, seed: u64) -> Vec<Vec<bool>> {
    if n <= 5 {
        return (0..1u32 << n).map(|mask| (0..n).map(|i| mask & (1 << i) != 0).collect()).collect();
    }
    let mut rng = Rng(seed | 1);
    let mut out = vec![vec![false; n], vec![true; n]];
    for _ in 0..30 {
        out.push((0..n).map(|_| rng.next().is_multiple_of(2)).collect());
    }
    out
}

#[test]
fn every_accepted_subset_of_hunks_gives_valid_python() {
    let scratch = tempfile::tempdir().unwrap();
    let mut outputs: Vec<(PathBuf, PathBuf)> = Vec::new(); // (output, its before file)
    let mut failures = Vec::new();
    let mut planned_subsets = 0;
    for case in fixture_cases() {
        let before = case.join("before");
        let name = case.strip_prefix(common::repo().join("fixtures")).unwrap().display().to_string().replace('/', "__");
        let plan = plan(&Options::new(vec![before.clone()], Mode::DryRun));
        for file in &plan.files {
            let all = file.instrument(Selection::All);
            let ids: Vec<FixId> = all.fixes.iter().map(|f| f.id.clone()).collect();
            if ids.is_empty() {
                continue;
            }
            let seed = name.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3));
            for (i, chosen) in subsets(ids.len(), seed).into_iter().enumerate() {
                let selection: HashSet<FixId> =
                    ids.iter().zip(&chosen).filter(|(_, c)| **c).map(|(id, _)| id.clone()).collect();
                let result = file.instrument(Selection::Only(&selection));
                planned_subsets += 1;
                if let Some(err) = result.invalid_output {
                    failures.push(format!("{name} {} subset {chosen:?}: does not parse: {}", file.shown, err.message));
                    continue;
                }
                let Some(text) = result.text else { continue };
                // Rust subsets are re-parsed by the tool (above); only whole outputs are type-checked (rust_check.rs).
                if file.path().extension().is_some_and(|e| e == "rs") {
                    if let Err(err) = voice_otel_fix::rust::parse::check_syntax(&text) {
                        failures.push(format!("{name} {} subset {chosen:?}: {}", file.shown, err.message));
                    }
                    continue;
                }
                let out = scratch.path().join(format!("{name}__{i}")).join(file.path().file_name().unwrap());
                std::fs::create_dir_all(out.parent().unwrap()).unwrap();
                std::fs::write(&out, file.encode(&text)).unwrap();
                outputs.push((out, file.path().to_path_buf()));
            }
        }
    }
    assert!(planned_subsets > 300, "only {planned_subsets} subsets planned");
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    let compiled = Command::new(common::python())
        .args([
            "-c",
            "import sys\nfor f in sys.argv[1:]:\n    compile(open(f, 'rb').read(), f, 'exec', dont_inherit=True)",
        ])
        .args(outputs.iter().map(|(o, _)| o))
        .output()
        .unwrap();
    assert!(compiled.status.success(), "byte-compile: {}", String::from_utf8_lossy(&compiled.stderr));

    let after = ruff_codes(outputs.iter().map(|(o, _)| o.as_path()));
    let befores: Vec<&Path> = outputs.iter().map(|(_, b)| b.as_path()).collect();
    let before = ruff_codes(befores.iter().copied());
    for (output, original) in &outputs {
        for (code, count) in after.get(output).into_iter().flatten() {
            let had = before.get(original).and_then(|c| c.get(code)).copied().unwrap_or(0);
            if *count > had {
                failures.push(format!("{}: ruff {code} is new (from {})", output.display(), original.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn fixture_cases() -> Vec<PathBuf> {
    let mut cases = Vec::new();
    for group in std::fs::read_dir(common::repo().join("fixtures")).unwrap().flatten() {
        for case in std::fs::read_dir(group.path()).into_iter().flatten().flatten() {
            if case.path().join("before").is_dir() {
                cases.push(case.path());
            }
        }
    }
    cases.sort();
    cases
}

/// file → F-rule code → count.
fn ruff_codes<'a>(files: impl Iterator<Item = &'a Path>) -> BTreeMap<PathBuf, BTreeMap<String, usize>> {
    let mut files: Vec<&Path> = files.collect();
    files.sort();
    files.dedup();
    let output = Command::new(common::ruff())
        .args(["check", "--select", "F", "--no-cache", "--isolated", "--output-format", "json", "--exit-zero"])
        .args(&files)
        .output()
        .unwrap();
    let diagnostics: serde_json::Value = serde_json::from_slice(&output.stdout).expect("ruff json");
    let mut out: BTreeMap<PathBuf, BTreeMap<String, usize>> = BTreeMap::new();
    for d in diagnostics.as_array().unwrap() {
        let file = PathBuf::from(d["filename"].as_str().unwrap());
        let file = std::fs::canonicalize(&file).unwrap_or(file);
        *out.entry(file).or_default().entry(d["code"].as_str().unwrap_or("").to_string()).or_default() += 1;
    }
    // Keys as given (canonical) so callers can look them up.
    out.into_iter()
        .map(|(k, v)| {
            (
                files
                    .iter()
                    .find(|f| std::fs::canonicalize(f).ok().as_ref() == Some(&k))
                    .map_or(k, |f| f.to_path_buf()),
                v,
            )
        })
        .collect()
}
