#!/usr/bin/env bash
# Installs the external tools the server tests and benchmarks drive:
#   grpcurl  -> <build>/tools/grpcurl   (tests/server/server_tools_test)
#   ghz      -> <build>/tools/ghz       (bench/server_bench; only with --ghz)
#   Python client + grpcio + pytest     (tests/client/pcs_client_test)
# Go programs come from the Go module proxy (`go install`), Python packages
# from PyPI. Idempotent. Never fails the caller: a tool that cannot be
# installed makes its test skip with a message saying so.
#
#   scripts/install_server_tools.sh [build-dir] [--ghz]
set -uo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR="${1:-build}"
mkdir -p "$BUILD_DIR/tools"
TOOLS="$(cd "$BUILD_DIR/tools" && pwd)"
GRPCURL_VERSION=v1.9.1
GHZ_VERSION=v0.120.0

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  export PATH="$PATH:/usr/local/go/bin"
fi
if command -v go >/dev/null 2>&1; then
  if [ ! -x "$TOOLS/grpcurl" ]; then
    echo "install_server_tools: go install grpcurl@$GRPCURL_VERSION"
    GOBIN="$TOOLS" go install "github.com/fullstorydev/grpcurl/cmd/grpcurl@$GRPCURL_VERSION" \
      || echo "install_server_tools: WARNING grpcurl not installed (server_tools_test will skip)"
  fi
  if [ "${2:-}" = "--ghz" ] && [ ! -x "$TOOLS/ghz" ]; then
    echo "install_server_tools: go install ghz@$GHZ_VERSION"
    GOBIN="$TOOLS" go install "github.com/bojand/ghz/cmd/ghz@$GHZ_VERSION" \
      || echo "install_server_tools: WARNING ghz not installed (server_bench skips the load part)"
  fi
else
  echo "install_server_tools: WARNING no go toolchain; grpcurl/ghz not installed"
fi

if python3 -c 'import grpc, grpc_tools, pytest' >/dev/null 2>&1; then
  echo "install_server_tools: grpcio, grpcio-tools, pytest present"
else
  python3 -m pip install -q grpcio grpcio-tools pytest \
    || echo "install_server_tools: WARNING pip install grpcio grpcio-tools pytest failed"
fi
# Builds the stubs from proto/ into client/python/pcs_client/_generated and
# installs the package (the test imports it from the source folder).
python3 -m pip install -q ./client/python \
  || echo "install_server_tools: WARNING the Python client did not install (its test will skip)"
exit 0
