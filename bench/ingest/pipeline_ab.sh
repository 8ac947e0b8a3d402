#!/usr/bin/env bash
# `vecdb ingest` of one file by two builds (OLD, NEW: paths to vecdb binaries), and embedding the same texts alone
# (embed-bench, batch 256 as ingest batches), interleaved, 3 rounds: docs/s and seconds per run.
# Usage: bench/ingest/pipeline_ab.sh OLD_VECDB NEW_VECDB TEXTS_FILE   (repository root; embed-bench built)
set -euo pipefail
cd "$(dirname "$0")/../.."
OLD=$1; NEW=$2; TEXTS=$3
for r in 1 2 3; do
  for which in old new; do
    bin=$OLD; [ $which = new ] && bin=$NEW
    db=$(mktemp -d)/ab.vecdb
    s=$($bin ingest "$TEXTS" --db "$db" --json | tail -1)
    rm -rf "$(dirname "$db")"
    echo "$which $s" | python3 -c "import sys,json; w,j=sys.stdin.read().split(' ',1); j=json.loads(j); print(w, j['docs_per_second'], j['seconds'])"
  done
  .build/release/embed-bench ~/.cache/vecdb/models/minilm "$TEXTS" --runs 1 --batch 256 --threads 2 | python3 -c "import sys,json; j=json.loads(sys.stdin.read()); print('embed', j['texts']/j['seconds'][0], j['seconds'][0])"
done
