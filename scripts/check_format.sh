#!/usr/bin/env bash
# Checks that the C++ sources follow .clang-format (Google style).
#
#   scripts/check_format.sh          list files clang-format would change; exit 1 if any
#   scripts/check_format.sh --fix    rewrite them in place
#
# Covers the C++ files git tracks (*.cc, *.h), except vendored code under
# third_party/ and fuzz corpora. Uses $CLANG_FORMAT (default clang-format).
set -euo pipefail
cd "$(dirname "$0")/.."
clang_format="${CLANG_FORMAT:-clang-format}"
fix=0
case "${1:-}" in
  --fix) fix=1 ;;
  "") ;;
  *) echo "usage: scripts/check_format.sh [--fix]" >&2; exit 2 ;;
esac
command -v "$clang_format" >/dev/null || {
  echo "check_format: $clang_format not found (apt-get install clang-format)" >&2
  exit 2
}
mapfile -t files < <(git ls-files '*.cc' '*.h' | grep -v -e '^third_party/' -e '/corpus/' || true)
if [ "$fix" = 1 ]; then
  "$clang_format" -i --style=file "${files[@]}"
  echo "check_format: formatted ${#files[@]} files"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  if ! "$clang_format" --style=file --dry-run --Werror "$f" >/dev/null 2>&1; then
    bad+=("$f")
  fi
done
if [ "${#bad[@]}" -gt 0 ]; then
  printf '%s\n' "${bad[@]}"
  echo "check_format: ${#bad[@]} of ${#files[@]} files differ from .clang-format (run scripts/check_format.sh --fix)" >&2
  exit 1
fi
echo "check_format: ${#files[@]} files follow .clang-format"
