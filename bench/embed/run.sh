#!/usr/bin/env bash
# vecdb vs sentence-transformers on all-MiniLM-L6-v2, in one run on one machine:
#  1. embedding throughput: the same 1,024 sentences, batch 32, 2 threads, RUNS runs each, medians and ratio;
#  2. end-to-end `vecdb ingest` of a 10,000-line file (fresh database) against embedding those lines alone;
#  3. `vecdb query` from process start to printed result (model load included), median of RUNS.
# Needs: scripts/setup (release build, minilm pulled) and a venv with the peer:
#   python3 -m venv bench/.venv && bench/.venv/bin/pip install torch==2.13.0+cpu sentence-transformers
# Usage: bench/embed/run.sh [RUNS]    (writes bench/out/embed.json and prints a Markdown table)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-5}"
python=bench/.venv/bin/python
models="${VECDB_MODELS:-$HOME/.cache/vecdb/models}"
out=bench/out; mkdir -p "$out"
swift build -c release --product embed-bench >/dev/null
swift build -c release --product vecdb >/dev/null
$python bench/embed/make_sentences.py 1024 "$out/sentences-1024.txt"
$python bench/embed/make_sentences.py 10000 "$out/sentences-10000.txt"

echo "embedding 1,024 sentences: sentence-transformers" >&2
peer=$($python bench/embed/peer_sentence_transformers.py "$models/minilm" "$out/sentences-1024.txt" "$runs" 32 2)
echo "embedding 1,024 sentences: vecdb" >&2
ours=$(.build/release/embed-bench "$models/minilm" "$out/sentences-1024.txt" --runs "$runs" --batch 32 --threads 2)
echo "embedding 10,000 sentences: vecdb, embedding alone" >&2
embed10k=$(.build/release/embed-bench "$models/minilm" "$out/sentences-10000.txt" --runs 1 --batch 32 --threads 2)

echo "ingest of 10,000 lines" >&2
ingest_runs=()
for _ in 1 2 3; do
    db=$(mktemp -d)/bench.vecdb
    ingest_runs+=("$(.build/release/vecdb ingest "$out/sentences-10000.txt" --db "$db" --json)")
done
echo "query start to output" >&2
query_seconds=$($python - "$db" "$runs" <<'PY'
import subprocess, sys, time
times = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    subprocess.run([".build/release/vecdb", "query", "What is a graphics processing unit?", "--db", sys.argv[1], "-k", "10"],
                   check=True, stdout=subprocess.DEVNULL)
    times.append(time.perf_counter() - start)
print(" ".join(f"{t:.4f}" for t in times))
PY
)
rm -rf "$(dirname "$db")"

$python - "$peer" "$ours" "$embed10k" "$(printf '%s\n' "${ingest_runs[@]}")" "$query_seconds" > "$out/embed.json" <<'PY'
import json, statistics, sys, platform, subprocess
peer, ours, embed10k = (json.loads(a) for a in sys.argv[1:4])
ingests = [json.loads(l) for l in sys.argv[4].splitlines() if l]
queries = [float(x) for x in sys.argv[5].split()]
cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
model_name = next((l.split(":", 1)[1].strip() for l in cpu.splitlines() if l.startswith("Model name")), "?")
median = statistics.median
result = {
    "machine": {"cpu": model_name, "cores": int(subprocess.run(["nproc"], capture_output=True, text=True).stdout)},
    "embed_1024": {
        "sentence_transformers": {"seconds": peer["seconds"], "sentences_per_s": peer["texts"] / median(peer["seconds"]), "torch": peer["torch"]},
        "vecdb": {"seconds": ours["seconds"], "sentences_per_s": ours["texts"] / median(ours["seconds"]), "blas_core": ours["blas_core"]},
    },
    "embed_10000_docs_per_s": embed10k["texts"] / embed10k["seconds"][0],
    "ingest_10000": {"docs_per_s": [i["docs_per_second"] for i in ingests], "seconds": [i["seconds"] for i in ingests]},
    "query_start_to_output_s": queries,
}
result["embed_1024"]["ratio_vecdb_over_st"] = result["embed_1024"]["vecdb"]["sentences_per_s"] / result["embed_1024"]["sentence_transformers"]["sentences_per_s"]
print(json.dumps(result, indent=1))
PY
$python - "$out/embed.json" <<'PY'
import json, statistics, sys
r = json.load(open(sys.argv[1]))
e = r["embed_1024"]
print(f"machine: {r['machine']['cpu']}, {r['machine']['cores']} cores")
print("| measure | sentence-transformers | vecdb | ratio |")
print("| --- | --- | --- | --- |")
print(f"| 1,024 sentences, batch 32, 2 threads (sentences/s, median of {len(e['vecdb']['seconds'])}) | "
      f"{e['sentence_transformers']['sentences_per_s']:.1f} | {e['vecdb']['sentences_per_s']:.1f} | {e['ratio_vecdb_over_st']:.2f}x |")
print(f"| 10,000-line ingest, end to end (docs/s, median of 3) | | {statistics.median(r['ingest_10000']['docs_per_s']):.1f} | "
      f"{statistics.median(r['ingest_10000']['docs_per_s']) / r['embed_10000_docs_per_s']:.2f}x of embedding alone ({r['embed_10000_docs_per_s']:.1f}/s) |")
print(f"| `vecdb query` start to output, model load included (s, median of {len(r['query_start_to_output_s'])}) | | "
      f"{statistics.median(r['query_start_to_output_s']):.3f} | |")
PY
