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
# --build-dir DIR  where cli/pcs and server/pcs-server live (default build/;
#                  give /work/main/build or an older build for "before")
# --data DIR       CSV folder (default ../shared/data/ohlcv; 5 files used)
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
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "front_door_bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
PCS="$BUILD/cli/pcs"
SERVER="$BUILD/server/pcs-server"
for f in "$PCS" "$SERVER"; do
  [ -x "$f" ] || { echo "front_door_bench: $f not found" >&2; exit 1; }
done
WORK="/tmp/pcs-front-door-$$"
PG_BIN=/usr/lib/postgresql/15/bin
PORT=54393
MODEL="$(ls -1 "$ROOT/models/phase5" | grep -E '^[0-9]{8}T[0-9]{6}Z$' | tail -1)"
mkdir -p "$WORK/pg/sock" "$WORK/data"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] && chown -R postgres "$WORK/pg"
as_pg "$PG_BIN/initdb" -D "$WORK/pg/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w \
  -o "-k $WORK/pg/sock -c listen_addresses='' -p $PORT -c fsync=off" start >/dev/null
as_pg "$PG_BIN/createdb" -h "$WORK/pg/sock" -p $PORT -U postgres pcs
export PCS_DATABASE_URL="host=$WORK/pg/sock port=$PORT user=postgres dbname=pcs"
for s in AAPL MSFT AA DIA A; do cp "$DATA/$s.csv" "$WORK/data/" 2>/dev/null || true; done
"$PCS" migrate >/dev/null
"$PCS" ingest "$WORK/data" >/dev/null
"$PCS" backfill >/dev/null
ID=$(as_pg "$PG_BIN/psql" -h "$WORK/pg/sock" -p $PORT -U postgres -d pcs -qAtc \
  "SELECT id FROM pattern_events ORDER BY id LIMIT 1")
TOKEN=bench-write-token-0123456789
printf 'write token bench %s\n' "$TOKEN" > "$WORK/allow.txt"

"$SERVER" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 \
  --models-dir "$ROOT/models/phase5" --pin-version "$MODEL" \
  --enable-phase5-confidence --poll-seconds 0 --warmup-seconds 0 \
  --allow-list "$WORK/allow.txt" > "$WORK/server.out" 2> "$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 300); do grep -q '^listening' "$WORK/server.out" 2>/dev/null && break; sleep 0.1; done
GRPC_PORT=$(sed -n 's/.*grpc_port=\([0-9]*\).*/\1/p' "$WORK/server.out")
HTTP_PORT=$(sed -n 's/.*metrics_port=\([0-9]*\).*/\1/p' "$WORK/server.out")
[ -n "$GRPC_PORT" ] || { cat "$WORK/server.log"; exit 1; }
echo "front_door_bench ${LABEL:+($LABEL) }$(basename "$(dirname "$(dirname "$SERVER")")")/server/pcs-server, pattern $ID"
"${PCS_PYTHON:-python3}" \
  "$ROOT/bench/front_door_probe.py" --pid "$SERVER_PID" --grpc-port "$GRPC_PORT" \
  --http-port "$HTTP_PORT" --pattern "$ID" --token "$TOKEN"
