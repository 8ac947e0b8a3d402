"""Writes seed_pairs.json: the seed article's questions and answers with the reference question x answer cosine
tables, taken from the reference outputs (not from vecdb).

Usage (from the repository root): python3 Tests/VecDBTests/Fixtures/make_seed_pairs.py ../shared/reference
- minilm: ../shared/reference/minilm_embeddings.json (sentence-transformers 6.2.0; scripts/minilm_ref.py)
- smollm2: ../shared/reference/smollm2_last_token.json (transformers 5.24.0 on the GGUF; scripts/smollm_ref.py)
"""
import json
import os
import sys

reference = sys.argv[1]
minilm = json.load(open(os.path.join(reference, "minilm_embeddings.json")))
smollm = json.load(open(os.path.join(reference, "smollm2_last_token.json")))
out = {
    "source": "minilm_embeddings.json and smollm2_last_token.json from ../shared/reference",
    "questions": minilm["texts"][:2],
    "answers": minilm["texts"][2:],
    "minilm": minilm["cosine_questions_x_answers"]["matrix"],
    "smollm2": {},
}
for variant, prompt in (("add_generation_prompt=False", "chat"), ("add_generation_prompt=True", "chat-gen")):
    tables = smollm["variants"][variant]
    out["smollm2"][f"last:{prompt}"] = tables["cos_hidden_q_x_a"]
    out["smollm2"][f"logits:{prompt}"] = tables["cos_logits_q_x_a"]
json.dump(out, open(os.path.join(os.path.dirname(__file__), "seed_pairs.json"), "w"), indent=1)
