#!/usr/bin/env bash
# p50/p95 latency and errors of the overview API under 50 concurrent clients on loopback.
#   bash bench/serve_bench.sh [APPLICATIONS=30000] [SECONDS=30]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-30000}
SECONDS_=${2:-30}
BIN=.venv/bin
WORK=$(mktemp -d)
PORT=8010
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
$BIN/hvp --db "$WORK/bench.duckdb" demo --out "$WORK/demo" --applications "$N" >/dev/null
$BIN/hvp --db "$WORK/bench.duckdb" users add bench --role analyst --password bench-password-1 >/dev/null
$BIN/hvp --db "$WORK/bench.duckdb" serve --port $PORT &
SERVER=$!
# Wait for the port to accept connections (bounded: 60 tries).
for _ in $(seq 60); do $BIN/python -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)" 2>/dev/null && break; sleep 1; done
echo "demo world: $N applications"
$BIN/python bench/serve_load.py --url "http://127.0.0.1:$PORT" --user bench --password bench-password-1 \
  --clients 50 --seconds "$SECONDS_"
