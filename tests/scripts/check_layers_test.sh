#!/usr/bin/env bash
# scripts/check_layers.py passes on the tree and fails on planted violations.
set -euo pipefail
src="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

python3 "$src/scripts/check_layers.py" --root "$src" || fail "the tree itself violates the layer order"

mkdir -p "$tmp/core" "$tmp/lifecycle" "$tmp/features" "$tmp/db" "$tmp/server"
printf '#include "core/bar.h"\n#include "absl/status/status.h"\n' > "$tmp/lifecycle/ok.h"
printf '#include "lifecycle/ok.h"\n#include "pcs/v1/pattern_confidence.pb.h"\n' > "$tmp/server/ok.cc"
python3 "$src/scripts/check_layers.py" --root "$tmp" || fail "a clean tree was refused"

# Up a layer: core must not include server.
printf '// x\n#include "server/ok.h"\n' > "$tmp/core/up.cc"
set +e; out=$(python3 "$src/scripts/check_layers.py" --root "$tmp" 2>&1); rc=$?; set -e
[ "$rc" = 1 ] || fail "include up a layer: rc $rc, want 1"
grep -q "core/up.cc:2: core (layer 0) includes server/" <<<"$out" || fail "no file:line in: $out"
rm "$tmp/core/up.cc"

# Sideways on one layer: features and db are independent.
printf '#include "db/x.h"\n' > "$tmp/features/side.h"
set +e; out=$(python3 "$src/scripts/check_layers.py" --root "$tmp" 2>&1); rc=$?; set -e
[ "$rc" = 1 ] || fail "include within a layer: rc $rc, want 1"
grep -q "features/side.h:1" <<<"$out" || fail "sideways include not named: $out"
echo "check_layers_test: passed"
