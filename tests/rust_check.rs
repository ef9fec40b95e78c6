//! The Rust rewrite must build and work, not just parse:
//! 1. every `fixtures/rust_llm_span/*/after` crate (instrumented, manifest completed by
//!    `--add-deps`) type-checks with `cargo check`, in one cargo workspace with
//!    a committed lockfile (`tests/rust_workspace/Cargo.lock`; crates come from
//!    the registry, nothing is vendored);
//! 2. `tests/rust_workspace/runtime` runs the instrumented
//!    `openai_chat_struct_field` fixture against a loopback mock under the real
//!    opentelemetry SDK (in-memory exporters) and checks its span and counters.

mod common;

use std::path::Path;
use std::process::Command;

#[test]
fn instrumented_rust_fixtures_type_check_and_run() {
    let repo = common::repo();
    let workspace = repo.join("target/rust-check");
    let fixtures = repo.join("fixtures/rust_llm_span");
    let mut members = Vec::new();
    let mut cases: Vec<_> =
        std::fs::read_dir(&fixtures).expect("fixtures/rust_llm_span").map(|e| e.unwrap().path()).collect();
    cases.sort();
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let member = workspace.join(&name);
        let _ = std::fs::remove_dir_all(&member);
        common::copy_tree(&case.join("after"), &member);
        members.push(name);
    }
    assert!(members.len() >= 5, "expected the Rust fixtures, found {members:?}");
    let runtime = workspace.join("runtime");
    let _ = std::fs::remove_dir_all(&runtime);
    common::copy_tree(&repo.join("tests/rust_workspace/runtime"), &runtime);
    members.push("runtime".into());
    let list: Vec<String> = members.iter().map(|m| format!("\"{m}\"")).collect();
    std::fs::write(
        workspace.join("Cargo.toml"),
        format!("[workspace]\nresolver = \"2\"\nmembers = [{}]\n", list.join(", ")),
    )
    .unwrap();
    let lock = repo.join("tests/rust_workspace/Cargo.lock");
    if lock.exists() && !workspace.join("Cargo.lock").exists() {
        std::fs::copy(&lock, workspace.join("Cargo.lock")).unwrap();
    }

    cargo(&workspace, &["check", "--workspace", "--all-targets", "--quiet"]);
    cargo(&workspace, &["test", "-p", "voice-otel-fix-rust-runtime", "--quiet"]);
}

fn cargo(dir: &Path, args: &[&str]) {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo");
    assert!(
        output.status.success(),
        "cargo {} failed in {}:\n{}\n{}",
        args.join(" "),
        dir.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
