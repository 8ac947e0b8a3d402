#!/usr/bin/env bash
# Makes the old-database fixture of OldDatabaseTests (Tests/CLITests/OldDatabaseTests.swift) with a released vecdb,
# and records that binary's answers from it.
#
#   Tests/Golden/old-db/make.sh OLD_VECDB OLD_ANN_BENCH     # builds the databases, then records
#   Tests/Golden/old-db/make.sh --record-only OLD_VECDB     # keeps the committed databases
#
# The committed fixture was made at commit c499e69 (the last layout before issue 12's redesign) with the vecdb and
# ann-bench executables `scripts/setup minilm smollm2` built there (swift build -c release, Debian 12, Swift 6),
# minilm and smollm2 from the catalogue (pinned by sha256). Do not remake it with a newer vecdb: its point is that
# it was written by the old code.
#
# answers/ (a database folder, copied to answers.vecdb by the test), written by `vecdb`, in this order:
#   ingest examples/answers.txt (minilm); ingest it with smollm2 (last token, chat template);
#   ingest docs.jsonl --format jsonl (external ids, metadata, one line without id);
#   delete --external doc-paris (leaves a deleted node in the HNSW indexes);
#   train --model minilm --pairs qa.jsonl (in a temp folder of its own: the record keeps the pairs file's absolute path) --name qa+adapter --dim 32 --epochs 3 --batch 4 --seed 7
#     (an adapter record and its weights), then ingest answers.txt --model qa+adapter;
#   backup --compact (the committed copy: data.mdb only, without free pages).
# raw/ (copied to raw.vecdb), written by `ann-bench build` (bench/ann/Sources/main.swift): a raw-vector collection "bench" of
#   1,500 seeded 24-dimensional vectors (rows of vectors.f32, made below with Python's random, seed 12),
#   external ids "0"…"1499", HNSW M 8, efConstruction 64, batches of 500; then backup --compact.
# raw-queries.f32 (4 × 24 floats) and raw-expected.txt: ann-bench query's top hit (row, score) at ef 40 per query.
#
# Then the old binary's answers are recorded as Tests/Golden/outputs/record.sh does (see its header for what the test normalises):
# steps.tsv is run on copies of the databases, writing expected/NAME.{stdout,status}; its later steps write into the
# copy (a new ingest, a delete) and check it again.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
record_only=false
if [ "${1:-}" = "--record-only" ]; then record_only=true; shift; fi
vecdb=$(realpath "${1:?usage: make.sh [--record-only] OLD_VECDB [OLD_ANN_BENCH]}")
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
unset VECDB_DB

if ! $record_only; then
    ann=$(realpath "${2:?usage: make.sh OLD_VECDB OLD_ANN_BENCH}")
    # Its own folder: the adapter record keeps the pairs file's absolute path, which must not be the recording's {TMP}.
    build=$(mktemp -d /tmp/vecdb-old-db.XXXXXX)
    trap 'rm -rf "$scratch" "$build"' EXIT
    db="$build/answers.vecdb"
    "$vecdb" ingest "$root/examples/answers.txt" --db "$db" --progress none
    "$vecdb" ingest "$root/examples/answers.txt" --db "$db" --model smollm2 --progress none
    "$vecdb" ingest "$here/docs.jsonl" --db "$db" --format jsonl --progress none
    "$vecdb" delete doc-paris --external --db "$db"
    cp "$here/qa.jsonl" "$build/qa.jsonl"
    (cd "$build" && "$vecdb" train --model minilm --pairs qa.jsonl --name qa+adapter --dim 32 --epochs 3 --batch 4 \
        --seed 7 --db "$db" 2>/dev/null)
    "$vecdb" ingest "$root/examples/answers.txt" --db "$db" --model qa+adapter --progress none
    "$vecdb" check --db "$db"
    rm -rf "$here/answers"
    "$vecdb" backup "$here/answers" --compact --db "$db"
    rm -f "$here/answers/lock.mdb"

    python3 - "$build" <<'PY'
import random, struct, sys
folder = sys.argv[1]
rng = random.Random(12)
rows = [[rng.gauss(0, 1) for _ in range(24)] for _ in range(1500)]
with open(folder + "/vectors.f32", "wb") as f:
    for row in rows: f.write(struct.pack("<24f", *row))
# Queries near rows 3, 700, 1499 and one random direction.
queries = [[x + rng.gauss(0, 0.3) for x in rows[i]] for i in (3, 700, 1499)] + [[rng.gauss(0, 1) for _ in range(24)]]
with open(sys.argv[1] + "/raw-queries.f32", "wb") as f:
    for q in queries: f.write(struct.pack("<24f", *q))
PY
    "$ann" build "$build/vectors.f32" 24 "$build/raw.vecdb" 8 64 500 | tail -n 1 >&2
    rm -rf "$here/raw"
    "$vecdb" backup "$here/raw" --compact --db "$build/raw.vecdb"
    rm -f "$here/raw/lock.mdb"
    cp "$build/raw-queries.f32" "$here/raw-queries.f32"
    : > "$here/raw-expected.txt"
    for i in 0 1 2 3; do
        python3 -c "import sys; d=open(sys.argv[1],'rb').read(); open(sys.argv[2],'wb').write(d[$i*96:($i+1)*96])" \
            "$here/raw-queries.f32" "$build/q$i.f32"
        echo "$i $("$ann" query "$here/raw" "$build/q$i.f32" 24)" >> "$here/raw-expected.txt"
    done
    rm -f "$here/raw/lock.mdb"
fi

# Record the old binary's answers from copies of the committed databases.
rm -rf "$scratch/answers.vecdb" "$scratch/raw.vecdb"
cp -R "$here/answers" "$scratch/answers.vecdb"
cp -R "$here/raw" "$scratch/raw.vecdb"
cp "$here/new.txt" "$scratch/new.txt"
out="$here/expected"
rm -rf "$out"
mkdir -p "$out"
while IFS=$'\t' read -r -a fields; do
    [ ${#fields[@]} -eq 0 ] && continue
    case "${fields[0]}" in '#'*) continue ;; esac
    name=${fields[0]}
    args=()
    for arg in "${fields[@]:1}"; do args+=("${arg//\{TMP\}/$scratch}"); done
    status=0
    "$vecdb" "${args[@]}" < /dev/null > "$scratch/stdout" 2> "$scratch/stderr" || status=$?
    sed "s|$scratch|{TMP}|g" "$scratch/stdout" > "$out/$name.stdout"
    echo "$status" > "$out/$name.status"
    echo "$name: exit $status" >&2
done < "$here/steps.tsv"
du -sh "$here/answers" "$here/raw" >&2
