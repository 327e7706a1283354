#!/usr/bin/env bash
# Generates the OpenAPI (Swagger 2.0) document of the REST routes from the
# proto: protoc with grpc-ecosystem's protoc-gen-openapiv2 over
# proto/pcs/v1/pattern_confidence.proto (its google.api.http options and
# comments) into proto/pcs/v1/openapi.json, the file pcs-server embeds and
# serves at GET /api/v1/openapi.json.
#
#   scripts/gen_openapi.sh            rewrite proto/pcs/v1/openapi.json
#   scripts/gen_openapi.sh --check    exit 1 when the committed file differs
#                                     from what the generator makes now
#
# The plugin is $PROTOC_GEN_OPENAPIV2, else build/tools/protoc-gen-openapiv2
# (scripts/install_server_tools.sh installs it there), else on PATH; protoc
# is $PROTOC or `protoc` on PATH. Exit 2: no plugin or no protoc.
# Options: field names as in the proto (the transcoder's JSON keeps them),
# definitions named without the package prefix, no default error response
# (pcs answers errors with its own body, docs/REST.md "Errors"), and
# info.version from VERSION (the version of the binaries and the Python
# package; the proto carries none), so a VERSION bump makes --check fail
# until the document is regenerated.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=write
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  *) echo "usage: scripts/gen_openapi.sh [--check]" >&2; exit 2 ;;
esac

plugin="${PROTOC_GEN_OPENAPIV2:-}"
if [ -z "$plugin" ]; then
  if [ -x build/tools/protoc-gen-openapiv2 ]; then
    plugin=build/tools/protoc-gen-openapiv2
  else
    plugin=$(command -v protoc-gen-openapiv2 || true)
  fi
fi
if [ -z "$plugin" ] || [ ! -x "$plugin" ]; then
  echo "gen_openapi: protoc-gen-openapiv2 not found (scripts/install_server_tools.sh build installs it; or set PROTOC_GEN_OPENAPIV2)" >&2
  exit 2
fi
protoc="${PROTOC:-protoc}"
command -v "$protoc" >/dev/null || { echo "gen_openapi: $protoc not found" >&2; exit 2; }

version=$(head -n 1 VERSION)
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "gen_openapi: VERSION '$version' is not X.Y.Z" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/openapi_config.yaml" <<YAML
openapiOptions:
  file:
    - file: pcs/v1/pattern_confidence.proto
      option:
        info:
          title: pcs/v1/pattern_confidence.proto
          version: "$version"
YAML
mkdir "$tmp/out"
"$protoc" -Iproto \
  --plugin=protoc-gen-openapiv2="$plugin" \
  --openapiv2_out="$tmp/out" \
  --openapiv2_opt=openapi_configuration="$tmp/openapi_config.yaml" \
  --openapiv2_opt=Mpcs/v1/pattern_confidence.proto=example.invalid/pcs/v1 \
  --openapiv2_opt=json_names_for_fields=false,openapi_naming_strategy=simple,disable_default_errors=true \
  pcs/v1/pattern_confidence.proto
generated="$tmp/out/pcs/v1/pattern_confidence.swagger.json"
target=proto/pcs/v1/openapi.json

if [ "$mode" = check ]; then
  if cmp -s "$generated" "$target"; then
    echo "gen_openapi: $target is what $(basename "$plugin") makes from the proto"
    exit 0
  fi
  diff -u "$target" "$generated" | head -40 >&2 || true
  echo "gen_openapi: $target is stale: run scripts/gen_openapi.sh" >&2
  exit 1
fi
cp "$generated" "$target"
echo "gen_openapi: wrote $target"
