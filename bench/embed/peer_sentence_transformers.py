"""sentence-transformers encode() throughput on a file of texts: the peer of embed-bench.

Usage: peer_sentence_transformers.py MODEL_FOLDER TEXTS_FILE RUNS BATCH THREADS
Prints one JSON object: seconds per run (model loading excluded, one warm-up batch first, as embed-bench).
"""
import json
import sys
import time

import torch
from sentence_transformers import SentenceTransformer

folder, texts_file, runs, batch, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
texts = open(texts_file, encoding="utf-8").read().split("\n")
texts = [t for t in texts if t]
model = SentenceTransformer(folder, device="cpu")
model.encode(texts[:64], batch_size=batch)
seconds = []
for _ in range(runs):
    start = time.perf_counter()
    model.encode(texts, batch_size=batch)
    seconds.append(time.perf_counter() - start)
print(json.dumps({"texts": len(texts), "batch": batch, "threads": threads, "seconds": seconds, "torch": torch.__version__}))
