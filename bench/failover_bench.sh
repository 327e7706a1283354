#!/usr/bin/env bash
# failover_bench: ghz through HAProxy (deploy/haproxy/pcs.cfg) in front of two
# pcs-server replicas while one replica is SIGKILLed and restarted. ghz has no
# gRPC retry policy, so its failures are the no-retry baseline; the retrying
# client is tests/server/load_balancer_test (ctest), which prints its counts.
#
#   bench/failover_bench.sh [--data DIR] [--build-dir DIR] [--rps N]
#                           [--requests N] [--kill-after S] [--down-for S]
#
# --data DIR       CSV folder to ingest (default $PCS_DATA_DIR, else
#                  ../shared/data/ohlcv)
# --build-dir DIR  where pcs, pcs-server live (default build/); ghz from
#                  $PCS_GHZ or DIR/tools/ghz (scripts/install_server_tools.sh
#                  DIR --ghz)
# --rps N          offered load (default 1000), 16 in flight
# --requests N     requests per run (default 10000); each run asks for ids
#                  the other did not (score-cache misses while they last)
# --kill-after S   seconds into the second run when replica 1 is SIGKILLed
#                  (default 4); it is restarted --down-for S later (default 3)
#
# Runs on one throwaway PostgreSQL (Unix socket), both replicas on the
# committed model pinned, ENABLE_PHASE5_CONFIDENCE on, traces on:
#   1. no fault: ghz at --rps through HAProxy (errors expected: none)
#   2. the same load; replica 1 SIGKILLed, restarted, back when HAProxy's gRPC
#      health check passes. Printed: ghz requests by gRPC code, when HAProxy
#      marked the replica DOWN and UP, HAProxy's retry/redispatch/error
#      counters.
# Run it under the CPU lock:  flock /tmp/pcs-cpu.lock bench/failover_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
DATA="${PCS_DATA_DIR:-$ROOT/../shared/data/ohlcv}"
BUILD="$ROOT/build"
RPS=1000
REQUESTS=10000
KILL_AFTER=4
DOWN_FOR=3
while [ $# -gt 0 ]; do
  case "$1" in
    --data) DATA="$2"; shift 2 ;;
    --build-dir) BUILD="$2"; shift 2 ;;
    --rps) RPS="$2"; shift 2 ;;
    --requests) REQUESTS="$2"; shift 2 ;;
    --kill-after) KILL_AFTER="$2"; shift 2 ;;
    --down-for) DOWN_FOR="$2"; shift 2 ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "failover_bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
PCS="$BUILD/cli/pcs"
SERVER="$BUILD/server/pcs-server"
GHZ="${PCS_GHZ:-$BUILD/tools/ghz}"
HAPROXY="$(command -v haproxy || echo /usr/sbin/haproxy)"
. "$ROOT/bench/lib.sh"
bench_init failover 54392
need "$PCS" "$SERVER" "$GHZ" "$HAPROXY" "$BUILD/tools/grpcurl"
pg_start
seed_database "$DATA" quiet
psql_q "SELECT id FROM pattern_events ORDER BY md5(id)" > "$WORK/ids.txt"
# data1.json / data2.json: two disjoint halves of the ids
$PY - "$WORK/ids.txt" "$WORK" <<'EOF'
import json, sys
ids = open(sys.argv[1]).read().split()
half = len(ids) // 2
for n, part in ((1, ids[:half]), (2, ids[half:])):
    with open("%s/data%d.json" % (sys.argv[2], n), "w") as f:
        json.dump([{"pattern_id": i} for i in part], f)
EOF

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
R1_PORT=$(free_port); R2_PORT=$(free_port); FRONT_PORT=$(free_port)
start_replica() {  # index port
  "$SERVER" --listen "127.0.0.1:$2" --metrics-listen "" \
    --models-dir "$ROOT/models/phase5" --pin-version "$MODEL" \
    --enable-phase5-confidence --poll-seconds 0 --warmup-seconds 10 \
    > "$WORK/r$1.out" 2>> "$WORK/r$1.log" &
  echo $! >> "$WORK/pids"; echo $! > "$WORK/r$1.pid"
}
stat_of() {  # server -> its HAProxy status (UP, DOWN, ...)
  $PY - "$WORK/haproxy.sock" "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"show stat\n")
data = b""
while chunk := s.recv(65536): data += chunk
lines = data.decode().splitlines(); head = lines[0][2:].split(",")
for line in lines[1:]:
    f = dict(zip(head, line.split(",")))
    if f.get("svname") == sys.argv[2]:
        print(f["status"] if sys.argv[2] != "BACKEND" else
              "retries %s redispatches %s conn-errors %s resp-errors %s 5xx %s" %
              (f["wretr"], f["wredis"], f["econ"], f["eresp"], f["hrsp_5xx"]))
EOF
}
wait_status() {  # server prefix -> seconds waited
  local t; t=$(date +%s.%N)
  for _ in $(seq 1500); do
    case "$(stat_of "$1" 2>/dev/null)" in "$2"*) break ;; esac; sleep 0.02
  done
  awk -v t="$t" -v n="$(date +%s.%N)" 'BEGIN { printf "%.2f", n - t }'
}
# Ready = gRPC health SERVING (the warm-up has ended): HAProxy counts a
# server UP until its checks fail, so do not start the load before.
wait_serving() {  # port
  for _ in $(seq 1200); do
    "$BUILD/tools/grpcurl" -plaintext "127.0.0.1:$1" grpc.health.v1.Health/Check 2>/dev/null |
      grep -q '"SERVING"' && return 0
    sleep 0.05
  done
}
start_replica 1 "$R1_PORT"; start_replica 2 "$R2_PORT"
wait_serving "$R1_PORT"; wait_serving "$R2_PORT"
PCS_HAPROXY_BIND="127.0.0.1:$FRONT_PORT" PCS_HAPROXY_STATS_SOCKET="$WORK/haproxy.sock" \
  PCS_REPLICA_1="127.0.0.1:$R1_PORT" PCS_REPLICA_2="127.0.0.1:$R2_PORT" \
  PCS_HAPROXY_CHECK_INTER=200ms "$HAPROXY" -db -f "$ROOT/deploy/haproxy/pcs.cfg" 2> "$WORK/haproxy.log" &
echo $! >> "$WORK/pids"
sleep 0.5
echo "replicas UP (HAProxy health check passed) $(wait_status r1 UP) s / $(wait_status r2 UP) s after HAProxy start + 0.5 s"

run() {  # label data-file
  "$GHZ" --insecure --call pcs.v1.PatternConfidence.ScorePattern \
    --data-file "$2" --rps "$RPS" -c 16 -n "$REQUESTS" \
    --timeout 10s --format json "127.0.0.1:$FRONT_PORT" > "$WORK/ghz.json" 2>/dev/null || true
  $PY - "$1" "$WORK/ghz.json" <<'EOF'
import json, sys, collections
label, path = sys.argv[1], sys.argv[2]
r = json.load(open(path))
d = r.get("details", [])
lat = sorted(x["latency"] / 1e6 for x in d)
codes = collections.Counter(x.get("status", "?") for x in d)
errs = collections.Counter(x.get("error", "")[:90] for x in d if x.get("error"))
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")
print("%-10s n %6d  rps %6.0f  p50 %6.2f ms  p99 %7.2f ms  max %7.2f ms  codes %s"
      % (label, len(lat), r.get("rps", 0), q(.5), q(.99), lat[-1] if lat else 0, dict(codes)))
for e, n in errs.most_common(4):
    print("           %5d x %s" % (n, e))
EOF
}
# CPU seconds (user + system) used so far by the given processes.
cpu_of() {
  local total=0 p t
  for p in "$@"; do
    t=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)
    total=$((total + t))
  done
  awk -v t="$total" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", t / hz }'
}
pg_pids() {
  local pm; pm=$(head -1 "$WORK/pg/data/postmaster.pid")
  echo "$pm $(ps -o pid= --ppid "$pm" | tr '\n' ' ')"
}
replica_pids() { echo "$(cat "$WORK/r1.pid") $(cat "$WORK/r2.pid")"; }
HAPROXY_PID=$(tail -1 "$WORK/pids")
echo "== ghz through HAProxy, $RPS req/s offered, 16 in flight, $REQUESTS requests per run, no retry policy; load: $(cut -d' ' -f1-3 /proc/loadavg)"
c_r0=$(cpu_of $(replica_pids)); c_pg0=$(cpu_of $(pg_pids)); c_h0=$(cpu_of "$HAPROXY_PID")
t0=$(date +%s.%N)
run "no fault" "$WORK/data1.json"
awk -v n="$REQUESTS" -v w="$(awk -v t="$t0" -v n="$(date +%s.%N)" 'BEGIN { print n - t }')" \
    -v r="$(awk -v a="$c_r0" -v b="$(cpu_of $(replica_pids))" 'BEGIN { print b - a }')" \
    -v pg="$(awk -v a="$c_pg0" -v b="$(cpu_of $(pg_pids))" 'BEGIN { print b - a }')" \
    -v h="$(awk -v a="$c_h0" -v b="$(cpu_of "$HAPROXY_PID")" 'BEGIN { print b - a }')" \
    'BEGIN { printf "CPU per request in run 1 (%.1f s wall): replicas %.3f ms, PostgreSQL %.3f ms, HAProxy %.3f ms\n", w, 1e3 * r / n, 1e3 * pg / n, 1e3 * h / n }'
echo "HAProxy backend after run 1: $(stat_of BACKEND)"
(
  sleep "$KILL_AFTER"
  kill -KILL "$(cat "$WORK/r1.pid")"
  echo "r1 SIGKILLed at +${KILL_AFTER} s; HAProxy marked it DOWN $(wait_status r1 DOWN) s later"
  sleep "$DOWN_FOR"
  start_replica 1 "$R1_PORT"
  echo "r1 restarted at +$((KILL_AFTER + DOWN_FOR)) s (warm-up up to 10 s); back UP $(wait_status r1 UP) s later"
) &
KILLER=$!
run "r1 killed" "$WORK/data2.json"
wait "$KILLER" || true
echo "HAProxy backend after run 2 (cumulative): $(stat_of BACKEND)"
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
