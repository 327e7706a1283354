#!/usr/bin/env python3
"""Prints the decision-policy figures of `pcs train` reports as one table.

  scripts/policy_table.py REPORT_DIR [REPORT_DIR ...]

For each report folder (reports/phase5/<version>/, written by `pcs train`)
it reads evaluation.json and prints one markdown row: the experiment inputs
(`pcs train --experiment`; "none" for the served feature schema), ROC-AUC
and ECE of the pooled walk-forward out-of-sample predictions, the chosen
policy (blend weight w, threshold t), its confirmations / true positives /
precision, and the gate's figures with their 95% symbol-bootstrap
intervals: true positives vs rule-only, precision vs rule-only (points),
true positives vs the analytic baseline at its own policy, and the precision
lift vs rule at 30% coverage; and the analytic baseline's own policy's
true positives and precision. Every number is copied from evaluation.json;
nothing is recomputed.
"""

import json
import os
import sys


def pct(v, ci):
    return f"{v * 100:+.1f}% [{ci[0] * 100:+.1f}, {ci[1] * 100:+.1f}]"


def pts(v, ci):
    return f"{v * 100:+.2f} [{ci[0] * 100:+.2f}, {ci[1] * 100:+.2f}]"


def row(folder):
    with open(os.path.join(folder, "evaluation.json")) as f:
        e = json.load(f)
    g = e["gate"]
    exp = e.get("experiment")
    name = ",".join(k for k, on in sorted(exp.items()) if on) if exp else "none"
    model = e["scorers"]["model"]
    p = e.get("policy") or {}
    oos = p.get("out_of_sample", {}).get("policy", {})
    policy = (f"w {p['blend_weight']:.2f}, t {p['threshold']:.3f}"
              if p else "none found")
    a = g.get("analytic_policy") or {}
    analytic = (f"{a['true_positives']} / {a['precision']:.4f}"
                if a.get("found") else "none found")
    return (f"| {e['model_version']} | {name} | {model['roc_auc']:.4f} | "
            f"{model['ece']:.4f} | {policy} | {oos.get('confirmed', '-')} / "
            f"{oos.get('true_positives', '-')} / "
            f"{oos.get('precision', float('nan')):.4f} | "
            f"{pct(g['tp_lift'], g['tp_lift_ci95'])} | "
            f"{pts(g['precision_diff'], g['precision_diff_ci95'])} | "
            f"{pct(g['tp_vs_analytic'], g['tp_vs_analytic_ci95'])} | "
            f"{analytic} | "
            f"{pct(g['coverage_lift_vs_rule'], g['coverage_lift_vs_rule_ci95'])} |")


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    print("| report | experiment | ROC-AUC | ECE | policy | confirmed / TP / "
          "precision | TP vs rule | precision vs rule (pt) | TP vs analytic | "
          "analytic policy TP / precision | lift vs rule at 30% |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for folder in argv[1:]:
        print(row(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
