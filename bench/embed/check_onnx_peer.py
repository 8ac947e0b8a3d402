"""Checks peer_onnx.py's vectors against sentence-transformers on a small file of texts.

Usage: check_onnx_peer.py MODEL_FOLDER TEXTS_FILE [BATCH]
  e.g. bench/.venv/bin/python bench/embed/make_sentences.py 64 /tmp/s64.txt
       bench/.venv/bin/python bench/embed/check_onnx_peer.py /root/.cache/vecdb/models/minilm /tmp/s64.txt

Reference: SentenceTransformer(folder).encode(texts, normalize_embeddings=True). Runs peer_onnx.py
(fp32 and int8, batched and --latency) and peer_sentence_transformers.py with --vectors, and prints
the per-text cosine to the reference (min / mean). Fails unless every fp32 cosine is >= 0.99999;
the int8 cosines (to fp32) are reported, and only fail below 0.95.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from sentence_transformers import SentenceTransformer

HERE = os.path.dirname(os.path.abspath(__file__))


def peer(script, folder, texts_file, batch, out, *flags):
    """Runs a peer with --vectors OUT on 1 run, 2 threads; returns its vectors (n x 384)."""
    command = [sys.executable, os.path.join(HERE, script), folder, texts_file, "1", str(batch), "2",
               "--vectors", out, *flags]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return np.fromfile(out, dtype="<f4").reshape(-1, 384)


def cosines(a, b):
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def main():
    folder, texts_file = sys.argv[1], sys.argv[2]
    batch = int(sys.argv[3]) if len(sys.argv) > 3 else 32
    texts = [t for t in open(texts_file, encoding="utf-8").read().split("\n") if t]
    reference = SentenceTransformer(folder, device="cpu").encode(texts, batch_size=batch, normalize_embeddings=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "v.f32")
        got = {
            "sentence_transformers": peer("peer_sentence_transformers.py", folder, texts_file, batch, out),
            "fp32": peer("peer_onnx.py", folder, texts_file, batch, out, "--precision", "fp32"),
            "fp32_latency": peer("peer_onnx.py", folder, texts_file, batch, out, "--precision", "fp32", "--latency"),
            "fp32_pad256": peer("peer_onnx.py", folder, texts_file, batch, out, "--precision", "fp32", "--pad-to", "256"),
            "int8": peer("peer_onnx.py", folder, texts_file, batch, out, "--precision", "int8"),
        }
    report, ok = {"texts": len(texts), "batch": batch}, True
    for name, vectors in got.items():
        assert vectors.shape == reference.shape, (name, vectors.shape)
        c = cosines(vectors, reference)
        report[name + "_vs_st"] = {"min": float(c.min()), "mean": float(c.mean())}
        if name != "int8":
            ok &= bool(c.min() >= 0.99999)
    c = cosines(got["int8"], got["fp32"])
    report["int8_vs_fp32"] = {"min": float(c.min()), "mean": float(c.mean())}
    ok &= bool(c.min() >= 0.95)
    report["ok"] = ok
    print(json.dumps(report, indent=1))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
