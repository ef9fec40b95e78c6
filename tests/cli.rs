//! The command line as a user and a CI script meet it: diffs that `git apply`
//! and `patch -p1` accept, exit codes, JSON, and bad input left untouched.

mod common;

use std::path::Path;
use std::process::{Command, Output};

const AGENT: &str = r#"from livekit.agents import JobContext, WorkerOptions, cli


async def entrypoint(ctx: JobContext) -> None:
    await ctx.connect()
    ctx.room.name


if __name__ == "__main__":
    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint))
"#;

fn tool(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_voice-otel-fix")).args(args).current_dir(dir).output().expect("run the tool")
}

fn git(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new("git").args(args).current_dir(dir).output().expect("git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn dry_run_diff_applies_with_git_and_patch_including_paths_with_spaces() {
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    std::fs::create_dir_all(dir.join("my agents/bot")).unwrap();
    std::fs::write(dir.join("my agents/bot/agent.py"), AGENT).unwrap();
    std::fs::write(
        dir.join("plain.py"),
        AGENT.replace("def entrypoint", "def run_job").replace("=entrypoint)", "=run_job)"),
    )
    .unwrap();
    git(dir, &["init", "-q"]);

    let out = tool(dir, &["--dry-run", "--color", "never", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let diff = stdout(&out);
    assert!(diff.contains("--- \"a/my agents/bot/agent.py\""), "{diff}");
    assert!(diff.contains("--- a/plain.py"), "{diff}");
    assert_eq!(
        std::fs::read_to_string(dir.join("plain.py")).unwrap(),
        AGENT.replace("def entrypoint", "def run_job").replace("=entrypoint)", "=run_job)"),
        "dry run writes nothing"
    );
    std::fs::write(dir.join("changes.patch"), &diff).unwrap();
    git(dir, &["apply", "--check", "changes.patch"]);

    let patched =
        Command::new("patch").args(["-p1", "--dry-run", "-i", "changes.patch"]).current_dir(dir).output().unwrap();
    assert!(patched.status.success(), "patch -p1: {}{}", stdout(&patched), stderr(&patched));

    // Applying the patch gives exactly what the tool writes itself.
    git(dir, &["apply", "changes.patch"]);
    let patched_text = std::fs::read_to_string(dir.join("my agents/bot/agent.py")).unwrap();
    std::fs::write(dir.join("my agents/bot/agent.py"), AGENT).unwrap();
    let refused = tool(dir, &["."]);
    assert_eq!(refused.status.code(), Some(2), "untracked files are uncommitted work: {}", stderr(&refused));
    assert!(stderr(&refused).contains("--allow-dirty"), "{}", stderr(&refused));
    assert_eq!(std::fs::read_to_string(dir.join("my agents/bot/agent.py")).unwrap(), AGENT, "nothing written");
    git(dir, &["add", "my agents", "plain.py"]);
    git(dir, &["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "agents"]);
    let applied = tool(dir, &["."]);
    assert_eq!(applied.status.code(), Some(0), "{}", stderr(&applied));
    assert_eq!(std::fs::read_to_string(dir.join("my agents/bot/agent.py")).unwrap(), patched_text);
}

#[test]
fn check_exit_codes_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agent.py"), AGENT).unwrap();
    let out = tool(dir.path(), &["--check", "."]);
    assert_eq!(out.status.code(), Some(1), "work to do: {}", stderr(&out));
    assert!(stdout(&out).contains("+    with trace.use_span(session_span, end_on_exit=False):"));
    assert!(stderr(&out).contains("1 files scanned, 1 entrypoints"), "{}", stderr(&out));
    assert!(stderr(&out).contains("1 files would change, 1 diagnostics (1 fixable)"), "{}", stderr(&out));

    let out = tool(dir.path(), &["."]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("1 files changed"), "{}", stderr(&out));
    let out = tool(dir.path(), &["--check", "."]);
    assert_eq!(out.status.code(), Some(0), "nothing left: {}{}", stdout(&out), stderr(&out));
    assert_eq!(stdout(&out), "");

    let out = tool(dir.path(), &["--check", "does-not-exist"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = tool(dir.path(), &["--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn json_report_has_the_documented_fields() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agent.py"), AGENT).unwrap();
    std::fs::write(dir.path().join("broken.py"), "from livekit.agents import WorkerOptions\ndef f(:\n").unwrap();
    let out = tool(dir.path(), &["--dry-run", "--format", "json", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(report["version"], 1);
    let files = report["files"].as_array().unwrap();
    let agent = files.iter().find(|f| f["path"] == "agent.py").expect("agent.py reported");
    assert_eq!(agent["status"], "changed");
    let entrypoint = &agent["findings"][0];
    for key in ["kind", "line", "column", "symbol", "form", "provider", "model", "code", "message"] {
        assert!(entrypoint.get(key).is_some(), "finding lacks {key}: {entrypoint}");
    }
    assert_eq!(entrypoint["kind"], "entrypoint");
    assert_eq!(entrypoint["line"], 4, "the def line");
    assert_eq!(entrypoint["column"], 1);
    assert_eq!(entrypoint["symbol"], "entrypoint");
    assert_eq!(entrypoint["form"], "worker_options");
    let broken = files.iter().find(|f| f["path"] == "broken.py").expect("broken.py reported");
    assert_eq!(broken["status"], "error");
    assert!(broken["reason"].as_str().unwrap().contains("syntax error"), "{broken}");
    for key in ["files_scanned", "entrypoints", "llm_call_sites", "files_changed", "skipped", "default_attributes"] {
        assert!(report["summary"].get(key).is_some(), "summary lacks {key}");
    }
    assert_eq!(report["summary"]["files_scanned"], 2);
}

#[test]
fn bad_input_is_reported_with_position_and_left_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &[u8])] = &[
        ("syntax.py", b"from livekit.agents import WorkerOptions\n\nasync def entrypoint(ctx):\n    with ctx:\n"),
        ("latin1.py", b"from livekit.agents import WorkerOptions\nname = '\xe9'\n"),
        ("binary.py", b"WorkerOptions\x00\x01\x02"),
    ];
    for (name, bytes) in cases {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    std::fs::write(dir.path().join("agent.py"), AGENT).unwrap();
    let out = tool(dir.path(), &["."]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "per-file problems do not stop the run: {err}");
    assert!(err.contains("syntax.py:4:14: error: syntax error: Expected an indented block"), "{err}");
    assert!(err.contains("latin1.py:2:9: error: invalid UTF-8"), "{err}");
    assert!(err.contains("binary.py:1:14: error: binary file"), "{err}");
    for (name, bytes) in cases {
        assert_eq!(&std::fs::read(dir.path().join(name)).unwrap(), bytes, "{name} untouched");
    }
    assert_ne!(std::fs::read_to_string(dir.path().join("agent.py")).unwrap(), AGENT, "the good file is still fixed");
    let out = tool(dir.path(), &["--check", "."]);
    assert_eq!(out.status.code(), Some(1), "a file that does not parse fails --check");
}

#[test]
fn monorepo_combined_patch_applies_at_the_root_with_each_package_config() {
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    common::copy_tree(&common::repo().join("fixtures/monorepo/three_packages/before"), dir);
    git(dir, &["init", "-q"]);
    git(dir, &["add", "."]);
    git(dir, &["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "monorepo"]);

    let out = tool(dir, &["--dry-run", "--diff-output", "combined.patch", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "", "the patch goes to the file");
    let err = stderr(&out);
    for package in ["packages/support_bot: 2 files", "packages/sales_bot: 1 files", ".: 1 files"] {
        assert!(err.contains(package), "per-package summary lacks {package}: {err}");
    }
    let patch = std::fs::read_to_string(dir.join("combined.patch")).unwrap();
    assert!(patch.contains("+++ b/packages/support_bot/support_bot/triage.py"), "{patch}");
    assert!(patch.contains("\"llm.ticket_triage\""), "the package's span override is used");
    assert!(patch.contains("tenant_id = 'sales'"), "package 2's own tenant expression");
    assert!(patch.contains("use_case=\"voice.conversation\""), "the root config reaches package 1 through extend");
    assert!(!patch.contains("legacy"), "excluded by package 2's config");
    git(dir, &["apply", "--check", "combined.patch"]);

    let out = tool(dir, &["--show-settings", "packages/sales_bot/sales_bot/agent.py"]);
    assert!(stdout(&out).contains("tenant_id = \"'sales'\""), "{}", stdout(&out));

    std::fs::remove_file(dir.join("combined.patch")).unwrap();
    let out = tool(dir, &["."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    git(dir, &["add", "."]);
    let out = tool(dir, &["--check", "."]);
    assert_eq!(out.status.code(), Some(0), "applied once, nothing left: {}", stdout(&out));
}

#[test]
fn unknown_config_keys_are_errors_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agent.py"), AGENT).unwrap();
    std::fs::write(dir.path().join("voice-otel-fix.toml"), "[attributes]\ntenant = \"x\"\n").unwrap();
    let out = tool(dir.path(), &["--check", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("voice-otel-fix.toml:2:1: error: unknown field `tenant`"), "{}", stderr(&out));
}

const RUST_MANIFEST: &str = "[package]\nname = \"gateway\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ngenai = \"0.7\"\n\n[dev-dependencies]\ntokio = \"1\"\n";

const RUST_GATEWAY: &str = r#"use genai::chat::{ChatMessage, ChatRequest};
use genai::Client;

pub async fn answer_question(client: &Client, question: &str) -> genai::Result<Option<String>> {
    let request = ChatRequest::new(vec![ChatMessage::user(question)]);
    let response = client.exec_chat("claude-3-5-haiku-latest", request, None).await?;
    Ok(response.first_text().map(str::to_string))
}
"#;

#[test]
fn rust_manifest_dependencies_are_reported_or_added_with_add_deps() {
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    std::fs::create_dir_all(dir.join("gateway/src")).unwrap();
    std::fs::write(dir.join("gateway/Cargo.toml"), RUST_MANIFEST).unwrap();
    std::fs::write(dir.join("gateway/src/lib.rs"), RUST_GATEWAY).unwrap();

    // Without --add-deps: the manifest is named in a diagnostic and left alone.
    let out = tool(dir, &["--check", "--color", "never", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("VOF132"), "{}", stderr(&out));
    assert!(stderr(&out).contains("opentelemetry = \"0.33\""), "{}", stderr(&out));
    assert!(!stdout(&out).contains("Cargo.toml"), "{}", stdout(&out));
    assert!(stdout(&out).contains("+    let response = voice_otel_llm::record("), "{}", stdout(&out));

    // With it: one more hunk for the manifest, and applying writes both.
    let out = tool(dir, &["--dry-run", "--add-deps", "--color", "never", "."]);
    assert!(stdout(&out).contains("--- a/gateway/Cargo.toml"), "{}", stdout(&out));
    assert!(stdout(&out).contains("+opentelemetry = \"0.33\""), "{}", stdout(&out));
    assert!(!stderr(&out).contains("VOF132"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(dir.join("gateway/Cargo.toml")).unwrap(), RUST_MANIFEST);

    let out = tool(dir, &["--add-deps", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let manifest = std::fs::read_to_string(dir.join("gateway/Cargo.toml")).unwrap();
    assert!(manifest.contains("genai = \"0.7\"\nopentelemetry = \"0.33\"\n\n[dev-dependencies]"), "{manifest}");
    let source = std::fs::read_to_string(dir.join("gateway/src/lib.rs")).unwrap();
    assert!(source.contains("mod voice_otel_llm {"), "{source}");
    assert!(source.contains("model: Some(\"claude-3-5-haiku-latest\"),"), "{source}");

    // A second run has nothing to do.
    let out = tool(dir, &["--check", "--add-deps", "."]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
}

#[test]
fn rust_syntax_errors_are_reported_with_position_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let broken = "use async_openai::Client;\n\npub async fn f(client: &Client) {\n    let x = ;\n}\n";
    std::fs::write(dir.path().join("broken.rs"), broken).unwrap();
    let out = tool(dir.path(), &["--check", "broken.rs"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("broken.rs:4:13: error: Rust syntax error"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(dir.path().join("broken.rs")).unwrap(), broken);
}

#[test]
fn vendored_provider_sdk_and_livekit_sources_are_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agent.py"), AGENT).unwrap();
    // An SDK unpacked into the tree: its own modules import it and call it.
    let sdk = dir.path().join("vendor/openai");
    std::fs::create_dir_all(sdk.join("cli")).unwrap();
    std::fs::write(sdk.join("__init__.py"), "").unwrap();
    let sdk_call = "import openai\n\n\ndef main():\n    client = openai.OpenAI()\n    return client.chat.completions.create(model=\"gpt-4o\", messages=[])\n";
    std::fs::write(sdk.join("cli/_main.py"), sdk_call).unwrap();
    // The framework's own package below the `livekit` namespace.
    let framework = dir.path().join("vendor/livekit/agents");
    std::fs::create_dir_all(&framework).unwrap();
    std::fs::write(framework.join("__init__.py"), "").unwrap();
    std::fs::write(framework.join("worker.py"), AGENT).unwrap();
    // A team's own subpackage named after a provider is the team's code.
    let own = dir.path().join("app/providers/openai");
    std::fs::create_dir_all(&own).unwrap();
    for init in ["app/__init__.py", "app/providers/__init__.py", "app/providers/openai/__init__.py"] {
        std::fs::write(dir.path().join(init), "").unwrap();
    }
    std::fs::write(own.join("chat.py"), sdk_call).unwrap();

    let out = tool(dir.path(), &["--dry-run", "--format", "json", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let changed: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "changed")
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(changed, ["agent.py", "app/providers/openai/chat.py"], "{report}");
    assert_eq!(report["summary"]["skipped"]["third-party package sources"], 2, "{report}");
    let out = tool(dir.path(), &["--dry-run", "."]);
    assert!(stderr(&out).contains("2 skipped (2 third-party package sources)"), "{}", stderr(&out));

    // A team that does mean to instrument what it vendors says so.
    std::fs::write(dir.path().join("voice-otel-fix.toml"), "skip-third-party = false\n").unwrap();
    let out = tool(dir.path(), &["--dry-run", "--format", "json", "."]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let changed: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "changed")
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        changed,
        ["agent.py", "app/providers/openai/chat.py", "vendor/livekit/agents/worker.py", "vendor/openai/cli/_main.py"],
        "{report}"
    );
    assert!(report["summary"]["skipped"].get("third-party package sources").is_none(), "{report}");
    let out = tool(dir.path(), &["--show-settings", "agent.py"]);
    assert!(stdout(&out).contains("skip-third-party = false"), "{}", stdout(&out));
}

#[test]
fn syntax_errors_only_the_strict_parser_sees_are_reported_and_left_alone() {
    // tree-sitter reads a Python 2 `print` statement; CPython does not.
    let dir = tempfile::tempdir().unwrap();
    let to_change = format!("{AGENT}print \"done\"\n");
    let unchanged = "from opentelemetry import trace\n\nprint \"tracing\"\n";
    std::fs::write(dir.path().join("agent.py"), &to_change).unwrap();
    std::fs::write(dir.path().join("tracing.py"), unchanged).unwrap();
    let out = tool(dir.path(), &["."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("agent.py:11:7: error: syntax error"), "{err}");
    assert!(err.contains("tracing.py:3:7: error: syntax error"), "{err}");
    assert_eq!(std::fs::read_to_string(dir.path().join("agent.py")).unwrap(), to_change);
    assert_eq!(std::fs::read_to_string(dir.path().join("tracing.py")).unwrap(), unchanged);
}

#[test]
fn test_code_is_checked_not_instrumented() {
    let dir = tempfile::tempdir().unwrap();
    for test in ["test_agent.py", "agent_test.py", "conftest.py", "tests/fakes.py"] {
        std::fs::create_dir_all(dir.path().join(test).parent().unwrap()).unwrap();
        std::fs::write(dir.path().join(test), AGENT).unwrap();
    }
    std::fs::write(dir.path().join("agent.py"), AGENT).unwrap();
    let out = tool(dir.path(), &["--check", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("+++ b/agent.py") && stdout(&out).matches("+++ ").count() == 1, "{}", stdout(&out));
    assert!(stderr(&out).contains("5 files scanned, 1 entrypoints"), "{}", stderr(&out));
    // Said, not left unchanged in silence: skipped, with the reason and the setting.
    assert!(stderr(&out).contains("4 skipped (4 test code)"), "{}", stderr(&out));
    let out = tool(dir.path(), &["--check", "--format", "json", "."]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let conftest = report["files"].as_array().unwrap().iter().find(|f| f["path"] == "conftest.py").unwrap();
    assert_eq!(conftest["status"], "skipped");
    assert!(conftest["reason"].as_str().unwrap().contains("instrument-tests = true"), "{conftest}");
    assert_eq!(report["summary"]["skipped"]["test code"], 4);

    std::fs::write(dir.path().join("voice-otel-fix.toml"), "instrument-tests = true\n").unwrap();
    let out = tool(dir.path(), &["--check", "."]);
    assert!(stderr(&out).contains("5 files scanned, 5 entrypoints"), "{}", stderr(&out));
}

#[test]
fn telemetry_set_up_inside_a_block_is_said_not_moved() {
    let dir = tempfile::tempdir().unwrap();
    let agent = r#"from livekit.agents import AgentSession, JobContext, WorkerOptions, cli
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider


def setup_otel():
    trace.set_tracer_provider(TracerProvider())


async def entrypoint(ctx: JobContext) -> None:
    try:
        setup_otel()
        session = AgentSession()
        await session.start(room=ctx.room)
    except Exception:
        raise


if __name__ == "__main__":
    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint))
"#;
    std::fs::write(dir.path().join("agent.py"), agent).unwrap();
    let out = tool(dir.path(), &["--dry-run", "."]);
    assert!(stderr(&out).contains("agent.py:11:5: warning: VOF108 telemetry is set up here"), "{}", stderr(&out));
    assert!(stdout(&out).contains("+    with trace.use_span(session_span, end_on_exit=False):"), "still instrumented");
}

#[test]
fn an_agent_session_nothing_holds_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let agent = r#"from livekit.agents import AgentSession, JobContext, WorkerOptions, cli


async def entrypoint(ctx: JobContext) -> None:
    async with AgentSession() as session:
        await session.start(room=ctx.room)
    async with AgentSession():
        pass


if __name__ == "__main__":
    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint))
"#;
    std::fs::write(dir.path().join("agent.py"), agent).unwrap();
    let out = tool(dir.path(), &["--dry-run", "."]);
    assert!(stderr(&out).contains("agent.py:7:16: warning: VOF121 this AgentSession is not held"), "{}", stderr(&out));
    assert_eq!(stderr(&out).matches("VOF121").count(), 1, "the held one is subscribed: {}", stderr(&out));
    assert!(stdout(&out).contains("+            session.on(\"session_usage_updated\""), "{}", stdout(&out));
}
