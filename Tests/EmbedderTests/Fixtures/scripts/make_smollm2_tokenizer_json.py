"""Writes Fixtures/smollm2_tokenizer.json, a Hugging Face `tokenizer.json` (byte-level BPE) built from the
SmolLM2 GGUF's tokenizer metadata, for BPETokenizerJSONTests.

    python make_smollm2_tokenizer_json.py [path/to/SmolLM2-135M-Instruct.Q4_1.gguf]

Reads tokenizer.ggml.tokens / .merges / .token_type with gguf-py. The vocab maps every token to its id,
merges are "left right" strings in rank order, type-3 (control) tokens become special added_tokens, and the
pre-tokenizer is SmolLM2's: Sequence[Digits(individual_digits), ByteLevel(add_prefix_space=false, use_regex)].
"""
import json, os, sys
from gguf import GGUFReader

CANDIDATES = [
    os.path.expanduser("~/.cache/vecdb/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
    "/work/models-cache/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
]
path = sys.argv[1] if len(sys.argv) > 1 else next(p for p in CANDIDATES if os.path.exists(p))
r = GGUFReader(path)
tokens = r.fields["tokenizer.ggml.tokens"].contents()
merges = r.fields["tokenizer.ggml.merges"].contents()
types = r.fields["tokenizer.ggml.token_type"].contents()
assert len(tokens) == len(types)
assert r.fields["tokenizer.ggml.pre"].contents() == "smollm"

vocab = {}
for i, t in enumerate(tokens):
    vocab.setdefault(t, i)  # first id wins on duplicates, as in the GGUF loader
assert len(vocab) == len(tokens), "duplicate tokens cannot be expressed in a vocab dict"

out = {
    "version": "1.0",
    "truncation": None,
    "padding": None,
    "added_tokens": [
        {"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": False, "special": True}
        for i, (t, ty) in enumerate(zip(tokens, types)) if ty == 3
    ],
    "normalizer": None,
    "pre_tokenizer": {
        "type": "Sequence",
        "pretokenizers": [
            {"type": "Digits", "individual_digits": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        ],
    },
    "post_processor": None,
    "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
    "model": {
        "type": "BPE",
        "dropout": None,
        "unk_token": None,
        "continuing_subword_prefix": None,
        "end_of_word_suffix": None,
        "fuse_unk": False,
        "byte_fallback": False,
        "vocab": vocab,
        "merges": list(merges),
    },
}
dest = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "smollm2_tokenizer.json")
with open(dest, "w", encoding="utf-8") as f:
    json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
    f.write("\n")
print(f"{dest}: {len(tokens)} tokens, {len(merges)} merges, {len(out['added_tokens'])} added, "
      f"{os.path.getsize(dest)} bytes")
