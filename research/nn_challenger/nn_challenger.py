#!/usr/bin/python3
"""Small neural-network challenger on the SAME walk-forward rows as `pcs train`.

Input: the CSV written by `pcs train --export-folds DIR` (DIR/folds.csv: every
walk-forward window's train / validation / test rows with the 99 features,
labels, rule confidence and the chosen GBM's out-of-sample probability), and
the OHLCV folder the rows were built from (for the price window).

Model: a 1-D CNN over the normalised last WINDOW bars before (and including)
the confirmation day (log close relative to the confirmation close in units of
the 20-bar return stdev, high/low range, log volume ratio) plus a small MLP
over the tabular features (standardised on the window's train rows, NaN -> 0
plus a missing flag). Per window: fit on train, early stopping on validation
log loss, isotonic calibration on validation, score test. The test periods are
never used to choose anything.

Output: pooled out-of-sample precision at matched coverage and lift vs the
rule, with a symbol bootstrap, for the NN and for the GBM on the same rows;
per-fold figures; training time. Written to stdout and --out (JSON).
"""
import argparse
import csv
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

WINDOW = 64


def load_rows(path):
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    meta_cols = header.index("gbm_probability") + 1
    names = header[meta_cols:]

    def num(v):
        return float(v) if v != "" else float("nan")

    out = []
    for r in rows:
        out.append({
            "window": r[0], "part": r[1], "id": r[2], "symbol": r[3], "type": r[4],
            "day": r[5], "label": int(r[6]), "rule": num(r[7]), "analytic": num(r[8]),
            "type_rate": num(r[9]), "gbm": num(r[10]),
            "x": np.array([num(v) for v in r[meta_cols:]], dtype=np.float32),
        })
    return out, names


def load_bars(folder, symbol, cache):
    if symbol in cache:
        return cache[symbol]
    days, close, high, low, vol = [], [], [], [], []
    with open(os.path.join(folder, symbol + ".csv"), newline="") as f:
        reader = csv.DictReader(f)
        for r in reader:
            try:
                c, h, l, v = float(r["Close"]), float(r["High"]), float(r["Low"]), float(r["Volume"])
            except (ValueError, KeyError, TypeError):
                continue
            if not (c > 0 and h > 0 and l > 0):
                continue
            days.append(r["Date"])
            close.append(c); high.append(h); low.append(l); vol.append(max(v, 0.0))
    bars = (np.array(days), np.array(close), np.array(high), np.array(low), np.array(vol))
    cache[symbol] = bars
    return bars


def price_window(bars, day):
    """4 x WINDOW channels ending at the confirmation day (causal)."""
    days, close, high, low, vol = bars
    t = int(np.searchsorted(days, day, side="right")) - 1
    out = np.zeros((4, WINDOW), dtype=np.float32)
    if t < 1:
        return out
    lo = max(0, t - WINDOW + 1)
    c = close[lo:t + 1]
    rets = np.diff(np.log(close[max(0, t - 20):t + 1]))
    sd = float(np.std(rets)) if len(rets) > 2 else 0.0
    sd = sd if sd > 1e-6 else 0.02
    n = len(c)
    out[0, WINDOW - n:] = np.log(c / close[t]) / (sd * math.sqrt(WINDOW))
    out[1, WINDOW - n:] = np.log(high[lo:t + 1] / low[lo:t + 1]) / sd
    v = vol[lo:t + 1]
    mv = float(np.mean(v)) if np.mean(v) > 0 else 1.0
    out[2, WINDOW - n:] = np.log1p(v / mv) - math.log(2.0)
    out[3, WINDOW - n:] = 1.0  # present-bar mask
    return out


class Net(nn.Module):
    def __init__(self, n_tab):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(4, 16, 5, padding=2), nn.ReLU(),
            nn.Conv1d(16, 16, 5, padding=2, dilation=1), nn.ReLU(),
            nn.AdaptiveAvgPool1d(4))
        self.tab = nn.Sequential(nn.Linear(n_tab, 64), nn.ReLU(), nn.Dropout(0.2))
        self.head = nn.Sequential(nn.Linear(64 + 64, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, seq, tab):
        a = self.conv(seq).flatten(1)
        b = self.tab(tab)
        return self.head(torch.cat([a, b], dim=1)).squeeze(1)


def isotonic_fit(p, y):
    order = np.argsort(p, kind="stable")
    xs, ys, ws = [], [], []
    for i in order:
        xs.append([p[i]]); ys.append(float(y[i])); ws.append(1.0)
        while len(ys) > 1 and ys[-2] >= ys[-1]:
            w = ws[-2] + ws[-1]
            ys[-2] = (ys[-2] * ws[-2] + ys[-1] * ws[-1]) / w
            ws[-2] = w
            xs[-2] += xs[-1]
            xs.pop(); ys.pop(); ws.pop()
    knots_x = np.array([np.mean(x) for x in xs])
    return knots_x, np.clip(np.array(ys), 1e-6, 1 - 1e-6)


def isotonic_apply(kx, ky, p):
    return np.interp(p, kx, ky)


def precision_top(scores, y, k):
    order = np.lexsort((np.arange(len(scores)), -np.nan_to_num(scores, nan=-1e9)))
    return float(np.mean(y[order[:k]]))


def lift_at(scores, rule, y, coverage):
    k = max(1, math.ceil(coverage * len(y)))
    pm, pr = precision_top(scores, y, k), precision_top(rule, y, k)
    return pm, pr, pm / pr - 1 if pr > 0 else float("nan")


def bootstrap_lift(scores, rule, y, groups, coverage, resamples, seed):
    rng = np.random.default_rng(seed)
    uniq = sorted(set(groups))
    idx = {g: np.where(groups == g)[0] for g in uniq}
    lifts = []
    for _ in range(resamples):
        pick = rng.integers(0, len(uniq), len(uniq))
        rows = np.concatenate([idx[uniq[i]] for i in pick])
        lifts.append(lift_at(scores[rows], rule[rows], y[rows], coverage)[2])
    return float(np.percentile(lifts, 2.5)), float(np.percentile(lifts, 97.5))


def ece(p, y, bins=10):
    b = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for i in range(bins):
        m = b == i
        if m.any():
            total += m.sum() / len(p) * abs(y[m].mean() - p[m].mean())
    return float(total)


def auc(s, y):
    order = np.argsort(s, kind="stable")
    ranks = np.empty(len(s))
    sorted_s = s[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    pos = y == 1
    n1, n0 = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def tensors(rows, seqs, mean, std):
    x = np.stack([r["x"] for r in rows])
    miss = np.isnan(x).astype(np.float32)
    z = np.nan_to_num((x - mean) / std, nan=0.0).clip(-6, 6).astype(np.float32)
    tab = np.concatenate([z, miss], axis=1)
    seq = np.stack([seqs[r["id"]] for r in rows])
    y = np.array([r["label"] for r in rows], dtype=np.float32)
    return torch.from_numpy(seq), torch.from_numpy(tab), torch.from_numpy(y)


def fit_window(train, valid, seqs, seed, max_epochs, patience):
    torch.manual_seed(seed)
    x = np.stack([r["x"] for r in train])
    mean = np.nanmean(x, axis=0)
    std = np.nanstd(x, axis=0)
    mean = np.nan_to_num(mean)
    std = np.where(np.nan_to_num(std) > 1e-9, np.nan_to_num(std), 1.0)
    st, tt, yt = tensors(train, seqs, mean, std)
    sv, tv, yv = tensors(valid, seqs, mean, std)
    net = Net(tt.shape[1])
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-4)
    loss_fn = nn.BCEWithLogitsLoss()
    best, best_state, bad, epochs = float("inf"), None, 0, 0
    g = torch.Generator().manual_seed(seed)
    for epoch in range(max_epochs):
        net.train()
        perm = torch.randperm(len(yt), generator=g)
        for i in range(0, len(perm), 256):
            b = perm[i:i + 256]
            opt.zero_grad()
            loss = loss_fn(net(st[b], tt[b]), yt[b])
            loss.backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            vl = float(loss_fn(net(sv, tv), yv))
        epochs = epoch + 1
        if vl < best - 1e-5:
            best, bad = vl, 0
            best_state = {k: v.clone() for k, v in net.state_dict().items()}
        else:
            bad += 1
            if bad >= patience:
                break
    net.load_state_dict(best_state)
    net.eval()
    with torch.no_grad():
        pv = torch.sigmoid(net(sv, tv)).numpy()
    kx, ky = isotonic_fit(pv, yv.numpy())
    return net, (mean, std), (kx, ky), best, epochs, auc(pv, yv.numpy())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", required=True, help="folds.csv from pcs train --export-folds")
    ap.add_argument("--data", required=True, help="OHLCV folder the rows were built from")
    ap.add_argument("--out", default="", help="write the figures as JSON here")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-epochs", type=int, default=40)
    ap.add_argument("--patience", type=int, default=5)
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--coverage", type=float, default=0.30)
    args = ap.parse_args()
    torch.set_num_threads(1)
    start = time.time()
    rows, names = load_rows(args.folds)
    cache, seqs = {}, {}
    for r in rows:
        if r["id"] not in seqs:
            seqs[r["id"]] = price_window(load_bars(args.data, r["symbol"], cache), r["day"])
    windows = []
    for r in rows:
        if r["window"] not in windows:
            windows.append(r["window"])
    test_windows = [w for w in windows if w != "final"]
    pooled = {"nn": [], "gbm": [], "rule": [], "y": [], "sym": []}
    folds = []
    for w in test_windows:
        part = {p: [r for r in rows if r["window"] == w and r["part"] == p]
                for p in ("train", "validation", "test")}
        t0 = time.time()
        net, (mean, std), (kx, ky), vloss, epochs, vauc = fit_window(
            part["train"], part["validation"], seqs, args.seed, args.max_epochs, args.patience)
        s, t, y = tensors(part["test"], seqs, mean, std)
        with torch.no_grad():
            raw = torch.sigmoid(net(s, t)).numpy()
        p = isotonic_apply(kx, ky, raw)
        y = y.numpy()
        rule = np.array([r["rule"] for r in part["test"]])
        gbm = np.array([r["gbm"] for r in part["test"]])
        nn_l = lift_at(p, rule, y, args.coverage)
        gbm_l = lift_at(gbm, rule, y, args.coverage)
        folds.append({"window": w, "train": len(part["train"]), "validation": len(part["validation"]),
                      "test": len(part["test"]), "epochs": epochs, "valid_logloss": vloss,
                      "valid_auc": vauc, "seconds": time.time() - t0,
                      "nn_auc": auc(p, y), "gbm_auc": auc(gbm, y),
                      "nn_lift": nn_l[2], "gbm_lift": gbm_l[2], "nn_ece": ece(p, y)})
        print(f"{w}: train {len(part['train'])} valid {len(part['validation'])} test {len(part['test'])}"
              f" epochs {epochs} valid AUC {vauc:.3f}; test AUC nn {folds[-1]['nn_auc']:.3f}"
              f" gbm {folds[-1]['gbm_auc']:.3f}; lift vs rule at {args.coverage:.0%} nn {nn_l[2]:+.1%}"
              f" gbm {gbm_l[2]:+.1%} ({time.time() - t0:.0f} s)", flush=True)
        pooled["nn"].append(p); pooled["gbm"].append(gbm); pooled["rule"].append(rule)
        pooled["y"].append(y); pooled["sym"] += [r["symbol"] for r in part["test"]]
    nnp, gbm, rule, y = (np.concatenate(pooled[k]) for k in ("nn", "gbm", "rule", "y"))
    sym = np.array(pooled["sym"])
    result = {"rows": int(len(y)), "folds": folds, "coverage": args.coverage}
    for name, s in (("nn", nnp), ("gbm", gbm)):
        pm, pr, lift = lift_at(s, rule, y, args.coverage)
        lo, hi = bootstrap_lift(s, rule, y, sym, args.coverage, args.resamples, 20240605)
        result[name] = {"precision": pm, "rule_precision": pr, "lift_vs_rule": lift,
                        "lift_ci95": [lo, hi], "roc_auc": auc(s, y), "ece": ece(s, y)}
        print(f"pooled {name}: precision {pm:.3f} vs rule {pr:.3f}, lift {lift:+.1%} "
              f"[{lo:+.1%}, {hi:+.1%}], AUC {result[name]['roc_auc']:.3f}, ECE {result[name]['ece']:.4f}")
    result["seconds"] = time.time() - start
    result["beats_gbm"] = result["nn"]["lift_vs_rule"] > result["gbm"]["lift_vs_rule"]
    print(f"total {result['seconds']:.0f} s; NN beats GBM on pooled lift: {result['beats_gbm']}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
