#!/usr/bin/env bash
# The pcs pipeline end to end on real data.
#
#   scripts/demo.sh [DATA_DIR] [--fresh]
#
# DATA_DIR defaults to ../shared/data/ohlcv. The database is
# $PCS_DATABASE_URL when set, otherwise an embedded PostgreSQL whose data
# lives in .pcs/pg (kept between runs; --fresh deletes it first). Each `pcs`
# command starts and stops the embedded server itself. Logs go to .pcs/logs/.
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
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
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
DEMO_TARGETS=(pcs)

if [ -z "${PCS_DATABASE_URL:-}" ]; then
  export PCS_EMBEDDED_ROOT="${PCS_EMBEDDED_ROOT:-$STATE_DIR/pg}"
fi

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
  if [ "$FRESH" = 1 ] && [ -n "${PCS_EMBEDDED_ROOT:-}" ]; then
    echo "--fresh: deleting $PCS_EMBEDDED_ROOT"
    rm -rf "$PCS_EMBEDDED_ROOT"
  fi
  if [ -n "${PCS_DATABASE_URL:-}" ]; then
    echo "using PCS_DATABASE_URL"
  else
    echo "embedded PostgreSQL, data in $PCS_EMBEDDED_ROOT"
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

step_5_summary() {
  banner "5. summary"
  run_pcs status
}

STEPS=(step_1_deps step_2_build step_3_database step_4_ingest step_5_summary)

mkdir -p "$LOG_DIR"
for step in "${STEPS[@]}"; do
  "$step"
done
banner "demo finished in $(( $(date +%s) - DEMO_START )) s"
