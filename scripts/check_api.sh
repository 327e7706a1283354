#!/usr/bin/env bash
# Checks that the gRPC/JSON API in proto/ stays compatible: `buf breaking`
# with the WIRE_JSON rules (proto/buf.yaml), so that a change can break
# neither protobuf wire decoding nor the JSON mapping (grpc-gateway style
# clients, `grpcurl -d`, the REST routes' JSON) of existing clients.
#
#   scripts/check_api.sh                     proto/ against the committed
#       baseline image proto/api_baseline.json (the API as of the last
#       CHANGELOG.md release entry) and, when proto/ has uncommitted changes,
#       against git HEAD too
#   scripts/check_api.sh --against INPUT     proto/ against any buf input
#       (an image file, or '.git#ref=<commit>,subdir=proto')
#   scripts/check_api.sh --update-baseline   rewrite proto/api_baseline.json
#       from proto/ (a release step: say why in CHANGELOG.md)
#
# Exit 0: compatible; 1: a breaking change (buf lists each one with its
# file:line); 2: bad usage or no buf. buf is found as $BUF, then
# build/tools/buf (scripts/install_server_tools.sh installs it there), then
# on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

buf="${BUF:-}"
if [ -z "$buf" ]; then
  if [ -x build/tools/buf ]; then buf=build/tools/buf; else buf=$(command -v buf || true); fi
fi
if [ -z "$buf" ] || [ ! -x "$buf" ]; then
  echo "check_api: buf not found (scripts/install_server_tools.sh build installs it; or set BUF)" >&2
  exit 2
fi

baseline=proto/api_baseline.json
mode=check
against=()
case "${1:-}" in
  "") against=("$baseline") ;;
  --against)
    [ $# -eq 2 ] || { echo "usage: scripts/check_api.sh [--against INPUT | --update-baseline]" >&2; exit 2; }
    against=("$2") ;;
  --update-baseline) mode=update ;;
  *) echo "usage: scripts/check_api.sh [--against INPUT | --update-baseline]" >&2; exit 2 ;;
esac

if [ "$mode" = update ]; then
  "$buf" build proto --exclude-source-info -o "$baseline"
  echo "check_api: wrote $baseline from proto/"
  exit 0
fi

if [ $# -eq 0 ] && git rev-parse --git-dir >/dev/null 2>&1 \
    && git rev-parse --verify -q HEAD:proto >/dev/null \
    && ! git diff --quiet HEAD -- proto/pcs; then
  against+=(".git#ref=HEAD,subdir=proto")
fi

status=0
for input in "${against[@]}"; do
  if "$buf" breaking proto --against "$input"; then
    echo "check_api: proto/ is wire- and JSON-compatible with $input"
  else
    echo "check_api: proto/ breaks wire or JSON compatibility with $input (see above)" >&2
    status=1
  fi
done
exit "$status"
