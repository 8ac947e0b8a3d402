"""Writes N sentences of 16-24 words drawn from a fixed vocabulary (seed 42): the recipe of
../shared/reference/scripts/minilm_bench.py, so the texts match the reference throughput run."""
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from reference_vocabulary import WORDS  # noqa: E402

count, path = int(sys.argv[1]), sys.argv[2]
words = WORDS
rng = random.Random(42)
with open(path, "w", encoding="utf-8") as out:
    for _ in range(count):
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(16, 24)))
        out.write(sentence[0].upper() + sentence[1:] + ".\n")
