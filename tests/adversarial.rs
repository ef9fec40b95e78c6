//! Adversarial inputs: each case gets a clear `path:line:col` message or a
//! correct rewrite, and every other byte stays as it was.

mod common;

use std::path::Path;
use std::process::{Command, Output};

const AGENT: &str = "from livekit.agents import JobContext, WorkerOptions, cli\n\n\nasync def entrypoint(ctx: JobContext) -> None:\n    await ctx.connect()\n\n\nif __name__ == \"__main__\":\n    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint))\n";

fn tool(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_voice-otel-fix")).args(args).current_dir(dir).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs the tool on `dir`; the files listed must be byte for byte as before.
fn untouched(dir: &Path, files: &[&str], args: &[&str]) -> Output {
    let before: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(dir.join(f)).unwrap()).collect();
    let out = tool(dir, args);
    for (file, bytes) in files.iter().zip(before) {
        assert_eq!(std::fs::read(dir.join(file)).unwrap(), bytes, "{file} was changed: {}", stderr(&out));
    }
    out
}

fn python_compiles(path: &Path) {
    let out = Command::new(common::python())
        .args(["-c", "import sys; compile(open(sys.argv[1], 'rb').read(), sys.argv[1], 'exec')"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
}

#[test]
fn broken_sources_are_reported_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("syntax.py"), "from livekit.agents import WorkerOptions\nx = (1,\n").unwrap();
    std::fs::write(d.join("bad_utf8.py"), b"# WorkerOptions\nname = '\xc3\x28'\n").unwrap();
    std::fs::write(d.join("binary.py"), b"\x7fELF\x02\x01\x01\0\0WorkerOptions").unwrap();
    std::fs::write(d.join("nul.py"), b"from livekit.agents import WorkerOptions\nx = 1\0\n").unwrap();
    let lines: Vec<String> = (0..1000).map(|i| format!("{}if x:", "    ".repeat(i + 1))).collect();
    std::fs::write(
        d.join("deep.py"),
        format!(
            "from livekit.agents import WorkerOptions\ndef f():\n{}\n{}pass\n",
            lines.join("\n"),
            "    ".repeat(1001)
        ),
    )
    .unwrap();
    std::fs::write(d.join("empty.py"), "").unwrap();
    std::fs::write(d.join("comments.py"), "# WorkerOptions is configured elsewhere\n# nothing here\n").unwrap();
    // CPython rejects a late `from __future__` when it compiles; the parser alone does not.
    std::fs::write(
        d.join("late_future.py"),
        "from livekit.agents import WorkerOptions, cli\nfrom __future__ import annotations\n\n\nasync def entrypoint(ctx):\n    await ctx.connect()\n\ncli.run_app(WorkerOptions(entrypoint_fnc=entrypoint))\n",
    )
    .unwrap();
    let files =
        ["syntax.py", "bad_utf8.py", "binary.py", "nul.py", "deep.py", "empty.py", "comments.py", "late_future.py"];
    let out = untouched(d, &files, &["."]);
    let err = stderr(&out);
    assert!(err.contains("syntax.py:3:1: error: syntax error"), "{err}");
    assert!(err.contains("bad_utf8.py:2:9: error: invalid UTF-8"), "{err}");
    assert!(err.contains("binary.py:1:8: error: binary file"), "{err}");
    assert!(err.contains("nul.py:2:6: error: binary file"), "{err}");
    assert!(err.contains("deep.py:1:1: error: cannot be parsed"), "{err}");
    assert!(err.contains("late_future.py:2:1: error: syntax error: from __future__ imports must occur"), "{err}");
    assert!(!err.contains("empty.py") && !err.contains("comments.py"), "{err}");
    assert_eq!(out.status.code(), Some(0), "per-file problems are not I/O errors");
    assert_eq!(tool(d, &["--check", "."]).status.code(), Some(1));
}

#[test]
fn deeply_nested_valid_code_is_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let nested: String = (0..90).map(|i| format!("{}if ctx:\n", "    ".repeat(i + 1))).collect();
    let source = AGENT
        .replace("    await ctx.connect()\n", &format!("    await ctx.connect()\n{nested}{}pass\n", "    ".repeat(91)));
    std::fs::write(dir.path().join("agent.py"), &source).unwrap();
    let out = tool(dir.path(), &["."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    python_compiles(&dir.path().join("agent.py"));
    assert_eq!(tool(dir.path(), &["--check", "."]).status.code(), Some(0));
}

#[test]
fn line_endings_bom_tabs_and_mixed_endings_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("crlf.py"), AGENT.replace('\n', "\r\n")).unwrap();
    std::fs::write(d.join("mixed.py"), AGENT.replacen('\n', "\r\n", 3)).unwrap();
    std::fs::write(d.join("bom.py"), format!("\u{feff}{AGENT}")).unwrap();
    std::fs::write(d.join("tabs.py"), AGENT.replace("    ", "\t")).unwrap();
    std::fs::write(d.join("no_newline.py"), AGENT.trim_end()).unwrap();
    std::fs::write(
        d.join("non_ascii_é 文件.py"),
        AGENT.replace("await ctx.connect()", "await ctx.connect()  # café ☕"),
    )
    .unwrap();
    let out = tool(d, &["."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let crlf = std::fs::read_to_string(d.join("crlf.py")).unwrap();
    assert_eq!(crlf.matches('\n').count(), crlf.matches("\r\n").count(), "every line ending stays CRLF");
    let mixed = std::fs::read_to_string(d.join("mixed.py")).unwrap();
    assert!(
        mixed.contains("\nfrom livekit.agents import JobContext, WorkerOptions, cli\r\n"),
        "the file's own endings are kept"
    );
    assert_eq!(mixed.matches("\r\n").count(), 3, "inserted lines use the dominant ending (LF), the CRLF lines stay");
    assert!(std::fs::read(d.join("bom.py")).unwrap().starts_with(b"\xef\xbb\xbf"));
    let tabs = std::fs::read_to_string(d.join("tabs.py")).unwrap();
    assert!(tabs.contains("\n\twith trace.use_span(") && !tabs.contains("\n    "), "tabs only");
    assert!(!std::fs::read_to_string(d.join("no_newline.py")).unwrap().ends_with('\n'));
    assert!(std::fs::read_to_string(d.join("non_ascii_é 文件.py")).unwrap().contains("# café ☕"));
    for file in ["crlf.py", "mixed.py", "bom.py", "tabs.py", "no_newline.py", "non_ascii_é 文件.py"] {
        python_compiles(&d.join(file));
    }
    assert_eq!(tool(d, &["--check", "."]).status.code(), Some(0), "a second run changes nothing");
}

#[test]
fn a_five_megabyte_file_is_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let filler: String =
        (0..60_000).map(|i| format!("CONSTANT_{i} = {i}  # some padding for a large module\n")).collect();
    assert!(filler.len() > 3_000_000);
    let source = format!("{AGENT}\n{filler}{filler}");
    assert!(source.len() >= 5_000_000, "{}", source.len());
    std::fs::write(dir.path().join("big.py"), &source).unwrap();
    let out = tool(dir.path(), &["."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let new = std::fs::read_to_string(dir.path().join("big.py")).unwrap();
    assert!(new.contains("voice.session") && new.ends_with(&filler), "the rest of the file is as it was");
}

#[cfg(unix)]
#[test]
fn read_only_files_symlinks_and_odd_paths() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("agent.py"), AGENT).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("readonly.py"), AGENT).unwrap();
    std::fs::set_permissions(d.join("readonly.py"), std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::create_dir(d.join("loop")).unwrap();
    symlink(d.join("loop"), d.join("loop/again")).unwrap();
    symlink(outside.path(), d.join("outside_dir")).unwrap();
    symlink(outside.path().join("agent.py"), d.join("linked_agent.py")).unwrap();
    std::fs::create_dir(d.join("x.py")).unwrap();
    std::fs::write(d.join("x.py/agent.py"), AGENT).unwrap();
    let out = tool(d, &["."]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "a file that could not be written is an I/O error: {err}");
    assert!(err.contains("readonly.py:1:1: error: read-only file; not written"), "{err}");
    assert_eq!(std::fs::read_to_string(d.join("readonly.py")).unwrap(), AGENT);
    assert_eq!(
        std::fs::read_to_string(outside.path().join("agent.py")).unwrap(),
        AGENT,
        "never written through a symlink"
    );
    assert!(std::fs::symlink_metadata(d.join("linked_agent.py")).unwrap().file_type().is_symlink());
    assert!(
        std::fs::read_to_string(d.join("x.py/agent.py")).unwrap().contains("voice.session"),
        "a directory named x.py is walked"
    );
    let leftovers: Vec<_> =
        std::fs::read_dir(d).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().ends_with(".tmp")).collect();
    assert!(leftovers.is_empty(), "no temporary files left");
}

#[test]
fn a_file_changed_between_read_and_write_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.py");
    std::fs::write(&path, AGENT).unwrap();
    let plan = voice_otel_fix::plan(&voice_otel_fix::Options::new(
        vec![dir.path().to_path_buf()],
        voice_otel_fix::Mode::Apply,
    ));
    let file = &plan.files[0];
    let text = file.instrument(voice_otel_fix::python::Selection::All).text.expect("a change is planned");
    let edited = AGENT.replace("await ctx.connect()", "await ctx.connect()  # edited meanwhile");
    std::fs::write(&path, &edited).unwrap();
    let err = file.write(&file.encode(&text)).unwrap_err();
    assert_eq!(err.to_string(), "file changed during the run; not overwritten");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), edited);
}

#[test]
fn a_file_changed_between_planning_and_instrumenting_is_reported_not_rewritten() {
    // An agent's source is let go of once its early result is made, and read again
    // (checked unchanged) when the result is used.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.py");
    std::fs::write(&path, AGENT).unwrap();
    let options = voice_otel_fix::Options::new(vec![dir.path().to_path_buf()], voice_otel_fix::Mode::DryRun);
    let plan = voice_otel_fix::plan(&options);
    let edited = AGENT.replace("await ctx.connect()", "await ctx.connect()  # edited meanwhile");
    std::fs::write(&path, &edited).unwrap();
    let (report, bytes) = voice_otel_fix::instrument_file(&plan.files[0], &options);
    assert_eq!(report.status, voice_otel_fix::report::FileStatus::Error);
    assert_eq!(report.reason.as_deref(), Some("file changed during the run; left untouched"));
    assert!(bytes.is_none());
    assert!(plan.files[0].instrument(voice_otel_fix::python::Selection::All).invalid_input.is_some());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), edited);
}

#[test]
fn broken_rust_sources_are_reported_and_deep_rust_is_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("bad_utf8.rs"), b"use async_openai::Client;\nfn f() { let s = \"\xff\"; }\n").unwrap();
    std::fs::write(d.join("binary.rs"), b"async_openai\x00\x01").unwrap();
    std::fs::write(d.join("syntax.rs"), "use async_openai::Client;\nfn f( {\n").unwrap();
    let out = untouched(d, &["bad_utf8.rs", "binary.rs", "syntax.rs"], &["--check", "."]);
    let err = stderr(&out);
    assert!(err.contains("bad_utf8.rs:2:19: error: invalid UTF-8"), "{err}");
    assert!(err.contains("binary.rs:1:13: error: binary file"), "{err}");
    assert!(err.contains("syntax.rs:2:"), "{err}");
    assert!(err.contains("error: Rust syntax error"), "{err}");

    // 2,000 nested blocks around a real call: parsed, rewritten, and the output re-parses.
    let deep = tempfile::tempdir().unwrap();
    let n = 2000;
    let source = format!(
        "use async_openai::config::OpenAIConfig;\nuse async_openai::Client;\n\npub async fn summarize(client: &Client<OpenAIConfig>, request: async_openai::types::chat::CreateChatCompletionRequest) -> Result<(), async_openai::error::OpenAIError> {{\n    {}let _r = client.chat().create(request).await?;{}\n    Ok(())\n}}\n",
        "{ ".repeat(n),
        " }".repeat(n)
    );
    std::fs::write(deep.path().join("deep.rs"), &source).unwrap();
    let out = tool(deep.path(), &["."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rewritten = std::fs::read_to_string(deep.path().join("deep.rs")).unwrap();
    assert!(rewritten.contains("voice_otel_llm::record("), "not rewritten");
    // Parsing 2,000 levels needs more stack than a test thread has (the tool's workers have 64 MB).
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || voice_otel_fix::rust::parse::check_syntax(&rewritten).expect("the rewrite parses"))
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn indentation_mixing_tabs_and_spaces_is_reported_not_broken() {
    let dir = tempfile::tempdir().unwrap();
    // The loop body's first line is indented with a tab and spaces, the next with spaces only.
    let source = "from groq import Groq\n\nclient = Groq()\n\n\ndef quick_reply(utterance: str) -> str:\n    pieces = []\n    for chunk in client.chat.completions.create(\n        model=\"llama-3.1-8b-instant\",\n        messages=[{\"role\": \"user\", \"content\": utterance}],\n        stream=True,\n    ):\n\t        if chunk.choices and chunk.choices[0].delta.content:\n            pieces.append(chunk.choices[0].delta.content)\n    return \"\".join(pieces)\n";
    std::fs::write(dir.path().join("reply.py"), source).unwrap();
    let out = untouched(dir.path(), &["reply.py"], &["."]);
    let err = stderr(&out);
    assert!(err.contains("reply.py:13:1: warning: VOF106"), "{err}");
    assert!(!err.contains("internal error"), "{err}");
}
