#!/bin/sh
# docs/EVAL.md's model comparison on SciFact: per-query nDCG@10 deltas, wins / ties / losses, significance, the
# rank-shift chart, and the index measured apart from the exact scan.
#
#   bench/eval/compare.sh [DATASET] [DB]      (defaults: ../shared/data/scifact, /tmp/scifact-compare.vecdb)
#
# Embeds the corpus with minilm and with smollm2 (mean and last pooling, chat and chat-gen, one forward pass; the
# smollm2 pass is hours on 2 busy cores), trains minilm+adapter and smollm2+adapter on the train split as
# bench/adapter/scifact.sh does, then compares the three models of the issue on the test split. Outputs go to
# bench/out/eval/ (git-ignored); the screenshot of the report is bench/out/eval/compare.png.
set -eu
cd "$(dirname "$0")/../.."
DATASET=${1:-../shared/data/scifact}
DB=${2:-/tmp/scifact-compare.vecdb}
OUT=bench/out/eval
mkdir -p "$OUT"
swift build -c release --product vecdb >/dev/null
vecdb=.build/release/vecdb
"$vecdb" eval --dataset "$DATASET" --db "$DB" --models minilm,smollm2 --pooling last,mean --prompt chat,chat-gen >/dev/null
"$vecdb" train --model smollm2 --pooling mean --prompt chat-gen --temperature 0.1 --dataset "$DATASET" --db "$DB" --json \
    >"$OUT/train-smollm2.json"
"$vecdb" train --model minilm --dataset "$DATASET" --db "$DB" --json >"$OUT/train-minilm.json"
/usr/bin/time -v "$vecdb" eval --dataset "$DATASET" --db "$DB" --models smollm2,smollm2+adapter,minilm,minilm+adapter \
    --compare smollm2,smollm2+adapter,minilm,minilm+adapter --index --json --report "$OUT/compare.html" \
    >"$OUT/compare.json" 2>"$OUT/compare.stderr"
"$vecdb" eval --dataset "$DATASET" --db "$DB" --models smollm2,smollm2+adapter,minilm,minilm+adapter \
    --compare smollm2,smollm2+adapter,minilm,minilm+adapter
bench/eval/screenshot.sh "$OUT/compare.html" "$OUT/compare.png" 1200,2600
