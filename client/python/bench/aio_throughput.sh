#!/usr/bin/env bash
# Throughput of the asyncio Python client against a real pcs-server on real data.
#
#   client/python/bench/aio_throughput.sh [BUILD_DIR] [DATA_DIR]
#
# Starts a throwaway PostgreSQL 15 (Unix socket only, in a temp folder), runs
# `pcs migrate`, `pcs ingest DATA_DIR` (default ../shared/data/ohlcv) and
# `pcs backfill`, starts pcs-server on loopback serving the committed model
# (models/phase5, pinned to its newest version when there is no CHAMPION),
# installs the Python client from a wheel into a temp folder, then runs
# aio_throughput.py: 100 calls in flight over 2,000 distinct ids (the first
# pass misses the server's score cache), the same again (cache hits), and the
# sync client one call at a time for comparison. Stops everything on exit.
# Needs BUILD_DIR/cli/pcs and BUILD_DIR/server/pcs-server, and the tools of
# scripts/install_server_tools.sh. Prints one line per run.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build}" && pwd)"
DATA="${2:-$ROOT/../shared/data/ohlcv}"
PG_BIN=/usr/lib/postgresql/15/bin
WORK="$(mktemp -d /tmp/pcs-aio-bench-XXXXXX)"
chmod 755 "$WORK"  # the postgres user must reach its data folder
SERVER_PID=""
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  [ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" || true
  as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m fast -w stop > /dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/pg/sock"
[ "$(id -u)" = 0 ] && chown -R postgres "$WORK/pg"
as_pg "$PG_BIN/initdb" -D "$WORK/pg/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
  > /dev/null
as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w \
  -o "-k $WORK/pg/sock -c listen_addresses='' -p 54331 -c fsync=off" start > /dev/null
as_pg "$PG_BIN/createdb" -h "$WORK/pg/sock" -p 54331 -U postgres pcs
export PCS_DATABASE_URL="host=$WORK/pg/sock port=54331 user=postgres dbname=pcs"
"$BUILD/cli/pcs" migrate > /dev/null
"$BUILD/cli/pcs" ingest "$DATA" > /dev/null
"$BUILD/cli/pcs" backfill > /dev/null

MODELS="$ROOT/models/phase5"
PIN=()
if [ ! -f "$MODELS/CHAMPION" ]; then
  PIN=(--pin-version "$(ls -1 "$MODELS" | grep -E '^[0-9]{8}T[0-9]{6}Z$' | tail -1)")
fi
"$BUILD/server/pcs-server" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 \
  --models-dir "$MODELS" --enable-phase5-confidence --poll-seconds 0 "${PIN[@]}" \
  > "$WORK/server.out" 2> "$WORK/server.log" &
SERVER_PID=$!
PORT=""
for _ in $(seq 1 100); do
  PORT="$(grep -o 'grpc_port=[0-9]*' "$WORK/server.out" | head -1 | cut -d= -f2 || true)"
  [ -n "$PORT" ] && break
  kill -0 "$SERVER_PID" || { tail -20 "$WORK/server.log"; exit 1; }
  sleep 0.1
done
[ -n "$PORT" ] || { echo "pcs-server printed no port"; exit 1; }

python3 -m build --no-isolation --outdir "$WORK/dist" "$ROOT/client/python" > /dev/null
python3 -m pip install -q --no-deps --no-index --target "$WORK/site" "$WORK"/dist/*.whl
IDS="$(psql "$PCS_DATABASE_URL" -qAtc "SELECT string_agg(id, ',') FROM (SELECT id FROM \
  pattern_events ORDER BY id LIMIT 2000) t")"
BENCH=(env PYTHONPATH="$WORK/site" python3 "$ROOT/client/python/bench/aio_throughput.py"
       --server "127.0.0.1:$PORT" --ids "$IDS")
echo "aio_throughput.sh: pcs-server on 127.0.0.1:$PORT ${PIN[*]}, $(nproc) cores"
"${BENCH[@]}" --calls 2000 --concurrency 100    # first pass: score-cache misses
"${BENCH[@]}" --calls 10000 --concurrency 100   # cache hits
"${BENCH[@]}" --calls 2000 --mode sync          # one at a time, cache hits
