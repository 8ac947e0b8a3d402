#!/usr/bin/env python3
"""Writes metrics_golden.json: small random runs and graded qrels with the metrics pytrec_eval gives them.

The Swift tests (MetricsGoldenTests) check IRMetrics against these values. Run from this folder with the venv of
bench/eval/setup.sh (pytrec_eval-terrier + numpy):

    ../../../../bench/.venv-eval/bin/python make_metrics_golden.py

nDCG@k, MAP@k and Recall@k are pytrec_eval's `ndcg_cut`, `map_cut` and `recall` measures on the whole run.
MRR@k is pytrec_eval's `recip_rank` on the run cut to its top k in trec_eval's order (score descending, then
document id descending), which is what BEIR's mrr@k computes when scores do not tie.
Scores are rounded to one decimal so that ties are frequent and the tie order is exercised.
"""
import json

import numpy as np
import pytrec_eval

KS = [1, 3, 5, 10, 100]
rng = np.random.default_rng(20240517)


def trec_order(run_q):
    # Sort twice (stable): id descending, then score descending.
    items = sorted(run_q.items(), key=lambda kv: kv[0], reverse=True)
    return sorted(items, key=lambda kv: kv[1], reverse=True)


def make_case(n_queries, n_docs, run_len):
    docs = [f"d{i}" for i in range(n_docs)]
    qrels, run = {}, {}
    for q in range(n_queries):
        qid = f"q{q}"
        judged = rng.choice(docs, size=int(rng.integers(1, 6)), replace=False)
        # Grades 0..3: 0 is judged-not-relevant and must not count.
        qrels[qid] = {str(d): int(rng.integers(0, 4)) for d in judged}
        retrieved = rng.choice(docs, size=min(run_len, n_docs), replace=False)
        run[qid] = {str(d): float(np.round(rng.random(), 1)) for d in retrieved}
    return qrels, run


def evaluate(qrels, run):
    measures = {f"ndcg_cut.{','.join(map(str, KS))}", f"map_cut.{','.join(map(str, KS))}",
                f"recall.{','.join(map(str, KS))}"}
    full = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)
    expected = {}
    for qid, values in full.items():
        row = {}
        for k in KS:
            row[f"ndcg_at_{k}"] = values[f"ndcg_cut_{k}"]
            row[f"map_at_{k}"] = values[f"map_cut_{k}"]
            row[f"recall_at_{k}"] = values[f"recall_{k}"]
            top = dict(trec_order(run[qid])[:k])
            rr = pytrec_eval.RelevanceEvaluator({qid: qrels[qid]}, {"recip_rank"}).evaluate({qid: top})
            row[f"mrr_at_{k}"] = rr[qid]["recip_rank"] if qid in rr else 0.0
        expected[qid] = row
    return expected


cases = []
for n_queries, n_docs, run_len in [(5, 12, 6), (8, 30, 15), (10, 200, 120), (6, 8, 8)]:
    qrels, run = make_case(n_queries, n_docs, run_len)
    cases.append({"qrels": qrels, "run": run, "expected": evaluate(qrels, run)})

# A query whose judgements are all 0, and tied scores whose order decides the metrics.
qrels = {"qa": {"x": 0, "y": 0}, "qb": {"a": 1, "c": 2}, "qc": {"b": 1}}
run = {"qa": {"x": 0.9, "y": 0.8}, "qb": {"a": 0.5, "c": 0.5, "z": 0.9}, "qc": {"a": 0.5, "b": 0.5, "c": 0.5}}
cases.append({"qrels": qrels, "run": run, "expected": evaluate(qrels, run)})

with open("metrics_golden.json", "w") as f:
    json.dump({"generator": "make_metrics_golden.py", "pytrec_eval": "pytrec_eval-terrier", "ks": KS,
               "cases": cases}, f, indent=1, sort_keys=True)
    f.write("\n")
print(f"wrote metrics_golden.json: {len(cases)} cases")
