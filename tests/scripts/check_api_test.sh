#!/usr/bin/env bash
# scripts/check_api.sh (buf breaking, WIRE_JSON) passes on the tree and fails
# on a copy of proto/ with a planted wire break and a planted JSON break.
set -euo pipefail
src="$1"
buf="$2"
[ -x "$buf" ] || { echo "FAIL: no buf at $buf (scripts/install_server_tools.sh <build> installs it)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

BUF="$buf" "$src/scripts/check_api.sh" || fail "proto/ breaks the committed baseline"

# A copy of the repository parts the script reads, in a tree of its own.
mkdir -p "$tmp/scripts"
cp "$src/scripts/check_api.sh" "$tmp/scripts/"
cp -r "$src/proto" "$tmp/proto"
proto="$tmp/proto/pcs/v1/pattern_confidence.proto"
run() { (cd "$tmp" && BUF="$buf" scripts/check_api.sh 2>&1); }

# Adding a field is compatible.
sed -i 's/^message ListModelVersionsRequest {}/message ListModelVersionsRequest { bool include_failed = 1; }/' "$proto"
grep -q "include_failed" "$proto" || fail "could not plant the added field"
out=$(run) || fail "an added field was refused: $out"

# Wire break: a field changes type.
cp "$src/proto/pcs/v1/pattern_confidence.proto" "$proto"
sed -i '0,/^  string pattern_id = 1;/s//  int64 pattern_id = 1;/' "$proto"
set +e; out=$(run); rc=$?; set -e
[ "$rc" = 1 ] || fail "type change: rc $rc, want 1 ($out)"
grep -q 'changed type from "string" to "int64"' <<<"$out" || fail "type change not named: $out"

# JSON break: a field keeps its number and type but changes its name.
cp "$src/proto/pcs/v1/pattern_confidence.proto" "$proto"
sed -i '0,/^  string pattern_id = 1;/s//  string pattern_key = 1;/' "$proto"
set +e; out=$(run); rc=$?; set -e
[ "$rc" = 1 ] || fail "renamed field: rc $rc, want 1 ($out)"
grep -q 'changed option "json_name" from "patternId" to "patternKey"' <<<"$out" || fail "JSON name change not named: $out"
echo "check_api_test: passed"
