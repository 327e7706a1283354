#!/usr/bin/env python3
"""Synthetic symbol universe for LOAD TESTS ONLY (bench/user_path_bench.sh).

    bench/gen_synthetic_universe.py SRC_DIR OUT_DIR [--symbols 5000]
        [--years 3] [--seed 20261129] [--block 20]

Writes OUT_DIR/SYN00001.csv .. SYNnnnnn.csv (Yahoo layout) plus a copy of the
real market proxy DIA.csv, so `pcs ingest OUT_DIR && pcs backfill` gives a
universe of several thousand symbols whose bars look like real ones.

How: the trading calendar is DIA's last `--years` years. Each synthetic
symbol picks a real source symbol (seeded), starts at that symbol's close on
the first calendar day, and walks forward by block-bootstrapping: blocks of
`--block` consecutive real daily bars, each block from a random symbol and a
random start inside the same years; a bar contributes its close-to-close
return, its open/high/low relative to its close, and its volume. The output is
a deterministic function of the inputs and the seed (Python's own Mersenne
Twister; no numpy).

NEVER use this data for model quality: the returns are real but reshuffled,
so patterns and outcomes on it mean nothing. It exists to measure the server
on a universe as large as a real platform's (cache sizing, cold symbols, RSS).
"""
import argparse
import csv
import os
import random
import sys


def read_csv(path):
    rows = []
    with open(path, newline="") as f:
        r = csv.reader(f)
        next(r, None)
        for row in r:
            if len(row) != 7:
                continue
            try:
                o, h, l, c, _, v = (float(x) for x in row[1:])
            except ValueError:
                continue
            if not (c > 0 and o > 0 and h > 0 and l > 0 and v >= 0):
                continue
            rows.append((row[0], o, h, l, c, v))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("src")
    ap.add_argument("out")
    ap.add_argument("--symbols", type=int, default=5000)
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20261129)
    ap.add_argument("--block", type=int, default=20)
    a = ap.parse_args()

    dia = read_csv(os.path.join(a.src, "DIA.csv"))
    if not dia:
        sys.exit("gen_synthetic_universe: no DIA.csv in " + a.src)
    last_year = int(dia[-1][0][:4])
    first_day = "%04d-01-01" % (last_year - a.years + 1)
    calendar = [r[0] for r in dia if r[0] >= first_day]

    # Real bars of every source symbol on the calendar window (sorted names,
    # so the result does not depend on directory order).
    sources = []
    for name in sorted(os.listdir(a.src)):
        if not name.endswith(".csv") or name == "DIA.csv":
            continue
        bars = [r for r in read_csv(os.path.join(a.src, name)) if r[0] >= first_day]
        if len(bars) > a.block + 1:
            sources.append(bars)
    if not sources:
        sys.exit("gen_synthetic_universe: no source symbols in " + a.src)

    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(a.seed)
    width = max(5, len(str(a.symbols)))
    for k in range(1, a.symbols + 1):
        start = rng.choice(sources)
        close = start[0][4]
        lines = ["Date,Open,High,Low,Close,Adj Close,Volume"]
        day = 0
        while day < len(calendar):
            src = rng.choice(sources)
            i0 = rng.randrange(1, len(src) - a.block)
            for j in range(i0, i0 + a.block):
                if day >= len(calendar):
                    break
                _, o, h, l, c, v = src[j]
                close = close * c / src[j - 1][4]
                lines.append("%s,%.6g,%.6g,%.6g,%.6g,%.6g,%d" % (
                    calendar[day], close * o / c, close * h / c, close * l / c,
                    close, close, int(v)))
                day += 1
        with open(os.path.join(a.out, "SYN%0*d.csv" % (width, k)), "w") as f:
            f.write("\n".join(lines) + "\n")
    with open(os.path.join(a.src, "DIA.csv")) as f, \
            open(os.path.join(a.out, "DIA.csv"), "w") as g:
        g.write(f.read())
    print("wrote %d synthetic symbols x %d days (%s .. %s) + DIA.csv to %s" % (
        a.symbols, len(calendar), calendar[0], calendar[-1], a.out))


if __name__ == "__main__":
    main()
