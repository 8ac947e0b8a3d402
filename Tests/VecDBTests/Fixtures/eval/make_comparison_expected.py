#!/usr/bin/env python3
"""Writes comparison_expected.json: what `ModelComparison` must find on the committed SciFact subset's two runs.

    python3 Tests/VecDBTests/Fixtures/eval/make_comparison_expected.py

Inputs, in this folder: scifact-mini/qrels/test.tsv and the two TREC runs in mini-runs/ (written by
`vecdb eval --dataset scifact-mini --models minilm,smollm2 --pooling mean --prompt raw --exact --run-dir`). Computed
here from the definitions, independently of vecdb: each query's nDCG@10 (linear gains, log2(rank + 1) discount, ideal
from all judged relevant documents) under both runs, the delta (second minus first), wins / ties / losses, and the
1-based rank of every relevant document under each run within the top 100 (None beyond it). Ranking order is
trec_eval's: score descending, then document id descending.
"""
import json
import math
import os

here = os.path.dirname(os.path.abspath(__file__))
first, second = "minilm", "smollm2-mean-raw"


def read_run(path):
    run = {}
    for line in open(path):
        query, _, document, _, score, _ = line.split()
        run.setdefault(query, []).append((document, float(score)))
    # Sort by id descending first, then (stably) by score descending: ties keep the larger id first.
    return {q: [d for d, _ in sorted(sorted(hits, key=lambda h: h[0], reverse=True), key=lambda h: -h[1])]
            for q, hits in run.items()}


qrels = {}
with open(os.path.join(here, "scifact-mini", "qrels", "test.tsv")) as f:
    next(f)
    for line in f:
        query, document, grade = line.split()
        qrels.setdefault(query, {})[document] = int(grade)

runs = {name: read_run(os.path.join(here, "mini-runs", name + ".run")) for name in (first, second)}


def ndcg10(ranking, judgments):
    dcg = sum(judgments.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranking[:10]) if judgments.get(d, 0) > 0)
    ideal = sorted((g for g in judgments.values() if g > 0), reverse=True)[:10]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


per_query, ndcg, movements = {}, {first: {}, second: {}}, []
for query in sorted(qrels):
    for name in (first, second):
        ndcg[name][query] = ndcg10(runs[name].get(query, []), qrels[query])
    per_query[query] = ndcg[second][query] - ndcg[first][query]
    for document in sorted(d for d, g in qrels[query].items() if g > 0):
        ranks = []
        for name in (first, second):
            top = runs[name].get(query, [])[:100]
            ranks.append(top.index(document) + 1 if document in top else None)
        movements.append({"query": query, "document": document, "rank_a": ranks[0], "rank_b": ranks[1]})

deltas = list(per_query.values())
expected = {
    "a": first, "b": second, "ndcg_at_10": ndcg, "per_query": per_query,
    "wins": sum(d > 1e-12 for d in deltas), "ties": sum(abs(d) <= 1e-12 for d in deltas),
    "losses": sum(d < -1e-12 for d in deltas), "mean_delta": sum(deltas) / len(deltas), "movements": movements,
}
with open(os.path.join(here, "comparison_expected.json"), "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
    f.write("\n")
print(json.dumps({k: expected[k] for k in ("wins", "ties", "losses", "mean_delta")}))
