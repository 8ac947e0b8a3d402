# Expected dequantised values for synthetic ggml blocks of every format vecdb reads, computed by gguf-py.
# Run from the repository root:  .venv-ref/bin/pip install gguf numpy
#   .venv-ref/bin/python Tests/EmbedderTests/Fixtures/scripts/quant_synthetic.py
# Writes Tests/EmbedderTests/Fixtures/quant_synthetic.json (random block bytes with sane fp16 scale fields,
# so no NaN/inf values; fixed seed).
import json, numpy as np, gguf
from gguf import GGMLQuantizationType as T
from gguf.quants import dequantize
rng = np.random.default_rng(20261129)
def half(v): return np.frombuffer(np.float16(v).tobytes(), dtype=np.uint8)
# (type, block bytes, values per block, [(byte offset of an fp16 scale field, magnitude)])
spec = [
    (T.F32, 4, 1, []), (T.F16, 2, 1, []), (T.BF16, 2, 1, []),
    (T.Q4_0, 18, 32, [(0, 0.05)]), (T.Q4_1, 20, 32, [(0, 0.05), (2, 0.4)]),
    (T.Q5_0, 22, 32, [(0, 0.05)]), (T.Q5_1, 24, 32, [(0, 0.05), (2, 0.4)]),
    (T.Q8_0, 34, 32, [(0, 0.01)]),
    (T.Q4_K, 144, 256, [(0, 0.01), (2, 0.02)]), (T.Q5_K, 176, 256, [(0, 0.01), (2, 0.02)]),
    (T.Q6_K, 210, 256, [(208, 0.003)]),
]
out = {"gguf_py_version": getattr(gguf, "__version__", "unknown"), "cases": []}
for t, nb, bs, scales in spec:
    nblocks = 8 if bs == 1 else 3
    values = nblocks * bs * (16 if bs == 1 else 1)
    nblocks = values // bs
    if t == T.F32:
        raw = rng.normal(0, 1, values).astype(np.float32).view(np.uint8)
    elif t == T.F16:
        raw = rng.normal(0, 1, values).astype(np.float16).view(np.uint8)
    elif t == T.BF16:
        raw = (rng.normal(0, 1, values).astype(np.float32).view(np.uint32) >> 16).astype(np.uint16).view(np.uint8)
    else:
        raw = rng.integers(0, 256, nblocks * nb, dtype=np.uint8)
        for b in range(nblocks):
            for off, mag in scales:
                raw[b * nb + off: b * nb + off + 2] = half(rng.uniform(-mag, mag) if off else rng.uniform(mag / 4, mag))
    vals = dequantize(raw.reshape(1, -1), t).reshape(-1)
    assert vals.size == values and np.all(np.isfinite(vals))
    out["cases"].append({"type": t.name, "count": int(values), "hex": bytes(raw).hex(),
                         "values": [float(v) for v in vals.astype(np.float32)]})
json.dump(out, open("Tests/EmbedderTests/Fixtures/quant_synthetic.json", "w"))
print([(c["type"], c["count"]) for c in out["cases"]])
