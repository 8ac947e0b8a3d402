"""all-MiniLM-L6-v2 embedding at every precision, side by side in one run: vecdb f32 / bf16 / int8 (embed-bench)
against sentence-transformers fp32, ONNX Runtime fp32 (Chroma's default embedder) and ONNX Runtime int8 (FastEmbed's
dynamic quantisation recipe) — bench/embed/peer_onnx.py says what each peer reproduces.

Two text sets: the 1,024 sentences of bench/embed (16–24 words) and the first N SciFact abstracts (title + text, long:
most reach MiniLM's 256-token limit). For each set and round, every engine runs once at batch 32 (sentences/s) and
once at batch 1 over the first LATENCY texts (per-text latency), 2 threads each, in an order rotated per round so
that no engine always runs first or last. Medians over rounds; ratios from the medians; the load average before and
after each run and the CPU model are recorded. Vectors of the first round give each engine's cosine to
sentence-transformers (min and mean): the quality the speed is bought with.

Usage: bench/.venv/bin/python bench/embed/precision.py [--rounds 3] [--scifact ../shared/data/scifact] [--abstracts 1024]
       [--latency 128]
Needs: scripts/setup (minilm pulled), a venv with torch==2.13.0+cpu sentence-transformers onnxruntime onnx.
Writes bench/out/embed-precision.json and prints Markdown tables.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "bench", "out")
PYTHON = sys.executable
MODEL = os.path.join(os.environ.get("VECDB_MODELS", os.path.expanduser("~/.cache/vecdb/models")), "minilm")

ENGINES = {
    "sentence-transformers fp32": lambda texts, batch, extra: [
        PYTHON, "bench/embed/peer_sentence_transformers.py", MODEL, texts, "1", str(batch), "2"] + extra,
    "ONNX Runtime fp32": lambda texts, batch, extra: [
        PYTHON, "bench/embed/peer_onnx.py", MODEL, texts, "1", str(batch), "2", "--precision", "fp32"] + extra,
    "ONNX Runtime int8": lambda texts, batch, extra: [
        PYTHON, "bench/embed/peer_onnx.py", MODEL, texts, "1", str(batch), "2", "--precision", "int8"] + extra,
}
for precision in ("f32", "bf16", "int8"):
    ENGINES[f"vecdb {precision}"] = (lambda p: lambda texts, batch, extra: [
        ".build/release/embed-bench", MODEL, texts, "--runs", "1", "--batch", str(batch), "--threads", "2",
        "--precision", p] + extra)(precision)


def vectors_file(texts, engine):
    """Where the first round writes `engine`'s vectors of the text file `texts`."""
    return texts.replace(".txt", "-" + engine.replace(" ", "_") + ".f32")


def load():
    return open("/proc/loadavg").read().split()[0]


def run(command):
    before = load()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    line = [l for l in result.stdout.splitlines() if l.startswith("{")][-1]
    report = json.loads(line)
    report["load_before_after"] = [before, load()]
    return report


def write_sets(args):
    os.makedirs(OUT, exist_ok=True)
    sentences = os.path.join(OUT, "sentences-1024.txt")
    if not os.path.exists(sentences):
        subprocess.run([PYTHON, "bench/embed/make_sentences.py", "1024", sentences], cwd=ROOT, check=True)
    abstracts = os.path.join(OUT, f"scifact-abstracts-{args.abstracts}.txt")
    with open(os.path.join(args.scifact, "corpus.jsonl"), encoding="utf-8") as corpus, open(abstracts, "w") as out:
        for n, line in enumerate(corpus):
            if n == args.abstracts:
                break
            doc = json.loads(line)
            out.write(" ".join((doc.get("title", "") + " " + doc["text"]).split()) + "\n")
    sets = {"1,024 sentences": sentences, f"{args.abstracts} SciFact abstracts": abstracts}
    for name, path in list(sets.items()):
        latency = path.replace(".txt", f"-first{args.latency}.txt")
        with open(path) as f, open(latency, "w") as out:
            out.writelines(f.readlines()[:args.latency])
        sets[name] = (path, latency)
    return sets


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scifact", default=os.path.join(ROOT, "..", "shared", "data", "scifact"))
    parser.add_argument("--abstracts", type=int, default=1024)
    parser.add_argument("--latency", type=int, default=128)
    args = parser.parse_args()
    subprocess.run(["swift", "build", "-c", "release", "--product", "embed-bench"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    sets = write_sets(args)
    names = list(ENGINES)
    results = {}
    for set_name, (texts, latency_texts) in sets.items():
        runs = {name: {"throughput": [], "latency": []} for name in names}
        for round_ in range(args.rounds):
            order = names[round_ % len(names):] + names[:round_ % len(names)]
            for name in order:
                extra = ["--vectors", vectors_file(texts, name)] if round_ == 0 else []
                print(f"{set_name}: round {round_ + 1}, {name}, batch 32", file=sys.stderr)
                runs[name]["throughput"].append(run(ENGINES[name](texts, 32, extra)))
                print(f"{set_name}: round {round_ + 1}, {name}, batch 1", file=sys.stderr)
                runs[name]["latency"].append(run(ENGINES[name](latency_texts, 1, ["--latency"])))
        count = runs[names[0]]["throughput"][0]["texts"]
        reference = np.fromfile(vectors_file(texts, "sentence-transformers fp32"), dtype="<f4").reshape(count, -1)
        summary = {}
        for name in names:
            seconds = [r["seconds"][0] for r in runs[name]["throughput"]]
            latencies = [r["latency_ms"]["median"] for r in runs[name]["latency"]]
            vectors = np.fromfile(vectors_file(texts, name), dtype="<f4").reshape(count, -1)
            cosines = (vectors * reference).sum(axis=1) / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(reference, axis=1))
            first = runs[name]["throughput"][0]
            summary[name] = {
                "texts_per_s": count / statistics.median(seconds), "seconds": seconds,
                "latency_ms_median": statistics.median(latencies), "latency_ms_per_round": latencies,
                "cosine_to_sentence_transformers": {"min": float(cosines.min()), "mean": float(cosines.mean())},
                "kernel": first.get("kernel") or first.get("onnxruntime") or first.get("torch"),
                "load_before_after": [r["load_before_after"] for r in runs[name]["throughput"]],
            }
        results[set_name] = summary
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model_name = next((l.split(":", 1)[1].strip() for l in cpu.splitlines() if l.startswith("Model name")), "?")
    flags = next((l for l in cpu.splitlines() if l.startswith("Flags")), "")
    machine = {"cpu": model_name, "cores": os.cpu_count(),
               "flags": [f for f in ("avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "avx_vnni") if f" {f}" in flags],
               "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE")}
    with open(os.path.join(OUT, "embed-precision.json"), "w") as f:
        json.dump({"machine": machine, "rounds": args.rounds, "results": results}, f, indent=1)
    print(f"machine: {machine['cpu']}, {machine['cores']} cores, flags {' '.join(machine['flags'])}, "
          f"OPENBLAS_CORETYPE={machine['OPENBLAS_CORETYPE']}; {args.rounds} rounds, medians")
    for set_name, summary in results.items():
        ort32, ort8 = summary["ONNX Runtime fp32"]["texts_per_s"], summary["ONNX Runtime int8"]["texts_per_s"]
        print(f"\n{set_name}, batch 32 and batch 1, 2 threads")
        print("| engine | kernel | texts/s | × ORT fp32 | × ORT int8 | batch-1 ms (median) | cosine to ST min / mean |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for name, s in summary.items():
            c = s["cosine_to_sentence_transformers"]
            print(f"| {name} | {s['kernel']} | {s['texts_per_s']:.1f} | {s['texts_per_s'] / ort32:.2f} | "
                  f"{s['texts_per_s'] / ort8:.2f} | {s['latency_ms_median']:.2f} | {c['min']:.4f} / {c['mean']:.4f} |")


if __name__ == "__main__":
    main()
