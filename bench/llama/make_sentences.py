"""Writes the 64 sentences of the reference SmolLM2 throughput run (../shared/reference/scripts/smollm_bench.py):
20 words drawn (seed 1) from the minilm_bench.py vocabulary, plus a full stop; one per line."""
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from reference_vocabulary import WORDS  # noqa: E402

path = sys.argv[1]
words = WORDS
rng = random.Random(1)
with open(path, "w", encoding="utf-8") as out:
    for _ in range(64):
        out.write(" ".join(rng.choice(words) for _ in range(20)) + ".\n")
