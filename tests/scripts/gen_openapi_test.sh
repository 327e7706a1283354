#!/usr/bin/env bash
# scripts/gen_openapi.sh --check passes on the tree (the committed
# proto/pcs/v1/openapi.json, which pcs-server embeds and serves, is what
# protoc-gen-openapiv2 makes from the proto now), its info.version is the
# project's VERSION, and --check fails on a copy of the tree whose proto
# gained a route the document lacks, or whose VERSION moved.
set -euo pipefail
src="$1"
plugin="$2"
[ -x "$plugin" ] || { echo "FAIL: no protoc-gen-openapiv2 at $plugin (scripts/install_server_tools.sh <build> installs it)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# --check on the copy in $tmp must exit 1; its output is left in $out.
check_copy() {
  local rc=0
  out=$(cd "$tmp" && PROTOC_GEN_OPENAPIV2="$plugin" scripts/gen_openapi.sh --check 2>&1) || rc=$?
  [ "$rc" = 1 ] || fail "$1: rc $rc, want 1 ($out)"
}

PROTOC_GEN_OPENAPIV2="$plugin" "$src/scripts/gen_openapi.sh" --check \
  || fail "proto/pcs/v1/openapi.json is stale"
doc_version=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["info"]["version"])' "$src/proto/pcs/v1/openapi.json")
[ "$doc_version" = "$(head -n 1 "$src/VERSION")" ] \
  || fail "openapi.json info.version '$doc_version' is not VERSION $(head -n 1 "$src/VERSION")"

mkdir -p "$tmp/scripts"
cp "$src/scripts/gen_openapi.sh" "$tmp/scripts/"
cp -r "$src/proto" "$tmp/proto"
cp "$src/VERSION" "$tmp/VERSION"
echo 99.0.0 > "$tmp/VERSION"
check_copy "a moved VERSION"
grep -q '"version": "99.0.0"' <<<"$out" || fail "the diff does not show the new version: $out"
cp "$src/VERSION" "$tmp/VERSION"
proto="$tmp/proto/pcs/v1/pattern_confidence.proto"
python3 - "$proto" <<'PY'
import sys
path = sys.argv[1]
text = open(path).read()
old = "service PatternConfidence {\n"
assert old in text, "service declaration not found"
text = text.replace(old, old + '  rpc Planted(GetServingStatusRequest) returns (GetServingStatusResponse) {\n'
                    '    option (google.api.http) = {\n      get: "/api/v1/planted"\n    };\n  }\n')
open(path, "w").write(text)
PY
check_copy "a planted route"
grep -q '/api/v1/planted' <<<"$out" || fail "the diff does not show the planted route: $out"
grep -q 'is stale' <<<"$out" || fail "no stale message: $out"
(cd "$tmp" && PROTOC_GEN_OPENAPIV2="$plugin" scripts/gen_openapi.sh >/dev/null)
grep -q '"/api/v1/planted"' "$tmp/proto/pcs/v1/openapi.json" || fail "regenerating did not add the route"
echo "gen_openapi_test: passed"
