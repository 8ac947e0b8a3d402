"""ONNX Runtime embedding throughput on a file of texts: the Chroma / FastEmbed peer of embed-bench.

Usage: peer_onnx.py MODEL_FOLDER TEXTS_FILE RUNS BATCH THREADS --precision fp32|int8
                    [--vectors OUT.f32] [--latency] [--pad-to N]

MODEL_FOLDER is a sentence-transformers all-MiniLM-L6-v2 folder (config.json, model.safetensors,
tokenizer.json). On first use its BERT is exported to bench/out/onnx/<folder name>-fp32.onnx
(torch.onnx.export, inputs input_ids / attention_mask / token_type_ids with dynamic batch and
sequence axes, output last_hidden_state) and quantised to <folder name>-int8.onnx; later runs
reuse those files (delete them to rebuild).

  fp32  what Chroma's default embedder runs: chromadb.utils.embedding_functions.ONNXMiniLM_L6_V2
        (chroma-core/chroma, chromadb/utils/embedding_functions/onnx_mini_lm_l6_v2.py) loads an
        fp32 model.onnx exported with optimum (chroma-core/onnx-embedding, create_onnx.py), runs it
        with GraphOptimizationLevel.ORT_ENABLE_ALL, then mean-pools over the attention mask and
        L2-normalises in numpy. Chroma pads every text to 256 tokens (tokenizer.enable_padding(
        length=256)); here batches are padded to their longest text unless --pad-to 256 is given.
  int8  FastEmbed's quantised models ("-onnx-q" / model_optimized.onnx, e.g. its default
        BAAI/bge-small-en-v1.5) come from qdrant/fastembed experiments/dynamic_quantization_export.py:
        onnxruntime.quantization.quantize_dynamic with weight_type=QInt8 (no Conv in the graph),
        per_channel=True, reduce_range=True; we do the same. FastEmbed's own
        sentence-transformers/all-MiniLM-L6-v2 entry (Qdrant/all-MiniLM-L6-v2-onnx) is the fp32
        export, so int8 is "FastEmbed's recipe applied to MiniLM", not a file FastEmbed ships.

Tokenisation: the `tokenizers` library on the folder's tokenizer.json, truncation at 256 tokens
(max_seq_length in sentence_bert_config.json; tokenizer.json itself says 128, Chroma overrides it
to 256 as well). Session: intra_op_num_threads=THREADS, inter_op_num_threads=1, ORT_ENABLE_ALL.
Timing: one warm-up batch, then RUNS runs over all texts in batches of BATCH, longest texts first
(as sentence-transformers' encode() orders them), tokenisation included; model export and session
creation excluded.

--latency  batch-1 latency: BATCH is ignored, each text is embedded alone; "latency_ms" gives the
           median and p90 of the per-text times pooled over all runs.
--vectors  writes the last run's vectors as raw little-endian float32, row-major (texts x 384).

Prints one JSON object: {"texts", "batch", "threads", "precision", "seconds": [...],
"onnxruntime", ["latency_ms": {"median", "p90"}]}.
"""
import argparse
import json
import os
import time

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

MAX_TOKENS = 256
CACHE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "out", "onnx")


def export_fp32(folder, path):
    """Exports the folder's BERT to ONNX (last_hidden_state only), written atomically."""
    import torch
    from transformers import AutoModel

    class LastHiddenState(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    bert = AutoModel.from_pretrained(folder, attn_implementation="eager").eval()
    ids = torch.tensor([[101, 7592, 2088, 102, 0, 0], [101, 2023, 2003, 1037, 3231, 102]])
    mask = (ids != 0).long()
    axes = {0: "batch", 1: "sequence"}
    tmp = path + ".tmp"
    with torch.no_grad():
        torch.onnx.export(LastHiddenState(bert), (ids, mask, torch.zeros_like(ids)), tmp, dynamo=False,
                          input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=["last_hidden_state"], opset_version=17,
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                                        "last_hidden_state": axes})
    os.replace(tmp, path)


def model_path(folder, precision):
    """Path of the cached ONNX file for this precision, exporting / quantising it first if absent."""
    os.makedirs(CACHE, exist_ok=True)
    name = os.path.basename(os.path.normpath(folder))
    fp32 = os.path.join(CACHE, f"{name}-fp32.onnx")
    if not os.path.exists(fp32):
        export_fp32(folder, fp32)
    if precision == "fp32":
        return fp32
    int8 = os.path.join(CACHE, f"{name}-int8.onnx")
    if not os.path.exists(int8):
        from onnxruntime.quantization import QuantType, quantize_dynamic

        tmp = int8 + ".tmp.onnx"
        quantize_dynamic(fp32, tmp, weight_type=QuantType.QInt8, per_channel=True, reduce_range=True)
        os.replace(tmp, int8)
    return int8


class Embedder:
    def __init__(self, folder, precision, threads, pad_to=None):
        self.tokenizer = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]", length=pad_to)  # None: longest in batch
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(model_path(folder, precision), options,
                                            providers=["CPUExecutionProvider"])

    def __call__(self, texts):
        encoded = self.tokenizer.encode_batch(texts)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        inputs = {"input_ids": np.array([e.ids for e in encoded], dtype=np.int64), "attention_mask": mask,
                  "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64)}
        hidden = self.session.run(["last_hidden_state"], inputs)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder")
    parser.add_argument("texts_file")
    parser.add_argument("runs", type=int)
    parser.add_argument("batch", type=int)
    parser.add_argument("threads", type=int)
    parser.add_argument("--precision", choices=["fp32", "int8"], required=True)
    parser.add_argument("--vectors", help="write the last run's vectors here (raw float32, n x dim)")
    parser.add_argument("--latency", action="store_true", help="embed each text alone; report per-text ms")
    parser.add_argument("--pad-to", type=int, help="pad every text to this many tokens (Chroma: 256)")
    args = parser.parse_args()

    texts = [t for t in open(args.texts_file, encoding="utf-8").read().split("\n") if t]
    batch = 1 if args.latency else args.batch
    embed = Embedder(args.folder, args.precision, args.threads, args.pad_to)
    embed(texts[:batch])  # warm-up
    seconds, calls, vectors = [], [], None
    for _ in range(args.runs):
        parts = []
        start = time.perf_counter()
        # Longest first, as sentence-transformers' encode() orders them, so a batch pads to lengths like its own:
        # the peer's fastest way. The order is undone at the end, inside the timed region.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for i in range(0, len(texts), batch):
            call = time.perf_counter()
            parts.append(embed([texts[j] for j in order[i:i + batch]]))
            calls.append(time.perf_counter() - call)
        vectors = np.empty((len(texts), parts[0].shape[1]), dtype=np.float32)
        vectors[order] = np.concatenate(parts)
        seconds.append(time.perf_counter() - start)
    result = {"texts": len(texts), "batch": batch, "threads": args.threads, "precision": args.precision,
              "seconds": seconds, "onnxruntime": ort.__version__}
    if args.pad_to:
        result["pad_to"] = args.pad_to
    if args.latency:
        ms = np.array(calls) * 1000
        result["latency_ms"] = {"median": float(np.median(ms)), "p90": float(np.percentile(ms, 90))}
    if args.vectors and vectors is not None:
        vectors.astype("<f4").tofile(args.vectors)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
