"""The word list of ../shared/reference/scripts/minilm_bench.py, from which the reference throughput runs (MiniLM and
SmolLM2) draw their sentences: the benchmarks here draw theirs from it too, so their inputs match the reference's."""
WORDS = ("the of and to in is was for on that with as by at from his her they have had not are this which be or an "
         "were their one all also but has more its new after first two other some time year city people state world "
         "system during most many years between under government school company used music river known team game "
         "called war film water book history market energy computer network processing unit graphics memory model "
         "data science research university student teacher language library bridge mountain island village church "
         "museum station airport hospital engine vehicle software hardware function signal").split()
