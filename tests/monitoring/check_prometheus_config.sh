#!/bin/sh
# Checks deploy/ with the tools this machine has:
#  1. promtool check config prometheus.yml (also loads alerts.yml)
#  2. promtool check rules alerts.yml
#  3. promtool test rules alerts_test.yml (alert unit tests)
#  4. the PromQL of every Grafana panel, wrapped into recording rules and
#     parsed by promtool check rules (needs jq)
#  5. systemd-analyze verify of the units (syntax only; the missing
#     /usr/local/bin binaries are expected and ignored), when available
# Usage: check_prometheus_config.sh <repo>/deploy
set -eu
deploy="$(cd "${1:?usage: $0 DEPLOY_DIR}" && pwd)"
if ! command -v promtool >/dev/null 2>&1; then
  echo "promtool not found on PATH (Debian package: prometheus)" >&2
  exit 1
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

cd "$deploy/prometheus"
echo "== promtool check config prometheus.yml"
promtool check config prometheus.yml
echo "== promtool check rules alerts.yml"
promtool check rules alerts.yml
echo "== promtool test rules alerts_test.yml"
promtool test rules alerts_test.yml

echo "== Grafana panel PromQL (promtool check rules)"
if command -v jq >/dev/null 2>&1; then
  {
    echo "groups:"
    echo "  - name: grafana_panels"
    echo "    rules:"
    jq -r '.panels[].targets[].expr | @json' "$deploy/grafana/pcs_dashboard.json" |
      awk '{ printf "      - record: pcs:panel_%d\n        expr: %s\n", NR, $0 }'
  } > "$tmp/panels.yml"
  panels="$(grep -c 'record:' "$tmp/panels.yml" || true)"
  if [ "$panels" -lt 1 ]; then
    echo "no panel queries extracted from pcs_dashboard.json" >&2
    exit 1
  fi
  promtool check rules "$tmp/panels.yml"
else
  echo "jq not found: panel PromQL NOT checked"
fi

echo "== systemd-analyze verify (syntax only)"
if command -v systemd-analyze >/dev/null 2>&1; then
  out="$(systemd-analyze verify "$deploy"/systemd/*.service "$deploy"/systemd/*.timer 2>&1 || true)"
  bad="$(printf '%s\n' "$out" | grep -v 'is not executable: No such file or directory' | grep -v '^$' || true)"
  if [ -n "$bad" ]; then
    printf '%s\n' "$bad" >&2
    exit 1
  fi
  echo "systemd units parse"
else
  echo "systemd-analyze not found: units NOT checked"
fi
