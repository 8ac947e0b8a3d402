"""Writes the 64 sentences of the reference SmolLM2 throughput run (/work/shared/reference/scripts/smollm_bench.py):
20 words drawn (seed 1) from the minilm_bench.py vocabulary, plus a full stop; one per line."""
import random
import sys

path = sys.argv[1]
words = ("the of and to in is was for on that with as by at from his her they have had not are this which be or an "
         "were their one all also but has more its new after first two other some time year city people state world "
         "system during most many years between under government school company used music river known team game "
         "called war film water book history market energy computer network processing unit graphics memory model "
         "data science research university student teacher language library bridge mountain island village church "
         "museum station airport hospital engine vehicle software hardware function signal").split()
rng = random.Random(1)
with open(path, "w", encoding="utf-8") as out:
    for _ in range(64):
        out.write(" ".join(rng.choice(words) for _ in range(20)) + ".\n")
