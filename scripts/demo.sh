#!/usr/bin/env bash
# The pcs pipeline end to end on real data (usage: scripts/demo.sh --help).
#
# Adding a step: write a function step_<name> below and append its name to
# STEPS; use `run_pcs <subcommand> ...`, and `quiet_step LOG cmd...` for
# anything that runs longer than a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

usage() {
  cat <<'USAGE'
Usage: scripts/demo.sh [DATA_DIR] [--fresh] [--serve]

Runs pcs end to end on real daily bars, from a fresh checkout to scored
patterns in the review console: installs the Debian packages
(scripts/install_deps.sh), builds only what it runs (pcs, pcs-server,
pcs-client), starts a throwaway PostgreSQL, ingests DATA_DIR, detects and
labels patterns (backfill), writes the rule baseline report, picks the model
to serve (the committed CHAMPION, else the newest committed version, pinned
and labelled as such), stores that model's score of every pattern
(pcs score), renders the chart snapshots (pcs snapshots), starts pcs-server
and asks it for a few real scores with their reasons. Every step longer than
a few seconds prints its progress. Logs go to .pcs/logs/.

Arguments:
  DATA_DIR    folder of OHLCV CSV files (default: ../shared/data/ohlcv)
  --fresh     delete the demo database (.pcs/demo-pg) first
  --serve     leave PostgreSQL and pcs-server running at the end, print the
              console URL and REST and grpcurl commands to try; Ctrl-C stops
              everything
  -h, --help  this text

Environment variables:
  PCS_DATABASE_URL       use this PostgreSQL (libpq conninfo or URL) instead
                         of the throwaway cluster in .pcs/demo-pg (Unix
                         socket only, port 54329, never 5432)
  PCS_BUILD_DIR          build folder (default: build)
  PCS_BUILD_JOBS         parallel compile jobs (default: 2)
  PCS_DEMO_PORT          pcs-server gRPC port on 127.0.0.1 (default: 50551)
  PCS_DEMO_METRICS_PORT  pcs-server HTTP port on 127.0.0.1: console, REST,
                         /metrics (default: 9564)
  PCS_SKIP_DEPS=1        do not run scripts/install_deps.sh

Without --serve everything the demo started stops when it ends; its
database stays in .pcs/demo-pg for the next run (--fresh deletes it).
USAGE
}

DATA_DIR="$ROOT/../shared/data/ohlcv"
FRESH=0
SERVE=0
for arg in "$@"; do
  case "$arg" in
    --fresh) FRESH=1 ;;
    --serve) SERVE=1 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "demo.sh: unknown option $arg (see scripts/demo.sh --help)" >&2; exit 2 ;;
    *) DATA_DIR="$arg" ;;
  esac
done

if [ ! -d "$DATA_DIR" ]; then
  echo "demo.sh: data folder $DATA_DIR does not exist" >&2
  exit 1
fi
DATA_DIR="$(cd "$DATA_DIR" && pwd)"
BUILD_DIR="${PCS_BUILD_DIR:-$ROOT/build}"
PCS="$BUILD_DIR/cli/pcs"
STATE_DIR="$ROOT/.pcs"
LOG_DIR="$STATE_DIR/logs"
# Targets the demo needs; later steps may append theirs.
DEMO_TARGETS=(pcs pcs-server pcs-client)
SERVER="$BUILD_DIR/server/pcs-server"
SNAPSHOT_ROOT="$STATE_DIR/snapshots"
CLIENT="$BUILD_DIR/client/pcs-client"
MODELS_DIR="$ROOT/models/phase5"
PG_BIN=/usr/lib/postgresql/15/bin
PG_DIR="$STATE_DIR/demo-pg"
PG_STARTED=0
SERVER_PID=""
LISTEN="127.0.0.1:${PCS_DEMO_PORT:-50551}"
METRICS_LISTEN="127.0.0.1:${PCS_DEMO_METRICS_PORT:-9564}"
PIN_VERSION=""

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "$PG_STARTED" = 1 ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop > /dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

STEP_NO=0
banner() { STEP_NO=$((STEP_NO + 1)); printf '\n=== %d. %s ===\n' "$STEP_NO" "$*"; }
run_pcs() { "$PCS" "$@"; }
DEMO_START=$(date +%s)

# quiet_step LOG CMD...: runs CMD with its stdout into LOG. The pcs commands
# print their own progress on a terminal (stderr); when stderr is not one
# (a CI log), a line every 15 s says that the step is still running.
quiet_step() {
  local log="$1"; shift
  local t pid e
  t=$(date +%s)
  "$@" > "$log" &
  pid=$!
  if [ ! -t 2 ]; then
    while kill -0 "$pid" 2>/dev/null; do
      sleep 1
      e=$(( $(date +%s) - t ))
      if [ $((e % 15)) = 0 ] && kill -0 "$pid" 2>/dev/null; then
        echo "  ... still running ($e s)" >&2
      fi
    done
  fi
  wait "$pid"
}

step_deps() {
  banner "dependencies"
  if [ "${PCS_SKIP_DEPS:-0}" = 1 ]; then echo "PCS_SKIP_DEPS=1: skipped"; return; fi
  scripts/install_deps.sh
}

step_build() {
  banner "build (${DEMO_TARGETS[*]} only, Release, $BUILD_DIR)"
  local t rc
  t=$(date +%s)
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release > "$LOG_DIR/cmake.txt"
  # The Makefile generator starts lines with "[ 42%]", counted per target
  # (make builds the targets in the order given, so a percentage that drops
  # means the next target): print each new percentage with its target and
  # the time spent so far; everything goes to the log. (A bash loop, not
  # awk: mawk reads a pipe in blocks, which held the lines back for minutes.)
  set +e
  cmake --build "$BUILD_DIR" --target "${DEMO_TARGETS[@]}" -j"${PCS_BUILD_JOBS:-2}" 2>&1 |
    tee "$LOG_DIR/build.txt" | {
      last=-1 i=0
      while IFS= read -r line; do
        if [[ $line =~ ^\[\ *([0-9]+)%\] ]] && [ "${BASH_REMATCH[1]}" != "$last" ]; then
          if [ "${BASH_REMATCH[1]}" -lt "$last" ] && [ $((i + 1)) -lt ${#DEMO_TARGETS[@]} ]; then
            i=$((i + 1))
          fi
          last=${BASH_REMATCH[1]}
          printf 'build %s: %3d%% (%d s)\n' "${DEMO_TARGETS[$i]}" "$last" $(( $(date +%s) - t ))
        fi
      done
    }
  rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" != 0 ]; then tail -40 "$LOG_DIR/build.txt"; return 1; fi
  echo "built in $(( $(date +%s) - t )) s (log: $LOG_DIR/build.txt)"
}

step_database() {
  banner "database + migrations"
  if [ -n "${PCS_DATABASE_URL:-}" ]; then
    echo "using PCS_DATABASE_URL"
  else
    if [ "$FRESH" = 1 ]; then echo "--fresh: deleting $PG_DIR"; rm -rf "$PG_DIR"; fi
    mkdir -p "$PG_DIR/sock"
    if [ "$(id -u)" = 0 ]; then chown -R postgres "$PG_DIR"; fi
    if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
      as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C \
        --no-sync > "$LOG_DIR/initdb.txt"
    fi
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w \
      -o "-k $PG_DIR/sock -c listen_addresses='' -p 54329 -c fsync=off" start > /dev/null
    PG_STARTED=1
    as_pg "$PG_BIN/psql" -h "$PG_DIR/sock" -p 54329 -U postgres -d postgres -qAtc \
      "SELECT 1 FROM pg_database WHERE datname = 'pcs'" | grep -q 1 ||
      as_pg "$PG_BIN/createdb" -h "$PG_DIR/sock" -p 54329 -U postgres pcs
    export PCS_DATABASE_URL="host=$PG_DIR/sock port=54329 user=postgres dbname=pcs"
    echo "throwaway PostgreSQL 15 in $PG_DIR (socket only), stopped when the demo exits"
  fi
  run_pcs migrate
}

step_ingest() {
  banner "ingest $DATA_DIR"
  local t=$(date +%s)
  quiet_step "$LOG_DIR/ingest.txt" run_pcs ingest "$DATA_DIR" ||
    { cat "$LOG_DIR/ingest.txt"; return 1; }
  # Per-file table in the log; totals and rejects on screen.
  sed -n '1p;/^TOTAL/,$p' "$LOG_DIR/ingest.txt"
  echo "(per-file table: $LOG_DIR/ingest.txt; step took $(( $(date +%s) - t )) s)"
}

step_backfill() {
  banner "backfill: detect patterns, label outcomes"
  quiet_step "$LOG_DIR/backfill.txt" run_pcs backfill ||
    { cat "$LOG_DIR/backfill.txt"; return 1; }
  cat "$LOG_DIR/backfill.txt"
}

step_baseline() {
  banner "rule baseline report (vs Bulkowski)"
  run_pcs report baseline --out "$STATE_DIR/reports" > "$LOG_DIR/baseline.txt" ||
    { cat "$LOG_DIR/baseline.txt"; return 1; }
  head -40 "$LOG_DIR/baseline.txt"
  echo "(full table: $LOG_DIR/baseline.txt, JSON in $STATE_DIR/reports)"
}

step_model() {
  banner "model"
  if [ -f "$MODELS_DIR/CHAMPION" ]; then
    echo "serving the committed champion $(cat "$MODELS_DIR/CHAMPION")"
    return
  fi
  local newest
  newest="$(ls -1 "$MODELS_DIR" 2>/dev/null | grep -E '^[0-9]{8}T[0-9]{6}Z$' | tail -1 || true)"
  if [ -z "$newest" ]; then
    echo "no committed model: training one (pcs train)"
    run_pcs train --models-dir "$MODELS_DIR" --reports-dir "$ROOT/reports/phase5" \
      > "$LOG_DIR/train.txt" || { tail -40 "$LOG_DIR/train.txt"; return 1; }
    tail -20 "$LOG_DIR/train.txt"
    [ -f "$MODELS_DIR/CHAMPION" ] && return
    newest="$(ls -1 "$MODELS_DIR" | grep -E '^[0-9]{8}T[0-9]{6}Z$' | tail -1)"
  fi
  PIN_VERSION="$newest"
  echo "NO CHAMPION: no committed model passed the promotion gate. For the demo the"
  echo "server pins the newest committed version, $newest, whose card says:"
  grep -o '"reason": *"[^"]*"' "$MODELS_DIR/$newest/model_card.json" | head -1 || true
}

# The served version's score of every stored pattern (history too), so the
# console's list and its "ML and rule disagree" filter have data.
step_score() {
  banner "pcs score: the served model's score of every stored pattern"
  local args=(--models-dir "$MODELS_DIR")
  if [ -n "$PIN_VERSION" ]; then args+=(--pin-version "$PIN_VERSION"); fi
  quiet_step "$LOG_DIR/score.txt" run_pcs score "${args[@]}" ||
    { cat "$LOG_DIR/score.txt"; return 1; }
  cat "$LOG_DIR/score.txt"
}

step_snapshots() {
  banner "pcs snapshots: the chart of every pattern as of its decision day"
  quiet_step "$LOG_DIR/snapshots.txt" run_pcs snapshots --snapshot-root "$SNAPSHOT_ROOT" ||
    { cat "$LOG_DIR/snapshots.txt"; return 1; }
  cat "$LOG_DIR/snapshots.txt"
}

step_server() {
  banner "pcs-server on $LISTEN (console, REST and /metrics on $METRICS_LISTEN)"
  local args=(--listen "$LISTEN" --metrics-listen "$METRICS_LISTEN" --models-dir "$MODELS_DIR"
              --enable-phase5-confidence --poll-seconds 0 --snapshot-root "$SNAPSHOT_ROOT")
  [ -n "$PIN_VERSION" ] && args+=(--pin-version "$PIN_VERSION")
  "$SERVER" "${args[@]}" > "$LOG_DIR/server.out" 2> "$LOG_DIR/server.log" &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    if "$CLIENT" --server "$LISTEN" health > /dev/null 2>&1; then break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$LOG_DIR/server.log"; return 1; }
    sleep 0.2
  done
  "$CLIENT" --server "$LISTEN" health
  "$CLIENT" --server "$LISTEN" describe | head -20
}

step_scores() {
  banner "real scores with their reasons (3 patterns confirmed in 2018)"
  local ids
  ids=$(psql "$PCS_DATABASE_URL" -qAtc "SELECT id FROM pattern_events WHERE confirmation_date \
        >= '2018-01-01' ORDER BY confirmation_date DESC, id LIMIT 3")
  if [ -z "$ids" ]; then echo "no 2018 patterns in this data"; return; fi
  # shellcheck disable=SC2086
  "$CLIENT" --server "$LISTEN" score --top-k 5 $ids
}

step_metrics() {
  banner "/metrics (excerpt)"
  local page
  page="$(curl -sf "http://$METRICS_LISTEN/metrics")" ||
    { echo "(could not fetch /metrics)"; return; }
  # Non-zero request, fallback and model series only.
  grep -E '^pcs_(requests_total|model_info|fallbacks_total)' <<< "$page" | grep -v ' 0$' || true
}

step_summary() {
  banner "summary"
  run_pcs status
}

# --serve: what to try while everything keeps running; waits for Ctrl-C.
serve_forever() {
  local id grpcurl="" g
  id=$(psql "$PCS_DATABASE_URL" -qAtc "SELECT id FROM pattern_events
       ORDER BY confirmation_date DESC, id LIMIT 1")
  for g in "$BUILD_DIR/tools/grpcurl" "$(command -v grpcurl || true)"; do
    if [ -n "$g" ] && [ -x "$g" ]; then grpcurl="$g"; break; fi
  done
  printf '\n=== serving (the demo took %d s) ===\n' "$(( $(date +%s) - DEMO_START ))"
  echo "Review console:  http://$METRICS_LISTEN/console"
  echo "REST:            curl -s 'http://$METRICS_LISTEN/api/v1/patterns?page_size=3&disagreement=true'"
  echo "                 curl -s 'http://$METRICS_LISTEN/api/v1/patterns/$id/confidence?top_k=5'"
  echo "gRPC:            $CLIENT --server $LISTEN score --top-k 5 $id"
  if [ -n "$grpcurl" ]; then
    echo "                 $grpcurl -plaintext -d '{\"pattern_id\": \"$id\", \"top_k\": 5}' \\"
    echo "                   $LISTEN pcs.v1.PatternConfidence/ScorePattern"
  else
    echo "                 (grpcurl: scripts/install_server_tools.sh $BUILD_DIR installs it)"
  fi
  echo "Database:        psql \"$PCS_DATABASE_URL\""
  echo "Server log:      $LOG_DIR/server.log"
  echo "Stop:            press Ctrl-C (stops pcs-server and the demo's PostgreSQL)"
  wait "$SERVER_PID" || true
}

STEPS=(step_deps step_build step_database step_ingest step_backfill step_baseline
       step_model step_score step_snapshots step_server step_scores step_metrics step_summary)

mkdir -p "$LOG_DIR"
for step in "${STEPS[@]}"; do
  "$step"
done
if [ "$SERVE" = 1 ]; then
  serve_forever
else
  printf '\n=== demo finished in %d s (scripts/demo.sh --serve keeps the console running) ===\n' \
    "$(( $(date +%s) - DEMO_START ))"
fi
