#!/usr/bin/env bash
# Runs every <!-- doc-command --> block of README.md and docs/*.md as written
# (tests/docs/run_doc_commands.py), after proving on a planted doc that the
# runner refuses a command that fails and a marker without a block.
set -euo pipefail
src="$1"
build="$2"
runner="$src/tests/docs/run_doc_commands.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

printf '# t\n\n<!-- doc-command -->\n```\ntrue\n```\n\n<!-- doc-command: /nowhere => $DOC_TMP -->\n```\nls /nowhere\npcs --no-such-flag\n```\n' > "$tmp/planted.md"
set +e; out=$(python3 "$runner" --root "$src" --build "$build" "$tmp/planted.md" 2>&1); rc=$?; set -e
[ "$rc" = 1 ] || fail "a failing block: rc $rc, want 1 ($out)"
grep -q "^ok .*planted.md:3" <<<"$out" || fail "the passing block was not run: $out"
grep -q "^FAIL .*planted.md:8: exit" <<<"$out" || fail "the failing block was not named: $out"

printf '<!-- doc-command -->\nnot a fence\n' > "$tmp/nofence.md"
set +e; out=$(python3 "$runner" --root "$src" --build "$build" "$tmp/nofence.md" 2>&1); rc=$?; set -e
[ "$rc" = 1 ] || fail "a marker without a block: rc $rc, want 1 ($out)"

python3 "$runner" --root "$src" --build "$build"
