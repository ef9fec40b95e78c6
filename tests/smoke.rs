//! `voice-otel-fix smoke` writes a pytest file that runs the agent's entrypoint
//! under in-memory exporters: it must fail on un-instrumented code and pass
//! once the tool has instrumented it.

mod common;

use std::process::Command;

fn pytest(dir: &std::path::Path) -> std::process::Output {
    Command::new(common::python())
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"])
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn generated_smoke_test_fails_before_and_passes_after_instrumenting() {
    for case in ["runtime/greeting_session", "runtime/no_connect_job_param", "package"] {
        let dir = tempfile::tempdir().unwrap();
        if case == "package" {
            write_package(dir.path());
        } else {
            common::copy_tree(&common::repo().join("fixtures").join(case).join("before"), dir.path());
        }
        let tool = |args: &[&str]| {
            Command::new(env!("CARGO_BIN_EXE_voice-otel-fix")).args(args).current_dir(dir.path()).output().unwrap()
        };

        let printed = tool(&["smoke", "--dry-run", "."]);
        assert!(printed.status.success(), "{case}: {}", String::from_utf8_lossy(&printed.stderr));
        assert!(String::from_utf8_lossy(&printed.stdout).contains("def test_the_session_span_and_metrics_are_emitted"));
        assert!(!dir.path().join("tests").exists(), "--dry-run writes nothing");

        let written = tool(&["smoke", "."]);
        assert!(written.status.success(), "{case}: {}", String::from_utf8_lossy(&written.stderr));
        let before = pytest(dir.path());
        assert!(
            !before.status.success(),
            "{case}: the smoke test must fail on un-instrumented code:\n{}",
            String::from_utf8_lossy(&before.stdout)
        );
        assert!(String::from_utf8_lossy(&before.stdout).contains("no voice.session span was exported"));

        let applied = tool(&["--allow-dirty", "."]);
        assert!(applied.status.success(), "{case}: {}", String::from_utf8_lossy(&applied.stderr));
        let after = pytest(dir.path());
        assert!(
            after.status.success(),
            "{case}: the smoke test must pass once instrumented:\n{}",
            String::from_utf8_lossy(&after.stdout)
        );

        let checked = tool(&["--check", "tests"]);
        assert_eq!(
            checked.status.code(),
            Some(0),
            "the generated test is itself clean (no VOF017): {}",
            String::from_utf8_lossy(&checked.stderr)
        );
    }
}

/// A package whose agent module uses a relative import and is registered from `__main__.py`.
fn write_package(dir: &std::path::Path) {
    let pkg = dir.join("hotline");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("__init__.py"), "").unwrap();
    std::fs::write(pkg.join("prompts.py"), "GREETING = \"Thanks for calling the hotline.\"\n").unwrap();
    std::fs::write(
        pkg.join("agent.py"),
        "from livekit.agents import JobContext\n\nfrom .prompts import GREETING\n\n\n\
         async def entrypoint(ctx: JobContext) -> None:\n    await ctx.connect()\n    ctx.proc.userdata[\"greeting\"] = GREETING\n",
    )
    .unwrap();
    std::fs::write(
        pkg.join("__main__.py"),
        "from livekit.agents import WorkerOptions, cli\n\nfrom .agent import entrypoint\n\n\
         cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint))\n",
    )
    .unwrap();
}
