#!/usr/bin/env python3
"""Scores a vecdb run (TREC format, from `vecdb eval --run-dir`) with pytrec_eval and, optionally, checks the
metrics `vecdb eval --json` printed for it.

    bench/.venv-eval/bin/python bench/eval/check_run.py RUN QRELS.tsv [--vecdb-json OUT.json --model NAME]
                                                       [--write EXPECTED.json]

nDCG@10, MAP@10, Recall@10/100 are pytrec_eval's ndcg_cut, map_cut and recall measures on the whole run;
MRR@10 is pytrec_eval's recip_rank on each query's top 10 in trec_eval order (score desc, then doc id desc),
i.e. BEIR's mrr@10 when scores do not tie. Means are over the queries of the run (every judged query has one).
Exits 1 when --vecdb-json differs by more than 1e-6 on any metric.
"""
import argparse
import json
import sys

import pytrec_eval

parser = argparse.ArgumentParser()
parser.add_argument("run")
parser.add_argument("qrels")
parser.add_argument("--vecdb-json")
parser.add_argument("--model", default="minilm")
parser.add_argument("--write")
args = parser.parse_args()

qrels = {}
with open(args.qrels) as f:
    next(f)
    for line in f:
        q, d, s = line.rstrip("\n").split("\t")
        qrels.setdefault(q, {})[d] = int(s)
run = {}
with open(args.run) as f:
    for line in f:
        q, _, d, _, score, _ = line.split()
        run.setdefault(q, {})[d] = float(score)

full = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "map_cut.10", "recall.10,100"}).evaluate(run)
top10 = {q: dict(sorted(sorted(r.items(), key=lambda kv: kv[0], reverse=True), key=lambda kv: kv[1], reverse=True)[:10])
         for q, r in run.items()}
rr = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(top10)
n = len(full)
metrics = {
    "ndcg_at_10": sum(v["ndcg_cut_10"] for v in full.values()) / n,
    "mrr_at_10": sum(v["recip_rank"] for v in rr.values()) / n,
    "recall_at_10": sum(v["recall_10"] for v in full.values()) / n,
    "recall_at_100": sum(v["recall_100"] for v in full.values()) / n,
    "map_at_10": sum(v["map_cut_10"] for v in full.values()) / n,
}
print(json.dumps({"queries": n, "pytrec_eval": metrics}, indent=1, sort_keys=True))
if args.write:
    with open(args.write, "w") as f:
        json.dump({"queries": n, "metrics": metrics, "source": "pytrec_eval over the run of `vecdb eval`"}, f,
                  indent=1, sort_keys=True)
        f.write("\n")
if args.vecdb_json:
    ours = json.load(open(args.vecdb_json))["models"][args.model]
    bad = {k: (ours[k], v) for k, v in metrics.items() if abs(ours[k] - v) > 1e-6}
    # vecdb prints 5 decimals; allow the rounding.
    bad = {k: p for k, p in bad.items() if abs(p[0] - p[1]) > 5e-6}
    print("vecdb agrees with pytrec_eval" if not bad else f"MISMATCH (vecdb, pytrec_eval): {bad}")
    sys.exit(1 if bad else 0)
