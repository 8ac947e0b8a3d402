"""llama.cpp (llama-cpp-python) on the same GGUF and texts, as ../shared/reference/scripts/llamacpp_tput.py runs it:
embedding mode, last-token pooling, n_batch 2048 / n_ubatch 512 so that many sequences share one decode (packed),
THREADS threads. Texts in the chat template without generation prompt. embed() tokenises with special=False, so the
template's control tokens are read as plain text (more tokens than the other engines see); tokens/s counts the
tokens llama.cpp actually processed.
Usage: peer_llamacpp.py GGUF SENTENCES_FILE RUNS THREADS  -> one JSON line."""
import json, sys, time
import llama_cpp
from llama_cpp import Llama

path, sents_path, runs, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
sents = [l for l in open(sents_path, encoding="utf-8").read().split("\n") if l]
tmpl = lambda s: ("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                  "<|im_start|>user\n" + s + "<|im_end|>\n")
emb = Llama(model_path=path, embedding=True, pooling_type=llama_cpp.LLAMA_POOLING_TYPE_LAST, n_ctx=4096, n_batch=4096,
            n_ubatch=512, n_threads=threads, n_threads_batch=threads, verbose=False)
texts = [tmpl(s) for s in sents]
# What embed() feeds the model for each text (its own tokenize call).
ntok = sum(len(emb.tokenize(t.encode("utf-8"))) for t in texts)
emb.embed(texts[:4])
seconds, cpu = [], []
for _ in range(runs):
    t0, c0 = time.perf_counter(), time.process_time()
    emb.embed(texts)
    seconds.append(time.perf_counter() - t0); cpu.append(time.process_time() - c0)
print(json.dumps({"texts": len(texts), "tokens": ntok, "seconds": seconds, "cpu_seconds": cpu, "llama_cpp_python": llama_cpp.__version__,
                  "threads": threads}))
