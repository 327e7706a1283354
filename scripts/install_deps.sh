#!/usr/bin/env bash
# Installs the Debian 12 packages pcs needs to build, test and run (see
# /work/shared/TOOLCHAIN.md). Idempotent: does nothing (not even
# `apt-get update`) when everything is already installed.
set -euo pipefail

PACKAGES=(
  cmake g++ make pkg-config git
  curl  # scripts/demo.sh: the /metrics excerpt and the REST examples it prints
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libxgboost-dev xgboost libpqxx-dev libspdlog-dev libabsl-dev
  libgtest-dev libgmock-dev libbenchmark-dev postgresql
  libcpp-httplib-dev nlohmann-json3-dev libcli11-dev
  prometheus-cpp-dev  # metrics registry + text serializer (prometheus-cpp::core)
  prometheus nghttp2-client
  clang libclang-rt-14-dev  # scripts/fuzz.sh: libFuzzer + ASan/UBSan runtimes
  # the review console's browser test (tests/server/console_browser_test)
  chromium chromium-driver python3-selenium
  libssl-dev openssl
  clang-format python3  # scripts/check_format.sh, scripts/check_layers.py
  haproxy  # tests/server/load_balancer_test: replicas behind deploy/haproxy/pcs.cfg
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install_deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install_deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
