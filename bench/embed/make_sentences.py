"""Writes N sentences of 16-24 words drawn from a fixed vocabulary (seed 42): the recipe of
../shared/reference/scripts/minilm_bench.py, so the texts match the reference throughput run."""
import random
import sys

count, path = int(sys.argv[1]), sys.argv[2]
words = ("the of and to in is was for on that with as by at from his her they have had not are this which be or an "
         "were their one all also but has more its new after first two other some time year city people state world "
         "system during most many years between under government school company used music river known team game "
         "called war film water book history market energy computer network processing unit graphics memory model "
         "data science research university student teacher language library bridge mountain island village church "
         "museum station airport hospital engine vehicle software hardware function signal").split()
rng = random.Random(42)
with open(path, "w", encoding="utf-8") as out:
    for _ in range(count):
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(16, 24)))
        out.write(sentence[0].upper() + sentence[1:] + ".\n")
