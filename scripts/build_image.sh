#!/usr/bin/env bash
# Builds deploy/Dockerfile into an OCI image with buildah and smoke-tests it.
#
#   scripts/build_image.sh [TAG]        (default TAG: localhost/pcs:dev)
#
# Why buildah: on the project's machines Docker is absent, and podman's OCI
# runtime (crun) cannot create containers ("cgroups in hybrid mode not
# supported"; `podman run`: "setrlimit RLIMIT_NOFILE: Operation not
# permitted"), while buildah's chroot isolation runs RUN steps. See
# docs/DEPLOY.md, "Building the image here".
#
#  1. Context: `git archive HEAD` (a clean tree: no build/ or .pcs/ folders,
#     which `COPY . .` would otherwise copy). Uncommitted edits are NOT built.
#  2. Bases: debian:12 and debian:12-slim as pulled images when a registry is
#     reachable; otherwise one local stand-in for both, made from Debian's
#     own archive by `mmdebstrap --variant=minbase bookworm` (the slim image
#     is a minbase system too).
#  3. Build: `buildah bud --isolation chroot -f deploy/Dockerfile`.
#  4. Smoke test, in a working container of the image run as its own user:
#     the image's user is 10001:10001 and PCS_MIGRATIONS_DIR holds the
#     migrations; `pcs --version`, `pcs-server --version`,
#     `pcs-client --version` start (every shared library resolves); then
#     pcs-server runs from the image on loopback (host network, the chroot
#     shares it) and answers /healthz and a grpc.health.v1 check from the
#     host's pcs-client.
# Exit 0 when all of it passed; 1 otherwise. Installs buildah and mmdebstrap
# (apt) when missing. Needs root (buildah, mmdebstrap) and the host build of
# pcs-client in build/ (scripts/test.sh) for step 4. CI runs it (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
tag="${1:-localhost/pcs:dev}"
work=$(mktemp -d)
ctr=""
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "${port:-}" ] && pkill -f "pcs-server --listen 127.0.0.1:$port" 2>/dev/null || true
  [ -n "$ctr" ] && buildah rm "$ctr" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
say() { echo "build_image: $*"; }
fail() { echo "build_image: FAILED: $*" >&2; exit 1; }
start=$(date +%s)

if ! command -v buildah >/dev/null || ! command -v mmdebstrap >/dev/null; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  say "installing buildah and mmdebstrap (apt)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    buildah mmdebstrap >/dev/null
fi
command -v git >/dev/null || fail "git not found"

# 1. Context.
git archive --format=tar HEAD | tar -x -C "$work" --one-top-level=context
say "context: git archive of $(git rev-parse --short HEAD)"

# 2. Bases.
if ! buildah inspect --type image docker.io/library/debian:12 >/dev/null 2>&1 \
    || ! buildah inspect --type image docker.io/library/debian:12-slim >/dev/null 2>&1; then
  if buildah pull -q docker.io/library/debian:12 >/dev/null 2>&1 \
      && buildah pull -q docker.io/library/debian:12-slim >/dev/null 2>&1; then
    say "bases pulled from docker.io"
  else
    say "no registry: making the debian:12 stand-in with mmdebstrap (minbase, bookworm)"
    mmdebstrap --quiet --variant=minbase bookworm "$work/debian12.tar"
    base=$(buildah from --name pcs-base-import scratch)
    mnt=$(buildah mount "$base")
    tar -x -C "$mnt" -f "$work/debian12.tar"
    buildah umount "$base" >/dev/null
    buildah config --cmd /bin/bash "$base"
    buildah commit -q "$base" docker.io/library/debian:12 >/dev/null
    buildah tag docker.io/library/debian:12 docker.io/library/debian:12-slim
    buildah rm "$base" >/dev/null
    rm -f "$work/debian12.tar"
  fi
fi

# 3. Build.
build_start=$(date +%s)
commit=$(git rev-parse --short HEAD)
buildah bud --quiet --isolation chroot --pull=never --layers \
  --build-arg PCS_GIT_COMMIT="$commit" \
  -f "$work/context/deploy/Dockerfile" -t "$tag" "$work/context" >"$work/bud.log" 2>&1 \
  || { tail -40 "$work/bud.log" >&2; fail "buildah bud (log above)"; }
say "built $tag in $(( $(date +%s) - build_start )) s, $(buildah images --format '{{.Size}}' "$tag" | head -1)"

# 4. Smoke test.
user=$(buildah inspect --type image --format '{{.OCIv1.Config.User}}' "$tag")
[ "$user" = "10001:10001" ] || fail "image user is '$user', want 10001:10001"
envs=$(buildah inspect --type image --format '{{.OCIv1.Config.Env}}' "$tag")
grep -q "PCS_MIGRATIONS_DIR=/usr/local/share/pcs-migrations" <<<"$envs" \
  || fail "PCS_MIGRATIONS_DIR not set: $envs"
ctr=$(buildah from --pull=never "$tag")
run() { buildah run --isolation chroot --user 10001:10001 "$ctr" -- "$@"; }
run ls /usr/local/share/pcs-migrations | grep -q '^0001_' || fail "no migrations in the image"
for bin in pcs pcs-server pcs-client; do
  out=$(run "/usr/local/bin/$bin" --version) || fail "$bin --version: $out"
  grep -q "(commit $commit)" <<<"$out" || fail "$bin --version says '$out', want commit $commit"
  say "image: $out"
done

client=build/client/pcs-client
[ -x "$client" ] || fail "$client not built (scripts/test.sh builds it)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run /usr/local/bin/pcs-server --listen "127.0.0.1:$port" --metrics-listen "127.0.0.1:$mport" \
  --database-url "host=/nonexistent dbname=none connect_timeout=1" \
  --models-dir /var/lib/pcs/models/phase5 --warmup-seconds 0 >"$work/server.log" 2>&1 &
server_pid=$!
ok=""
for _ in $(seq 1 100); do
  if python3 - "$mport" <<'EOF' 2>/dev/null; then ok=1; break; fi
import sys, urllib.request
sys.exit(0 if urllib.request.urlopen("http://127.0.0.1:%s/healthz" % sys.argv[1], timeout=1).read() == b"ok\n" else 1)
EOF
  sleep 0.2
done
[ -n "$ok" ] || { cat "$work/server.log" >&2; fail "pcs-server from the image never answered /healthz"; }
health=$("$client" --server "127.0.0.1:$port" health 2>&1) \
  || { cat "$work/server.log" >&2; fail "grpc health check: $health"; }
say "pcs-server from the image: /healthz ok; pcs-client health: $health"
pkill -TERM -f "pcs-server --listen 127.0.0.1:$port" || true
wait "$server_pid" || true
server_pid=""
say "passed in $(( $(date +%s) - start )) s"
