#!/usr/bin/env python3
"""Fails when a source file includes a header from a higher layer, or uses
libpqxx or holds SQL text outside db/.

The layer order of pcs (docs/HEADLESS_ARCHITECTURE.md, "Layers"), lowest
first. A file in folder A may include "B/..." only when B is A itself or B
sits on a strictly lower layer; folders on the same layer are independent of
each other. Includes of third-party headers (absl/, pqxx/, grpcpp/, ...) are
not checked.

Database access: every SQL statement and every use of libpqxx lives in db/
(tests/ and bench/ may use them to set up and inspect data). Elsewhere a
line fails when its code (comments stripped) names `pqxx` or holds a string
literal that reads as SQL (SELECT ..., INSERT INTO, UPDATE x SET, DELETE
FROM, COPY x FROM/TO/(, CREATE/DROP TABLE|INDEX|DATABASE, TRUNCATE, ALTER
TABLE; keywords in capitals, as pcs writes SQL). A line that shows SQL to a
user without running it says so with the comment `check_layers: sql-ok` on
that line or the one above.

  scripts/check_layers.py [--root DIR]   exit 0: no violation; 1: violations
                                         listed as file:line; 2: bad usage
"""

import argparse
import os
import re
import sys

# Each inner list is one layer; a layer may use every layer above it here.
LAYERS = [
    ["core"],
    ["lifecycle"],
    ["features", "db"],
    ["ingest", "model", "snapshots"],  # ingest writes through db/ingest_store
    ["pipeline"],  # ingest + backfill jobs
    ["monitoring"],
    ["training"],
    ["pcs"],  # the generated gRPC/protobuf headers (pcs/v1/*.pb.h) from proto/
    ["server", "cli", "client"],
    ["tests"],  # tests/test_util: the real PostgreSQL and data fixtures
    ["bench"],  # benchmarks reuse tests/test_util
]
RANK = {folder: rank for rank, layer in enumerate(LAYERS) for folder in layer}
# Folders whose sources are checked; "pcs" is only ever included (generated).
CHECKED = [folder for folder in RANK if folder != "pcs"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"/]+)/')

# Folders that may hold SQL and use libpqxx.
DATABASE_FOLDERS = {"db", "tests", "bench"}
# Files outside those folders that still do, each with the reason and the
# change that removes it. Remove an entry when its file is clean (a stale
# entry is reported as an error, so the list cannot outlive its reason).
DATABASE_ALLOWED = {}
PQXX = re.compile(r"\bpqxx\b")
STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
SQL = re.compile(
    r"\b(?:SELECT\s+[\w*(]|INSERT\s+INTO\b|UPDATE\s+\w+\s+SET\b|"
    r"DELETE\s+FROM\b|COPY\s+\w+\s*(?:\(|FROM\b|TO\b)|"
    r"(?:CREATE|DROP)\s+(?:TEMP\s+|TEMPORARY\s+|UNIQUE\s+)?"
    r"(?:TABLE|INDEX|DATABASE|VIEW)\b|TRUNCATE\s+\w|ALTER\s+TABLE\b)")
SQL_OK = "check_layers: sql-ok"


def code_of(line):
    """`line` without its // comment (a // inside a string literal stays)."""
    in_string = False
    i = 0
    while i < len(line):
        c = line[i]
        if in_string:
            if c == "\\":
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif line.startswith("//", i):
            return line[:i]
        i += 1
    return line


def database_violations(path, rel, lines):
    found = []
    previous = ""
    for number, line in enumerate(lines, 1):
        code = code_of(line)
        stripped = code.strip()
        if PQXX.search(code):
            found.append("%s:%d: libpqxx outside db/: %s" %
                         (rel, number, stripped[:80]))
        elif SQL_OK not in line and SQL_OK not in previous and any(
                SQL.search(s) for s in STRING.findall(code)):
            found.append("%s:%d: SQL text outside db/: %s" %
                         (rel, number, stripped[:80]))
        previous = line
    return found


def violations(root):
    found = []
    allowed_dirty = set()
    for folder in CHECKED:
        top = os.path.join(root, folder)
        for dirpath, _, files in os.walk(top):
            for name in sorted(files):
                if not name.endswith((".cc", ".h")):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root).replace(os.sep, "/")
                with open(path, encoding="utf-8", errors="replace") as f:
                    lines = f.read().splitlines()
                if folder not in DATABASE_FOLDERS:
                    db_found = database_violations(path, rel, lines)
                    if rel in DATABASE_ALLOWED:
                        allowed_dirty.update([rel] if db_found else [])
                    else:
                        found.extend(db_found)
                for number, line in enumerate(lines, 1):
                    match = INCLUDE.match(line)
                    if not match:
                        continue
                    target = match.group(1)
                    if target == folder or target not in RANK:
                        continue
                    if RANK[target] >= RANK[folder]:
                        found.append(
                            "%s:%d: %s (layer %d) includes %s/ (layer %d)"
                            % (os.path.relpath(path, root), number, folder,
                               RANK[folder], target, RANK[target]))
    # A stale entry: the file is clean now, or (in the repository itself,
    # not in a test tree) gone.
    repository = os.path.exists(os.path.join(root, "scripts", "check_layers.py"))
    for rel in sorted(DATABASE_ALLOWED):
        exists = os.path.exists(os.path.join(root, rel))
        if rel not in allowed_dirty and (exists or repository):
            found.append("%s: allowed to use SQL/libpqxx (%s) but it no longer "
                         "does: remove it from DATABASE_ALLOWED in "
                         "scripts/check_layers.py" % (rel, DATABASE_ALLOWED[rel]))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), ".."))
    args = parser.parse_args()
    if not os.path.isdir(os.path.join(args.root, "core")):
        print("check_layers: %s has no core/ folder" % args.root,
              file=sys.stderr)
        return 2
    found = violations(args.root)
    for line in found:
        print(line)
    if found:
        print("check_layers: %d violation(s); the order is %s, and SQL and "
              "libpqxx belong in db/" %
              (len(found), " < ".join("/".join(l) for l in LAYERS)),
              file=sys.stderr)
        return 1
    print("check_layers: no include goes up a layer (%s); no SQL or libpqxx "
          "outside db/, tests/, bench/ (%d file(s) allowed for now: %s)" %
          (" < ".join("/".join(l) for l in LAYERS), len(DATABASE_ALLOWED),
           ", ".join(sorted(DATABASE_ALLOWED)) or "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
