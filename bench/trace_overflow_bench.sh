#!/usr/bin/env bash
# trace_overflow_bench: does every traced answer end up written or counted as
# dropped when the trace writer cannot keep up? ghz flat out against one
# pcs-server (default trace queue: 10,000 rows) on score-cache hits, which
# never touch PostgreSQL, so the answers keep flowing while PostgreSQL is
# paused (SIGSTOP) and the trace queue overflows.
#
#   bench/trace_overflow_bench.sh [--data DIR] [--build-dir DIR]
#                                 [--requests N] [--pause-seconds S]
#
# --data DIR         CSV folder to ingest (default $PCS_DATA_DIR, else
#                    ../shared/data/ohlcv)
# --build-dir DIR    where pcs, pcs-server live (default build/); ghz from
#                    $PCS_GHZ or DIR/tools/ghz
# --requests N       traced requests per run (default 30000), 16 in flight
#
# Runs: (0) 2,000 ids scored once with skip_trace (fills the score cache);
# (1) PostgreSQL up: N traced requests on those ids; (2) PostgreSQL paused
# (SIGSTOP of the postmaster and its backends) for the whole ghz run, resumed
# after it. After each run, once the queue is empty: ghz's OK count, the
# server's pcs_trace_written_total and pcs_trace_dropped_total deltas, the
# trace rows the database gained, and whether written + dropped == OK.
# Run it under the CPU lock:  flock /tmp/pcs-cpu.lock bench/trace_overflow_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
DATA="${PCS_DATA_DIR:-$ROOT/../shared/data/ohlcv}"
BUILD="$ROOT/build"
REQUESTS=30000
while [ $# -gt 0 ]; do
  case "$1" in
    --data) DATA="$2"; shift 2 ;;
    --build-dir) BUILD="$2"; shift 2 ;;
    --requests) REQUESTS="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "trace_overflow_bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
PCS="$BUILD/cli/pcs"
SERVER="$BUILD/server/pcs-server"
GHZ="${PCS_GHZ:-$BUILD/tools/ghz}"
. "$ROOT/bench/lib.sh"
bench_init trace-overflow 54393
need "$PCS" "$SERVER" "$GHZ"
PG_PIDS=""
bench_extra_cleanup() { [ -n "$PG_PIDS" ] && kill -CONT $PG_PIDS 2>/dev/null || true; }
pg_start
seed_database "$DATA" quiet
psql_q "SELECT id FROM pattern_events ORDER BY md5(id) LIMIT 2000" > "$WORK/ids.txt"
$PY - "$WORK/ids.txt" "$WORK" <<'EOF'
import json, sys
ids = open(sys.argv[1]).read().split()
for name, skip in (("warm", True), ("traced", False)):
    with open("%s/%s.json" % (sys.argv[2], name), "w") as f:
        json.dump([{"pattern_id": i, "skip_trace": skip} for i in ids], f)
EOF
# Trace rows: their own table when the schema has one, else the history rows
# the server writes (source 'server').
trace_rows() {
  if [ "$(psql_q "SELECT to_regclass('prediction_traces') IS NOT NULL")" = t ]; then
    psql_q "SELECT count(*) FROM prediction_traces"
  else
    psql_q "SELECT count(*) FROM pattern_lifecycle_history WHERE source = 'server'"
  fi
}

"$SERVER" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 \
  --models-dir "$ROOT/models/phase5" --pin-version "$MODEL" \
  --enable-phase5-confidence --poll-seconds 0 --warmup-seconds 0 \
  > "$WORK/server.out" 2> "$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 600); do grep -q '^listening' "$WORK/server.out" 2>/dev/null && break; sleep 0.1; done
GRPC_PORT=$(sed -n 's/.*grpc_port=\([0-9]*\).*/\1/p' "$WORK/server.out")
METRICS_PORT=$(sed -n 's/.*metrics_port=\([0-9]*\).*/\1/p' "$WORK/server.out")
metric() {  # name -> value (0 when absent)
  curl -s "http://127.0.0.1:$METRICS_PORT/metrics" |
    awk -v m="$1" '$1 == m { v = $2 } END { printf "%d", v + 0 }'
}
wait_queue_empty() {
  for _ in $(seq 600); do [ "$(metric pcs_trace_queue_depth)" = 0 ] && break; sleep 0.1; done
}
ghz_ok() {  # data-file -> OK count (prints ghz's summary line to stderr)
  "$GHZ" --insecure --call pcs.v1.PatternConfidence.ScorePattern --data-file "$1" \
    -c 16 -n "$2" --timeout 10s --format json "127.0.0.1:$GRPC_PORT" > "$WORK/ghz.json" 2>/dev/null || true
  $PY - "$WORK/ghz.json" <<'EOF'
import json, sys, collections
r = json.load(open(sys.argv[1]))
codes = collections.Counter(x.get("status", "?") for x in r.get("details", []))
print("ghz: %d requests, %.0f req/s, codes %s" % (sum(codes.values()), r.get("rps", 0), dict(codes)), file=sys.stderr)
print(codes.get("OK", 0))
EOF
}
report() {  # label ok written0 dropped0 rows0
  local written dropped rows
  written=$(( $(metric pcs_trace_written_total) - $3 ))
  dropped=$(( $(metric pcs_trace_dropped_total) - $4 ))
  rows=$(( $(trace_rows) - $5 ))
  echo "$1: OK answers $2, traces written $written (rows in the database +$rows), dropped $dropped; written + dropped = $((written + dropped)) -> $([ $((written + dropped)) = "$2" ] && echo agrees || echo DISAGREES)"
}

echo "== trace queue under load: one pcs-server, default trace queue (10,000 rows), ghz flat out, 16 in flight, score-cache hits; load: $(cut -d' ' -f1-3 /proc/loadavg)"
ghz_ok "$WORK/warm.json" 2000 > /dev/null
wait_queue_empty
w0=$(metric pcs_trace_written_total); d0=$(metric pcs_trace_dropped_total); r0=$(trace_rows)
ok=$(ghz_ok "$WORK/traced.json" "$REQUESTS")
wait_queue_empty
report "run 1, PostgreSQL up" "$ok" "$w0" "$d0" "$r0"

w0=$(metric pcs_trace_written_total); d0=$(metric pcs_trace_dropped_total); r0=$(trace_rows)
POSTMASTER=$(head -1 "$WORK/pg/data/postmaster.pid")
PG_PIDS="$POSTMASTER $(ps -o pid= --ppid "$POSTMASTER" | tr '\n' ' ')"
kill -STOP $PG_PIDS
t=$(date +%s.%N)
ok=$(ghz_ok "$WORK/traced.json" "$REQUESTS")
echo "PostgreSQL paused $(awk -v t="$t" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - t }') s (the ghz run), queue depth at resume: $(metric pcs_trace_queue_depth)"
kill -CONT $PG_PIDS
PG_PIDS=""
wait_queue_empty
sleep 3  # a batch given up by the lease watchdog is counted when its INSERT fails
report "run 2, PostgreSQL paused" "$ok" "$w0" "$d0" "$r0"
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
