#!/usr/bin/env bash
# Installs the external tools the server tests and benchmarks drive:
#   grpcurl  -> <build>/tools/grpcurl   (tests/server/server_tools_test)
#   ghz      -> <build>/tools/ghz       (bench/server_bench; only with --ghz)
#   buf      -> <build>/tools/buf       (scripts/check_api.sh: API compatibility)
#   protoc-gen-openapiv2 -> <build>/tools/protoc-gen-openapiv2
#            (scripts/gen_openapi.sh: the OpenAPI document from the proto)
#   Python build, type-check and test tools for the Python client
#   (tests/client/pcs_client_test builds client/python itself)
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
BUF_VERSION=v1.75.0
OPENAPIV2_VERSION=v2.34.0

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  export PATH="$PATH:/usr/local/go/bin"
fi
if command -v go >/dev/null 2>&1; then
  if [ ! -x "$TOOLS/grpcurl" ]; then
    echo "install_server_tools: go install grpcurl@$GRPCURL_VERSION"
    GOBIN="$TOOLS" go install "github.com/fullstorydev/grpcurl/cmd/grpcurl@$GRPCURL_VERSION" \
      || echo "install_server_tools: WARNING grpcurl not installed (server_tools_test will skip)"
  fi
  if [ ! -x "$TOOLS/buf" ]; then
    echo "install_server_tools: go install buf@$BUF_VERSION"
    GOBIN="$TOOLS" go install "github.com/bufbuild/buf/cmd/buf@$BUF_VERSION" \
      || echo "install_server_tools: WARNING buf not installed (scripts/check_api.sh fails)"
  fi
  if [ ! -x "$TOOLS/protoc-gen-openapiv2" ]; then
    echo "install_server_tools: go install protoc-gen-openapiv2@$OPENAPIV2_VERSION"
    GOBIN="$TOOLS" go install "github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2@$OPENAPIV2_VERSION" \
      || echo "install_server_tools: WARNING protoc-gen-openapiv2 not installed (gen_openapi_test fails)"
  fi
  if [ "${2:-}" = "--ghz" ] && [ ! -x "$TOOLS/ghz" ]; then
    echo "install_server_tools: go install ghz@$GHZ_VERSION"
    GOBIN="$TOOLS" go install "github.com/bojand/ghz/cmd/ghz@$GHZ_VERSION" \
      || echo "install_server_tools: WARNING ghz not installed (server_bench skips the load part)"
  fi
else
  echo "install_server_tools: WARNING no go toolchain; grpcurl/buf/protoc-gen-openapiv2/ghz not installed"
fi

# The Python client (client/python) is built, type-checked and tested by
# tests/client/pcs_client_test with the interpreter `python3` on PATH:
# grpcio + grpcio-tools (stubs), googleapis-common-protos (google.api
# annotations the generated module imports), hatchling + mypy-protobuf (its build backend
# and .pyi generator), build (`python3 -m build`), mypy with the grpc and
# protobuf type stubs, pytest. Versions pinned where a newer release could
# change the result (mypy's checks, the generated stubs).
PY_TOOLS=(grpcio grpcio-tools googleapis-common-protos pytest "build==1.6.1" "hatchling==1.33.0"
          "mypy-protobuf==5.1.0" "mypy==2.4.1" "types-grpcio==1.85.0.20261028"
          "types-protobuf==7.35.1.20260906")
if python3 -m pip install -q "${PY_TOOLS[@]}"; then
  echo "install_server_tools: Python tools present ($(python3 --version))"
else
  echo "install_server_tools: WARNING pip install ${PY_TOOLS[*]} failed (the Python client tests will skip)"
fi
exit 0
