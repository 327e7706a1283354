#!/usr/bin/env bash
# Times the newcomer path on a fresh Debian 12: scripts/install_deps.sh, then
# scripts/demo.sh --fresh, in a new container of a minimal bookworm system.
#
#   scripts/time_fresh_demo.sh [DATA_DIR]   (default: ../shared/data)
#
# The container: a working container of docker.io/library/debian:12 (pulled,
# or the mmdebstrap --variant=minbase stand-in that scripts/build_image.sh
# makes when no registry is reachable), run with `buildah run --isolation
# chroot` (see scripts/build_image.sh for why buildah). The repository goes
# in as `git archive HEAD` (committed files only) at /src/pcs, DATA_DIR is
# mounted read-only at /src/shared/data (the demo's ../shared/data/ohlcv),
# and /usr/sbin/policy-rc.d forbids starting services during apt (as in
# Docker's Debian images: the postgresql package would otherwise start a
# cluster on port 5432 of this host, whose network the chroot shares). No
# ccache: every file compiles.
#
# Prints the time of each phase (apt, demo, with the demo's own build time)
# and leaves the logs in a temporary folder it names. Run it with nothing
# else on the machine (on the team machine: under flock /tmp/pcs-cpu.lock).
# Needs root and buildah. The demo's ports: 50951 (gRPC) and 9964 (HTTP).
set -euo pipefail
cd "$(dirname "$0")/.."
data="$(cd "${1:-../shared/data}" && pwd)"
logs=$(mktemp -d /tmp/pcs-fresh-demo.XXXXXX)
ctr=""
cleanup() { [ -n "$ctr" ] && buildah rm "$ctr" >/dev/null 2>&1 || true; }
trap cleanup EXIT

ctr=$(buildah from --pull=never docker.io/library/debian:12 2>/dev/null ||
      buildah from docker.io/library/debian:12)
mnt=$(buildah mount "$ctr")
mkdir -p "$mnt/src/pcs" "$mnt/src/shared/data" "$mnt/logs"
git archive --format=tar HEAD | tar -x -C "$mnt/src/pcs"
printf '#!/bin/sh\nexit 101\n' > "$mnt/usr/sbin/policy-rc.d"
chmod +x "$mnt/usr/sbin/policy-rc.d"
cat > "$mnt/src/run.sh" <<'EOF'
#!/bin/bash
set -uo pipefail
cd /src/pcs
export PCS_DEMO_PORT=50951 PCS_DEMO_METRICS_PORT=9964
t0=$(date +%s)
scripts/install_deps.sh > /logs/apt.txt 2>&1 || { tail -20 /logs/apt.txt; exit 1; }
t1=$(date +%s)
echo "apt (scripts/install_deps.sh): $((t1 - t0)) s"
scripts/demo.sh --fresh > /logs/demo.txt 2>&1 || { tail -40 /logs/demo.txt; exit 1; }
t2=$(date +%s)
echo "scripts/demo.sh --fresh: $((t2 - t1)) s ($(grep -o 'built in [0-9]* s' /logs/demo.txt))"
echo "total: $((t2 - t0)) s"
EOF
chmod +x "$mnt/src/run.sh"
buildah umount "$ctr" >/dev/null
echo "time_fresh_demo: commit $(git rev-parse --short HEAD), $(date -u +%FT%TZ), $(nproc) cores"
buildah run --isolation chroot -v "$data:/src/shared/data:ro" -v "$logs:/logs" \
  "$ctr" -- /src/run.sh
if grep -q "command not found" "$logs/demo.txt"; then
  echo "time_fresh_demo: FAILED: a command the demo uses is not installed:" >&2
  grep "command not found" "$logs/demo.txt" >&2
  exit 1
fi
echo "time_fresh_demo: logs in $logs"
