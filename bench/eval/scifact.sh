#!/bin/sh
# Full SciFact test-split evaluation of minilm with exact search, measured with /usr/bin/time -v, then checked
# against pytrec_eval over the same run (bench/eval/check_run.py) and the report rendered to a PNG.
#
#   bench/eval/scifact.sh [DATASET] [DB]      (defaults: ../shared/data/scifact, /tmp/scifact-eval.vecdb)
#
# The first run embeds the 5,183 abstracts into DB (minutes on 2 cores); later runs reuse them and only embed
# the 300 queries. Outputs go to bench/out/eval/ (git-ignored).
set -eu
cd "$(dirname "$0")/../.."
DATASET=${1:-../shared/data/scifact}
DB=${2:-/tmp/scifact-eval.vecdb}
OUT=bench/out/eval
mkdir -p "$OUT"
swift build -c release --product vecdb >/dev/null
/usr/bin/time -v .build/release/vecdb eval --dataset "$DATASET" --db "$DB" --exact --json \
    --report "$OUT/scifact.html" --run-dir "$OUT/runs" >"$OUT/scifact.json" 2>"$OUT/scifact.stderr"
cat "$OUT/scifact.json"
grep -E "minilm:|Elapsed|Maximum resident" "$OUT/scifact.stderr"
bench/.venv-eval/bin/python bench/eval/check_run.py "$OUT/runs/minilm.run" "$DATASET/qrels/test.tsv" \
    --vecdb-json "$OUT/scifact.json" --model minilm
bench/eval/screenshot.sh "$OUT/scifact.html" "$OUT/scifact.png"
