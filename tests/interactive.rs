//! The interactive review (`-i`) driven in a pseudo-terminal by pexpect; see
//! `tests/interactive/`. Without a terminal, `-i` refuses.

mod common;

use std::process::{Command, Stdio};

#[test]
fn review_in_a_pseudo_terminal() {
    let output = Command::new(common::python())
        .args(["-m", "pytest", "tests/interactive", "-q", "-p", "no:cacheprovider"])
        .current_dir(common::repo())
        .env("VOF_BIN", env!("CARGO_BIN_EXE_voice-otel-fix"))
        .output()
        .expect("run pytest");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "pytest failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(!stdout.contains("skipped"), "{stdout}");
}

#[test]
fn without_a_terminal_interactive_refuses() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        common::repo().join("fixtures/runtime/greeting_session/before/agent.py"),
        dir.path().join("agent.py"),
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_voice-otel-fix"))
        .args(["-i", "--allow-dirty", "."])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("-i needs a terminal on stdin"));
}
