"""`voice-otel-fix -i` driven as a person would: the real binary in a
pseudo-terminal, keystrokes in, files and terminal state checked after.

Run by `cargo test --test interactive`, which passes the binary as VOF_BIN.
"""

from __future__ import annotations

import os
import py_compile
import shutil
import subprocess
from pathlib import Path

import pexpect
import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("VOF_BIN", str(REPO / "target" / "debug" / "voice-otel-fix"))
FIXTURE = REPO / "fixtures" / "runtime" / "greeting_session"
PROMPT = r"Apply this hunk \[y,n,a,d,s,q,j,k,\?\]\? "


@pytest.fixture
def agent_dir(tmp_path):
    shutil.copytree(FIXTURE / "before", tmp_path / "bot")
    return tmp_path / "bot"


def spawn(cwd: Path, *args: str, rows: int = 200) -> pexpect.spawn:
    env = {**os.environ, "NO_COLOR": "1", "TERM": "xterm"}
    return pexpect.spawn(
        BIN, ["-i", "--allow-dirty", *args, "."], cwd=str(cwd), env=env, dimensions=(rows, 160), timeout=20, encoding="utf-8"
    )


MORE = r"more lines: space for the next page, or answer now"


def answer(child: pexpect.spawn, *keys: str) -> None:
    """Answers the next hunks; a key at a paging prompt answers the hunk too."""
    for key in keys:
        child.expect([PROMPT, MORE])
        child.send(key)


def finish(child: pexpect.spawn) -> str:
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return child.before


def test_accept_all_matches_a_plain_apply(agent_dir, tmp_path):
    child = spawn(agent_dir)
    child.expect(r"hunk 1/5\): imports and instruments")
    answer(child, "a")
    finish(child)
    expected = tmp_path / "expected"
    shutil.copytree(FIXTURE / "before", expected)
    subprocess.run([BIN, "--allow-dirty", "."], cwd=expected, check=True, capture_output=True)
    assert (agent_dir / "agent.py").read_bytes() == (expected / "agent.py").read_bytes()


def test_rejecting_the_setup_rejects_everything(agent_dir):
    before = (agent_dir / "agent.py").read_bytes()
    child = spawn(agent_dir)
    answer(child, "n")
    child.expect("also skips: span voice.load_settings")
    finish(child)
    assert (agent_dir / "agent.py").read_bytes() == before


def test_accepting_a_hunk_pulls_in_what_it_needs(agent_dir):
    child = spawn(agent_dir)
    # hunk 1 setup, 2-3 helper spans, 4 session span, 5 greeting counter: go to 5 and accept it
    answer(child, "j")
    answer(child, "j")
    answer(child, "j")
    answer(child, "j")
    child.expect(r"hunk 5/5\): voice.greetings.delivered")
    child.expect(PROMPT)
    child.send("y")
    child.expect(r"also applies: imports and instruments \(hunk 1\)")
    child.expect(r"also applies: session span for `entrypoint`")
    answer(child, "n", "n")  # the two helper spans
    finish(child)
    text = (agent_dir / "agent.py").read_text()
    assert "voice_greetings_delivered.add(1" in text
    assert 'tracer.start_span(\n        "voice.session"' in text
    assert "@tracer.start_as_current_span" not in text, "rejected helper spans are not applied"
    py_compile.compile(str(agent_dir / "agent.py"), doraise=True)
    # the entrypoint is instrumented now: a second run leaves it (and its helpers) alone
    child = spawn(agent_dir)
    output = finish(child)
    assert "Apply this hunk" not in output


def test_quit_applies_what_was_accepted_and_nothing_else(agent_dir):
    second = agent_dir.parent / "other"
    shutil.copytree(FIXTURE / "before", second)
    child = spawn(agent_dir.parent)
    answer(child, "y", "y", "q")  # setup, first helper span, quit
    child.expect("quit: applying what was accepted so far")
    finish(child)
    changed = [p for p in (agent_dir / "agent.py", second / "agent.py") if "start_as_current_span" in p.read_text()]
    assert len(changed) == 1, "only the first file is written"
    text = changed[0].read_text()
    assert text.count("@tracer.start_as_current_span") == 1
    assert "voice.session" not in text
    py_compile.compile(str(changed[0]), doraise=True)


def test_ctrl_c_quits_and_the_terminal_is_restored(agent_dir):
    before = (agent_dir / "agent.py").read_bytes()
    env = {**os.environ, "NO_COLOR": "1", "TERM": "xterm"}
    child = pexpect.spawn(
        "bash", ["-c", f"stty -a | tr ' ' '\\n' | grep -E '^-?(icanon|echo)$' | tr '\\n' ' '; echo; '{BIN}' -i --allow-dirty .; stty -a | tr ' ' '\\n' | grep -E '^-?(icanon|echo)$' | tr '\\n' ' '; echo END"],
        cwd=str(agent_dir), env=env, dimensions=(200, 160), timeout=20, encoding="utf-8",
    )
    child.expect(r"(\S+ \S+) \r\n")
    modes_before = child.match.group(1)
    child.expect(PROMPT)
    child.sendcontrol("c")
    child.expect(r"\r\n(\S+ \S+) END")
    modes_after = child.match.group(1)
    child.expect(pexpect.EOF)
    assert modes_before == modes_after == "icanon echo"
    assert (agent_dir / "agent.py").read_bytes() == before


def test_long_hunks_are_paged(agent_dir):
    child = spawn(agent_dir, rows=12)
    answer(child, "j", "j", "j")  # to the session span, the longest hunk
    child.expect(r"hunk 4/5\): session span")
    child.expect(MORE)
    child.send(" ")
    child.expect(MORE)
    child.send("n")  # answers the hunk at once
    child.expect("also skips: voice.greetings.delivered")
    answer(child, "d")
    finish(child)


def test_help_and_split(agent_dir):
    child = spawn(agent_dir)
    answer(child, "?")
    child.expect("q - quit; apply what was accepted so far")
    answer(child, "s")
    child.expect("cannot be split further")
    answer(child, "d")
    finish(child)


def test_progress_bar_on_a_terminal_for_large_trees(tmp_path):
    source = (FIXTURE / "before" / "agent.py").read_text()
    for i in range(250):
        (tmp_path / f"agent_{i}.py").write_text(source)
    env = {**os.environ, "NO_COLOR": "1", "TERM": "xterm"}
    child = pexpect.spawn(BIN, ["--dry-run", "--color", "never", "."], cwd=str(tmp_path), env=env,
                          dimensions=(40, 160), timeout=60, encoding="utf-8")
    child.expect(r"\[[#.]{30}\] \d+/250 files")
    child.expect(r"250 files scanned")
    child.expect(pexpect.EOF)
    # Without a terminal there is no progress line.
    plain = subprocess.run([BIN, "--dry-run", "."], cwd=tmp_path, capture_output=True, text=True)
    assert "/250 files" not in plain.stderr


def test_rust_calls_are_reviewed_one_by_one(tmp_path):
    """A Rust file: the module hunk, then one hunk per call; the rejected call stays as it was."""
    crate = tmp_path / "router"
    shutil.copytree(REPO / "fixtures" / "rust_llm_span" / "genai_const_and_unknown_model" / "before", crate)
    child = spawn(crate)
    child.expect(r"hunk 1/3\): imports and instruments")
    answer(child, "y")  # the voice_otel_llm module
    child.expect(r"hunk 2/3\): LLM span in `Router::route_request`")
    answer(child, "n")
    child.expect(r"hunk 3/3\): LLM span in `Router::answer`")
    answer(child, "y")
    finish(child)
    text = (crate / "src" / "lib.rs").read_text()
    assert text.count("voice_otel_llm::record(") == 1
    assert 'span: "llm.answer"' in text
    assert "self.llm.exec_chat(ROUTER_MODEL, request, None).await?" in text, "the rejected call is untouched"
    assert text.count("mod voice_otel_llm {") == 1
    # what is left is offered again, and accepting it now needs no second module
    child = spawn(crate)
    child.expect(r"hunk 1/1\): LLM span in `Router::route_request`")
    answer(child, "y")
    finish(child)
    text = (crate / "src" / "lib.rs").read_text()
    assert text.count("voice_otel_llm::record(") == 2
    assert text.count("mod voice_otel_llm {") == 1
