#!/bin/sh
# The nightly sequence through the real `pcs` binary on an embedded
# PostgreSQL: ingest a few real files, backfill, outcomes, train a small
# model (pcs train), then pcs drift on the 2008-2009 crisis with an
# unreachable webhook (must exit 1, report alert_outcome "failed", still
# write a promtool-valid textfile) and on a period inside the training data
# (must exit 0 without alert).
# Usage: nightly_cli_test.sh PCS_BINARY DATA_DIR TRAIN_CONFIG
set -eu
pcs="${1:?pcs binary}"
data="${PCS_DATA_DIR:-${2:?ohlcv folder}}"  # $PCS_DATA_DIR wins, as in shared_data.h
config="${3:?train config}"
work="$(mktemp -d)"
trap '[ -n "${KEEP_WORK:-}" ] || rm -rf "$work"' EXIT
chmod 755 "$work"  # the embedded cluster runs as user postgres
db="--embedded-root $work/pg"

files=""
for s in AA AAME AB ABCB ABIO ACGL ACHC ACNB ACU ADI ADP ADTN AE AEG DIA; do
  files="$files $data/$s.csv"
done
# shellcheck disable=SC2086
"$pcs" $db ingest --totals-only $files > "$work/ingest.txt"
"$pcs" $db backfill --from 2003-01-01 --to 2009-12-31 > "$work/backfill.txt"
"$pcs" $db outcomes --json > "$work/outcomes.json"
jq -e '.run_id > 0 and .patterns_inserted > 0' "$work/outcomes.json" > /dev/null
"$pcs" $db train --config "$config" --models-dir "$work/models" --reports-dir "$work/reports" \
  --test-starts 2006-01-01,2007-01-01 --test-end 2007-12-31 --validation-years 1 \
  --bagging-seeds 1 --max-rounds 60 --bootstrap-resamples 50 --no-shuffle-check > "$work/train.txt"
model="$(find "$work/models" -mindepth 1 -maxdepth 1 -type d -name '2*' | head -n 1)"
[ -n "$model" ] || { echo "pcs train published no model folder" >&2; exit 1; }

set +e
"$pcs" $db drift --model "$model" --since 2008-01-01 --until 2009-12-31 \
  --webhook http://127.0.0.1:9/alerts --webhook-attempts 2 \
  --textfile "$work/drift.prom" --json-out "$work/drift.json" > "$work/drift.txt" 2> "$work/drift.err"
rc=$?
set -e
cat "$work/drift.txt"
if [ "$rc" -ne 1 ]; then
  echo "pcs drift with an undeliverable alert exited $rc, want 1" >&2
  cat "$work/drift.err" >&2
  exit 1
fi
jq -e '.alert == true and .alert_outcome == "failed" and .drift.max_feature_psi > 0.25' \
  "$work/drift.json" > /dev/null
promtool check metrics < "$work/drift.prom"
grep -q '^pcs_drift_alerts_total{outcome="failed"} 1$' "$work/drift.prom"

"$pcs" $db drift --model "$model" --since 2004-01-01 --until 2007-12-31 --as-of 2009-12-31 \
  --json > "$work/control.json"
# No feature may drift inside the training period. The score is exempt: its
# reference is the walk-forward OUT-OF-SAMPLE probabilities, while the refit
# scores this period in-sample (it trained on it), so they may differ.
jq -e '.drift.max_feature_psi <= 0.25 and .run_id > 0 and
       (.alert == false or .alert_reasons == ["PSI > 0.25 on __score__"])' \
  "$work/control.json" > /dev/null
echo "crisis max PSI $(jq .drift.max_feature_psi "$work/drift.json"), control max PSI $(jq .drift.max_feature_psi "$work/control.json")"
