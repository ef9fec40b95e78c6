#!/usr/bin/env python3
"""Turn bench/run.sh's raw results (target/bench/results) into bench/RESULTS.md on stdout."""

from __future__ import annotations

import json
import sys
from pathlib import Path

CORPORA = {
    "monorepo": "(a) monorepo: real projects' wheels, a few agents inside",
    "agents": "(b) agents: generated LiveKit agents, every file instrumented",
}


def read_env(out: Path) -> dict[str, str]:
    env = {}
    for line in (out / "env.txt").read_text().splitlines():
        key, _, value = line.partition("=")
        env[key] = value
    return env


def read_sizes(out: Path) -> dict[str, str]:
    sizes = {}
    for line in (out / "corpora.txt").read_text().splitlines():
        parts = line.split("\t")
        if len(parts) == 4:
            name = Path(parts[0]).name
            sizes[name] = ", ".join(parts[1:])
    return sizes


def fmt_time(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def vof_summary(out: Path, corpus: str, rows: list[list[str]]) -> str | None:
    for i, row in enumerate(rows):
        if row[0].startswith("voice-otel-fix") and "--format json" in row[0]:
            try:
                s = json.loads((out / f"{corpus}.{i}.stdout").read_text())
            except (OSError, json.JSONDecodeError):
                return None
            summary = s["summary"]
            parsed = len(s.get("files", []))
            return (
                f"voice-otel-fix found: {summary['files_scanned']} files scanned, {parsed} parsed (kept by the "
                f"prefilter), {summary['entrypoints']} entrypoints, {summary['helpers']} helpers, "
                f"{summary['llm_call_sites']} LLM call sites, {summary.get('framework_llm', 0)} AgentSession usage "
                f"handlers, {summary['files_changed']} files changed, {summary['files_with_errors']} with errors."
            )
    return None


def table(out: Path, corpus: str) -> list[str]:
    rows = [line.split("\t") for line in (out / f"{corpus}.tsv").read_text().splitlines() if line]
    results = json.loads((out / f"{corpus}.json").read_text())["results"]
    by_name = {r["command"]: r for r in results}
    base = by_name[rows[0][0]]["mean"]
    lines = [
        "| command | mean ± σ | min … max | × voice-otel-fix | peak RSS | exit |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, rc, rss, _cmd in rows:
        r = by_name[name]
        ratio = r["mean"] / base
        rss_mb = f"{int(rss) / 1024:.0f} MB" if rss.isdigit() else "?"
        lines.append(
            f"| `{name}` | {fmt_time(r['mean'])} ± {fmt_time(r['stddev'] or 0)} | "
            f"{fmt_time(r['min'])} … {fmt_time(r['max'])} | {ratio:.2f} | {rss_mb} | {rc} |"
        )
    lines.append("")
    lines.append("Commands (binaries under `target/bench/bin`, output discarded by hyperfine):")
    lines.append("")
    for name, _rc, _rss, cmd in rows:
        lines.append(f"- `{name}`: `{cmd.replace(str(out.parent.parent.parent) + '/', '')}`")
    summary = vof_summary(out, corpus, rows)
    if summary:
        lines += ["", summary]
    return lines


def main() -> int:
    out = Path(sys.argv[1])
    env = read_env(out)
    sizes = read_sizes(out)
    md = [
        "# voice-otel-fix benchmark",
        "",
        "Written by `bench/run.sh` (do not edit by hand; rerun it). Wall-clock time from hyperfine "
        f"(1 warm-up, {env['runs']} runs, warm page cache); peak RSS from one `/usr/bin/time -f %M` run. "
        "`×` is the command's mean over voice-otel-fix's (first row) in the same run: below 1 is faster. "
        "`parse_floor` (`examples/parse_floor.rs`) is the floor of this design: the same `ignore` walk, "
        "then a read and a tree-sitter parse of every `.py` on rayon, nothing else; with `--keep-trees` it "
        "also holds every tree and source to the end, as parse-everything-then-link does (its memory floor).",
        "",
        f"- date: {env['date']}",
        f"- machine: {env['nproc']} CPUs ({env['cpu']}), {env['mem']}, Linux {env['kernel']}",
        f"- load average before / after: {env['load_before']} / {env['load_after']}"
        " (the machine is shared with other work; a high load inflates the times)",
        f"- voice-otel-fix: {env['voice-otel-fix']}; {env['rustc']}",
        f"- {env['rg']}; {env['ast-grep']}; {env['ruff']}; {env['hyperfine']}; {env['python']}",
        "",
        "## Corpora",
        "",
    ]
    for corpus, title in CORPORA.items():
        md.append(f"- {title}: `target/bench/{corpus}`, {sizes.get(corpus, '?')}")
    for corpus, title in CORPORA.items():
        md += ["", f"## {title}", ""] + table(out, corpus)
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
