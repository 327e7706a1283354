#!/usr/bin/env bash
# user_path_bench: ScorePattern on the path users hit -- patterns never scored
# before -- with ghz against a real pcs-server process (part of server_bench;
# the in-process Google Benchmark part is bench/server_bench.cc).
#
#   bench/user_path_bench.sh [--data DIR] [--synthetic N] [--build-dir DIR]
#                            [--work DIR] [--label TEXT]
#                            [--bursts K] [--burst-only]
#
# --data DIR       CSV folder to ingest (default $PCS_DATA_DIR, else
#                  ../shared/data/ohlcv)
# --synthetic N    instead: N synthetic symbols generated from --data by
#                  bench/gen_synthetic_universe.py (seeded; load tests only)
# --build-dir DIR  where pcs, pcs-server live (default build/); ghz from
#                  $PCS_GHZ or DIR/tools/ghz, grpcurl from DIR/tools,
#                  db_floor_bench from $PCS_FLOOR_BENCH or DIR/bench
# --work DIR       scratch (throwaway PostgreSQL on a Unix socket, data files;
#                  default a new /tmp/pcs-user-path-XXXXXX, deleted at exit)
# --bursts K       with --synthetic: the evening burst K times (default 1),
#                  each on a fresh server, to see the run-to-run spread
# --burst-only     with --synthetic: only the burst(s), not runs 1-5
#
# Every run starts on a FRESH server (committed model pinned,
# ENABLE_PHASE5_CONFIDENCE on, a 60 s warm-up budget), measured once gRPC
# health says SERVING (readiness time, RSS and, first, the warm-up's own log
# line are printed), with ids no earlier run asked for:
#   0. with --synthetic only: the evening burst, every symbol's newest-day
#      pattern once at 1,000 req/s, 16 in flight ("took" = time to drain it)
#   1. random never-scored ids at an offered 1,000 req/s, 16 in flight
#      (10,000 requests)
#   2. the same flat out, 16 in flight (10,000 requests)
#   3. one request at a time, at most 50 req/s (500 requests)
#   4. the server's RSS after each run
#   5. a server with the warm-up off: the first request for each of up to
#      1,000 symbols never loaded before, one at a time (cold symbol)
# After each run, bench/db_floor_bench replays the same ids at the same
# concurrency and rate as the SQL a cold ScorePattern issues (pattern row +
# two 500-bar windows) on the same socket, and the ratios pcs / floor are
# printed. Latencies are ghz's per-request figures (p50/p99/p99.9 computed
# from its details); errors are counted by gRPC code; below each run, the
# CPU time per request of the server, PostgreSQL and ghz during the run
# (backends that exit meanwhile are not counted), ghz's garbage collections
# and the server's mean stage times.
# ghz runs with its garbage collector off (GOGC=off, GOMEMLIMIT=2GiB: it
# collects only if its heap nears 2 GiB; 10,000 requests flat out peak at
# about 670 MB). With Go's default (GOGC=100) ghz's heap stays near 10 MB
# and it collects every 60 ms or so, about 80 times in a 5 s burst, each a
# 2-5 ms concurrent mark on the same 2 cores; requests in flight then wait
# for ghz, not for the server, and land in the measured tail (docs/SERVER.md,
# "The load generator's garbage collector"). PCS_BENCH_GHZ_GOGC=100 runs ghz
# with Go's default to compare. ghz also runs with
# --disable-template-functions --disable-template-data: the ids are plain
# JSON, and without them ghz builds a Go template function map for every
# request (about 60 us of ghz CPU a request in the burst, on the cores the
# server uses). Run it under the CPU lock:
#   flock /tmp/pcs-cpu.lock bench/user_path_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
DATA="${PCS_DATA_DIR:-$ROOT/../shared/data/ohlcv}"
SYNTHETIC=0
BUILD="$ROOT/build"
WORK=""
LABEL=""
BURSTS=1
BURST_ONLY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --data) DATA="$2"; shift 2 ;;
    --synthetic) SYNTHETIC="$2"; shift 2 ;;
    --build-dir) BUILD="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    --label) LABEL="$2"; shift 2 ;;
    --bursts) BURSTS="$2"; shift 2 ;;
    --burst-only) BURST_ONLY=1; shift ;;
    -h|--help) sed -n '2,/^set -e/{/^set -e/!p}' "$0"; exit 0 ;;
    *) echo "user_path_bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
GHZ="${PCS_GHZ:-$BUILD/tools/ghz}"
GHZ_GOGC="${PCS_BENCH_GHZ_GOGC:-off}"
FLOOR="${PCS_FLOOR_BENCH:-$BUILD/bench/db_floor_bench}"
. "$ROOT/bench/lib.sh"
bench_init user-path 54391
need "$BUILD/cli/pcs" "$BUILD/server/pcs-server" "$GHZ" "$FLOOR"
pg_start shared_buffers=256MB

if [ "$SYNTHETIC" -gt 0 ]; then
  t=$(date +%s.%N)
  $PY "$ROOT/bench/gen_synthetic_universe.py" "$DATA" "$WORK/universe" --symbols "$SYNTHETIC"
  echo "generated in $(since $t) s"
  DATA="$WORK/universe"
fi
seed_database "$DATA"
psql_q "SELECT id FROM pattern_events ORDER BY md5(id)" > "$WORK/ids.txt"
psql_q "SELECT id FROM (SELECT DISTINCT ON (symbol) id, symbol FROM pattern_events ORDER BY symbol, md5(id)) s ORDER BY md5(symbol) LIMIT 1000" > "$WORK/cold_ids.txt"
# The evening burst: each symbol's newest-day pattern (its latest
# confirmation date), in random order.
psql_q "SELECT id FROM (SELECT DISTINCT ON (symbol) id, symbol FROM pattern_events ORDER BY symbol, confirmation_date DESC, id) s ORDER BY md5(id)" > "$WORK/burst_ids.txt"

# run LABEL FIRST COUNT IDS_FILE CONCURRENCY RPS: ghz ScorePattern on ids
# FIRST..FIRST+COUNT-1 of IDS_FILE (RPS 0 = flat out), then db_floor_bench on
# the same ids, concurrency and rate (the SQL of a cold ScorePattern), and the
# ratios pcs / floor. ghz's total duration is printed as "took".
run() {
  local label="$1" first="$2" count="$3" file="$4" c="$5" rps="$6"
  local rate=(); [ "$rps" -gt 0 ] && rate=(--rps "$rps")
  $PY - "$first" "$count" "$file" > "$WORK/data.json" <<'EOF'
import json, sys
first, count, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ids = open(path).read().split()[first:first + count]
print(json.dumps([{"pattern_id": i} for i in ids]))
EOF
  local cpu0 cpu1 TIMEFORMAT='%U %S'
  cpu0=$(cpu_ticks)
  { time env GOGC="$GHZ_GOGC" GOMEMLIMIT=2GiB GODEBUG=gctrace=1 \
    "$GHZ" --insecure --call pcs.v1.PatternConfidence.ScorePattern \
    --disable-template-functions --disable-template-data --data-file "$WORK/data.json" "${rate[@]}" -c "$c" -n "$count" \
    --format json 127.0.0.1:$GRPC_PORT > "$WORK/ghz.json" 2> "$WORK/ghz.err" || true; } 2> "$WORK/ghz.time"
  cpu1=$(cpu_ticks)
  local gcs; gcs=$(grep -c '^gc ' "$WORK/ghz.err" || true)
  "$FLOOR" --ids "$file" --first "$first" --count "$count" -c "$c" \
    --rps "$rps" > "$WORK/floor.json"
  $PY - "$label" "$WORK/ghz.json" "$WORK/floor.json" "$cpu0" "$cpu1" \
    "$(tail -1 "$WORK/ghz.time")" "$gcs" "$GHZ_GOGC" <<'EOF'
import json, os, sys, collections
label, path, floor_path = sys.argv[1], sys.argv[2], sys.argv[3]
cpu0, cpu1 = [list(map(int, a.split())) for a in sys.argv[4:6]]
ghz_cpu = sum(map(float, sys.argv[6].split()))
ghz_gcs, ghz_gogc = int(sys.argv[7] or 0), sys.argv[8]
r = json.load(open(path))
f = json.load(open(floor_path))
lat = sorted(d["latency"] / 1e6 for d in r.get("details", []))
codes = collections.Counter(d.get("status", "?") for d in r.get("details", []))
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")
print("%-24s n %6d  rps %7.0f  p50 %7.2f ms  p99 %7.2f ms  p99.9 %7.2f ms  max %7.2f ms  took %.2f s  codes %s"
      % (label, len(lat), r.get("rps", 0), q(.5), q(.99), q(.999), lat[-1] if lat else 0,
         r.get("total", 0) / 1e9, dict(codes)))
print("%-24s n %6d  rps %7.0f  p50 %7.2f ms  p99 %7.2f ms  p99.9 %7.2f ms  max %7.2f ms  errors %d"
      % ("  db floor (same ids)", f["n"], f["rps"], f["p50_ms"], f["p99_ms"], f["p999_ms"],
         f["max_ms"], f["errors"]))
ratio = lambda a, b: a / b if b else float("nan")
print("%-24s p50 %.2fx  p99 %.2fx  throughput %.2fx"
      % ("  pcs / floor", ratio(q(.5), f["p50_ms"]), ratio(q(.99), f["p99_ms"]),
         ratio(r.get("rps", 0), f["rps"])))
if lat:
    tick_us = 1e6 / os.sysconf("SC_CLK_TCK") / len(lat)
    srv, pg = (cpu1[0] - cpu0[0]) * tick_us, (cpu1[1] - cpu0[1]) * tick_us
    ghz = ghz_cpu * 1e6 / len(lat)
    took = r.get("total", 0) / 1e9
    busy = (srv + pg + ghz) * len(lat) / 1e6 / took / os.cpu_count() if took else 0
    print("%-24s server %.0f us, PostgreSQL %.0f us, ghz %.0f us; together %.0f us"
          " (%.0f%% of %d cores busy); ghz GOGC=%s, %d garbage collections"
          % ("  CPU per request", srv, pg, ghz, srv + pg + ghz, 100 * busy,
             os.cpu_count(), ghz_gogc, ghz_gcs))
EOF
}

# cpu_ticks: CPU ticks (user + system) used so far by the server and by
# this run's PostgreSQL (the postmaster and its children), "SERVER PG".
cpu_ticks() {
  $PY - "$SERVER_PID" "$(head -1 "$WORK/pg/data/postmaster.pid")" <<'EOF'
import os, sys
server, pg = 0, 0
for p in filter(str.isdigit, os.listdir("/proc")):
    try:
        s = open("/proc/%s/stat" % p).read()
    except OSError:
        continue
    f = s[s.rindex(")") + 2:].split()
    ticks = int(f[11]) + int(f[12])
    if p == sys.argv[1]:
        server = ticks
    elif p == sys.argv[2] or f[1] == sys.argv[2]:
        pg += ticks
print(server, pg)
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
echo "== ${LABEL:-user path} on $(basename "$DATA") ($N patterns), model $MODEL pinned, ghz GOGC=$GHZ_GOGC; load: $(cut -d' ' -f1-3 /proc/loadavg)"
WARM_FLAGS=(--warmup-seconds 60)
COLD_FLAGS=(--warmup-seconds 0)
server_start "${WARM_FLAGS[@]}"
echo "server ready in $READY_SECONDS s (${WARM_FLAGS[*]}); RSS: $(server_rss)"
grep -o 'event=warmup_done.*' "$SERVER_LOG" || true
# fresh LABEL: a new server, ready (warm-up ended), for the next run.
fresh() {
  [ -n "$SERVER_PID" ] && server_stop
  server_start "${WARM_FLAGS[@]}"
  echo "-- $1: fresh server ready in $READY_SECONDS s; RSS: $(server_rss)"
}
if [ "$SYNTHETIC" -gt 0 ]; then
  # Every symbol's newest-day pattern once, 1,000 req/s (the evening burst).
  nb=$(wc -l < "$WORK/burst_ids.txt")
  for k in $(seq "$BURSTS"); do
    [ "$k" -gt 1 ] && fresh "evening burst $k of $BURSTS"
    stages "$WORK/s0"
    run "evening burst" 0 "$nb" "$WORK/burst_ids.txt" 16 1000; stages "$WORK/s0" "$WORK/s1"
    echo "RSS after the burst: $(server_rss)"
  done
fi
if [ "$BURST_ONLY" = 1 ]; then
  server_stop
  exit 0
fi
per=$(( N >= 21000 ? 10000 : (N - 500) / 2 ))
fresh "1000 req/s"; stages "$WORK/s0"
run "1000 req/s distinct" 0 "$per" "$WORK/ids.txt" 16 1000; stages "$WORK/s0" "$WORK/s1"
echo "RSS after the run: $(server_rss)"
fresh "flat out"; stages "$WORK/s0"
run "flat out distinct" "$per" "$per" "$WORK/ids.txt" 16 0; stages "$WORK/s0" "$WORK/s1"
echo "RSS after the run: $(server_rss)"
fresh "one at a time"; stages "$WORK/s0"
run "one at a time" $((2 * per)) 500 "$WORK/ids.txt" 1 50; stages "$WORK/s0" "$WORK/s1"
echo "RSS after the run: $(server_rss)"
server_stop

server_start "${COLD_FLAGS[@]}"
ncold=$(wc -l < "$WORK/cold_ids.txt")
run "cold symbol (1st req)" 0 "$ncold" "$WORK/cold_ids.txt" 1 50
server_stop
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
