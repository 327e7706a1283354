#!/usr/bin/env bash
# front_door_bench: what a hostile or slow client costs pcs-server's HTTP and
# gRPC ports (issue 17), against a real pcs-server process and a throwaway
# PostgreSQL holding a few real symbols:
#   1. REST GET /api/v1/patterns/{id}/confidence next to gRPC ScorePattern
#      for the same pattern, one request at a time (p50/p99 of 2,000 each);
#   2. resident memory while an anonymous override announces a 1 GiB body
#      and streams it, and while a write-token override sends 6 MB of
#      nested JSON (peak VmRSS sampled every 20 ms, minus the idle figure);
#   3. /healthz latency while 64 slow clients each send a header line every
#      second (worst of 20 probes);
#   4. server threads while 600 ScoreStream calls are held open (peak).
#
#   bench/front_door_bench.sh [--build-dir DIR] [--data DIR] [--label TEXT]
#
# --build-dir DIR  where cli/pcs, server/pcs-server and tools/grpcurl live
#                  (default build/; give /work/main/build or an older build
#                  for "before")
# --data DIR       CSV folder (default ../shared/data/ohlcv; 5 files used)
# The throwaway PostgreSQL and the server start come from bench/lib.sh.
# Needs python3 with grpcio (PCS_PYTHON picks another). Run it under the CPU lock: flock /tmp/pcs-cpu.lock bench/front_door_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
DATA="${PCS_DATA_DIR:-$ROOT/../shared/data/ohlcv}"
BUILD="$ROOT/build"
LABEL=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) BUILD="$2"; shift 2 ;;
    --data) DATA="$2"; shift 2 ;;
    --label) LABEL="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "front_door_bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
. "$ROOT/bench/lib.sh"
bench_init front-door 54393
need "$BUILD/cli/pcs" "$BUILD/server/pcs-server" "$BUILD/tools/grpcurl"
pg_start
mkdir -p "$WORK/data"
for s in AAPL MSFT AA DIA A; do cp "$DATA/$s.csv" "$WORK/data/" 2>/dev/null || true; done
seed_database "$WORK/data" quiet
ID=$(psql_q "SELECT id FROM pattern_events ORDER BY id LIMIT 1")
TOKEN=bench-write-token-0123456789
printf 'write token bench %s\n' "$TOKEN" > "$WORK/allow.txt"

server_start --warmup-seconds 0 --allow-list "$WORK/allow.txt"
HTTP_PORT=$METRICS_PORT
echo "front_door_bench ${LABEL:+($LABEL) }$(basename "$BUILD")/server/pcs-server, pattern $ID"
"${PCS_PYTHON:-python3}" \
  "$ROOT/bench/front_door_probe.py" --pid "$SERVER_PID" --grpc-port "$GRPC_PORT" \
  --http-port "$HTTP_PORT" --pattern "$ID" --token "$TOKEN"
