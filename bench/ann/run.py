#!/usr/bin/env python3
"""ANN benchmark: vecdb (its public VecDB API over raw vectors: HNSW in LMDB) against hnswlib, side by side in one run.

Usage (from the repository root, after `swift build -c release --product ann-bench`):
    bench/.venv/bin/python bench/ann/run.py [--n 50000] [--queries 1000] [--repeats 5] [--peers hnswlib,vecdb,...]
    bench/.venv/bin/python bench/ann/run.py --scifact ../shared/data/scifact

Data: synthetic clustered unit vectors (384-d, seeded), or with --scifact DIR real all-MiniLM-L6-v2 embeddings
(sentence-transformers, from vecdb's installed model folder) of every sentence of the SciFact abstracts, the claims
as queries; written to bench/out/ as raw float32, read by every peer; exact top-10 by inner product (numpy) is the
ground truth. Peers (--peers): hnswlib, FAISS IndexHNSWFlat, FAISS IndexHNSWSQ (QT_8bit, FAISS's int8 mode), vecdb
with float32 traversal and vecdb with int8 traversal + float32 rescoring (`--quantization int8`); all M=16,
efConstruction=200, inner product, built on one thread (hnswlib and FAISS also on two). vecdb's side (ann-bench)
stores each vector as a document of a raw-vector collection. Queries are answered by each peer's batch call, on 1 and
on 2 threads (--threads): hnswlib's one `knn_query` with `num_threads=T`, FAISS's one `search` with
omp_set_num_threads(T) and SearchParametersHNSW(efSearch), vecdb's `nearest(collection:queries:…threads: T)` (T read
transactions of one snapshot). Prints a JSON summary and writes bench/out/ann-<n>.json (report.py renders it).
"""
import argparse, json, os, platform, statistics, subprocess, sys, time
import numpy as np
from table_sizes import table_sizes

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "bench", "out")
BIN = os.path.join(ROOT, ".build", "release", "ann-bench")
EFS = [10, 20, 40, 80, 160, 320]


def clustered(n, dims, rng, clusters=256, latent=48, spread=0.15, noise=0.03):
    """Clusters with low intrinsic dimension, like sentence embeddings: centre + latent subspace + noise."""
    centres = rng.standard_normal((clusters, dims)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    bases = (rng.standard_normal((clusters, latent, dims)) / np.sqrt(dims)).astype(np.float32)
    out = np.empty((n, dims), dtype=np.float32)
    label = rng.integers(0, clusters, n)
    for s in range(0, n, 50_000):
        e = min(s + 50_000, n)
        z = (rng.standard_normal((e - s, latent)) * spread).astype(np.float32)
        v = centres[label[s:e]] + np.einsum("nl,nld->nd", z, bases[label[s:e]])
        v += (rng.standard_normal((e - s, dims)) * noise).astype(np.float32)
        out[s:e] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def exact_top(base, queries, k):
    top = np.empty((len(queries), k), dtype=np.int32)
    for s in range(0, len(queries), 100):
        scores = queries[s:s + 100] @ base.T
        idx = np.argpartition(-scores, k, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, idx, 1), axis=1)
        top[s:s + 100] = np.take_along_axis(idx, order, 1)
    return top


def scifact_sentences(folder, model):
    """Every sentence of the SciFact abstracts (split after . ! ? before a capital or digit) and every claim,
    embedded by all-MiniLM-L6-v2 with sentence-transformers; cached in bench/out."""
    import re
    cache = [os.path.join(OUT, f"scifact-{x}.f32") for x in ("sentences", "claims")]
    if all(os.path.exists(c) for c in cache):
        return tuple(np.fromfile(c, dtype=np.float32).reshape(-1, 384) for c in cache)
    from sentence_transformers import SentenceTransformer
    sentences = []
    with open(os.path.join(folder, "corpus.jsonl")) as f:
        for line in f:
            text = json.loads(line)["text"]
            sentences += [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9])", text) if s.strip()]
    with open(os.path.join(folder, "queries.jsonl")) as f:
        claims = [json.loads(line)["text"] for line in f]
    st = SentenceTransformer(model, device="cpu")
    vectors = [st.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True).astype(np.float32)
               for texts in (sentences, claims)]
    for v, c in zip(vectors, cache):
        v.tofile(c)
    return tuple(vectors)


def recall(found, truth):
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth)]))


def timed_exec(cmd, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, out


PEERS = ["hnswlib", "faiss-hnsw", "faiss-hnsw-sq8", "vecdb", "vecdb-int8"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--dims", type=int, default=384)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--threads", default="1,2", help="query threads of each sweep, comma-separated")
    ap.add_argument("--efs", default=",".join(map(str, EFS)))
    ap.add_argument("--peers", default=",".join(PEERS), help="comma-separated, of " + ", ".join(PEERS))
    ap.add_argument("--no-sweep", action="store_true", help="build, size, open time only")
    ap.add_argument("--reuse", action="store_true",
                    help="sweep the hnswlib file and vecdb databases an earlier run left in bench/out (no builds, no build "
                         "times; not for the FAISS peers, which are rebuilt)")
    ap.add_argument("--rebuild-threads", default="1,2",
                    help="after the sweep, time vecdb's `rebuildIndex` of every vector on these thread counts")
    ap.add_argument("--scifact", metavar="DIR", help="real data: MiniLM embeddings of the SciFact abstracts' sentences")
    ap.add_argument("--model", default=os.path.expanduser("~/.cache/vecdb/models/minilm"),
                    help="all-MiniLM-L6-v2 folder for --scifact (default: vecdb's model cache)")
    a = ap.parse_args()
    threads = [int(t) for t in a.threads.split(",")]
    efs = [int(e) for e in a.efs.split(",")]
    names = a.peers.split(",")
    unknown = set(names) - set(PEERS)
    if unknown:
        sys.exit(f"run.py: unknown peers {sorted(unknown)}; known: {', '.join(PEERS)}")
    os.makedirs(OUT, exist_ok=True)
    if a.scifact:
        base, queries = scifact_sentences(a.scifact, a.model)
        a.n, a.queries, a.dims = len(base), len(queries), base.shape[1]
        tag = "scifact"
    else:
        tag = f"{a.n}"
        # Queries come from the same clusters as the base: drawn together, then split.
        both = clustered(a.n + a.queries, a.dims, np.random.default_rng(20240611))
        base, queries = both[:a.n], both[a.n:]
    base_path, q_path, t_path = (os.path.join(OUT, f"ann-{tag}.{x}") for x in ("base.f32", "queries.f32", "truth.i32"))
    base.tofile(base_path)
    queries.tofile(q_path)
    q1_path = os.path.join(OUT, f"ann-{tag}.q1.f32")
    queries[:1].tofile(q1_path)
    truth = exact_top(base, queries, 10)
    truth.tofile(t_path)
    res = {"data": "scifact sentences (MiniLM)" if a.scifact else "synthetic clustered", "n": a.n, "dims": a.dims, "queries": a.queries, "M": 16, "efConstruction": 200,
           "machine": subprocess.run("lscpu | grep 'Model name' | sed 's/.*: *//'", shell=True, capture_output=True, text=True).stdout.strip(),
           "cores": os.cpu_count(), "load_before": os.getloadavg(), "peers": {}}
    # Each peer: a build (timed, one thread, and for hnswlib also two), then `at(ef, t)` answering every query in
    # one batch call on t threads, returning (wall s, CPU s, recall@10).
    at = {}

    def python_open_first_query(code):
        med, times, _ = timed_exec([sys.executable, "-c", code], 7)
        return med * 1000

    if "hnswlib" in names:
        import hnswlib
        p = hnswlib.Index(space="ip", dim=a.dims)
        ipath = os.path.join(OUT, f"ann-{tag}.hnswlib")
        h = {"version": getattr(hnswlib, "__version__", "0.8.0")}
        if a.reuse:
            p.load_index(ipath)
        else:
            t0, c0 = time.perf_counter(), time.process_time()
            p.init_index(max_elements=a.n, M=16, ef_construction=200, random_seed=100)
            p.add_items(base, np.arange(a.n), num_threads=1)
            h.update(build_s=time.perf_counter() - t0, build_cpu_s=time.process_time() - c0)
            p.save_index(ipath)
        h["bytes_per_vector"] = os.path.getsize(ipath) / a.n
        h["walked_bytes_per_vector"] = 4 * a.dims
        if 2 in threads and not a.reuse:
            p2 = hnswlib.Index(space="ip", dim=a.dims)
            t0 = time.perf_counter()
            p2.init_index(max_elements=a.n, M=16, ef_construction=200, random_seed=100)
            p2.add_items(base, np.arange(a.n), num_threads=2)
            h["build_2_threads_s"] = time.perf_counter() - t0
            del p2
        h["open_first_query_ms"] = python_open_first_query(
            ("import hnswlib, numpy as np; p = hnswlib.Index(space='ip', dim=%d); p.load_index(%r); p.set_ef(40); "
             "q = np.fromfile(%r, dtype=np.float32); l, d = p.knn_query(q, k=10); print(l[0][0], 1 - d[0][0])") % (a.dims, ipath, q1_path))
        # Python start + numpy/hnswlib import alone, to separate interpreter cost from the index's.
        h["python_import_only_ms"] = python_open_first_query("import hnswlib, numpy")
        res["peers"]["hnswlib"] = h

        def hnswlib_at(ef, t):
            p.set_ef(ef)
            t0, c0 = time.perf_counter(), time.process_time()
            labels, _ = p.knn_query(queries, k=10, num_threads=t)
            return time.perf_counter() - t0, time.process_time() - c0, recall(labels, truth)
        at["hnswlib"] = hnswlib_at

    for name in ("faiss-hnsw", "faiss-hnsw-sq8"):
        if name not in names:
            continue
        import faiss

        def faiss_build(threads_):
            faiss.omp_set_num_threads(threads_)
            if name == "faiss-hnsw":
                f = faiss.IndexHNSWFlat(a.dims, 16, faiss.METRIC_INNER_PRODUCT)
            else:
                # FAISS's own int8 mode: 8-bit scalar quantiser with a trained per-dimension range.
                f = faiss.IndexHNSWSQ(a.dims, faiss.ScalarQuantizer.QT_8bit, 16, faiss.METRIC_INNER_PRODUCT)
            f.hnsw.efConstruction = 200
            t0, c0 = time.perf_counter(), time.process_time()
            if not f.is_trained:
                f.train(base)
            f.add(base)
            return f, time.perf_counter() - t0, time.process_time() - c0
        index, build_s, build_cpu = faiss_build(1)
        fpath = os.path.join(OUT, f"ann-{tag}.{name}")
        faiss.write_index(index, fpath)
        info = {"version": faiss.__version__, "build_s": build_s, "build_cpu_s": build_cpu,
                "bytes_per_vector": os.path.getsize(fpath) / a.n,
                "walked_bytes_per_vector": a.dims if name.endswith("sq8") else 4 * a.dims}
        if 2 in threads:
            info["build_2_threads_s"] = faiss_build(2)[1]
        info["open_first_query_ms"] = python_open_first_query(
            ("import faiss, numpy as np; f = faiss.read_index(%r); f.hnsw.efSearch = 40; "
             "q = np.fromfile(%r, dtype=np.float32).reshape(1, -1); d, l = f.search(q, 10); print(l[0][0], d[0][0])") % (fpath, q1_path))
        res["peers"][name] = info

        def faiss_at(ef, t, index=index):
            faiss.omp_set_num_threads(t)
            params = faiss.SearchParametersHNSW()
            params.efSearch = ef
            t0, c0 = time.perf_counter(), time.process_time()
            _, labels = index.search(queries, 10, params=params)
            return time.perf_counter() - t0, time.process_time() - c0, recall(labels, truth)
        at[name] = faiss_at

    for name in ("vecdb", "vecdb-int8"):
        if name not in names:
            continue
        env = os.path.join(OUT, f"ann-{tag}.{name}")
        quantization = "int8" if name.endswith("int8") else "none"
        if a.reuse:
            ours = {}
        else:
            out = subprocess.run([BIN, "build", base_path, str(a.dims), env, "16", "200", str(a.batch), "--quantization", quantization],
                                 check=True, capture_output=True, text=True).stdout
            ours = json.loads(out.strip().splitlines()[-1])
        # The whole database holds each vector twice (the `vectors` table, from which the index can be rebuilt, and
        # the index's blocks) plus the documents; the index alone is what hnswlib's file holds.
        ours["table_bytes"] = table_sizes(env)
        ours["index_bytes_per_vector"] = ours["table_bytes"]["hnsw"] / a.n
        med, times, first = timed_exec([BIN, "query", env, q1_path, str(a.dims)], 7)
        ours["open_first_query_ms"] = med * 1000
        ours["first_result"] = first
        res["peers"][name] = ours

        def vecdb_at(ef, t, env=env):
            out = subprocess.run([BIN, "sweep", env, q_path, str(a.dims), t_path, "10", str(ef), "1", "--threads", str(t)],
                                 check=True, capture_output=True, text=True).stdout
            j = json.loads(out.strip().splitlines()[-1])
            return a.queries / j["qps"], a.queries / j["qps_cpu"], j["recall_at_10"]
        at[name] = vecdb_at

    # The load of this shared 2-core machine drifts by ±30 % within seconds, so the peers alternate at every ef of
    # every round (the order rotates each round), and each ratio to hnswlib is the median of the per-round ratios;
    # each QPS is the median over the rounds.
    cells = [(ef, t) for t in threads for ef in efs]
    runs = {(n, c): [] for n in at for c in cells}
    order = list(at)
    for rnd in range(0 if a.no_sweep else a.repeats):
        for cell in cells:
            for n in order[rnd % len(order):] + order[:rnd % len(order)]:
                runs[n, cell].append(at[n](*cell))
    for n in at:
        sweep = []
        for ef, t in cells if not a.no_sweep else []:
            r = runs[n, (ef, t)]
            line = {"ef": ef, "threads": t, "recall_at_10": r[0][2], "qps": a.queries / statistics.median(x[0] for x in r),
                    "qps_cpu": a.queries / statistics.median(x[1] for x in r), "runs_s": [x[0] for x in r]}
            if t > 1 and (ef, 1) in cells:
                line["speedup_over_1_thread"] = statistics.median(o[0] / x[0] for o, x in zip(runs[n, (ef, 1)], r))
            if "hnswlib" in at:
                pairs = [h[0] / x[0] for h, x in zip(runs["hnswlib", (ef, t)], r)]
                line["ratio_to_hnswlib"] = statistics.median(pairs)
                line["ratio_to_hnswlib_min_max"] = [min(pairs), max(pairs)]
            sweep.append(line)
        res["peers"][n]["sweep"] = sweep
    # vecdb's parallel build is `rebuildIndex(threads:)` (one transaction over the stored vectors): timed last, since
    # it replaces the graph the sweep read.
    for name in ("vecdb", "vecdb-int8"):
        if name in res["peers"]:
            for t in [int(x) for x in a.rebuild_threads.split(",") if x]:
                out = subprocess.run([BIN, "rebuild", os.path.join(OUT, f"ann-{tag}.{name}"), str(t)],
                                     check=True, capture_output=True, text=True).stdout
                res["peers"][name][f"rebuild_{t}_threads_s"] = json.loads(out.strip().splitlines()[-1])["rebuild_s"]
    res["load_after"] = os.getloadavg()
    with open(os.path.join(OUT, f"ann-{tag}.json"), "w") as f:
        json.dump(res, f, indent=1)
    print(json.dumps({n: {k: v for k, v in p.items() if k != "sweep"} for n, p in res["peers"].items()}, indent=1))


if __name__ == "__main__":
    main()
