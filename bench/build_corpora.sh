#!/usr/bin/env bash
# Build the two benchmark corpora under target/bench/ (idempotent: what exists is kept).
#
#   (a) target/bench/monorepo  - the .py files of big real projects' wheels (pinned below),
#       unzipped into packages/<name>/, plus a few LiveKit agents under agents/;
#   (b) target/bench/agents    - N generated LiveKit agents (bench/gen_agents.py).
#
# Usage: bench/build_corpora.sh [AGENT_COUNT]   (default 2000)
# Needs python3 with pip (PyPI reachable) the first time.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/target/bench"
MONO="$BENCH/monorepo"
AGENTS="$BENCH/agents"
WHEELS="$BENCH/wheels"
COUNT="${1:-2000}"
PY="${PYTHON:-python3}"

# Pinned so that every run measures the same tree. Together: ~14,800 .py files, ~220 MB of .py.
# openai, anthropic and livekit-agents mention the providers the tool's prefilter keys on,
# so a realistic share of the tree is actually parsed, not only skipped.
PACKAGES=(
  django==5.2.19
  sympy==1.14.0
  pandas==3.1.1
  scipy==1.17.1
  numpy==2.4.6
  matplotlib==3.11.2
  transformers==5.24.0
  networkx==3.6.1
  sqlalchemy==2.1.9
  botocore==1.44.8
  openai==3.57.0
  anthropic==2.13.0
  livekit-agents==1.8.9
  azure-mgmt-network==33.1.0
)

mkdir -p "$WHEELS" "$MONO/packages" "$MONO/agents" "$AGENTS"

# ---------------------------------------------------------------- (a) monorepo
find_wheel() {  # NAME VERSION -> path of the downloaded wheel, or nothing
  local norm
  norm="$(echo "$1" | tr '-' '_' | tr '[:upper:]' '[:lower:]')"
  find "$WHEELS" -maxdepth 1 -type f -iname "${norm}-${2}-*.whl" | head -1
}

for spec in "${PACKAGES[@]}"; do
  name="${spec%%==*}"
  dest="$MONO/packages/$name"
  if [ -f "$dest/.complete" ]; then
    continue
  fi
  version="${spec##*==}"
  wheel="$(find_wheel "$name" "$version")"
  if [ -z "$wheel" ]; then
    echo "build_corpora: downloading $spec" >&2
    "$PY" -m pip download -q --no-deps --only-binary=:all: -d "$WHEELS" "$spec"
    wheel="$(find_wheel "$name" "$version")"
  fi
  [ -n "$wheel" ] || { echo "build_corpora: no wheel for $spec" >&2; exit 1; }
  rm -rf "$dest"
  mkdir -p "$dest"
  # Only the .py files (no .so, data or dist-info).
  "$PY" - "$wheel" "$dest" <<'EOF'
import sys, zipfile
from pathlib import Path
wheel, dest = sys.argv[1], Path(sys.argv[2])
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        if info.filename.endswith(".py") and ".dist-info/" not in info.filename:
            z.extract(info, dest)
EOF
  touch "$dest/.complete"
done

if [ ! -d "$MONO/agents/restaurant" ]; then
  cp -r "$ROOT/fixtures/examples/restaurant_agent/before" "$MONO/agents/restaurant"
fi
# A handful of generated agents, from a different slice than corpus (b).
"$PY" "$ROOT/bench/gen_agents.py" --count 12 --start 100000 --out "$MONO/agents/generated" 2>/dev/null

# ---------------------------------------------------------------- (b) agents
"$PY" "$ROOT/bench/gen_agents.py" --count "$COUNT" --out "$AGENTS"

# ---------------------------------------------------------------- summary
describe() {
  local dir="$1"
  local files bytes lines
  files="$(find "$dir" -name '*.py' -type f | wc -l)"
  bytes="$(find "$dir" -name '*.py' -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')"
  lines="$(find "$dir" -name '*.py' -type f -print0 | xargs -0 cat | wc -l)"
  printf '%s\t%s .py files\t%s MB of .py\t%s lines\n' "$dir" "$files" \
    "$(awk -v b="$bytes" 'BEGIN {printf "%.1f", b/1e6}')" "$lines"
}
describe "$MONO"
describe "$AGENTS"
