#!/usr/bin/env python3
"""Filtered ANN benchmark (issue 13): vecdb against FAISS IndexHNSWFlat and hnswlib, side by side in one run.

Usage (from the repository root, after `swift build -c release --product ann-bench`):
    bench/.venv/bin/python bench/filter/run.py --scifact ../shared/data/scifact [--queries 300] [--rounds 3]
    bench/.venv/bin/python bench/filter/run.py --n 1000000 [--queries 300] [--low-queries 100] [--rounds 3] [--efs 10,40,160]
    bench/.venv/bin/python bench/filter/run.py --report bench/out/filter-scifact.json     (the tables of a saved run)

Data: as bench/ann/run.py (its functions): with --scifact the all-MiniLM-L6-v2 vectors of the SciFact abstracts'
sentences (cached in bench/out by bench/ann/run.py), the claims as queries; else synthetic clustered unit vectors.
Metadata: one integer per row, `bucket`, uniform over 0..9999: row i's bucket is its rank in a seeded random
permutation times 10,000 / n, so every bucket holds n / 10,000 rows (±1) and `{"bucket": {"$lt": T}}` keeps exactly
T / 10,000 of the rows: T = 5000, 1000, 100, 10, 1 for 50 %, 10 %, 1 %, 0.1 %, 0.01 %.
Ground truth: the exact filtered top-10 by inner product (numpy over the matching rows; fewer than 10 when fewer
match, padded with -1 and not counted). recall@10 = true neighbours found / true neighbours, over all queries.

Peers, same vectors, M 16, efConstruction 200, one thread, k 10:
- vecdb: `ann-bench build` stores each row as a document with metadata {"bucket": N} and its vector through write
  batches; `ann-bench sweep --where JSON` calls `VectorDatabase.nearest(collection:query:k:mode:filter:)` per query
  (one read transaction each; the filter's documents and their index nodes are kept per snapshot in vecdb's filter
  cache, so a process's first query under a filter pays for them, as FAISS's bitmap is built once), with mode .index(ef:) (forced
  filtered walk, the ef sweep), .automatic (the planner: exact scan of the matches where `FilteredWalk` prices it
  below the walk, else the walk; ef = vecdb's default 100) and .exact (the scan of the matches: the "never slower than" reference).
- FAISS: IndexHNSWFlat(d, 16, METRIC_INNER_PRODUCT), efConstruction 200, omp_set_num_threads(1); one batched
  `search(Q, 10, params=SearchParametersHNSW(efSearch=ef, sel=IDSelectorBitmap(n, bits)))`; the bitmap built once per
  selectivity, outside the timing.
- hnswlib: Index(space="ip"), M 16, ef_construction 200; one batched `knn_query(Q, k, num_threads=1,
  filter=allowed.__getitem__)` (a Python list of booleans: the cheapest callable). hnswlib raises when it finds
  fewer than k for some query; k is then min(10, matches), and if it still raises the queries go one at a time.
Every (selectivity, ef) cell runs the three peers back to back, the order rotating per round; the vecdb planner and
exact-scan runs follow each selectivity's cells. QPS = queries / thread CPU time (the machine is shared: wall time
measures waiting as much as work), the median over the rounds; wall-clock QPS is recorded too. Filters keeping <= 1 %
use the first --low-queries queries (the forced filtered walks pass most of the graph there).
Writes bench/out/filter-<tag>.json and bench/out/filter-<tag>.md (the tables) and prints the tables.
"""
import argparse, json, os, statistics, subprocess, sys, time
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench", "ann"))
import run as ann  # noqa: E402  (bench/ann/run.py: clustered, exact_top, scifact_sentences)

OUT = os.path.join(ROOT, "bench", "out")
BIN = os.path.join(ROOT, ".build", "release", "ann-bench")
BUCKETS = 10_000
THRESHOLDS = [5000, 1000, 100, 10, 1]  # 50 %, 10 %, 1 %, 0.1 %, 0.01 %
K = 10


def sh(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()


def filtered_truth(base, queries, mask, k):
    rows = np.nonzero(mask)[0]
    truth = np.full((len(queries), k), -1, dtype=np.int32)
    if len(rows) == 0:
        return truth
    kk = min(k, len(rows))
    sub = base[rows]
    for s in range(0, len(queries), 100):
        scores = queries[s:s + 100] @ sub.T
        idx = np.argpartition(-scores, kk - 1, axis=1)[:, :kk] if kk < len(rows) else np.tile(np.arange(len(rows)), (len(scores), 1))
        order = np.argsort(-np.take_along_axis(scores, idx, 1), axis=1)
        truth[s:s + 100, :kk] = rows[np.take_along_axis(idx, order, 1)]
    return truth


def recall(found, truth):
    """Micro-averaged: true neighbours found / true neighbours (padding -1 not counted)."""
    hits = total = 0
    for f, t in zip(found, truth):
        t = set(int(x) for x in t if x >= 0)
        total += len(t)
        hits += len(t & set(int(x) for x in f if x >= 0))
    return hits / max(total, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--report", metavar="JSON", help="only print the tables of a saved bench/out/filter-*.json")
    ap.add_argument("--scifact", metavar="DIR")
    ap.add_argument("--model", default=os.path.expanduser("~/.cache/vecdb/models/minilm"))
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--dims", type=int, default=384)
    ap.add_argument("--queries", type=int, default=300, help="queries used (the first ones)")
    ap.add_argument("--low-queries", type=int, default=100,
                    help="queries used at selectivity <= 1 %% (the first ones): there the filtered walks pass most of the graph")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--efs", default="10,20,40,80,160,320")
    ap.add_argument("--batch", type=int, default=1000, help="vecdb documents per write batch")
    ap.add_argument("--reuse", action="store_true", help="reuse the indexes a previous run saved in bench/out")
    ap.add_argument("--thresholds", default=",".join(map(str, THRESHOLDS)),
                    help="bucket bounds T of the filters {bucket < T} (of 10,000 buckets: 5000 keeps 50 %%)")
    ap.add_argument("--skip", default="", help="comma-separated peers to leave out: faiss,hnswlib")
    a = ap.parse_args()
    if a.report:
        with open(a.report) as f:
            print(report(json.load(f)))
        return
    efs = [int(x) for x in a.efs.split(",")]
    thresholds = [int(x) for x in a.thresholds.split(",")]
    skip = set(x for x in a.skip.split(",") if x)
    os.makedirs(OUT, exist_ok=True)
    if a.scifact:
        base, queries = ann.scifact_sentences(a.scifact, a.model)
        tag = "scifact"
        data = "SciFact abstract sentences, all-MiniLM-L6-v2 (sentence-transformers); queries: SciFact claims"
    else:
        tag = f"{a.n}"
        # 1,000 queries drawn with the base whatever --queries says, so the base does not depend on it.
        both = ann.clustered(a.n + 1000, a.dims, np.random.default_rng(20240611))
        base, queries = both[:a.n], both[a.n:]
        data = "synthetic clustered unit vectors (bench/ann/run.py's generator, seed 20240611)"
    queries = queries[:a.queries]
    n, dims = base.shape
    nq = len(queries)
    rng = np.random.default_rng(13)
    rank = np.empty(n, dtype=np.int64)
    rank[rng.permutation(n)] = np.arange(n)
    bucket = (rank * BUCKETS // n).astype(np.int32)
    p = lambda x: os.path.join(OUT, f"filter-{tag}.{x}")
    if a.reuse and not (os.path.exists(p("base.f32")) and np.array_equal(np.fromfile(p("base.f32"), dtype=np.float32), base.ravel())):
        print("--reuse: the saved base differs from these data; building again", file=sys.stderr)
        a.reuse = False
    base.tofile(p("base.f32"))
    queries.tofile(p("queries.f32"))
    low_n = min(a.low_queries, nq)
    queries[:low_n].tofile(p("queries-low.f32"))
    bucket.tofile(p("bucket.i32"))

    cells = [None] + thresholds  # None: unfiltered
    masks = {None: np.ones(n, dtype=bool)}
    truths = {None: ann.exact_top(base, queries, K)}
    truths[None].tofile(p("truth-all.i32"))
    for t in thresholds:
        masks[t] = bucket < t
        truths[t] = filtered_truth(base, queries, masks[t], K)
        truths[t].tofile(p(f"truth-{t}.i32"))
    where = {t: json.dumps({"bucket": {"$lt": t}}) for t in thresholds}

    res = {"data": data, "n": n, "dims": dims, "queries": nq, "M": 16, "efConstruction": 200, "k": K,
           "rounds": a.rounds, "efs": efs, "low_queries": low_n,
           "cpu": sh("grep -m1 'model name' /proc/cpuinfo | sed 's/.*: *//'"), "cores": os.cpu_count(),
           "uptime_before": sh("uptime"), "started_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
           "commit": sh(f"git -C {ROOT} rev-parse --short HEAD"),
           "thresholds": thresholds, "selectivity": {str(t): int(masks[t].sum()) / n for t in thresholds},
           "matches": {str(t): int(masks[t].sum()) for t in thresholds}, "build": {}}
    print(f"{n} x {dims}, {nq} queries; {res['cpu']}; {res['uptime_before']}", file=sys.stderr)

    # ---- builds
    env = p("vecdb")
    if not (a.reuse and os.path.exists(env)):
        t0 = time.perf_counter()
        out = subprocess.run([BIN, "build", p("base.f32"), str(dims), env, "16", "200", str(a.batch), p("bucket.i32")],
                             check=True, capture_output=True, text=True).stdout
        res["build"]["vecdb_s"] = json.loads(out.strip().splitlines()[-1])["build_s"]
        print(f"vecdb build {res['build']['vecdb_s']:.1f} s", file=sys.stderr)
    if "faiss" not in skip:
        import faiss
        faiss.omp_set_num_threads(1)
        res["faiss_version"] = faiss.__version__
        fpath = p("faiss")
        if a.reuse and os.path.exists(fpath):
            fx = faiss.read_index(fpath)
        else:
            fx = faiss.IndexHNSWFlat(dims, 16, faiss.METRIC_INNER_PRODUCT)
            fx.hnsw.efConstruction = 200
            t0 = time.perf_counter()
            fx.add(base)
            res["build"]["faiss_s"] = time.perf_counter() - t0
            faiss.write_index(fx, fpath)
            print(f"faiss build {res['build']['faiss_s']:.1f} s", file=sys.stderr)
        bitmaps = {t: np.packbits(masks[t], bitorder="little") for t in thresholds}
        selectors = {t: faiss.IDSelectorBitmap(n, faiss.swig_ptr(bitmaps[t])) for t in thresholds}
    if "hnswlib" not in skip:
        import hnswlib
        res["hnswlib_version"] = getattr(hnswlib, "__version__", "0.8.0")
        hpath = p("hnswlib")
        hx = hnswlib.Index(space="ip", dim=dims)
        if a.reuse and os.path.exists(hpath):
            hx.load_index(hpath)
        else:
            t0 = time.perf_counter()
            hx.init_index(max_elements=n, M=16, ef_construction=200, random_seed=100)
            hx.set_num_threads(1)
            hx.add_items(base, np.arange(n), num_threads=1)
            res["build"]["hnswlib_s"] = time.perf_counter() - t0
            hx.save_index(hpath)
            print(f"hnswlib build {res['build']['hnswlib_s']:.1f} s", file=sys.stderr)
        allowed = {t: masks[t].tolist() for t in thresholds}

    # ---- sweep
    runs = {}      # (peer, cell, ef) -> [seconds]
    recalls = {}   # (peer, cell, ef) -> recall
    modes = {}     # (vecdb peer, cell, ef) -> the path vecdb took
    extra = {}     # cell -> {"filter_ms"}
    first = {}     # cell -> [first filtered query of a process, uncached, ms] (forced walks)
    notes = []

    cpu = {}       # (peer, cell, ef) -> [thread CPU seconds]

    def qs(cell):
        """The queries of a cell: all of them, or the first --low-queries at selectivity <= 1 %."""
        return queries if cell is None or cell > 100 else queries[:low_n]

    def record(key, seconds, cpu_seconds, rec):
        runs.setdefault(key, []).append(seconds)
        cpu.setdefault(key, []).append(cpu_seconds)
        recalls.setdefault(key, rec)

    def faiss_at(cell, ef):
        params = faiss.SearchParametersHNSW(efSearch=ef) if cell is None else \
            faiss.SearchParametersHNSW(efSearch=ef, sel=selectors[cell])
        q = qs(cell)
        t0, c0 = time.perf_counter(), time.thread_time()
        _, labels = fx.search(q, K, params=params)
        record(("faiss", cell, ef), time.perf_counter() - t0, time.thread_time() - c0, recall(labels, truths[cell]))

    def hnswlib_at(cell, ef):
        hx.set_ef(ef)
        kk = K if cell is None else min(K, int(masks[cell].sum()))
        flt = None if cell is None else allowed[cell].__getitem__
        qq = qs(cell)
        t0, c0 = time.perf_counter(), time.thread_time()
        try:
            labels, _ = hx.knn_query(qq, k=kk, num_threads=1, filter=flt)
        except RuntimeError:
            labels = []
            for q in qq:
                try:
                    labels.append(hx.knn_query(q, k=kk, num_threads=1, filter=flt)[0][0])
                except RuntimeError:
                    labels.append([])
            note = f"hnswlib: fewer than k={kk} found for some query at bucket<{cell}, ef {ef}: queried one at a time"
            if note not in notes:
                notes.append(note)
        record(("hnswlib", cell, ef), time.perf_counter() - t0, time.thread_time() - c0, recall(labels, truths[cell]))

    def vecdb_at(cell, ef, mode="index"):
        truth = p("truth-all.i32") if cell is None else p(f"truth-{cell}.i32")
        nqc = len(qs(cell))
        qfile = p("queries.f32") if nqc == nq else p("queries-low.f32")
        cmd = [BIN, "sweep", env, qfile, str(dims), truth, str(K), str(ef), "1", "--mode", mode]
        if cell is not None:
            cmd += ["--where", where[cell]]
        j = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
        peer = "vecdb" if mode == "index" else f"vecdb-{mode}"
        record((peer, cell, ef), nqc / j["qps"], nqc / j["qps_cpu"], j["recall_at_10"])
        modes[(peer, cell, ef)] = j.get("mode", f"hnsw(ef={ef})")
        if "filter_ms" in j:
            extra.setdefault(cell, []).append((j["filter_ms"], j["filter_cpu_ms"]))
        if "first_query_ms" in j and mode == "index":
            first.setdefault(cell, []).append(j["first_query_ms"])

    peers = [x for x in (faiss_at, hnswlib_at) if x.__name__.split("_")[0] not in skip] + [vecdb_at]
    t_sweep = time.perf_counter()
    for rnd in range(a.rounds):
        for cell in cells:
            for i, ef in enumerate(efs):
                order = peers[(rnd + i) % len(peers):] + peers[:(rnd + i) % len(peers)]
                for run_peer in order:
                    run_peer(cell, ef)
            # The planner (ef = vecdb's default) and the exact scan of the matches, once per selectivity and round.
            vecdb_at(cell, 100, "auto")
            if cell is not None:
                vecdb_at(cell, 100, "exact")
            print(f"round {rnd + 1}/{a.rounds} cell {cell}: {time.perf_counter() - t_sweep:.0f} s; {os.getloadavg()}",
                  file=sys.stderr)
    res["sweep_s"] = time.perf_counter() - t_sweep
    res["uptime_after"] = sh("uptime")
    res["notes"] = notes

    # ---- summary
    table = {}
    for (peer, cell, ef), secs in runs.items():
        nqc = len(qs(cell))
        table.setdefault(str(cell), {}).setdefault(peer, []).append({
            "ef": ef, "queries": nqc, "recall_at_10": recalls[(peer, cell, ef)], "qps": nqc / statistics.median(secs),
            "qps_cpu": nqc / statistics.median(cpu[(peer, cell, ef)]), "runs_s": secs, "cpu_s": cpu[(peer, cell, ef)],
            **({"mode": modes[(peer, cell, ef)]} if peer.startswith("vecdb") else {})})
    res["results"] = table
    res["filter_eval_ms"] = {str(c): statistics.median(x[0] for x in v) for c, v in extra.items()}
    res["filter_eval_cpu_ms"] = {str(c): statistics.median(x[1] for x in v) for c, v in extra.items()}
    res["first_query_ms"] = {str(c): statistics.median(v) for c, v in first.items()}
    # Paired ratios vecdb / FAISS at the same ef (same round, back to back).
    res["paired_vs_faiss"] = {}
    if "faiss" not in skip:
        for cell in cells:
            res["paired_vs_faiss"][str(cell)] = {
                ef: statistics.median([f / v for f, v in zip(cpu[("faiss", cell, ef)], cpu[("vecdb", cell, ef)])])
                for ef in efs}
            res.setdefault("paired_vs_faiss_wall", {})[str(cell)] = {
                ef: statistics.median([f / v for f, v in zip(runs[("faiss", cell, ef)], runs[("vecdb", cell, ef)])])
                for ef in efs}
    # At equal or better recall: for each FAISS point, vecdb's fastest configuration (any forced ef, or the planner)
    # whose recall is at least FAISS's.
    res["equal_recall_vs_faiss"] = {}
    if "faiss" not in skip:
        for cell in cells:
            ours = table[str(cell)]["vecdb"] + table[str(cell)]["vecdb-auto"]
            rows = []
            for f in table[str(cell)]["faiss"]:
                ok = [v for v in ours if v["recall_at_10"] >= f["recall_at_10"]]
                best = max(ok, key=lambda v: v["qps_cpu"]) if ok else None
                rows.append({"faiss_ef": f["ef"], "faiss_recall": f["recall_at_10"], "faiss_qps_cpu": f["qps_cpu"],
                             "vecdb": None if best is None else {"ef": best["ef"], "mode": best["mode"],
                                                                  "recall_at_10": best["recall_at_10"], "qps_cpu": best["qps_cpu"]},
                             "ratio": None if best is None else best["qps_cpu"] / f["qps_cpu"]})
            res["equal_recall_vs_faiss"][str(cell)] = rows
    with open(p("json"), "w") as f:
        json.dump(res, f, indent=1)
    md = report(res)
    with open(p("md"), "w") as f:
        f.write(md)
    print(md)


def fmt_q(x):
    return f"{x:,.0f}"


def report(res):
    cells = ["None"] + [str(t) for t in res.get("thresholds", THRESHOLDS)]
    name = lambda c: "none" if c == "None" else f"{100 * res['selectivity'][c]:.3g} % ({res['matches'][c]:,})"
    lines = [f"- data: {res['data']}; n = {res['n']:,} × {res['dims']}, k = {res['k']}, M 16, efConstruction 200, "
             f"one thread, {res['rounds']} interleaved rounds (medians)",
             f"- queries: the first {res['queries']} (filters keeping ≤ 1 %: the first {res['low_queries']})",
             f"- CPU: {res['cpu']}, {res['cores']} cores (shared); started {res['started_utc']} UTC at commit {res['commit']}",
             f"- load: before `{res['uptime_before']}`; after `{res['uptime_after']}`",
             f"- FAISS {res.get('faiss_version', '-')}, hnswlib {res.get('hnswlib_version', '-')}; build seconds (wall): "
             + ", ".join(f"{k[:-2]} {v:.1f}" for k, v in res["build"].items())]
    for note in res["notes"]:
        lines.append(f"- note: {note}")
    lines += ["", "QPS = queries per second of thread CPU time (medians over the rounds); wall-clock QPS in brackets. "
              "Ratio = vecdb / FAISS, median of the per-round CPU-time ratios at the same ef.", "",
              "| filter keeps | ef | recall FAISS | recall hnswlib | recall vecdb | QPS FAISS | QPS hnswlib | QPS vecdb | vecdb / FAISS |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for c in cells:
        t = res["results"][c]
        by = {peer: {r["ef"]: r for r in rows} for peer, rows in t.items()}
        for ef in res["efs"]:
            def rec(peer):
                r = by.get(peer, {}).get(ef)
                return "-" if r is None else f"{r['recall_at_10']:.3f}"

            def q(peer):
                r = by.get(peer, {}).get(ef)
                return "-" if r is None else f"{fmt_q(r['qps_cpu'])} ({fmt_q(r['qps'])})"
            paired = res["paired_vs_faiss"].get(c, {})
            pr = paired.get(ef, paired.get(str(ef)))  # int keys in memory, strings once saved as JSON
            lines.append(f"| {name(c)} | {ef} | {rec('faiss')} | {rec('hnswlib')} | {rec('vecdb')} | {q('faiss')} | "
                         f"{q('hnswlib')} | {q('vecdb')} | {'-' if pr is None else f'{pr:.2f}×'} |")
    lines += ["", "vecdb's planner (`mode: .automatic`: ef 100; an exact scan of the matches where `FilteredWalk` "
              "prices it below the walk or finds the walk not dependable) and the exact "
              "scan of the matches (`mode: .exact`); filter evaluation = `Snapshot.documents(matching:)` alone, which every "
              "filtered query runs first (median of 21 per call after the first, CPU ms); first query = the first "
              "forced-walk query of a process, wall ms, uncached: the filter's evaluation, its documents' node set "
              "(a pass over the node headers) and the walk (median over the sweep's processes):", "",
              "| filter keeps | planner took | recall planner | QPS planner | recall exact | QPS exact | planner / exact | filter evaluation (ms) | first query (ms) |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for c in cells:
        t = res["results"][c]
        au = t["vecdb-auto"][0]
        ex = t.get("vecdb-exact", [None])[0]
        fe = res["filter_eval_cpu_ms"].get(c)
        exr = "-" if ex is None else f"{ex['recall_at_10']:.3f}"
        exq = "-" if ex is None else f"{fmt_q(ex['qps_cpu'])} ({fmt_q(ex['qps'])})"
        ratio = "-" if ex is None else f"{au['qps_cpu'] / ex['qps_cpu']:.2f}×"
        fes = "-" if fe is None else f"{fe:.3f}"
        fq = res.get("first_query_ms", {}).get(c)
        fqs = "-" if fq is None else f"{fq:.2f}"
        lines.append(f"| {name(c)} | {au['mode']} | {au['recall_at_10']:.3f} | {fmt_q(au['qps_cpu'])} ({fmt_q(au['qps'])}) | "
                     f"{exr} | {exq} | {ratio} | {fes} | {fqs} |")
    if res["equal_recall_vs_faiss"]:
        lines += ["", "At equal or better recall: for each FAISS point, vecdb's fastest configuration (forced index at any "
                  "ef, or the planner) whose recall is at least FAISS's (CPU-time QPS):", "",
                  "| filter keeps | FAISS ef | FAISS recall | FAISS QPS | vecdb config | vecdb recall | vecdb QPS | ratio |",
                  "|---|---:|---:|---:|---|---:|---:|---:|"]
        for c in cells:
            for r in res["equal_recall_vs_faiss"][c]:
                v = r["vecdb"]
                lines.append(f"| {name(c)} | {r['faiss_ef']} | {r['faiss_recall']:.3f} | {fmt_q(r['faiss_qps_cpu'])} | "
                             + ("none reaches it | - | - | - |" if v is None else
                                f"{v['mode']} | {v['recall_at_10']:.3f} | {fmt_q(v['qps_cpu'])} | **{r['ratio']:.2f}×** |"))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
