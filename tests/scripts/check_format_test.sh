#!/usr/bin/env bash
# scripts/check_format.sh passes on the tree and fails on a misformatted file.
set -euo pipefail
src="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$src/scripts/check_format.sh" || fail "the tree is not formatted (scripts/check_format.sh --fix)"

mkdir -p "$tmp/scripts" "$tmp/core"
cp "$src/scripts/check_format.sh" "$tmp/scripts/"
cp "$src/.clang-format" "$tmp/"
printf 'int Add(int a, int b) { return a + b; }\n' > "$tmp/core/good.cc"
printf 'int  Sub( int a,int b ){return a-b;}\n' > "$tmp/core/bad.cc"
git -C "$tmp" init -q && git -C "$tmp" add -A
set +e; out=$("$tmp/scripts/check_format.sh" 2>&1); rc=$?; set -e
[ "$rc" = 1 ] || fail "misformatted file: rc $rc, want 1 ($out)"
grep -qx "core/bad.cc" <<<"$out" || fail "bad.cc not listed: $out"
if grep -qx "core/good.cc" <<<"$out"; then fail "good.cc listed: $out"; fi
"$tmp/scripts/check_format.sh" --fix >/dev/null
"$tmp/scripts/check_format.sh" >/dev/null || fail "--fix did not fix"
echo "check_format_test: passed"
