#!/usr/bin/env bash
# The configuration search behind docs/ADAPTER.md: each run trains on the SciFact train split and reports its
# validation MRR@10 (81 held-out train claims); the test split is never looked at here.
# Usage: bench/adapter/explore.sh SCIFACT_DIR DB   (DB: a database already holding the corpus, e.g. from vecdb eval)
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${1:?SciFact folder}
db=${2:?database}
vecdb=.build/release/vecdb
run() {
    local name=$1; shift
    "$vecdb" train --model smollm2 --dataset "$data" --db "$db" --name "$name" "$@" 2>&1 >/dev/null | grep -E "epoch  0|best epoch"
}
run smollm2+adapter --pooling last --prompt chat
run smollm2-last-chat-gen+adapter --pooling last --prompt chat-gen
run smollm2-mean-chat-gen+adapter --pooling mean --prompt chat-gen
run smollm2-exp+adapter --pooling mean --prompt chat-gen --epochs 100 --patience 10
run smollm2-exp+adapter --pooling mean --prompt chat-gen --epochs 100 --patience 10 --lr 0.003
run smollm2-exp+adapter --pooling mean --prompt chat-gen --epochs 100 --patience 10 --hard-negatives 2
run smollm2-exp+adapter --pooling mean --prompt chat-gen --epochs 100 --patience 10 --temperature 0.1
run smollm2-exp+adapter --pooling mean --prompt chat-gen --epochs 100 --patience 10 --hidden 1024
