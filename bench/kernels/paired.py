#!/usr/bin/env python3
"""Two builds of vecdb side by side, interleaved and paired: did a change to the kernels lose anything?

Usage (each checkout built with `swift build -c release` first):
    python3 bench/kernels/paired.py OLD_CHECKOUT NEW_CHECKOUT [--rounds 6] [--n 50000] [--models DIR]

Per round, in an order that alternates (old first, then new first), each build runs:
  - embed-bench: all-MiniLM-L6-v2 on 1,024 sentences (bench/embed/make_sentences.py), batch 32, 2 threads, 2 runs;
  - llama-bench: SmolLM2-135M on the 64 chat-templated texts of bench/llama/make_sentences.py, batch 16, 2 threads,
    2 passes after its warm-up;
  - ann-bench sweep: 1,000 queries at ef 10, 40, 160 (3 repeats each) on one HNSW database of N synthetic clustered
    384-d vectors (bench/ann/run.py's generator), built once by the OLD build and read by both, so both search the
    same graph; each build's own build time is measured once too;
  - load: `vecdb embed --model smollm2` of one text, the process's CPU seconds (GGUF dequantisation included).
The machine is shared, so every measurement records the 1-minute load average, each ratio is the median of the
per-round ratios new/old (>1 = new is faster, for throughputs), and each throughput is the median over rounds.
With --only ann, just the index builds and sweeps (quick reruns). Writes bench/out/kernels-paired-{all,ann}.json and
prints a Markdown table.
"""
import argparse, json, os, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "bench", "out")
sys.path.insert(0, os.path.join(ROOT, "bench", "ann"))


def load1():
    return os.getloadavg()[0]


def run_json_lines(cmd, env=None):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return [json.loads(l) for l in out.strip().splitlines() if l.startswith("{")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--only", choices=["all", "ann"], default="all", help="ann: the ANN sweeps only (quick reruns)")
    ap.add_argument("--models", default=os.environ.get("VECDB_MODELS", os.path.expanduser("~/.cache/vecdb/models")))
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    builds = {"old": os.path.abspath(a.old), "new": os.path.abspath(a.new)}
    binary = lambda b, name: os.path.join(builds[b], ".build", "release", name)

    sentences = os.path.join(OUT, "sentences-1024.txt")
    llama_texts = os.path.join(OUT, "llama-sentences.txt")
    subprocess.run([sys.executable, os.path.join(ROOT, "bench/embed/make_sentences.py"), "1024", sentences], check=True)
    subprocess.run([sys.executable, os.path.join(ROOT, "bench/llama/make_sentences.py"), llama_texts], check=True)
    minilm = os.path.join(a.models, "minilm")
    gguf = os.path.join(a.models, "smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")

    import numpy as np
    from run import clustered, exact_top
    both = clustered(a.n + a.queries, 384, np.random.default_rng(20240611))
    base, queries = both[:a.n], both[a.n:]
    paths = {x: os.path.join(OUT, f"kernels-ann-{a.n}.{x}") for x in ("base.f32", "queries.f32", "truth.i32")}
    base.tofile(paths["base.f32"])
    queries.tofile(paths["queries.f32"])
    exact_top(base, queries, 10).tofile(paths["truth.i32"])

    res = {"cpu": subprocess.run("grep -m1 'model name' /proc/cpuinfo | sed 's/.*: *//'", shell=True, capture_output=True,
                                 text=True).stdout.strip(),
           "cores": os.cpu_count(), "rounds": a.rounds, "n": a.n, "queries": a.queries,
           "builds": builds, "kernels_env": os.environ.get("VECDB_KERNELS"), "build_ann": {}}
    # Each build's own index build (one each, old first), then the old build's database serves both sweeps.
    envs = {}
    for b in ("old", "new"):
        envs[b] = os.path.join(OUT, f"kernels-ann-{a.n}-{b}.vecdb")
        l0 = load1()
        lines = run_json_lines([binary(b, "ann-bench"), "build", paths["base.f32"], "384", envs[b], "16", "200", "1000"])
        res["build_ann"][b] = {**lines[-1], "load": [l0, load1()]}
        print(f"build {b}: {lines[-1]['build_s']:.1f} s", file=sys.stderr)

    efs = [10, 40, 160]
    rows = {b: {"embed_sps": [], "llama_tps": [], "llama_load_s": [], **{f"qps_ef{ef}": [] for ef in efs},
                **{f"qps_cpu_ef{ef}": [] for ef in efs}, "load": []}
            for b in builds}
    for rnd in range(a.rounds):
        order = ["old", "new"] if rnd % 2 == 0 else ["new", "old"]
        for b in order:
            r = rows[b]
            r["load"].append(load1())
            if a.only == "all":
                e = run_json_lines([binary(b, "embed-bench"), minilm, sentences, "--runs", "2", "--batch", "32",
                                    "--threads", "2"])[-1]
                r["embed_sps"].append(e["texts"] / statistics.median(e["seconds"]))
                l = run_json_lines([binary(b, "llama-bench"), gguf, llama_texts, "--runs", "2", "--batch", "16",
                                    "--threads", "2"])[-1]
                r["llama_tps"].append(l["tokens"] / statistics.median(l["seconds"]))
            for line in run_json_lines([binary(b, "ann-bench"), "sweep", envs["old"], paths["queries.f32"], "384",
                                        paths["truth.i32"], "10", ",".join(map(str, efs)), "3"]):
                r[f"qps_ef{line['ef']}"].append(line["qps"])
                r[f"qps_cpu_ef{line['ef']}"].append(line["qps_cpu"])
                r.setdefault(f"recall_ef{line['ef']}", line["recall_at_10"])
            if a.only == "all":
                # CPU time of the whole process (user + system, children of this script): wall time on a loaded
                # machine measures mostly the wait for a core.
                before = os.times()
                subprocess.run([binary(b, "vecdb"), "embed", "--model", "smollm2", "What is GPU?"], check=True,
                               capture_output=True)
                after = os.times()
                r["llama_load_s"].append(after.children_user + after.children_system
                                         - before.children_user - before.children_system)
            print(f"round {rnd + 1} {b}: " + ", ".join(f"{k} {v[-1]:.1f}" for k, v in r.items() if isinstance(v, list) and v), file=sys.stderr)
    res["measurements"] = rows
    summary = {}
    for key in ["embed_sps", "llama_tps"] + [f"qps_ef{ef}" for ef in efs] + [f"qps_cpu_ef{ef}" for ef in efs] + ["llama_load_s"]:
        old, new = rows["old"][key], rows["new"][key]
        if not old:
            continue
        ratios = [n / o for n, o in zip(new, old)]
        summary[key] = {"old_median": statistics.median(old), "new_median": statistics.median(new),
                        "paired_ratio_median": statistics.median(ratios), "ratio_min_max": [min(ratios), max(ratios)]}
    summary["ann_build_s"] = {"old": res["build_ann"]["old"]["build_s"], "new": res["build_ann"]["new"]["build_s"],
                              "ratio_old_over_new": res["build_ann"]["old"]["build_s"] / res["build_ann"]["new"]["build_s"]}
    res["summary"] = summary
    res["load_range"] = [min(rows["old"]["load"] + rows["new"]["load"]), max(rows["old"]["load"] + rows["new"]["load"])]
    with open(os.path.join(OUT, f"kernels-paired-{a.only}.json"), "w") as f:
        json.dump(res, f, indent=1)

    names = {"embed_sps": "MiniLM embed-bench, sentences/s", "llama_tps": "SmolLM2 llama-bench, tokens/s",
             "qps_ef10": "ann-bench QPS, ef 10", "qps_ef40": "ann-bench QPS, ef 40", "qps_ef160": "ann-bench QPS, ef 160",
             "qps_cpu_ef10": "ann-bench queries per CPU-second, ef 10", "qps_cpu_ef40": "ann-bench queries per CPU-second, ef 40",
             "qps_cpu_ef160": "ann-bench queries per CPU-second, ef 160",
             "llama_load_s": "`vecdb embed --model smollm2` one text, CPU s (lower is better)"}
    print(f"CPU: {res['cpu']}, {res['cores']} cores; {a.rounds} rounds; 1-min load {res['load_range'][0]:.2f}–{res['load_range'][1]:.2f}")
    print("| measure | old (median) | new (median) | new/old, median of paired ratios (min–max) |")
    print("| --- | --- | --- | --- |")
    for key, name in names.items():
        if key not in summary:
            continue
        s = summary[key]
        print(f"| {name} | {s['old_median']:.1f} | {s['new_median']:.1f} | {s['paired_ratio_median']:.3f} "
              f"({s['ratio_min_max'][0]:.3f}–{s['ratio_min_max'][1]:.3f}) |")
    b = summary["ann_build_s"]
    print(f"| ann-bench build of {a.n:,} vectors, s (one each) | {b['old']:.1f} | {b['new']:.1f} | "
          f"{b['ratio_old_over_new']:.3f} (old/new) |")
    print(f"recall@10 at ef 10/40/160: " + ", ".join(f"{rows['new'][f'recall_ef{ef}']:.3f}" for ef in efs))


if __name__ == "__main__":
    main()
