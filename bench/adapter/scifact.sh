#!/usr/bin/env bash
# docs/ADAPTER.md's result: train smollm2+adapter and minilm+adapter on the SciFact train split, evaluate every model
# on the test split, and print the seed's 2x2 table.
# Usage: bench/adapter/scifact.sh SCIFACT_DIR DB [REPORT.html]
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${1:?SciFact folder}
db=${2:?database}
report=${3:-scifact-adapters.html}
vecdb=.build/release/vecdb
/usr/bin/time -v "$vecdb" train --model smollm2 --pooling mean --prompt chat-gen --temperature 0.1 --dataset "$data" --db "$db" --json > train-smollm2.json
/usr/bin/time -v "$vecdb" train --model minilm --dataset "$data" --db "$db" --json > train-minilm.json
/usr/bin/time -v "$vecdb" eval --dataset "$data" --db "$db" --models smollm2,smollm2+adapter,minilm+adapter,minilm \
    --pooling last,logits,mean --prompt raw,chat,chat-gen --json --report "$report"
"$vecdb" compare --models smollm2,smollm2:mean:chat-gen,smollm2+adapter,minilm,minilm+adapter --db "$db"
