#!/usr/bin/env bash
# The dashboard under load on loopback: the first overview after the server starts (it warms that page in the
# background), then p50/p95 latency and errors of the overview API under 50 concurrent clients.
#   bash bench/serve_bench.sh [APPLICATIONS=30000] [SECONDS=30]
#   DB=/path/to/warehouse.duckdb bash bench/serve_bench.sh    # a copy of an existing warehouse instead of a new demo
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-30000}
SECONDS_=${2:-30}
BIN=.venv/bin
WORK=$(mktemp -d)
PORT=${PORT:-8010}
trap 'kill ${SERVER:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT
if [ -n "${DB:-}" ]; then
  cp "$DB" "$WORK/bench.duckdb"
  echo "warehouse: a copy of $DB"
else
  $BIN/hvp --db "$WORK/bench.duckdb" demo --out "$WORK/demo" --applications "$N" >/dev/null
  echo "demo world: $N applications"
fi
$BIN/hvp --db "$WORK/bench.duckdb" users add loadtest --role analyst --password bench-password-1 >/dev/null
STARTED=$($BIN/python -c "import time; print(time.time())")
$BIN/hvp --db "$WORK/bench.duckdb" serve --port "$PORT" &
SERVER=$!
$BIN/python bench/serve_load.py --url "http://127.0.0.1:$PORT" --user loadtest --password bench-password-1 \
  --started "$STARTED" --clients 50 --seconds "$SECONDS_"
