"""sentence-transformers encode() throughput on a file of texts: the peer of embed-bench.

Usage: peer_sentence_transformers.py MODEL_FOLDER TEXTS_FILE RUNS BATCH THREADS [--vectors OUT.f32] [--latency]
Prints one JSON object: seconds per run (model loading excluded, one warm-up batch first, as embed-bench).
--latency  batch-1 latency: BATCH is ignored, each text is encoded alone; adds "latency_ms": {"median", "p90"},
           the per-text times pooled over all runs.
--vectors  writes the last run's vectors (encode()'s output; the folder's Normalize module, if any, applies)
           as raw little-endian float32, row-major (texts x dim).
"""
import argparse
import json
import time

import numpy as np
import torch
from sentence_transformers import SentenceTransformer

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("folder")
parser.add_argument("texts_file")
parser.add_argument("runs", type=int)
parser.add_argument("batch", type=int)
parser.add_argument("threads", type=int)
parser.add_argument("--vectors", help="write the last run's vectors here (raw float32, n x dim)")
parser.add_argument("--latency", action="store_true", help="encode each text alone; report per-text ms")
args = parser.parse_args()
folder, texts_file, runs, batch, threads = args.folder, args.texts_file, args.runs, args.batch, args.threads

torch.set_num_threads(threads)
texts = open(texts_file, encoding="utf-8").read().split("\n")
texts = [t for t in texts if t]
model = SentenceTransformer(folder, device="cpu")
seconds, calls, vectors = [], [], None
if args.latency:
    batch = 1
    model.encode(texts[:1], batch_size=1)
    for _ in range(runs):
        parts = []
        start = time.perf_counter()
        for text in texts:
            call = time.perf_counter()
            parts.append(model.encode([text], batch_size=1))
            calls.append(time.perf_counter() - call)
        seconds.append(time.perf_counter() - start)
        vectors = np.concatenate(parts)
else:
    model.encode(texts[:64], batch_size=batch)
    for _ in range(runs):
        start = time.perf_counter()
        vectors = model.encode(texts, batch_size=batch)
        seconds.append(time.perf_counter() - start)
result = {"texts": len(texts), "batch": batch, "threads": threads, "seconds": seconds, "torch": torch.__version__}
if args.latency:
    ms = np.array(calls) * 1000
    result["latency_ms"] = {"median": float(np.median(ms)), "p90": float(np.percentile(ms, 90))}
if args.vectors and vectors is not None:
    np.asarray(vectors, dtype="<f4").tofile(args.vectors)
print(json.dumps(result))
