#!/usr/bin/env python3
"""Renders bench/out/ann-<tag>.json (written by run.py) as the markdown tables of bench/RESULTS.md, section ANN."""
import json, sys

r = json.load(open(sys.argv[1]))
peers = r["peers"]
names = list(peers)
data = r.get("data", "synthetic clustered")
what = ("all-MiniLM-L6-v2 embeddings of the SciFact abstracts' sentences; queries: the SciFact claims"
        if data.startswith("scifact") else "synthetic clustered unit vectors")
print(f"- data: {r['n']:,} × {r['dims']} {what}, {r['queries']:,} queries, M={r['M']}, efConstruction={r['efConstruction']}")
print(f"- machine: {r['machine']}, {r['cores']} cores (shared); load average before {r['load_before'][0]:.1f}, after {r['load_after'][0]:.1f}")
versions = ", ".join(f"{n} {p['version']}" for n, p in peers.items() if "version" in p)
if versions:
    print(f"- peers: {versions}")
print()
sweeps = {n: {(s["ef"], s["threads"]): s for s in p.get("sweep", [])} for n, p in peers.items()}
cells = list(sweeps[names[0]])
if cells:
    rounds = len(sweeps[names[0]][cells[0]]["runs_s"])
    print(f"Recall@10 and QPS (median of {rounds} interleaved rounds); in brackets, QPS ÷ hnswlib's, the median of the per-round ratios.")
    print()
    print("| ef | threads | " + " | ".join(f"recall {n}" for n in names) + " | " + " | ".join(f"QPS {n}" for n in names) + " |")
    print("|---:|---:|" + "---:|" * (2 * len(names)))
    for cell in cells:
        recalls = " | ".join(f"{sweeps[n][cell]['recall_at_10']:.4f}" for n in names)
        qps = []
        for n in names:
            s = sweeps[n][cell]
            ratio = f" ({s['ratio_to_hnswlib']:.2f}×)" if n != "hnswlib" and "ratio_to_hnswlib" in s else ""
            qps.append(f"{s['qps']:,.0f}{ratio}")
        print(f"| {cell[0]} | {cell[1]} | {recalls} | " + " | ".join(qps) + " |")
    print()
    twos = [c for c in cells if c[1] > 1]
    if twos:
        print("Speedup of 2 threads over 1 thread, same peer (median of per-round ratios):")
        print()
        print("| ef | " + " | ".join(names) + " |")
        print("|---:|" + "---:|" * len(names))
        for cell in twos:
            print(f"| {cell[0]} | " + " | ".join(f"{sweeps[n][cell].get('speedup_over_1_thread', 0):.2f}×" for n in names) + " |")
        print()
print("| | " + " | ".join(names) + " |")
print("|---|" + "---:|" * len(names))
def row(label, f):
    def cell(p):
        try:
            return f(p)
        except KeyError:  # not measured (e.g. run.py --reuse: no builds)
            return ""
    print(f"| {label} | " + " | ".join(cell(peers[n]) for n in names) + " |")
row("build on 1 thread, wall (s)", lambda p: f"{p['build_s']:.1f}")
row("build on 2 threads, wall (s)", lambda p: f"{p['build_2_threads_s']:.1f}" if "build_2_threads_s" in p else "")
row("vecdb `index rebuild` on 1 / 2 threads, wall (s)", lambda p: " / ".join(
    f"{p[k]:.1f}" for k in ("rebuild_1_threads_s", "rebuild_2_threads_s") if k in p))
row("build, CPU (s)", lambda p: f"{p['build_cpu_s']:.1f}")
row("bytes per vector the walk reads", lambda p: f"{p['walked_bytes_per_vector']}")
row("bytes per vector on disk, the index", lambda p: f"{p['index_bytes_per_vector'] if 'index_bytes_per_vector' in p else p['bytes_per_vector']:.0f}")
row("bytes per vector on disk, the whole database (compacted)", lambda p: f"{p['bytes_per_vector']:.0f}" if "compact_bytes" in p else "")
row("open + first query, exec to printed result (ms, median of 7)", lambda p: f"{p['open_first_query_ms']:.0f}")
if "hnswlib" in peers and "python_import_only_ms" in peers["hnswlib"]:
    print(f"\n(Python start + `import hnswlib, numpy` alone: {peers['hnswlib']['python_import_only_ms']:.0f} ms of the peers' open times.)")
