"""transformers fp32 on the SmolLM2 GGUF, as ../shared/reference/scripts/smollm_bench.py measures it: batches of
BATCH texts in the chat template without generation prompt, left-padded (pad id 2), final hidden states only
(model.model, no LM head), torch.set_num_threads(THREADS); tokenisation inside the timed loop as there.
Usage: peer_transformers.py MODEL_DIR GGUF_NAME SENTENCES_FILE RUNS BATCH THREADS  -> one JSON line."""
import json, sys, time
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

model_dir, gguf, path = sys.argv[1], sys.argv[2], sys.argv[3]
runs, batch, threads = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
torch.set_num_threads(threads)
tok = AutoTokenizer.from_pretrained(model_dir, gguf_file=gguf)
m = AutoModelForCausalLM.from_pretrained(model_dir, gguf_file=gguf, dtype=torch.float32).eval()
sents = [l for l in open(path, encoding="utf-8").read().split("\n") if l]
tmpl = lambda s: ("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                  "<|im_start|>user\n" + s + "<|im_end|>\n")
ntok = sum(len(tok(tmpl(s), add_special_tokens=False)["input_ids"]) for s in sents)
tok.padding_side = "left"; tok.pad_token_id = 2

def one_pass():
    t0, c0 = time.perf_counter(), time.process_time()
    for b in range(0, len(sents), batch):
        enc = tok([tmpl(s) for s in sents[b:b + batch]], add_special_tokens=False, padding=True, return_tensors="pt")
        m.model(**enc)
    return time.perf_counter() - t0, time.process_time() - c0

with torch.no_grad():
    one_pass()   # warm-up
    passes = [one_pass() for _ in range(runs)]
print(json.dumps({"texts": len(sents), "tokens": ntok, "seconds": [p[0] for p in passes],
                  "cpu_seconds": [p[1] for p in passes], "torch": torch.__version__,
                  "threads": torch.get_num_threads()}))
