#!/usr/bin/env bash
# Speed and memory benchmark of voice-otel-fix against neighbouring tools.
# Not a test: run by hand, writes bench/RESULTS.md.
#
#   bench/run.sh                 # everything: install, build, corpora, measure, report
#   BENCH_RUNS=5 bench/run.sh    # more timed runs per command (default 3, after 1 warm-up)
#   BENCH_AGENTS=500 bench/run.sh
#
# Installs (as root, first run only): apt ripgrep, hyperfine, time; a venv at
# target/bench-venv with pinned ast-grep-cli and ruff. The binaries measured are
# copies under target/bench/bin, so a concurrent `cargo build` cannot swap them mid-run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BENCH="$ROOT/target/bench"
VENV="$ROOT/target/bench-venv"
BIN="$BENCH/bin"
OUT="$BENCH/results"
RUNS="${BENCH_RUNS:-3}"
AGENT_COUNT="${BENCH_AGENTS:-2000}"
AST_GREP_VERSION=0.51.1
RUFF_VERSION=0.17.5
PY="${PYTHON:-python3}"

log() { printf '\n== %s\n' "$*" >&2; }

# ---------------------------------------------------------------- tools
need_apt=()
command -v rg >/dev/null || need_apt+=(ripgrep)
command -v hyperfine >/dev/null || need_apt+=(hyperfine)
[ -x /usr/bin/time ] || need_apt+=(time)
if [ "${#need_apt[@]}" -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if [ ! -x "$VENV/bin/python" ]; then
  log "venv $VENV"
  "$PY" -m venv "$VENV"
fi
if ! "$VENV/bin/ast-grep" --version 2>/dev/null | grep -qx "ast-grep $AST_GREP_VERSION" \
   || ! "$VENV/bin/ruff" --version 2>/dev/null | grep -qx "ruff $RUFF_VERSION"; then
  log "pip install ast-grep-cli==$AST_GREP_VERSION ruff==$RUFF_VERSION"
  "$VENV/bin/pip" install -q "ast-grep-cli==$AST_GREP_VERSION" "ruff==$RUFF_VERSION"
fi

# ---------------------------------------------------------------- binaries
log "cargo build --release (binary and parse_floor example)"
cargo build --release --quiet
cargo build --release --quiet --example parse_floor
# The source the measured binary was built from (the tree may move on during the run).
VOF_REV="git $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src templates Cargo.toml Cargo.lock || echo ', with uncommitted changes in src')"
mkdir -p "$BIN" "$OUT"
cp target/release/voice-otel-fix "$BIN/voice-otel-fix"
cp target/release/examples/parse_floor "$BIN/parse_floor"
ln -sf "$VENV/bin/ast-grep" "$BIN/ast-grep"
ln -sf "$VENV/bin/ruff" "$BIN/ruff"

# ---------------------------------------------------------------- corpora
log "corpora"
bench/build_corpora.sh "$AGENT_COUNT" | tee "$OUT/corpora.txt"

VOF="$BIN/voice-otel-fix"
PF="$BIN/parse_floor"
SG="$BIN/ast-grep"
RUFF="$BIN/ruff"
MONO="$BENCH/monorepo"
AGENTS="$BENCH/agents"
PATTERN='client.messages.create($$$ARGS)'
REWRITE='llm_call.record(client.messages.create($$$ARGS))'

# name|command, per corpus. The first is the baseline of the ratio column.
MONO_CMDS=(
  "voice-otel-fix --dry-run --format json|$VOF --dry-run --format json $MONO"
  "rg -l -e livekit -e anthropic -e openai|rg -l -e livekit -e anthropic -e openai $MONO"
  "ast-grep run -p (search)|$SG run -l python -p '$PATTERN' $MONO"
  "ruff check --select F|$RUFF check --select F --no-cache --exit-zero $MONO"
  "parse_floor (bare tree-sitter parse)|$PF $MONO"
)
AGENT_CMDS=(
  "voice-otel-fix --dry-run|$VOF --dry-run $AGENTS"
  "voice-otel-fix --dry-run --format json|$VOF --dry-run --format json $AGENTS"
  "ast-grep run -p -r (rewrite diff)|$SG run -l python -p '$PATTERN' -r '$REWRITE' $AGENTS"
  "parse_floor (bare tree-sitter parse)|$PF $AGENTS"
  "parse_floor --keep-trees (all trees held)|$PF --keep-trees $AGENTS"
  "ruff check --select F|$RUFF check --select F --no-cache --exit-zero $AGENTS"
)

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

measure() {  # CORPUS_NAME CMD...
  local corpus="$1"
  shift
  local tsv="$OUT/$corpus.tsv"
  : >"$tsv"
  local hf_args=()
  local entry name cmd i=0 rc rss
  for entry in "$@"; do
    name="${entry%%|*}"
    cmd="${entry#*|}"
    # One run outside hyperfine: exit status and peak RSS (KB); it also warms the page cache.
    set +e
    /usr/bin/time -f %M -o "$OUT/$corpus.$i.rss" bash -c "exec $cmd" >"$OUT/$corpus.$i.stdout" 2>"$OUT/$corpus.$i.stderr"
    rc=$?
    set -e
    rss="$(tail -1 "$OUT/$corpus.$i.rss")"
    printf '%s\t%s\t%s\t%s\n' "$name" "$rc" "$rss" "$cmd" >>"$tsv"
    printf '  %-42s exit %s, peak RSS %s KB\n' "$name" "$rc" "$rss" >&2
    hf_args+=(-n "$name" "$cmd")
    i=$((i + 1))
  done
  # -i: exit codes were recorded above (ast-grep exits 1 when nothing matches).
  hyperfine --warmup 1 --runs "$RUNS" -i --style basic \
    --export-json "$OUT/$corpus.json" --export-markdown "$OUT/$corpus.hyperfine.md" "${hf_args[@]}" >&2
}

log "measuring corpus (a) monorepo"
measure monorepo "${MONO_CMDS[@]}"
log "measuring corpus (b) agents"
measure agents "${AGENT_CMDS[@]}"

load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- report
{
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "nproc=$(nproc)"
  echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "mem=$(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
  echo "kernel=$(uname -r)"
  echo "load_before=$load_before"
  echo "load_after=$load_after"
  echo "runs=$RUNS"
  echo "voice-otel-fix=$("$VOF" --version) ($VOF_REV, built at the start of the run)"
  echo "rustc=$(rustc --version)"
  echo "rg=$(rg --version | head -1)"
  echo "ast-grep=$("$SG" --version)"
  echo "ruff=$("$RUFF" --version)"
  echo "hyperfine=$(hyperfine --version)"
  echo "python=$("$PY" --version 2>&1)"
} >"$OUT/env.txt"

"$PY" bench/report.py "$OUT" >bench/RESULTS.md
log "wrote bench/RESULTS.md"
cat bench/RESULTS.md
