#!/usr/bin/env python3
"""Renders bench/out/ann-<n>.json (written by run.py) as the markdown table of bench/RESULTS.md, section ANN."""
import json, sys

r = json.load(open(sys.argv[1]))
h, o = r.get("hnswlib"), r["vecdb"]
data = r.get("data", "synthetic clustered")
what = ("all-MiniLM-L6-v2 embeddings of the SciFact abstracts' sentences; queries: the SciFact claims"
        if data.startswith("scifact") else "synthetic clustered unit vectors")
print(f"- data: {r['n']:,} × {r['dims']} {what}, {r['queries']:,} queries, M={r['M']}, efConstruction={r['efConstruction']}")
print(f"- machine: {r['machine']}, {r['cores']} cores (shared); load average before {r['load_before'][0]:.1f}, after {r['load_after'][0]:.1f}")
print()
rounds = len(o["sweep"][0]["runs_s"])
print(f"| ef | threads | recall@10 hnswlib | recall@10 vecdb | QPS hnswlib | QPS vecdb | ratio, median of {rounds} pairs (min–max) | ratio of medians | ratio of CPU-time medians | vecdb speedup over 1 thread |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for hs, os_ in zip(h["sweep"], o["sweep"]):
    low, high = hs["paired_ratio_min_max"]
    speedup = f"{os_['speedup_over_1_thread']:.2f}×" if "speedup_over_1_thread" in os_ else ""
    print(f"| {hs['ef']} | {hs.get('threads', 1)} | {hs['recall_at_10']:.4f} | {os_['recall_at_10']:.4f} | {hs['qps']:,.0f} | {os_['qps']:,.0f} | "
          f"**{hs['paired_ratio']:.2f}×** ({low:.2f}–{high:.2f}) | {os_['qps'] / hs['qps']:.2f}× | {os_['qps_cpu'] / hs['qps_cpu']:.2f}× | {speedup} |")
print()
print("| | hnswlib | vecdb | ratio |")
print("|---|---:|---:|---:|")
print(f"| build, wall (s) | {h['build_s']:.1f} | {o['build_s']:.1f} | {o['build_s'] / h['build_s']:.2f}× |")
if "build_2_threads_s" in h:
    print(f"| build on 2 threads, wall (s) | {h['build_2_threads_s']:.1f} | (vecdb builds on one) | {o['build_s'] / h['build_2_threads_s']:.2f}× |")
print(f"| build, CPU (s) | {h['build_cpu_s']:.1f} | {o['build_cpu_s']:.1f} | {o['build_cpu_s'] / h['build_cpu_s']:.2f}× |")
print(f"| bytes per vector on disk, the index | {h['bytes_per_vector']:.0f} | {o['index_bytes_per_vector']:.0f} (the `hnsw` table) | {o['index_bytes_per_vector'] / h['bytes_per_vector']:.2f}× |")
print(f"| bytes per vector on disk, the whole database | | {o['bytes_per_vector']:.0f} (compacted copy; live file {o['bytes_per_vector_uncompacted']:.0f}) | {o['bytes_per_vector'] / h['bytes_per_vector']:.2f}× |")
tables = ", ".join(f"{name} {size / r['n']:.0f}" for name, size in sorted(o["table_bytes"].items(), key=lambda t: -t[1]) if size)
print(f"| vecdb bytes per vector by table | | {tables} | |")
print(f"| open + first query, exec to printed result (ms, median of 7) | {h['open_first_query_ms']:.0f} (of which Python + imports {h['python_import_only_ms']:.0f}) | {o['open_first_query_ms']:.1f} | |")
print(f"| vecdb build peak RSS (MB) | | {o['max_rss_mb']:.0f} | |")
