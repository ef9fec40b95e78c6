//! `--check --format sarif` is a valid SARIF 2.1.0 log (checked against the
//! OASIS schema, taken from the npm registry's `@microsoft/jest-sarif`), with
//! the rules, results and fixes a code-scanning service needs.

mod common;

use std::path::PathBuf;
use std::process::Command;

/// The SARIF 2.1.0 schema, fetched once into `target/` with `npm pack`.
fn schema() -> PathBuf {
    let dir = common::repo().join("target").join("sarif-schema");
    let schema = dir.join("package/lib/schemas/sarif-2.1.0-rtm.5.json");
    if schema.exists() {
        return schema;
    }
    std::fs::create_dir_all(&dir).unwrap();
    let pack = Command::new("npm")
        .args(["pack", "@microsoft/jest-sarif@1.0.0-beta.0", "--silent", "--pack-destination"])
        .arg(&dir)
        .output()
        .expect("npm is needed to fetch the SARIF schema");
    assert!(pack.status.success(), "npm pack: {}", String::from_utf8_lossy(&pack.stderr));
    let tarball = String::from_utf8_lossy(&pack.stdout).trim().lines().last().unwrap_or_default().to_string();
    let untar = Command::new("tar").arg("-xzf").arg(dir.join(tarball)).arg("-C").arg(&dir).status().unwrap();
    assert!(untar.success());
    assert!(schema.exists(), "schema not in the package");
    schema
}

#[test]
fn sarif_output_validates_and_carries_fixes() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_tree(&common::repo().join("fixtures/monorepo/three_packages/before"), dir.path());
    common::copy_tree(
        &common::repo().join("fixtures/llm_calls/openai_stream_unguarded/before"),
        &dir.path().join("stream"),
    );
    std::fs::write(dir.path().join("broken.py"), "from livekit.agents import WorkerOptions\ndef f(:\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_voice-otel-fix"))
        .args(["--check", "--format", "sarif", "."])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let log_path = dir.path().join("out.sarif");
    std::fs::write(&log_path, &out.stdout).unwrap();

    let validate = Command::new(common::python())
        .args([
            "-c",
            "import json, sys, jsonschema\n\
             schema = json.load(open(sys.argv[1]))\n\
             log = json.load(open(sys.argv[2]))\n\
             jsonschema.validate(log, schema, cls=jsonschema.Draft7Validator)\n",
        ])
        .arg(schema())
        .arg(&log_path)
        .output()
        .unwrap();
    assert!(validate.status.success(), "SARIF does not validate:\n{}", String::from_utf8_lossy(&validate.stderr));

    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"].as_array().unwrap();
    let rule = |id: &str| results.iter().filter(|r| r["ruleId"] == id).count();
    assert_eq!(rule("VOF001"), 2, "two entrypoints lack the session span");
    assert_eq!(rule("VOF004"), 3, "three LLM call sites");
    assert_eq!(rule("VOF005"), 1, "one AgentSession");
    assert_eq!(rule("VOF113"), 1, "the unguarded openai stream is a diagnostic");
    assert_eq!(rule("VOF900"), 1, "the broken file");
    let session = results.iter().find(|r| r["ruleId"] == "VOF001").unwrap();
    let replacements = session["fixes"][0]["artifactChanges"][0]["replacements"].as_array().unwrap();
    assert!(replacements
        .iter()
        .any(|r| r["insertedContent"]["text"].as_str().unwrap().contains("use_span(session_span")));
}
