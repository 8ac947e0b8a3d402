#!/usr/bin/env python3
"""Writes bench/bm25/long_queries.jsonl: 1,000 longer BM25 queries cut from SciFact abstracts.

    python3 bench/bm25/make_queries.py [--corpus /work/shared/data/scifact/corpus.jsonl] [--out FILE]

Deterministic (random.Random(1), standard library only): for query N (0..999) pick a document uniformly
from corpus.jsonl (in file order), a length L uniformly in 20..60, and a start uniformly among the windows
of L consecutive whitespace-separated words of the document's `text` (the abstract, title excluded); a
document with fewer than L words is skipped and another drawn. Writes {"_id": "long-N", "text": ...}.
"""
import argparse
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="/work/shared/data/scifact/corpus.jsonl")
    ap.add_argument("--out", default=os.path.join(HERE, "long_queries.jsonl"))
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    with open(args.corpus, encoding="utf-8") as f:
        texts = [json.loads(line)["text"].split() for line in f if line.strip()]
    rng = random.Random(args.seed)
    with open(args.out, "w", encoding="utf-8") as out:
        for n in range(args.count):
            while True:
                words = texts[rng.randrange(len(texts))]
                length = rng.randint(20, 60)
                if len(words) >= length:
                    break
            start = rng.randint(0, len(words) - length)
            out.write(json.dumps({"_id": f"long-{n}", "text": " ".join(words[start:start + length])},
                                 ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
