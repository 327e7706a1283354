#!/usr/bin/env python3
"""Fails when a source file includes a header from a higher layer.

The layer order of pcs (docs/HEADLESS_ARCHITECTURE.md, "Layers"), lowest
first. A file in folder A may include "B/..." only when B is A itself or B
sits on a strictly lower layer; folders on the same layer are independent of
each other. Includes of third-party headers (absl/, pqxx/, grpcpp/, ...) are
not checked.

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
    ["features", "db", "ingest"],
    ["model", "snapshots", "pipeline"],
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


def violations(root):
    found = []
    for folder in CHECKED:
        top = os.path.join(root, folder)
        for dirpath, _, files in os.walk(top):
            for name in sorted(files):
                if not name.endswith((".cc", ".h")):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8", errors="replace") as f:
                    for number, line in enumerate(f, 1):
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
        print("check_layers: %d include(s) go up a layer; the order is %s" %
              (len(found), " < ".join("/".join(l) for l in LAYERS)),
              file=sys.stderr)
        return 1
    print("check_layers: no include goes up a layer (%s)" %
          " < ".join("/".join(l) for l in LAYERS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
