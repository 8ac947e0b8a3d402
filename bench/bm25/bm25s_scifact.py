#!/usr/bin/env python3
"""BM25 reference run on BEIR SciFact with bm25s (method="lucene"), scored BEIR's way with pytrec_eval.

    bench/.venv/bin/python bench/bm25/bm25s_scifact.py --run OUT.trec [--vecdb-run VECDB.trec]
                                                       [--data DIR] [--k1 0.9] [--b 0.4] [--dtype float64]

Analyzer: bench/bm25/analyzer.py (vecdb's: letter/digit runs, lowercase, 33 Lucene stopwords, Porter).
Documents: title + " " + text. Queries: those of queries.jsonl that have qrels in qrels/test.tsv (300).
Scoring: bm25s BM25(method="lucene"): idf = ln(1 + (N - df + 0.5)/(df + 0.5)),
tf part = tf / (tf + k1 (1 - b + b dl/avgdl)), no (k1 + 1) factor; a query term given twice counts twice.

The run holds each query's top 100 from bm25s's own score vector (BM25.get_scores), ordered by score
descending then corpus position ascending (vecdb's tie rule), written `qid Q0 docid rank score bm25s`.
It is checked against bm25s.retrieve(k=100): same scores at every rank (ties may be ordered differently).

Evaluation follows beir.retrieval.evaluation.EvaluateRetrieval.evaluate: qrels passed to pytrec_eval as
they are (SciFact's are all 1), a document whose id equals its query's id is dropped from the run
(ignore_identical_ids=True), measures ndcg_cut.10, recall.10/100, map_cut.10, means over the queries
pytrec_eval scored. MRR@10 is added (recip_rank on each query's top 10, like bench/eval/check_run.py).
Note pytrec_eval (trec_eval) re-sorts each query by score desc, then doc id desc: the rank column is
ignored, so tie order within the run does not change the metrics; only which tied docs make the cut does.
"""
import argparse
import csv
import json
import math
import os
import sys
import time

os.environ.setdefault("DISABLE_TQDM", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import bm25s  # noqa: E402
import pytrec_eval  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import analyzer  # noqa: E402
from analyzer import analyze, doc_text  # noqa: E402


def load_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_qrels(path):
    qrels = {}
    with open(path, encoding="utf-8") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_MINIMAL)
        next(reader)
        for row in reader:
            qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    return qrels


def load_run(path):
    run = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            q, _, d, rank, score = parts[:5]
            run.setdefault(q, []).append((int(rank), d, float(score)))
    ranked = {q: [(d, s) for _, d, s in sorted(rows)] for q, rows in run.items()}
    return ranked


def evaluate(qrels, ranked):
    """ranked: qid -> [(docid, score)] best first. Returns (means, per-query, popped)."""
    results = {q: {d: s for d, s in rows} for q, rows in ranked.items()}
    popped = 0
    for qid, rels in results.items():  # BEIR: ignore_identical_ids=True
        if qid in rels:
            rels.pop(qid)
            popped += 1
    ev = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.10,100", "map_cut.10"})
    per = ev.evaluate(results)
    top10 = {q: dict(sorted(sorted(r.items(), key=lambda kv: kv[0], reverse=True),
                            key=lambda kv: kv[1], reverse=True)[:10]) for q, r in results.items()}
    rr = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(top10)
    n = len(per)
    means = {
        "ndcg_at_10": sum(v["ndcg_cut_10"] for v in per.values()) / n,
        "recall_at_10": sum(v["recall_10"] for v in per.values()) / n,
        "recall_at_100": sum(v["recall_100"] for v in per.values()) / n,
        "map_at_10": sum(v["map_cut_10"] for v in per.values()) / n,
        "mrr_at_10": sum(v["recip_rank"] for v in rr.values()) / len(rr),
        "queries": n,
    }
    return means, per, popped


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="/work/shared/data/scifact")
    ap.add_argument("--run", required=True, help="TREC run file to write")
    ap.add_argument("--vecdb-run", help="a TREC run from vecdb to score and compare")
    ap.add_argument("--k1", type=float, default=0.9)
    ap.add_argument("--b", type=float, default=0.4)
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--dtype", default="float64", help="bm25s score dtype (its default is float32)")
    ap.add_argument("--keep-empty-terms", action="store_true",
                    help="keep the empty term that Porter makes of 's', as bm25s does by default (vecdb drops it; see analyzer.py)")
    args = ap.parse_args()
    analyzer.DROP_EMPTY_TERMS = not args.keep_empty_terms

    corpus = load_jsonl(os.path.join(args.data, "corpus.jsonl"))
    queries = {q["_id"]: q["text"] for q in load_jsonl(os.path.join(args.data, "queries.jsonl"))}
    qrels = load_qrels(os.path.join(args.data, "qrels", "test.tsv"))
    qids = [q for q in queries if q in qrels]  # BEIR keeps the queries that have qrels, in file order
    doc_ids = [d["_id"] for d in corpus]

    t0 = time.perf_counter()
    corpus_terms = [analyze(doc_text(d)) for d in corpus]
    t1 = time.perf_counter()
    retriever = bm25s.BM25(k1=args.k1, b=args.b, method="lucene", dtype=args.dtype)
    retriever.index(corpus_terms, create_empty_token=False, show_progress=False)
    t2 = time.perf_counter()
    lengths = np.array([len(t) for t in corpus_terms])
    print(f"corpus: {len(corpus)} docs, {len(retriever.vocab_dict)} terms, avgdl {lengths.mean():.4f}, "
          f"{int((lengths == 0).sum())} empty; analyse {t1 - t0:.2f}s, index {t2 - t1:.2f}s", file=sys.stderr)

    query_terms = [analyze(queries[q]) for q in qids]
    positions = np.arange(len(corpus))
    ranked = {}
    boundary_ties = {10: 0, args.k: 0}
    for qid, terms in zip(qids, query_terms):
        known = [t for t in terms if t in retriever.vocab_dict]
        if not known:
            ranked[qid] = []
            continue
        scores = retriever.get_scores(known)
        order = np.lexsort((positions, -scores))  # score desc, then corpus position asc
        top = [i for i in order[: args.k] if scores[i] > 0]
        ranked[qid] = [(doc_ids[i], float(scores[i])) for i in top]
        for cut in boundary_ties:
            if len(order) > cut and scores[order[cut - 1]] > 0 and scores[order[cut - 1]] == scores[order[cut]]:
                boundary_ties[cut] += 1
    # cross-check against bm25s's own top-k
    nonempty = [i for i, t in enumerate(query_terms) if any(x in retriever.vocab_dict for x in t)]
    res = retriever.retrieve([query_terms[i] for i in nonempty], k=min(args.k, len(doc_ids)), show_progress=False)
    for row, i in enumerate(nonempty):
        mine = [s for _, s in ranked[qids[i]]]
        theirs = [float(s) for s in res.scores[row] if s > 0]
        assert np.allclose(mine, theirs, rtol=0, atol=0), (qids[i], mine[:5], theirs[:5])
    print(f"bm25s.retrieve agrees score-for-score; queries with a tie across rank 10/11: {boundary_ties[10]}, "
          f"across {args.k}/{args.k + 1}: {boundary_ties[args.k]}", file=sys.stderr)

    with open(args.run, "w") as f:
        for qid in qids:
            for rank, (d, s) in enumerate(ranked[qid], 1):
                f.write(f"{qid} Q0 {d} {rank} {s!r} bm25s\n")

    means, per, popped = evaluate(qrels, ranked)
    print(json.dumps({"tool": "bm25s", "version": bm25s.__version__, "k1": args.k1, "b": args.b,
                      "dtype": args.dtype, "drop_empty_terms": not args.keep_empty_terms, "identical_ids_dropped": popped,
                      **{k: round(v, 5) if isinstance(v, float) else v for k, v in means.items()}}))

    if args.vecdb_run:
        theirs = load_run(args.vecdb_run)
        vmeans, vper, vpopped = evaluate(qrels, theirs)
        print(json.dumps({"tool": "vecdb", "identical_ids_dropped": vpopped,
                          **{k: round(v, 5) if isinstance(v, float) else v for k, v in vmeans.items()}}))
        diff = {k: round(vmeans[k] - means[k], 6) for k in means if k != "queries"}
        same_list = same_set = 0
        max_abs = 0.0
        max_rel = 0.0
        shared = 0
        for qid in qids:
            a = [d for d, _ in ranked.get(qid, [])[:10]]
            b = [d for d, _ in theirs.get(qid, [])[:10]]
            same_list += a == b
            same_set += set(a) == set(b)
            ref = dict(ranked.get(qid, []))
            for d, s in theirs.get(qid, []):
                if d in ref:
                    shared += 1
                    max_abs = max(max_abs, abs(s - ref[d]))
                    max_rel = max(max_rel, abs(s - ref[d]) / max(abs(ref[d]), 1e-300))
        n = len(qids)
        print(json.dumps({"diff_vecdb_minus_bm25s": diff,
                          "top10_identical_order": round(same_list / n, 5),
                          "top10_identical_set": round(same_set / n, 5),
                          "queries": n,
                          "missing_queries_in_vecdb_run": sum(q not in theirs for q in qids),
                          "shared_pairs": shared,
                          "max_abs_score_diff": max_abs,
                          "max_rel_score_diff": max_rel}))


if __name__ == "__main__":
    main()
