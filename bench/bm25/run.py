#!/usr/bin/env python3
"""vecdb's BM25 against bm25s, side by side in one run: index build time and one-thread query throughput (top 10)
on SciFact's 300 test claims and on 1,000 longer queries (long_queries.jsonl), rounds interleaved.

    bench/.venv/bin/python bench/bm25/run.py [--data /work/shared/data/scifact] [--rounds 7] [--builds 5]

Needs `swift build -c release --product bm25-bench` and bench/.venv with bm25s, PyStemmer, numba (README.md).
Both peers get the same query texts and analyse them inside the timed round (vecdb: its Swift analyzer; bm25s:
analyzer.py, the same pipeline in Python). bm25s is called its fastest way: one batched `retrieve(...,
n_threads=1)` on the numba backend over the whole list, compiled before any round; its retrieval-only time
(queries analysed beforehand) is reported too. vecdb answers each query as an application would: one
`Snapshot.nearestText` each, all in one read snapshot. Builds: vecdb stores the documents and their postings in
a fresh LMDB database and commits; bm25s analyses and indexes in memory.
Prints each round as a JSON line, then a summary: medians, ratios (vecdb / bm25s), CPU model, load.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


class Peer:
    def __init__(self, command):
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)

    def ask(self, command, phase, answers_expected=1):
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        answers = []
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise SystemExit(f"peer ended while answering {command}")
            answer = json.loads(line)
            if answer.get("phase") == phase:
                answers.append(answer)
                if len(answers) == answers_expected:
                    return answers

    def close(self):
        self.process.stdin.write("quit\n")
        self.process.stdin.flush()
        self.process.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="/work/shared/data/scifact")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--builds", type=int, default=5)
    args = ap.parse_args()
    corpus = os.path.join(args.data, "corpus.jsonl")
    bench = os.path.join(ROOT, ".build/release/bm25-bench")
    python = sys.executable
    sets = [("300 SciFact test claims", os.path.join(args.data, "queries.jsonl"), os.path.join(args.data, "qrels/test.tsv"), 10),
            ("1,000 long queries", os.path.join(HERE, "long_queries.jsonl"), None, 3)]
    load_before = os.getloadavg()
    summary = {"cpu": cpu_model(), "cores": os.cpu_count(), "load_before": [round(x, 2) for x in load_before]}
    rows = []
    for index, (name, queries, qrels, repeat) in enumerate(sets):
        common = ["--corpus", corpus, "--queries", queries, "--repeat", str(repeat)] + (["--qrels", qrels] if qrels else [])
        vecdb = Peer([bench] + common + ["--db", f"/tmp/vecdb-bm25-bench-{os.getpid()}"])
        peer = Peer([python, os.path.join(HERE, "bm25s_bench.py"), "--serve", "--backends", "numba,numba-ids"] + common)
        # bm25s builds (and compiles numba) as it starts: that first build line is not an answer to a command.
        while json.loads(peer.process.stdout.readline()).get("phase") != "queries":
            pass
        builds = {"vecdb": [], "bm25s": []}
        for b in range(args.builds if index == 0 else 1):
            for tool, p in (("vecdb", vecdb), ("bm25s", peer)):
                answer = p.ask("build", "build")[0]
                print(json.dumps(answer), flush=True)
                builds[tool].append(answer)
        rounds = {"vecdb": [], "bm25s": [], "bm25s_retrieval_only": []}
        for r in range(args.rounds):
            for tool, p in ((("vecdb", vecdb), ("bm25s", peer)) if r % 2 == 0 else (("bm25s", peer), ("vecdb", vecdb))):
                # bm25s answers a query round once per backend (numba, numba-ids).
                for answer in p.ask("query", "query", 1 if tool == "vecdb" else 2):
                    print(json.dumps(answer), flush=True)
                    if tool == "vecdb":
                        rounds["vecdb"].append(answer["qps"])
                    elif answer["backend"] == "numba":
                        rounds["bm25s"].append(answer["qps_incl_tokenize"])
                        rounds["bm25s_retrieval_only"].append(answer["qps"])
        vecdb.close()
        peer.close()
        medians = {k: statistics.median(v) for k, v in rounds.items()}
        row = {"queries": name, "vecdb_qps": round(medians["vecdb"]), "bm25s_qps": round(medians["bm25s"]),
               "bm25s_retrieval_only_qps": round(medians["bm25s_retrieval_only"]),
               "ratio": round(medians["vecdb"] / medians["bm25s"], 2),
               "ratio_vs_retrieval_only": round(medians["vecdb"] / medians["bm25s_retrieval_only"], 2)}
        if index == 0:
            vb = statistics.median(b["seconds"] for b in builds["vecdb"])
            pb = statistics.median(b["seconds"] for b in builds["bm25s"])
            summary["build"] = {"vecdb_seconds": round(vb, 3), "bm25s_seconds": round(pb, 3), "ratio_bm25s_over_vecdb": round(pb / vb, 2),
                                "vecdb_postings_bytes_per_doc": round(builds["vecdb"][-1]["bytes_per_doc"], 1),
                                "vecdb_bytes_per_posting": round(builds["vecdb"][-1]["bytes_per_posting"], 2),
                                "vecdb_file_bytes": builds["vecdb"][-1]["file_bytes"]}
        rows.append(row)
    summary["rows"] = rows
    summary["load_after"] = [round(x, 2) for x in os.getloadavg()]
    summary["command"] = "bench/.venv/bin/python bench/bm25/run.py " + " ".join(sys.argv[1:])
    print(json.dumps({"summary": summary}, indent=1))


if __name__ == "__main__":
    main()
