//! Runtime tests: the instrumented fixtures of `fixtures/runtime/*/after` run
//! under the real `opentelemetry-sdk` (in-memory exporters and a local OTLP
//! receiver on 127.0.0.1) with a fake `JobContext` that follows LiveKit's job
//! lifecycle; see `tests/runtime/`. The fixture runner proves those `after`
//! files are exactly what the tool writes.

mod common;

use std::process::Command;

#[test]
fn instrumented_entrypoints_emit_the_spans_and_metrics_of_the_style_guide() {
    let output = Command::new(common::python())
        .args(["-m", "pytest", "tests/runtime", "-q", "-p", "no:cacheprovider"])
        .current_dir(common::repo())
        .env("VOF_RUNTIME_STRICT", "1")
        .env_remove("VOF_RUNTIME_FIXTURES")
        .output()
        .expect("run pytest");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "pytest failed:\n{stdout}\n{stderr}");
    assert!(!stdout.contains("skipped"), "no runtime test may be skipped:\n{stdout}");
    println!("{stdout}");
}
