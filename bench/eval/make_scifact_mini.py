#!/usr/bin/env python3
"""Writes Tests/VecDBTests/Fixtures/eval/scifact-mini/: a 40-document, 10-query BEIR-format subset of SciFact.

    python3 bench/eval/make_scifact_mini.py ../shared/data/scifact [RUN]

The first 10 queries of qrels/test.tsv (file order) with all their judgements, every document judged for them,
and distractors up to 40 documents. With RUN (a TREC run of the full corpus, e.g. minilm's from
`vecdb eval --run-dir`), the distractors are the highest-ranked non-judged documents of those queries, taken
rank by rank across the queries, so the subset keeps SciFact's hard negatives and the metrics are not all 1;
without it they are drawn with a fixed seed. Lines are copied unchanged, in the source files' order.
"""
import json
import os
import random
import sys

source = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
target = os.path.join(here, "..", "..", "Tests", "VecDBTests", "Fixtures", "eval", "scifact-mini")
os.makedirs(os.path.join(target, "qrels"), exist_ok=True)

with open(os.path.join(source, "qrels", "test.tsv")) as f:
    header, *rows = f.read().splitlines()
queries = []
for row in rows:
    q = row.split("\t")[0]
    if q not in queries:
        queries.append(q)
queries = queries[:10]
kept_rows = [r for r in rows if r.split("\t")[0] in queries]
judged = {r.split("\t")[1] for r in kept_rows}

corpus_lines = open(os.path.join(source, "corpus.jsonl")).read().splitlines()
ids = [json.loads(line)["_id"] for line in corpus_lines]
others = [i for i in ids if i not in judged]
if len(sys.argv) > 2:
    ranked = {}
    for line in open(sys.argv[2]):
        q, _, d, rank, _, _ = line.split()
        if q in queries:
            ranked.setdefault(q, []).append((int(rank), d))
    chosen = set(judged)
    for depth in range(1000):
        for q in queries:
            hits = sorted(ranked.get(q, []))
            if depth < len(hits) and len(chosen) < 40:
                chosen.add(hits[depth][1])
        if len(chosen) >= 40:
            break
else:
    chosen = judged | set(random.Random(20240517).sample(others, 40 - len(judged)))

with open(os.path.join(target, "corpus.jsonl"), "w") as f:
    f.writelines(line + "\n" for line, i in zip(corpus_lines, ids) if i in chosen)
with open(os.path.join(target, "queries.jsonl"), "w") as f:
    for line in open(os.path.join(source, "queries.jsonl")).read().splitlines():
        if json.loads(line)["_id"] in queries:
            f.write(line + "\n")
with open(os.path.join(target, "qrels", "test.tsv"), "w") as f:
    f.write(header + "\n" + "".join(r + "\n" for r in kept_rows))
print(f"{len(chosen)} documents, {len(queries)} queries, {len(kept_rows)} judgements -> {os.path.normpath(target)}")
