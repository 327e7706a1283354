#!/usr/bin/env bash
# scripts/check_layers.py passes on the tree and fails on planted violations.
set -euo pipefail
src="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# refused WHAT PATTERN...: the check must fail on $tmp and name each PATTERN.
refused() {
  local what=$1 out rc pattern
  shift
  set +e; out=$(python3 "$src/scripts/check_layers.py" --root "$tmp" 2>&1); rc=$?; set -e
  [ "$rc" = 1 ] || fail "$what: rc $rc, want 1"
  for pattern in "$@"; do
    grep -q "$pattern" <<<"$out" || fail "$what: '$pattern' not in: $out"
  done
}

python3 "$src/scripts/check_layers.py" --root "$src" || fail "the tree itself violates the layer order"

mkdir -p "$tmp/core" "$tmp/lifecycle" "$tmp/features" "$tmp/db" "$tmp/server"
printf '#include "core/bar.h"\n#include "absl/status/status.h"\n' > "$tmp/lifecycle/ok.h"
printf '#include "lifecycle/ok.h"\n#include "pcs/v1/pattern_confidence.pb.h"\n' > "$tmp/server/ok.cc"
python3 "$src/scripts/check_layers.py" --root "$tmp" || fail "a clean tree was refused"

# Up a layer: core must not include server.
printf '// x\n#include "server/ok.h"\n' > "$tmp/core/up.cc"
refused "include up a layer" "core/up.cc:2: core (layer 0) includes server/"
rm "$tmp/core/up.cc"

# Sideways on one layer: features and db are independent.
printf '#include "db/x.h"\n' > "$tmp/features/side.h"
refused "include within a layer" "features/side.h:1"
rm "$tmp/features/side.h"

# ingest may use db/ (it writes through db/ingest_store.h), not the reverse.
mkdir -p "$tmp/ingest"
printf '#include "db/ingest_store.h"\n' > "$tmp/ingest/ok.cc"
python3 "$src/scripts/check_layers.py" --root "$tmp" || fail "ingest -> db was refused"
printf '#include "ingest/ingester.h"\n' > "$tmp/db/up.cc"
refused "db -> ingest" "db/up.cc:1: db (layer 2) includes ingest/"
rm "$tmp/db/up.cc"

# SQL and libpqxx belong in db/ (and tests/): the same lines pass there.
sql='  tx.exec("SELECT id FROM pattern_events WHERE symbol = $1");'
printf '#include "pqxx/pqxx"\nvoid F(pqxx::work& tx) {\n%s\n}\n' "$sql" > "$tmp/db/store.cc"
mkdir -p "$tmp/tests"
cp "$tmp/db/store.cc" "$tmp/tests/fixture.cc"
# Words that only look like SQL, comments and an explicit sql-ok pass.
cat > "$tmp/server/words.cc" <<'CC'
// Runs SELECT ... FROM pattern_events through db/ (a comment is not code).
const char* kHelp = "Files per transaction (one COPY + one upsert each)";
const char* kTitle = "Select a pattern";  // not capitals: not SQL
// check_layers: sql-ok (shown to the user)
const char* kHint = "details: SELECT * FROM ingest_rejects WHERE run_id = ";
CC
python3 "$src/scripts/check_layers.py" --root "$tmp" || fail "SQL in db/ or tests/, or SQL-like words, were refused"

printf 'const char* kSql =\n    "INSERT INTO price_bars (symbol) VALUES ($1)";\n' > "$tmp/server/sql.cc"
refused "SQL text in server/" "server/sql.cc:2: SQL text outside db/"
rm "$tmp/server/sql.cc"

printf '#include <pqxx/pqxx>\nvoid G(pqxx::connection& c);\n' > "$tmp/lifecycle/conn.h"
refused "pqxx in lifecycle/" "lifecycle/conn.h:1: libpqxx outside db/" "lifecycle/conn.h:2: libpqxx outside db/"
rm "$tmp/lifecycle/conn.h"

# An allow-list entry whose file is clean is itself an error. The real list
# is empty, so the entry is planted in a copy of the script.
sed 's|^DATABASE_ALLOWED = {}$|DATABASE_ALLOWED = {"server/scoring_engine.cc": "planted"}|' \
  "$src/scripts/check_layers.py" > "$tmp/planted_check_layers.py"
grep -q '"planted"' "$tmp/planted_check_layers.py" || fail "could not plant an allow-list entry"
printf '// clean now\n' > "$tmp/server/scoring_engine.cc"
set +e; out=$(python3 "$tmp/planted_check_layers.py" --root "$tmp" 2>&1); rc=$?; set -e
[ "$rc" = 1 ] || fail "stale allow-list entry: rc $rc, want 1"
grep -q "server/scoring_engine.cc: allowed to use SQL/libpqxx" <<<"$out" ||
  fail "stale allow-list entry not named in: $out"
echo "check_layers_test: passed"
