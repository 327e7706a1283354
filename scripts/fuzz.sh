#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang 14 and
# AddressSanitizer + UndefinedBehaviorSanitizer in build-fuzz/ (CMake option
# PCS_FUZZ=ON), then runs each for PCS_FUZZ_SECONDS seconds (default 30)
# starting from its committed seed corpus tests/fuzz/corpus/<target>/.
# New inputs go to build-fuzz/corpus/<target>/ (not into the repository); a
# crash stops the script non-zero and leaves the input in
# build-fuzz/artifacts/ (fix the bug, then commit the input to the corpus).
#   scripts/fuzz.sh                 build + 5 x 30 s
#   PCS_FUZZ_SECONDS=300 scripts/fuzz.sh csv_reader
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH="${PCS_FUZZ_SECONDS:-30}"
TARGETS=("$@")
if [ "${#TARGETS[@]}" -eq 0 ]; then
  TARGETS=(csv_reader model_card score_inline pattern_id transcoder)
fi
BUILD_DIR=build-fuzz
start=$(date +%s)
CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPCS_FUZZ=ON -DPCS_BUILD_TESTS=OFF -DPCS_BUILD_BENCHMARKS=OFF -DPCS_WERROR=OFF >/dev/null
cmake --build "$BUILD_DIR" -j"${PCS_BUILD_JOBS:-2}" \
  --target "${TARGETS[@]/%/_fuzzer}"
echo "fuzz.sh: build took $(( $(date +%s) - start )) s"

# LeakSanitizer needs ptrace, which containers often forbid.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
for t in "${TARGETS[@]}"; do
  work="$BUILD_DIR/corpus/$t"
  mkdir -p "$work" "$BUILD_DIR/artifacts"
  echo "fuzz.sh: $t for ${SECONDS_EACH} s"
  log="$BUILD_DIR/$t.log"
  rc=0
  "$BUILD_DIR/tests/fuzz/${t}_fuzzer" -max_total_time="$SECONDS_EACH" \
    -max_len=16384 -timeout=10 -rss_limit_mb=2048 -detect_leaks=0 -print_final_stats=1 \
    -artifact_prefix="$BUILD_DIR/artifacts/$t-" "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  grep -E "^(#[0-9]+ +DONE|INFO: seed corpus)|stat::number_of_executed_units|stat::new_units_added" "$log" || true
  if [ "$rc" -ne 0 ]; then
    tail -60 "$log" >&2
    echo "fuzz.sh: $t FAILED (exit $rc; input in $BUILD_DIR/artifacts/)" >&2
    exit 1
  fi
done
echo "fuzz.sh: total $(( $(date +%s) - start )) s"
