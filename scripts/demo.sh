#!/usr/bin/env bash
# The pcs pipeline end to end on real data.
#
#   scripts/demo.sh [DATA_DIR] [--fresh]
#
# DATA_DIR defaults to ../shared/data/ohlcv. The database is
# $PCS_DATABASE_URL when set, otherwise a throwaway PostgreSQL cluster that
# this script starts in .pcs/demo-pg (Unix socket only, never port 5432) and
# stops on exit; --fresh deletes its data first. Logs go to .pcs/logs/.
#
# Steps: deps, build, database, ingest, backfill, baseline report, model
# (the committed CHAMPION, else the newest committed version pinned and
# labelled as such, else a fresh `pcs train`), pcs-server, a few real scores
# with their feature contributions, /metrics, shutdown.
#
# Adding a step: write a function step_<n>_<name> below and append its name
# to STEPS (keep the numbering); use `run_pcs <subcommand> ...`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

DATA_DIR="$ROOT/../shared/data/ohlcv"
FRESH=0
for arg in "$@"; do
  case "$arg" in
    --fresh) FRESH=1 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
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

banner() { printf '\n=== %s ===\n' "$*"; }
run_pcs() { "$PCS" "$@"; }
DEMO_START=$(date +%s)

step_1_deps() {
  banner "1. dependencies"
  scripts/install_deps.sh
}

step_2_build() {
  banner "2. build (${DEMO_TARGETS[*]}, Release, $BUILD_DIR)"
  local t=$(date +%s)
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release > "$LOG_DIR/cmake.txt"
  cmake --build "$BUILD_DIR" --target "${DEMO_TARGETS[@]}" -j"${PCS_BUILD_JOBS:-2}" \
    > "$LOG_DIR/build.txt" || { tail -40 "$LOG_DIR/build.txt"; return 1; }
  echo "built in $(( $(date +%s) - t )) s"
}

step_3_database() {
  banner "3. database + migrations"
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

step_4_ingest() {
  banner "4. ingest $DATA_DIR"
  local t=$(date +%s)
  run_pcs ingest "$DATA_DIR" > "$LOG_DIR/ingest.txt" ||
    { cat "$LOG_DIR/ingest.txt"; return 1; }
  # Per-file table in the log; totals and rejects on screen.
  sed -n '1p;/^TOTAL/,$p' "$LOG_DIR/ingest.txt"
  echo "(per-file table: $LOG_DIR/ingest.txt; step took $(( $(date +%s) - t )) s)"
}

step_5_backfill() {
  banner "5. backfill: detect patterns, label outcomes"
  run_pcs backfill > "$LOG_DIR/backfill.txt" || { cat "$LOG_DIR/backfill.txt"; return 1; }
  cat "$LOG_DIR/backfill.txt"
}

step_6_baseline() {
  banner "6. rule baseline report (vs Bulkowski)"
  run_pcs report baseline --out "$STATE_DIR/reports" > "$LOG_DIR/baseline.txt" ||
    { cat "$LOG_DIR/baseline.txt"; return 1; }
  head -40 "$LOG_DIR/baseline.txt"
  echo "(full table: $LOG_DIR/baseline.txt, JSON in $STATE_DIR/reports)"
}

step_7_model() {
  banner "7. model"
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

step_8_server() {
  banner "8. pcs-server on $LISTEN (metrics on $METRICS_LISTEN)"
  local args=(--listen "$LISTEN" --metrics-listen "$METRICS_LISTEN" --models-dir "$MODELS_DIR"
              --enable-phase5-confidence --poll-seconds 0)
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

step_9_scores() {
  banner "9. real scores with contributions (3 patterns confirmed in 2018)"
  local ids
  ids=$(psql "$PCS_DATABASE_URL" -qAtc "SELECT id FROM pattern_events WHERE confirmation_date \
        >= '2018-01-01' ORDER BY confirmation_date DESC, id LIMIT 3")
  if [ -z "$ids" ]; then echo "no 2018 patterns in this data"; return; fi
  # shellcheck disable=SC2086
  "$CLIENT" --server "$LISTEN" score --top-k 5 $ids
}

step_10_metrics() {
  banner "10. /metrics (excerpt)"
  local page
  page="$(curl -sf "http://$METRICS_LISTEN/metrics")" ||
    { echo "(could not fetch /metrics)"; return; }
  # Non-zero request, fallback and model series only.
  grep -E '^pcs_(requests_total|model_info|fallbacks_total)' <<< "$page" | grep -v ' 0$' || true
}

step_11_summary() {
  banner "11. summary"
  run_pcs status
}

STEPS=(step_1_deps step_2_build step_3_database step_4_ingest step_5_backfill step_6_baseline
       step_7_model step_8_server step_9_scores step_10_metrics step_11_summary)

mkdir -p "$LOG_DIR"
for step in "${STEPS[@]}"; do
  "$step"
done
banner "demo finished in $(( $(date +%s) - DEMO_START )) s"
