#!/usr/bin/env bash
# SmolLM2-135M-Instruct (GGUF Q4_1) forward throughput, in one run on one machine, on the 64 texts of the reference
# (../shared/reference/scripts/smollm_bench.py: 20 words from the minilm_bench.py vocabulary, seed 1, chat template
# without generation prompt, ~47 tokens each):
#   - vecdb `llama-bench`: batch 16, 2 threads, final-norm hidden states only;
#   - transformers fp32: batch 16 left-padded, hidden states only, torch.set_num_threads(2);
#   - llama.cpp via llama-cpp-python (embedding mode, last pooling, packed batches, 2 threads) when importable,
#     otherwise the reference file's number, marked "reference, not re-measured".
# Each does a warm-up pass and RUNS timed passes; tokens/s is taken from the median pass. The load average is
# recorded around each peer because the machine is shared, and so is each engine's CPU time per pass (user + system,
# all threads; spinning worker threads count): tokens per CPU-second is the figure least moved by other load.
# Needs: a venv with torch 2.13.0+cpu, transformers, gguf, accelerate (TRANSFORMERS_PYTHON, default bench/.venv/bin/python)
# and optionally llama-cpp-python (LLAMACPP_PYTHON, default bench/llama/.venv-llamacpp/bin/python; build it with the
# CMAKE_ARGS of ../shared/reference/INSTALL.md).
# Usage: bench/llama/run.sh [RUNS]   (writes bench/out/llama.json and prints a Markdown table)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-5}"
tpython="${TRANSFORMERS_PYTHON:-bench/.venv/bin/python}"
lpython="${LLAMACPP_PYTHON:-bench/llama/.venv-llamacpp/bin/python}"
models="${VECDB_MODELS:-$HOME/.cache/vecdb/models}"
gguf="$models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
reference="${LLAMACPP_REFERENCE:-../shared/reference/llamacpp_throughput.json}"
out=bench/out; mkdir -p "$out"
swift build -c release --product llama-bench >/dev/null
python3 bench/llama/make_sentences.py "$out/llama-sentences.txt"
load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "vecdb llama-bench" >&2
load_ours=("$(load)")
ours=$(.build/release/llama-bench "$gguf" "$out/llama-sentences.txt" --runs "$runs" --batch 16 --threads 2)
load_ours+=("$(load)")
# The reduced precisions (docs/KERNELS.md), run before and after the transformers peer so that load drift shows.
echo "vecdb llama-bench --precision bf16" >&2
ours_bf16=$(.build/release/llama-bench "$gguf" "$out/llama-sentences.txt" --runs "$runs" --batch 16 --threads 2 --precision bf16)
echo "transformers fp32" >&2
load_tf=("$(load)")
tf=$("$tpython" bench/llama/peer_transformers.py "$(dirname "$gguf")" "$(basename "$gguf")" "$out/llama-sentences.txt" "$runs" 16 2)
load_tf+=("$(load)")
echo "vecdb llama-bench --precision int8" >&2
ours_int8=$(.build/release/llama-bench "$gguf" "$out/llama-sentences.txt" --runs "$runs" --batch 16 --threads 2 --precision int8)
lcpp='null'; load_lcpp=("" "")
if [ -x "$lpython" ] && "$lpython" -c 'import llama_cpp' 2>/dev/null; then
    echo "llama.cpp (llama-cpp-python)" >&2
    load_lcpp=("$(load)")
    lcpp=$("$lpython" bench/llama/peer_llamacpp.py "$gguf" "$out/llama-sentences.txt" "$runs" 2)
    load_lcpp+=("$(load)")
fi

python3 - "$ours" "$tf" "$lcpp" "$reference" "${load_ours[*]}" "${load_tf[*]}" "${load_lcpp[*]}" "$runs" "$ours_bf16" "$ours_int8" > "$out/llama.json" <<'PY'
import json, os, statistics, subprocess, sys
ours, tf, lcpp = (json.loads(a) for a in sys.argv[1:4])
reduced = {"vecdb_bf16": json.loads(sys.argv[9]), "vecdb_int8": json.loads(sys.argv[10])}
def measured(r):
    med = statistics.median(r["seconds"])
    cpu = statistics.median(r["cpu_seconds"])
    return {"tokens": r["tokens"], "texts": r["texts"], "seconds": r["seconds"], "median_s": med, "tok_per_s": r["tokens"] / med,
            "best_tok_per_s": r["tokens"] / min(r["seconds"]), "cpu_seconds": r["cpu_seconds"],
            "tok_per_cpu_s": r["tokens"] / cpu}
cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
model = next((l.split(":", 1)[1].strip() for l in cpu.splitlines() if l.startswith("Model name")), "?")
res = {"machine": {"cpu": model, "cores": os.cpu_count(), "flags_avx512f": " avx512f " in cpu, "flags_amx": "amx_tile" in cpu},
       "runs": int(sys.argv[8]),
       "vecdb": {**measured(ours), "blas_core": ours["blas_core"], "threads": ours["threads"], "load_before_after": sys.argv[5]},
       "transformers_fp32": {**measured(tf), "torch": tf["torch"], "threads": tf["threads"], "load_before_after": sys.argv[6]}}
if lcpp is not None:
    res["llama_cpp"] = {**measured(lcpp), "source": "measured in this run", "version": lcpp["llama_cpp_python"],
                        "load_before_after": sys.argv[7]}
else:
    ref = json.load(open(sys.argv[4]))["threads=2"]
    res["llama_cpp"] = {"tok_per_s": ref["packed_tok_per_s"], "source": "reference, not re-measured (" + sys.argv[4] +
                        "; raw sentences of ~21 tokens, not the chat template)"}
for key, r in reduced.items():
    res[key] = {**measured(r), "kernel": r["kernel"], "weight_bytes": r["weight_bytes"], "load_before_after": ""}
    res["ratio_" + key + "_over_transformers"] = res[key]["tok_per_s"] / res["transformers_fp32"]["tok_per_s"]
res["vecdb"]["kernel"] = ours.get("kernel")
res["vecdb"]["weight_bytes"] = ours.get("weight_bytes")
res["ratio_vecdb_over_transformers"] = res["vecdb"]["tok_per_s"] / res["transformers_fp32"]["tok_per_s"]
res["ratio_vecdb_over_llama_cpp"] = res["vecdb"]["tok_per_s"] / res["llama_cpp"]["tok_per_s"]
print(json.dumps(res, indent=1))
PY
python3 - "$out/llama.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
m = r["machine"]
print(f"machine: {m['cpu']}, {m['cores']} cores; {r['runs']} timed passes each, median")
print("| engine | tokens | median s | tok/s (median) | tok/s (best) | vecdb ratio | tokens per CPU-second | load avg before / after |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for key, name in (("vecdb", "vecdb llama-bench f32 (batch 16, packed, 2 threads)"),
                  ("vecdb_bf16", "vecdb llama-bench bf16"), ("vecdb_int8", "vecdb llama-bench int8 (Q|K|V bf16)"),
                  ("transformers_fp32", "transformers fp32 (batch 16, left-padded, 2 threads)"),
                  ("llama_cpp", "llama.cpp (llama-cpp-python, packed, 2 threads)")):
    e = r[key]
    ratio = {"vecdb": "1.00x", "transformers_fp32": f"{r['ratio_vecdb_over_transformers']:.2f}x",
             "vecdb_bf16": f"{r['ratio_vecdb_bf16_over_transformers']:.2f}x over transformers",
             "vecdb_int8": f"{r['ratio_vecdb_int8_over_transformers']:.2f}x over transformers",
             "llama_cpp": f"{r['ratio_vecdb_over_llama_cpp']:.2f}x"}[key]
    if "median_s" in e:
        print(f"| {name} | {e['tokens']} | {e['median_s']:.2f} | {e['tok_per_s']:.1f} | {e['best_tok_per_s']:.1f} | {ratio} | "
              f"{e['tok_per_cpu_s']:.1f} | {e['load_before_after']} |")
    else:
        print(f"| {name}: {e['source']} | | | {e['tok_per_s']:.1f} | | {ratio} | | |")
PY
