#!/usr/bin/env bash
# Configure + build (Release, into build/) and run every test with ctest.
#   scripts/test.sh            Release build in build/
#   scripts/test.sh --asan     Debug + AddressSanitizer/UBSan in build-asan/
# Extra arguments after the options go to ctest (e.g. -R ingest).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=build
CMAKE_ARGS=(-DCMAKE_BUILD_TYPE=Release)
if [ "${1:-}" = "--asan" ]; then
  shift
  BUILD_DIR=build-asan
  CMAKE_ARGS=(-DCMAKE_BUILD_TYPE=Debug -DPCS_SANITIZE=ON)
  # LeakSanitizer needs ptrace, which containers often forbid.
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
fi
JOBS="${PCS_BUILD_JOBS:-2}"

start=$(date +%s)
cmake -S . -B "$BUILD_DIR" "${CMAKE_ARGS[@]}"
cmake --build "$BUILD_DIR" -j"$JOBS"
echo "test.sh: build took $(( $(date +%s) - start )) s"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 "$@"
echo "test.sh: total $(( $(date +%s) - start )) s"
