#!/usr/bin/env bash
# user_path_bench: ScorePattern on the path users hit -- patterns never scored
# before -- with ghz against a real pcs-server process (part of server_bench;
# the in-process Google Benchmark part is bench/server_bench.cc).
#
#   bench/user_path_bench.sh [--data DIR] [--synthetic N] [--build-dir DIR]
#                            [--work DIR] [--label TEXT]
#
# --data DIR       CSV folder to ingest (default $PCS_DATA_DIR, else
#                  ../shared/data/ohlcv)
# --synthetic N    instead: N synthetic symbols generated from --data by
#                  bench/gen_synthetic_universe.py (seeded; load tests only)
# --build-dir DIR  where pcs, pcs-server live (default build/); ghz from
#                  $PCS_GHZ or DIR/tools/ghz
# --work DIR       scratch (throwaway PostgreSQL on a Unix socket, data files;
#                  default /tmp/pcs-user-path-$$, deleted at exit)
#
# Runs, each with ids no earlier run asked for (so the score cache never
# hits), on one server started with the committed model pinned and
# ENABLE_PHASE5_CONFIDENCE on:
#   1. distinct ids at an offered 1,000 req/s, 16 in flight (10,000 requests)
#   2. distinct ids flat out, 16 in flight (10,000 requests)
#   3. one request at a time, at most 50 req/s (500 requests)
#   4. RSS of the server after the runs (and after its start-up warm-up)
#   5. a restarted server with the warm-up off: the first request for each of
#      up to 1,000 symbols never loaded before, one at a time (cold symbol)
# Latencies are ghz's per-request figures (p50/p99/p99.9 computed from its
# details); errors are counted by gRPC code. Run it under the CPU lock:
#   flock /tmp/pcs-cpu.lock bench/user_path_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
DATA="${PCS_DATA_DIR:-$ROOT/../shared/data/ohlcv}"
SYNTHETIC=0
BUILD="$ROOT/build"
WORK="/tmp/pcs-user-path-$$"
LABEL=""
while [ $# -gt 0 ]; do
  case "$1" in
    --data) DATA="$2"; shift 2 ;;
    --synthetic) SYNTHETIC="$2"; shift 2 ;;
    --build-dir) BUILD="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    --label) LABEL="$2"; shift 2 ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "user_path_bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
PCS="$BUILD/cli/pcs"
SERVER="$BUILD/server/pcs-server"
GHZ="${PCS_GHZ:-$BUILD/tools/ghz}"
PY=/usr/bin/python3
PG_BIN=/usr/lib/postgresql/15/bin
PORT=54391
for f in "$PCS" "$SERVER" "$GHZ"; do
  [ -x "$f" ] || { echo "user_path_bench: $f not found" >&2; exit 1; }
done
MODEL="$(ls -1 "$ROOT/models/phase5" | grep -E '^[0-9]{8}T[0-9]{6}Z$' | tail -1)"
mkdir -p "$WORK/pg/sock"
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
  -o "-k $WORK/pg/sock -c listen_addresses='' -p $PORT -c fsync=off -c shared_buffers=256MB" start >/dev/null
as_pg "$PG_BIN/createdb" -h "$WORK/pg/sock" -p $PORT -U postgres pcs
export PCS_DATABASE_URL="host=$WORK/pg/sock port=$PORT user=postgres dbname=pcs"
since() { awk -v t="$1" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - t }'; }
psql_q() { as_pg "$PG_BIN/psql" -h "$WORK/pg/sock" -p $PORT -U postgres -d pcs -qAtc "$1"; }

if [ "$SYNTHETIC" -gt 0 ]; then
  t=$(date +%s.%N)
  $PY "$ROOT/bench/gen_synthetic_universe.py" "$DATA" "$WORK/universe" --symbols "$SYNTHETIC"
  echo "generated in $(since $t) s"
  DATA="$WORK/universe"
fi
"$PCS" migrate >/dev/null
t=$(date +%s.%N); "$PCS" ingest "$DATA" > "$WORK/ingest.txt"
echo "ingest: $(grep ^TOTAL "$WORK/ingest.txt" | tr -s ' ') ($(since $t) s)"
t=$(date +%s.%N); "$PCS" backfill > "$WORK/backfill.txt"
echo "backfill: $(since $t) s; $(psql_q 'SELECT count(*) FROM pattern_events') patterns, $(psql_q 'SELECT count(DISTINCT symbol) FROM price_bars') symbols"
psql_q "SELECT id FROM pattern_events ORDER BY md5(id)" > "$WORK/ids.txt"
psql_q "SELECT id FROM (SELECT DISTINCT ON (symbol) id, symbol FROM pattern_events ORDER BY symbol, md5(id)) s ORDER BY md5(symbol) LIMIT 1000" > "$WORK/cold_ids.txt"

# ids_json FIRST COUNT [FILE] -> ghz data file of ids FIRST..FIRST+COUNT-1
ids_json() {
  $PY - "$1" "$2" "${3:-$WORK/ids.txt}" > "$WORK/data.json" <<'EOF'
import json, sys
first, count, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ids = open(path).read().split()[first:first + count]
print(json.dumps([{"pattern_id": i} for i in ids]))
EOF
}

start_server() {  # extra flags...
  SERVER_LOG="$WORK/server.$RANDOM.log"
  "$SERVER" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 \
    --models-dir "$ROOT/models/phase5" --pin-version "$MODEL" \
    --enable-phase5-confidence --poll-seconds 0 "$@" \
    > "$SERVER_LOG.out" 2> "$SERVER_LOG" &
  SERVER_PID=$!
  for _ in $(seq 600); do
    grep -q '^listening' "$SERVER_LOG.out" 2>/dev/null && break; sleep 0.1
  done
  GRPC_PORT=$(sed -n 's/.*grpc_port=\([0-9]*\).*/\1/p' "$SERVER_LOG.out")
  METRICS_PORT=$(sed -n 's/.*metrics_port=\([0-9]*\).*/\1/p' "$SERVER_LOG.out")
  [ -n "$GRPC_PORT" ] || { cat "$SERVER_LOG"; exit 1; }
  # Ready = grpc.health.v1 SERVING (the warm-up, if any, has ended).
  for _ in $(seq 600); do
    "$BUILD/tools/grpcurl" -plaintext 127.0.0.1:$GRPC_PORT grpc.health.v1.Health/Check 2>/dev/null |
      grep -q '"SERVING"' && break
    sleep 0.1
  done
}
stop_server() { kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=""; }
rss() { grep -E '^(VmRSS|VmHWM)' /proc/$SERVER_PID/status | tr -s ' \t' ' ' | tr '\n' ' '; }

# run LABEL GHZ_FLAGS... (data file: $WORK/data.json)
run() {
  local label="$1"; shift
  "$GHZ" --insecure --call pcs.v1.PatternConfidence.ScorePattern \
    --data-file "$WORK/data.json" "$@" --format json 127.0.0.1:$GRPC_PORT \
    > "$WORK/ghz.json" 2>/dev/null || true
  $PY - "$label" "$WORK/ghz.json" <<'EOF'
import json, sys, collections
label, path = sys.argv[1], sys.argv[2]
r = json.load(open(path))
lat = sorted(d["latency"] / 1e6 for d in r.get("details", []))
codes = collections.Counter(d.get("status", "?") for d in r.get("details", []))
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")
print("%-24s n %6d  rps %7.0f  p50 %7.2f ms  p99 %7.2f ms  p99.9 %7.2f ms  max %7.2f ms  codes %s"
      % (label, len(lat), r.get("rps", 0), q(.5), q(.99), q(.999), lat[-1] if lat else 0,
         dict(codes)))
EOF
}

# stages FILE: scrape the server's stage histograms into FILE; with a second
# FILE, print the mean per stage between the two scrapes ("why" of a run).
stages() {
  $PY - "$METRICS_PORT" "$@" <<'EOF'
import re, sys, urllib.request
port, files = sys.argv[1], sys.argv[2:]
text = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port).read().decode()
vals = {}
for m in re.finditer(r'^pcs_stage_duration_seconds_(sum|count)\{[^}]*stage="([a-z_]+)"[^}]*\} (\S+)', text, re.M):
    key = (m.group(2), m.group(1))
    vals[key] = vals.get(key, 0) + float(m.group(3))
if len(files) == 1:
    open(files[0], "w").write(repr(vals))
else:
    before = eval(open(files[0]).read())
    out = []
    for stage in sorted({k[0] for k in vals}):
        n = vals.get((stage, "count"), 0) - before.get((stage, "count"), 0)
        t = vals.get((stage, "sum"), 0) - before.get((stage, "sum"), 0)
        if n > 0:
            out.append("%s %.3f ms (n %d)" % (stage, 1e3 * t / n, n))
    print("%-24s server stage means: %s" % ("", ", ".join(out)))
EOF
}

N=$(wc -l < "$WORK/ids.txt")
echo "== ${LABEL:-user path} on $(basename "$DATA") ($N patterns), model $MODEL pinned; load: $(cut -d' ' -f1-3 /proc/loadavg)"
WARM_FLAGS=()
COLD_FLAGS=()
if "$SERVER" --help 2>/dev/null | grep -q -- --warmup-seconds; then
  WARM_FLAGS=(--warmup-seconds 30)
  COLD_FLAGS=(--warmup-seconds 0)
fi
t=$(date +%s.%N)
start_server "${WARM_FLAGS[@]}"
echo "server ready in $(since $t) s (${WARM_FLAGS[*]:-no warm-up}); RSS: $(rss)"
per=$(( N >= 21000 ? 10000 : (N - 500) / 2 ))
ids_json 0 "$per";              run "1000 req/s distinct" --rps 1000 -c 16 -n "$per"
ids_json "$per" "$per";         stages "$WORK/s0"
run "flat out distinct" -c 16 -n "$per"; stages "$WORK/s0" "$WORK/s1"
ids_json $((2 * per)) 500;      stages "$WORK/s0"
run "one at a time" -c 1 --rps 50 -n 500; stages "$WORK/s0" "$WORK/s1"
echo "RSS after the runs: $(rss)"
stop_server

start_server "${COLD_FLAGS[@]}"
ncold=$(wc -l < "$WORK/cold_ids.txt")
ids_json 0 "$ncold" "$WORK/cold_ids.txt"
run "cold symbol (1st req)" -c 1 --rps 50 -n "$ncold"
stop_server
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
