#!/usr/bin/env python3
"""bm25s side of vecdb's BM25 throughput benchmark: index build time, then single-thread query throughput.

    bench/.venv/bin/python bench/bm25/bm25s_bench.py --corpus CORPUS.jsonl --queries QUERIES.jsonl
        [--qrels qrels/test.tsv] [--k 10] [--rounds 5] [--k1 0.9] [--b 0.4] [--dtype float32]
        [--backends numba,numba-ids,numba-single,numpy] [--repeat 1]

--corpus: BEIR corpus.jsonl (_id, title, text; document = title + " " + text). --queries: jsonl with _id, text;
--qrels keeps only the queries that have qrels (SciFact's 300 test claims from its 1,109).
Analyzer: bench/bm25/analyzer.py (vecdb's). Scoring: BM25(method="lucene"), float32 scores (bm25s's default).
One thread: NUMBA_NUM_THREADS, OMP_NUM_THREADS, MKL/OPENBLAS threads are set to 1 here, before any import.

Prints JSON lines on stdout:
  {"phase":"build", ...}       analyse (tokenize) seconds, index seconds, their sum, docs, terms, postings,
                               index bytes (bm25s's CSC arrays data + indices + indptr) and bytes per document
  {"phase":"compile", ...}     numba JIT compile time (first call, not in any round)
  {"phase":"query", ...}       one line per round and configuration:
      seconds / qps                       retrieval only, from analysed query terms (strings; bm25s maps
                                          them to ids itself) to sorted top-k ids and scores
      tokenize_seconds                    analysing the query texts (regex, lowercase, stopwords, Porter)
      seconds_incl_tokenize / qps_incl_tokenize   the two together
  configurations: backend "numba" = BM25(backend="numba").retrieve(terms, n_threads=1), bm25s's serial
  jitted loop over the whole batch; "numba-ids" = the same from pre-mapped token ids (vocabulary lookup
  also excluded); "numba-single" = the numba call made once per query (a one-query batch each, as an
  application answering queries one at a time would); "numpy" = BM25(backend="numpy").retrieve(terms, n_threads=0), a Python loop per query
  (scipy-free numpy scorer + np.argpartition). Queries with no term in the index are left out (counted).
Note PyStemmer caches stems (10,000 words), so rounds after the first analyse repeated words faster.
"""
import os

for _v in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_v] = "1"
os.environ.setdefault("DISABLE_TQDM", "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import bm25s  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from analyzer import analyze, doc_text  # noqa: E402


def emit(**kv):
    print(json.dumps({"tool": "bm25s", **kv}), flush=True)


def load_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--queries", required=True)
    ap.add_argument("--qrels", help="keep only queries with a row in this BEIR qrels tsv")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--k1", type=float, default=0.9)
    ap.add_argument("--b", type=float, default=0.4)
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--backends", default="numba,numba-ids,numba-single,numpy")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run the query list this many times per round (queries = N x repeat)")
    ap.add_argument("--serve", action="store_true",
                    help="after the first build, read commands from stdin: 'build' (analyse + index again), "
                         "'query' (one round of each backend), 'quit'; bench/bm25/run.py interleaves vecdb this way")
    args = ap.parse_args()
    backends = args.backends.split(",")

    corpus = load_jsonl(args.corpus)
    texts = [doc_text(d) for d in corpus]
    del corpus
    queries = load_jsonl(args.queries)
    if args.qrels:
        with open(args.qrels, encoding="utf-8") as f:
            reader = csv.reader(f, delimiter="\t")
            next(reader)
            judged = {row[0] for row in reader}
        queries = [q for q in queries if q["_id"] in judged]

    # --- build: analyse + index (numba CSC builder, compiled beforehand on a dummy corpus) ---------------------
    use_numba = any(b.startswith("numba") for b in backends)
    for b in backends:
        assert b in ("numba", "numba-ids", "numba-single", "numpy"), b
    t = time.perf_counter()
    retriever = bm25s.BM25(k1=args.k1, b=args.b, method="lucene", dtype=args.dtype,
                           backend="numba" if use_numba else "numpy")
    if use_numba:
        retriever.compile(activate_numba=True, warmup=True)
    csc_compile = time.perf_counter() - t

    t0 = time.perf_counter()
    corpus_terms = [analyze(x) for x in texts]
    t1 = time.perf_counter()
    retriever.index(corpus_terms, create_empty_token=False, show_progress=False)
    t2 = time.perf_counter()
    if not args.serve:
        del texts
    s = retriever.scores
    index_bytes = int(s["data"].nbytes + s["indices"].nbytes + s["indptr"].nbytes)
    n_docs = int(s["num_docs"])
    emit(phase="build", docs=n_docs, terms=len(retriever.vocab_dict), postings=int(len(s["data"])),
         tokens=int(sum(len(x) for x in corpus_terms)), tokenize_seconds=round(t1 - t0, 4),
         index_seconds=round(t2 - t1, 4), seconds=round(t2 - t0, 4), index_csc=("numba" if use_numba else "numpy"),
         dtype=args.dtype, data_dtype=str(s["data"].dtype), indices_dtype=str(s["indices"].dtype),
         indptr_dtype=str(s["indptr"].dtype), index_bytes=index_bytes,
         bytes_per_doc=round(index_bytes / n_docs, 2), bytes_per_posting=round(index_bytes / len(s["data"]), 3))
    del corpus_terms

    # numpy-backend twin sharing the same arrays
    twin = bm25s.BM25(k1=args.k1, b=args.b, method="lucene", dtype=args.dtype, backend="numpy")
    twin.scores = retriever.scores
    twin.vocab_dict = retriever.vocab_dict
    twin.unique_token_ids_set = retriever.unique_token_ids_set
    twin.nonoccurrence_array = None

    # --- queries ---------------------------------------------------------------------------------------------
    vocab = retriever.vocab_dict
    all_texts = [q["text"] for q in queries]
    keep = [i for i, x in enumerate(all_texts) if any(t in vocab for t in analyze(x))]
    q_texts = [all_texts[i] for i in keep]
    if not q_texts:
        sys.exit("no query has a term in the index")
    n_distinct = len(q_texts)
    q_texts = q_texts * args.repeat
    n = len(q_texts)
    q_terms = [analyze(x) for x in q_texts]
    q_ids = [[vocab[t] for t in terms if t in vocab] for terms in q_terms]

    def run(backend, terms):
        if backend in ("numba", "numba-ids"):
            return retriever.retrieve(terms, k=args.k, n_threads=1, show_progress=False)
        if backend == "numba-single":
            out = [retriever.retrieve([x], k=args.k, n_threads=1, show_progress=False) for x in terms]
            return bm25s.Results(documents=np.concatenate([o.documents for o in out]),
                                 scores=np.concatenate([o.scores for o in out]))
        return twin.retrieve(terms, k=args.k, n_threads=0, show_progress=False)

    if use_numba:
        t = time.perf_counter()
        run("numba", q_terms[:2])
        emit(phase="compile", what="numba retrieve (serial) + csc builder", seconds=round(
            time.perf_counter() - t + csc_compile, 3))
    # the configurations must agree on the scores
    ref = None
    for backend in backends:
        res = run(backend, q_ids if backend == "numba-ids" else q_terms)
        if ref is None:
            ref = res.scores
        else:
            assert np.allclose(ref, res.scores, rtol=1e-6, atol=0), backend

    emit(phase="queries", file=os.path.basename(args.queries), queries=n_distinct, repeat=args.repeat,
         dropped_no_known_term=len(all_texts) - n_distinct,
         mean_terms=round(float(np.mean([len(x) for x in q_terms])), 2),
         mean_known_terms=round(float(np.mean([len(x) for x in q_ids])), 2), k=args.k)
    def query_round(r):
        for backend in backends:
            gc.collect()
            gc.disable()  # no cyclic-GC pauses inside a timed round
            t0 = time.perf_counter()
            terms = [analyze(x) for x in q_texts]
            t1 = time.perf_counter()
            if backend == "numba-ids":
                # vocabulary lookup is part of "tokenize" here; the timed retrieval starts from ids
                terms = [[vocab[t] for t in x if t in vocab] for x in terms]
                t1 = time.perf_counter()
            run(backend, terms)
            t2 = time.perf_counter()
            gc.enable()
            emit(phase="query", round=r, backend=backend, queries=n, k=args.k, seconds=round(t2 - t1, 5),
                 qps=round(n / (t2 - t1), 1), tokenize_seconds=round(t1 - t0, 5),
                 seconds_incl_tokenize=round(t2 - t0, 5), qps_incl_tokenize=round(n / (t2 - t0), 1))

    def rebuild():
        # The timed build of a fresh index from the texts (numba's builder is compiled already).
        gc.collect()
        fresh = bm25s.BM25(k1=args.k1, b=args.b, method="lucene", dtype=args.dtype,
                           backend="numba" if use_numba else "numpy")
        b0 = time.perf_counter()
        terms = [analyze(x) for x in texts]
        b1 = time.perf_counter()
        fresh.index(terms, create_empty_token=False, show_progress=False)
        b2 = time.perf_counter()
        emit(phase="build", docs=len(terms), tokenize_seconds=round(b1 - b0, 4), index_seconds=round(b2 - b1, 4),
             seconds=round(b2 - b0, 4))

    if args.serve:
        r = 0
        while True:
            # readline, not iteration: iterating a pipe reads ahead and would wait for more commands.
            line = sys.stdin.readline()
            if not line:
                break
            command = line.strip()
            if command == "build":
                rebuild()
            elif command == "query":
                r += 1
                query_round(r)
            elif command == "quit":
                break
    else:
        for r in range(1, args.rounds + 1):
            query_round(r)
    emit(phase="memory", max_rss_bytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
         bm25s=bm25s.__version__, numpy=np.__version__)


if __name__ == "__main__":
    main()
