# bench/lib.sh: what the bench/*.sh scripts share -- a throwaway PostgreSQL
# on a Unix socket, the seeded pcs database, a pcs-server started and waited
# for, cleanup at exit. Source it from a script that has cd'ed to the repo
# root and set BUILD:
#
#   . bench/lib.sh
#   bench_init user-path 54391    # WORK, PY, PG_BIN, MODEL, as_pg, trap
#                                 # (MODEL: $PCS_BENCH_MODEL, else the newest)
#   pg_start                      # PCS_DATABASE_URL exported; psql_q works
#   seed_database "$DATA"         # pcs migrate + ingest + backfill + VACUUM
#   server_start --warmup-seconds 30   # SERVER_PID GRPC_PORT METRICS_PORT
#   server_stop
#
# Everything started here is stopped by the EXIT trap (bench_cleanup): the
# pids in $WORK/pids, the server, PostgreSQL; then $WORK is deleted. A script
# with more to clean defines bench_extra_cleanup.

PY=/usr/bin/python3
PG_BIN=/usr/lib/postgresql/15/bin
SERVER_PID=""

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
since() { awk -v t="$1" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - t }'; }

# bench_init NAME PG_PORT: scratch folder, the committed model, the trap.
bench_init() {
  BENCH_NAME="$1"
  PG_PORT="$2"
  WORK="${WORK:-$(mktemp -d "/tmp/pcs-$1-XXXXXX")}"
  mkdir -p "$WORK/pg/sock"
  chmod 755 "$WORK"
  # $PCS_BENCH_MODEL pins a version (to compare runs across a new champion).
  MODEL="${PCS_BENCH_MODEL:-$(ls -1 "$ROOT/models/phase5" | grep -E '^[0-9]{8}T[0-9]{6}Z$' | tail -1)}"
  trap bench_cleanup EXIT
}

bench_cleanup() {
  if declare -F bench_extra_cleanup >/dev/null; then bench_extra_cleanup || true; fi
  for p in $(cat "$WORK/pids" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
  if [ -n "$SERVER_PID" ]; then
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}

# need FILE...: exits when one is not executable.
need() {
  for f in "$@"; do
    [ -x "$f" ] || { echo "$BENCH_NAME: $f not found" >&2; exit 1; }
  done
}

# pg_start [postgres -c settings...]: initdb + start on $WORK/pg/sock, a
# database "pcs"; exports PCS_DATABASE_URL.
pg_start() {
  local opts="-k $WORK/pg/sock -c listen_addresses='' -p $PG_PORT -c fsync=off"
  for o in "$@"; do opts="$opts -c $o"; done
  [ "$(id -u)" = 0 ] && chown -R postgres "$WORK/pg"
  as_pg "$PG_BIN/initdb" -D "$WORK/pg/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
  as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w -o "$opts" start >/dev/null
  as_pg "$PG_BIN/createdb" -h "$WORK/pg/sock" -p "$PG_PORT" -U postgres pcs
  export PCS_DATABASE_URL="host=$WORK/pg/sock port=$PG_PORT user=postgres dbname=pcs"
}

psql_q() { as_pg "$PG_BIN/psql" -h "$WORK/pg/sock" -p "$PG_PORT" -U postgres -d pcs -qAtc "$1"; }

# seed_database DATA [quiet]: migrate, ingest DATA, backfill, then VACUUM
# (ANALYZE) and CHECKPOINT; prints timings unless a second argument is given.
# The last two are what an operator runs after a bulk load: without them
# autovacuum and a WAL checkpoint of the freshly loaded tables start a minute
# or two later, i.e. in the middle of a benchmark run (autovacuum's
# "VACUUM ANALYZE public.price_bars" was seen doing so, tripling PostgreSQL's
# CPU in that run). Then `sync`: the load leaves a gigabyte or two of dirty
# pages (1.1-1.7 GB after the 5,000-symbol seed), which the kernel writes back
# about 30 s later, i.e. during the first server's warm-up and burst.
seed_database() {
  local t
  "$BUILD/cli/pcs" migrate >/dev/null
  t=$(date +%s.%N); "$BUILD/cli/pcs" ingest "$1" > "$WORK/ingest.txt"
  [ -n "${2:-}" ] || echo "ingest: $(grep ^TOTAL "$WORK/ingest.txt" | tr -s ' ') ($(since "$t") s)"
  t=$(date +%s.%N); "$BUILD/cli/pcs" backfill > "$WORK/backfill.txt"
  [ -n "${2:-}" ] || echo "backfill: $(since "$t") s; $(psql_q 'SELECT count(*) FROM pattern_events') patterns, $(psql_q 'SELECT count(DISTINCT symbol) FROM price_bars') symbols"
  t=$(date +%s.%N); psql_q "VACUUM (ANALYZE)"; psql_q "CHECKPOINT"
  [ -n "${2:-}" ] || echo "vacuum (analyze) + checkpoint: $(since "$t") s"
  local dirty; dirty=$(awk '/^nr_dirty /{print int($2 * 4 / 1024)}' /proc/vmstat)
  t=$(date +%s.%N); sync
  [ -n "${2:-}" ] || echo "sync: ${dirty} MB dirty, written in $(since "$t") s"
}

# server_start [pcs-server flags...]: the committed model pinned, ENABLE_
# PHASE5_CONFIDENCE on, ports chosen by the kernel; returns once gRPC health
# says SERVING (the start-up warm-up, if any, has ended). Sets SERVER_PID,
# GRPC_PORT, METRICS_PORT, SERVER_LOG, READY_SECONDS.
server_start() {
  local t; t=$(date +%s.%N)
  SERVER_LOG="$WORK/server.$RANDOM.log"
  "$BUILD/server/pcs-server" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 \
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
  for _ in $(seq 1200); do
    "$BUILD/tools/grpcurl" -plaintext "127.0.0.1:$GRPC_PORT" grpc.health.v1.Health/Check 2>/dev/null |
      grep -q '"SERVING"' && break
    sleep 0.05
  done
  READY_SECONDS=$(since "$t")
}

server_stop() { kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=""; }
server_rss() { grep -E '^(VmRSS|VmHWM)' "/proc/$SERVER_PID/status" | tr -s ' \t' ' ' | tr '\n' ' '; }
