#!/usr/bin/env python3
"""vecdb serve against a Chroma server, on loopback, in one bounded run (bench/server).

Usage (from the repository root, after `swift build -c release --product vecdb`):
    python3 -m venv bench/.venv && bench/.venv/bin/pip install chromadb numpy
    bench/.venv/bin/pip install torch==2.13.0+cpu sentence-transformers      # only for the Chroma text-query client
    apt-get install -y wrk
    bench/.venv/bin/python bench/server/run.py --data ../shared/data/scifact [--vecdb .build/release/vecdb]
        [--docs N] [--queries N] [--duration 10] [--rounds 3] [--concurrency 1,8,32] [--no-text-client]
    bench/.venv/bin/python bench/server/run.py --report bench/out/server.json          (the tables of a saved run)

What it does (see bench/server/README.md):
1. starts `vecdb serve --db TMP --port 0 --models minilm` and `chroma run --path TMP --port FREE`, both on 127.0.0.1;
2. ingest: POSTs the corpus (title + " " + text, id = the BEIR _id, metadata {"title"}) to vecdb's /v1/documents,
   --batch docs per request (server-side MiniLM embedding + commit) -> docs/s; reads the same texts' vectors back
   through /v1/embed (embed-only rate, docs/s) and adds them, with the same texts, ids and metadata, to a Chroma
   collection (metadata {"hnsw:space": "cosine"}) through chromadb.HttpClient, --batch per add -> docs/s (vectors
   given, no embedding); checks the two hold the same vectors (a document's vector finds that document first,
   score ~ 1 in vecdb, distance ~ 0 in Chroma);
3. embeds the queries once (/v1/embed); ground truth = exact top-10 by numpy dot product over the normalised
   vectors; recall@10 of both servers' default search, one HTTP request per query with the very bodies wrk sends;
4. load, --rounds rounds, each: for each concurrency c, vector queries against vecdb (POST /v1/query {"vector", "k"})
   and Chroma (POST /api/v2/.../collections/{id}/query {"query_embeddings", "n_results", "include"}) with wrk
   (-t min(c, 2) -c c -d D --latency, bodies rotated by query.lua), the order alternating per round; then text
   queries: vecdb {"text", "k"} with wrk (server-side embedding), and, with sentence-transformers installed, a
   Python client of c threads that embeds the query with sentence-transformers and then queries Chroma (client-side
   embedding), beside the same Python client sending vecdb text queries (the client's own overhead, as a control);
5. medians over rounds, ratios vecdb / Chroma, load averages per round; writes bench/out/server.json and prints the
   markdown tables. Both servers are stopped at the end, also on error.
Every target is 127.0.0.1; every loop is bounded by a count or a deadline.
"""
import argparse, datetime, hashlib, http.client, json, os, re, shutil, signal, socket, statistics, subprocess, sys
import tempfile, threading, time
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LUA = os.path.join(HERE, "query.lua")
K = 10
HOST = "127.0.0.1"
CHROMA_PREFIX = "/api/v2/tenants/default_tenant/databases/default_database"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[:3]


def sh(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None


def free_port():
    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Http:
    """One keep-alive connection to 127.0.0.1:port; every answer but 2xx raises with the request and the answer."""

    def __init__(self, port, timeout=120):
        self.port, self.timeout = port, timeout
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)

    def call(self, method, path, body=None):
        data = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
        if isinstance(data, str):
            data = data.encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        for attempt in (0, 1):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                self.last_size = len(raw)
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # a closed keep-alive connection: reconnect once (the request was not answered)
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
                if attempt:
                    raise
        if not 200 <= resp.status < 300:
            shown = (data or b"")[:300]
            raise RuntimeError(f"{method} 127.0.0.1:{self.port}{path} -> HTTP {resp.status}: {raw[:1000]!r}\n"
                               f"  request body (first 300 bytes): {shown!r}")
        return json.loads(raw) if raw else None

    def close(self):
        self.conn.close()


class Servers:
    def __init__(self, args, tmp):
        self.args, self.tmp = args, tmp
        self.procs = {}
        self.vecdb_port = self.chroma_port = None

    def start_vecdb(self):
        db = os.path.join(self.tmp, "vecdb-db")
        errlog = open(os.path.join(self.tmp, "vecdb.log"), "w")
        cmd = [self.args.vecdb, "serve", "--db", db, "--host", HOST, "--port", "0", "--models", "minilm"]
        log("starting:", " ".join(cmd))
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.procs["vecdb"] = p
        ready = threading.Event()

        def pump():
            for line in p.stderr:
                errlog.write(line)
                errlog.flush()
                m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
                if m and not ready.is_set():
                    self.vecdb_port = int(m.group(1))
                    ready.set()
            ready.set()

        threading.Thread(target=pump, daemon=True).start()
        if not ready.wait(120) or self.vecdb_port is None:
            raise RuntimeError(f"vecdb serve did not print 'listening on' (exit {p.poll()}); see {errlog.name}")
        Http(self.vecdb_port).call("GET", "/healthz")
        log(f"vecdb ready on 127.0.0.1:{self.vecdb_port}")

    def start_chroma(self):
        self.chroma_port = free_port()
        out = open(os.path.join(self.tmp, "chroma.log"), "w")
        cmd = [self.args.chroma, "run", "--path", os.path.join(self.tmp, "chroma-db"), "--host", HOST,
               "--port", str(self.chroma_port)]
        log("starting:", " ".join(cmd))
        env = dict(os.environ, ANONYMIZED_TELEMETRY="False")
        self.procs["chroma"] = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.procs["chroma"].poll() is not None:
                raise RuntimeError(f"chroma run exited {self.procs['chroma'].returncode}; see {out.name}")
            try:
                Http(self.chroma_port, timeout=2).call("GET", "/api/v2/heartbeat")
                log(f"chroma ready on 127.0.0.1:{self.chroma_port}")
                return
            except Exception:
                time.sleep(0.5)
        raise RuntimeError("chroma run did not answer /api/v2/heartbeat in 120 s")

    def check_alive(self):
        for name, p in self.procs.items():
            if p.poll() is not None:
                raise RuntimeError(f"{name} server exited with {p.returncode} during the run (see its log in {self.tmp})")

    def stop(self):
        for name, p in self.procs.items():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for name, p in self.procs.items():
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop in 20 s after SIGTERM: SIGKILL")
                p.kill()
                p.wait(10)
            log(f"{name} stopped (exit {p.returncode})")


def read_data(folder, docs, queries):
    corpus = []
    with open(os.path.join(folder, "corpus.jsonl"), encoding="utf-8") as f:
        for line in f:
            if docs is not None and len(corpus) >= docs:
                break
            d = json.loads(line)
            title = d.get("title") or ""
            corpus.append((str(d["_id"]), (title + " " + d["text"]).strip(), title))
    qs = []
    with open(os.path.join(folder, "queries.jsonl"), encoding="utf-8") as f:
        for line in f:
            if queries is not None and len(qs) >= queries:
                break
            q = json.loads(line)
            qs.append((str(q["_id"]), q["text"]))
    return corpus, qs


def embed_all(http, texts, batch, seconds=None):
    vectors = []
    for i in range(0, len(texts), batch):
        t0 = time.perf_counter()
        vectors.extend(http.call("POST", "/v1/embed", {"texts": texts[i:i + batch]})["vectors"])
        if seconds is not None:
            seconds.append(round(time.perf_counter() - t0, 4))
    return np.asarray(vectors, dtype=np.float32)


def vec_json(v):
    return "[" + ",".join(f"{float(x):.8g}" for x in v) + "]"


# ---------------------------------------------------------------- wrk

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def to_ms(text):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", text.strip())
    if not m:
        raise ValueError(f"cannot read a wrk duration: {text!r}")
    return float(m.group(1)) * UNITS[m.group(2)]


def parse_wrk(out):
    r = {}
    m = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    r["qps"] = float(m.group(1)) if m else None
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}(?:\.0+)?%\s+(\S+)\s*$", out, re.M)
        r[f"p{pct}_ms"] = to_ms(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in ([0-9.]+\w+)", out)
    r["requests"] = int(m.group(1)) if m else None
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    r["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    r["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"), map(int, m.groups()))) if m else None
    return r


def run_wrk(port, path, bodies_file, conc, duration, label):
    cmd = ["wrk", "-t", str(min(conc, 2)), "-c", str(conc), "-d", f"{duration}s", "--timeout", "10s", "--latency",
           "-s", LUA, f"http://{HOST}:{port}", "--", path, bodies_file]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    r = parse_wrk(proc.stdout)
    r["cmd"] = " ".join(cmd)
    bad = r["non_2xx"] or (r["socket_errors"] and any(r["socket_errors"].values()))
    if proc.returncode != 0 or r["qps"] is None or r["p99_ms"] is None or bad:
        raise RuntimeError(f"wrk against {label} (c={conc}) failed or saw errors: rc {proc.returncode}\n"
                           f"{proc.stdout}\n{proc.stderr}")
    log(f"  {label:<28} c={conc:<3} {r['qps']:9.1f} QPS  p50 {r['p50_ms']:8.3f} ms  p99 {r['p99_ms']:8.3f} ms")
    return r


# ---------------------------------------------------------------- Python client (client-side embedding)

def run_py_client(label, port, make_request, texts, conc, duration):
    """c threads, each its own keep-alive connection, looping until the deadline: make_request(http, text)."""
    lat, lock, errors = [], threading.Lock(), []
    start_evt = threading.Event()
    deadline = [0.0]

    def worker(tid):
        http = Http(port, timeout=30)
        mine = []
        i = (tid * 7919) % len(texts)
        start_evt.wait()
        try:
            while True:
                t0 = time.perf_counter()
                if t0 >= deadline[0]:
                    break
                make_request(http, texts[i])
                mine.append(time.perf_counter() - t0)
                i = (i + 1) % len(texts)
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))
        finally:
            http.close()
            with lock:
                lat.extend(mine)

    threads = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(conc)]
    for t in threads:
        t.start()
    t_start = time.perf_counter()
    deadline[0] = t_start + duration
    start_evt.set()
    for t in threads:
        t.join(duration + 60)
    elapsed = time.perf_counter() - t_start
    if errors:
        raise RuntimeError(f"Python client against {label} (c={conc}): {errors[0]}")
    a = np.asarray(lat) * 1000
    r = {"qps": len(a) / elapsed, "requests": int(len(a)), "p50_ms": float(np.percentile(a, 50)),
         "p75_ms": float(np.percentile(a, 75)), "p90_ms": float(np.percentile(a, 90)),
         "p99_ms": float(np.percentile(a, 99)), "non_2xx": 0}
    log(f"  {label:<28} c={conc:<3} {r['qps']:9.1f} QPS  p50 {r['p50_ms']:8.3f} ms  p99 {r['p99_ms']:8.3f} ms")
    return r


# ---------------------------------------------------------------- report

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, nd=1):
    if x is None:
        return "-"
    if nd == 0 or abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:,.{nd}f}"


def summarize(res):
    """Median per (series, concurrency) over rounds."""
    out = {}
    for series, by_c in res["load"].items():
        out[series] = {}
        for c, runs in by_c.items():
            out[series][c] = {k: med([r[k] for r in runs]) for k in ("qps", "p50_ms", "p99_ms")}
            out[series][c]["qps_rounds"] = [r["qps"] for r in runs]
    return out


SERIES = [
    ("vector", "vecdb", "vecdb /v1/query {vector} (wrk)"),
    ("vector", "chroma", "Chroma .../query {query_embeddings} (wrk)"),
    ("text", "vecdb", "vecdb /v1/query {text}, server-side embedding (wrk)"),
    ("text", "vecdb_py", "vecdb /v1/query {text} (Python client, control)"),
    ("text", "chroma_st", "Chroma: sentence-transformers in the client + .../query (Python client)"),
]


def report(res):
    s = summarize(res)
    concs = [str(c) for c in res["config"]["concurrency"]]
    lines = []
    ing = res["ingest"]
    lines.append(f"Corpus: {ing['docs']} documents; {res['config']['queries']} queries; k = {K}; "
                 f"{res['config']['rounds']} rounds x {res['config']['duration']} s per load step; medians over rounds.")
    lines.append("")
    lines.append("| ingest | docs/s | seconds | what it includes |")
    lines.append("|---|---:|---:|---|")
    lines.append(f"| vecdb POST /v1/documents ({ing['batch']} docs/request) | {fmt(ing['vecdb_docs_per_s'])} | "
                 f"{ing['vecdb_seconds']:.1f} | server-side MiniLM embedding + HNSW insert + one LMDB commit per request |")
    lines.append(f"| vecdb POST /v1/embed ({ing['batch']} texts/request) | {fmt(ing['vecdb_embed_docs_per_s'])} | "
                 f"{ing['vecdb_embed_seconds']:.1f} | embedding alone, stores nothing |")
    lines.append(f"| Chroma collection.add ({ing['batch']} docs/add, vectors given) | {fmt(ing['chroma_docs_per_s'])} | "
                 f"{ing['chroma_seconds']:.1f} | no embedding: vectors, documents, metadata, ids |")
    lines.append("")
    rc = res["recall"]
    lines.append("| recall@10 against exact numpy top-10 | value | search |")
    lines.append("|---|---:|---|")
    lines.append(f"| vecdb default | {rc['vecdb']:.4f} | {rc['vecdb_search']} |")
    if rc.get("vecdb_hnsw") is not None:
        lines.append(f"| vecdb forced index (ef {rc['vecdb_hnsw_ef']}) | {rc['vecdb_hnsw']:.4f} | "
                     f"{rc['vecdb_hnsw_search']} (not load-tested) |")
    lines.append(f"| Chroma default | {rc['chroma']:.4f} | HNSW {json.dumps(rc.get('chroma_hnsw'))} |")
    if rc.get("chroma_st") is not None:
        lines.append(f"| Chroma with sentence-transformers query vectors | {rc['chroma_st']:.4f} | "
                     f"as the Chroma text-query client |")
    lines.append("")
    for kind in ("vector", "text"):
        present = [(series, label) for (k, series, label) in SERIES if k == kind and f"{kind}/{series}" in s]
        if not present:
            continue
        lines.append(f"**{kind} queries**, QPS / p50 ms / p99 ms per concurrent clients:")
        lines.append("")
        lines.append("| server | " + " | ".join(f"c={c} QPS | c={c} p50 | c={c} p99" for c in concs) + " |")
        lines.append("|---|" + "---:|" * (3 * len(concs)))
        for series, label in present:
            row = s[f"{kind}/{series}"]
            cells = []
            for c in concs:
                r = row.get(c)
                cells += [fmt(r["qps"]), fmt(r["p50_ms"], 2), fmt(r["p99_ms"], 2)] if r else ["-"] * 3
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        pairs = [("vecdb", "chroma")] if kind == "vector" else [("vecdb", "chroma_st"), ("vecdb_py", "chroma_st")]
        for a, b in pairs:
            if f"{kind}/{a}" in s and f"{kind}/{b}" in s:
                cells = []
                for c in concs:
                    ra, rb = s[f"{kind}/{a}"].get(c), s[f"{kind}/{b}"].get(c)
                    if ra and rb:
                        cells += [f"**{ra['qps'] / rb['qps']:.2f}x**", f"{ra['p50_ms'] / rb['p50_ms']:.2f}x",
                                  f"{ra['p99_ms'] / rb['p99_ms']:.2f}x"]
                    else:
                        cells += ["-"] * 3
                lines.append(f"| ratio {a} / {b} | " + " | ".join(cells) + " |")
        lines.append("")
        lines.append("QPS of each round: " + "; ".join(
            f"{series} c={c}: " + ", ".join(fmt(q) for q in s[f"{kind}/{series}"][c]["qps_rounds"])
            for series, _ in present for c in concs if c in s[f"{kind}/{series}"]))
        lines.append("")
    lines.append("| round | load average at start | load average at end | first |")
    lines.append("|---:|---|---|---|")
    for r in res["rounds"]:
        lines.append(f"| {r['round']} | {' '.join(r['loadavg_start'])} | {' '.join(r['loadavg_end'])} | {r['first']} |")
    return "\n".join(lines)


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", help="folder with corpus.jsonl and queries.jsonl (BEIR layout)")
    ap.add_argument("--vecdb", default=os.path.join(ROOT, ".build", "release", "vecdb"))
    ap.add_argument("--chroma", default=os.path.join(os.path.dirname(sys.executable), "chroma"),
                    help="the `chroma` command (default: beside this Python)")
    ap.add_argument("--docs", type=int, default=None, help="first N documents (default all)")
    ap.add_argument("--queries", type=int, default=None, help="first N queries (default all)")
    ap.add_argument("--duration", type=int, default=10, help="seconds per load step")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--concurrency", default="1,8,32")
    ap.add_argument("--batch", type=int, default=64, help="documents per ingest request / Chroma add")
    ap.add_argument("--ef", type=int, default=100, help="also measure vecdb's recall with the index forced at this ef "
                    "(0: skip); not load-tested")
    ap.add_argument("--no-text-client", action="store_true",
                    help="skip the Python clients (sentence-transformers + Chroma, and the vecdb control)")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "server.json"))
    ap.add_argument("--report", help="print the tables of a saved JSON and exit")
    args = ap.parse_args()
    if args.report:
        with open(args.report) as f:
            print(report(json.load(f)))
        return
    if not args.data:
        ap.error("--data is required")
    concs = [int(c) for c in args.concurrency.split(",")]
    for tool in (args.vecdb, args.chroma):
        if not os.path.exists(tool):
            sys.exit(f"not found: {tool}")
    if not shutil.which("wrk"):
        sys.exit("wrk not found (apt-get install -y wrk)")

    t_all = time.time()
    corpus, queries = read_data(args.data, args.docs, args.queries)
    res = {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        "command": " ".join([os.path.relpath(sys.executable, os.getcwd())] + sys.argv),
        "machine": {"cpu": sh("lscpu | sed -n 's/^Model name:[ \\t]*//p'"), "cores": os.cpu_count(),
                    "loadavg_start": loadavg()},
        "versions": {"chromadb": None, "wrk": sh("wrk --version 2>&1 | head -1"),
                     "vecdb_binary": os.path.abspath(args.vecdb),
                     "vecdb_sha256": hashlib.sha256(open(args.vecdb, "rb").read()).hexdigest()[:16],
                     "vecdb_git_head": sh(f"git -C {ROOT} rev-parse --short HEAD 2>/dev/null")},
        "config": {"docs": len(corpus), "queries": len(queries), "duration": args.duration, "rounds": args.rounds,
                   "concurrency": concs, "batch": args.batch, "k": K},
        "load": {}, "rounds": [],
    }
    import chromadb
    from chromadb.config import Settings
    res["versions"]["chromadb"] = chromadb.__version__

    tmp = tempfile.mkdtemp(prefix="bench-server-")
    servers = Servers(args, tmp)
    try:
        servers.start_vecdb()
        servers.start_chroma()
        vhttp, chttp = Http(servers.vecdb_port), Http(servers.chroma_port)
        res["versions"]["chroma_server_api"] = chttp.call("GET", "/api/v2/version")

        # ---- ingest vecdb (server-side embedding)
        log(f"ingest: {len(corpus)} documents into vecdb, {args.batch} per request")
        t0 = time.perf_counter()
        ingest_batches = []
        for i in range(0, len(corpus), args.batch):
            tb = time.perf_counter()
            docs = [{"id": d, "text": t, "metadata": {"title": ti or "-"}} for d, t, ti in corpus[i:i + args.batch]]
            a = vhttp.call("POST", "/v1/documents", {"documents": docs})
            if a["added"] != len(docs):
                raise RuntimeError(f"vecdb /v1/documents batch at {i}: added {a['added']} of {len(docs)}: {a}")
            ingest_batches.append(round(time.perf_counter() - tb, 4))
        vecdb_s = time.perf_counter() - t0
        health = vhttp.call("GET", "/healthz")
        log(f"  vecdb: {vecdb_s:.1f} s, {len(corpus) / vecdb_s:.1f} docs/s; healthz {health}")

        # ---- the same vectors, via /v1/embed
        log("embed: the same texts through vecdb /v1/embed")
        t0 = time.perf_counter()
        embed_batches = []
        doc_vecs = embed_all(vhttp, [t for _, t, _ in corpus], args.batch, embed_batches)
        embed_s = time.perf_counter() - t0
        log(f"  /v1/embed: {embed_s:.1f} s, {len(corpus) / embed_s:.1f} docs/s")

        # ---- ingest Chroma (vectors given)
        client = chromadb.HttpClient(host=HOST, port=servers.chroma_port,
                                     settings=Settings(anonymized_telemetry=False))
        col = client.create_collection("scifact-minilm", metadata={"hnsw:space": "cosine"}, embedding_function=None)
        log(f"ingest: {len(corpus)} documents into Chroma, {args.batch} per add")
        t0 = time.perf_counter()
        for i in range(0, len(corpus), args.batch):
            part = corpus[i:i + args.batch]
            col.add(ids=[d for d, _, _ in part], embeddings=doc_vecs[i:i + args.batch].tolist(),
                    documents=[t for _, t, _ in part], metadatas=[{"title": ti or "-"} for _, _, ti in part])
        chroma_s = time.perf_counter() - t0
        count = col.count()
        log(f"  Chroma: {chroma_s:.1f} s, {len(corpus) / chroma_s:.1f} docs/s; count {count}")
        if count != len(corpus):
            raise RuntimeError(f"Chroma holds {count} of {len(corpus)}")
        cinfo = chttp.call("GET", f"{CHROMA_PREFIX}/collections/by-id/{col.id}")
        try:
            cindex = chttp.call("GET", f"{CHROMA_PREFIX}/collections/{col.id}/indexing_status")
        except RuntimeError as e:
            cindex = str(e)
        res["ingest"] = {"docs": len(corpus), "batch": args.batch,
                         "vecdb_seconds": vecdb_s, "vecdb_docs_per_s": len(corpus) / vecdb_s,
                         "vecdb_embed_seconds": embed_s, "vecdb_embed_docs_per_s": len(corpus) / embed_s,
                         "chroma_seconds": chroma_s, "chroma_docs_per_s": len(corpus) / chroma_s,
                         "vecdb_rss_mb": rss_mb(servers.procs["vecdb"].pid),
                         "chroma_rss_mb": rss_mb(servers.procs["chroma"].pid),
                         "vecdb_batch_seconds": ingest_batches, "embed_batch_seconds": embed_batches,
                         "chroma_collection": cinfo, "chroma_indexing_status": cindex}

        # ---- the two hold the same vectors
        norms = np.linalg.norm(doc_vecs, axis=1, keepdims=True)
        base = doc_vecs / norms
        sample = sorted(set(np.linspace(0, len(corpus) - 1, 20).astype(int).tolist()))
        checks = []
        for j in sample:
            body = vec_json(base[j])
            v = vhttp.call("POST", "/v1/query", '{"vector": ' + body + ', "k": 1, "exact": true}')["results"][0]
            c = chttp.call("POST", f"{CHROMA_PREFIX}/collections/{col.id}/query",
                           '{"query_embeddings": [' + body + '], "n_results": 1, "include": ["distances"]}')
            checks.append({"doc": corpus[j][0], "vecdb_top": v["external_id"], "vecdb_score": v["score"],
                           "chroma_top": c["ids"][0][0], "chroma_distance": c["distances"][0][0]})
        bad = [c for c in checks if c["vecdb_score"] < 0.999 or c["chroma_distance"] > 1e-3
               or (c["vecdb_top"] != c["doc"] and c["vecdb_score"] < 0.9999)]
        res["vector_check"] = {"sample": checks, "min_vecdb_score": min(c["vecdb_score"] for c in checks),
                               "max_chroma_distance": max(c["chroma_distance"] for c in checks),
                               "same_top": sum(c["vecdb_top"] == c["doc"] == c["chroma_top"] for c in checks),
                               "norm_min": float(norms.min()), "norm_max": float(norms.max())}
        log(f"vector check: {res['vector_check']['same_top']}/{len(checks)} documents first in both, "
            f"min vecdb score {res['vector_check']['min_vecdb_score']:.6f}, "
            f"max Chroma distance {res['vector_check']['max_chroma_distance']:.2e}")
        if bad:
            raise RuntimeError(f"the servers do not hold the same vectors: {bad[:3]}")

        # ---- queries, bodies, ground truth
        qtexts = [t for _, t in queries]
        qvecs = embed_all(vhttp, qtexts, args.batch)
        qn = qvecs / np.linalg.norm(qvecs, axis=1, keepdims=True)
        truth = np.argsort(-(qn @ base.T), axis=1)[:, :K]
        ids = [d for d, _, _ in corpus]
        truth_ids = [set(ids[j] for j in row) for row in truth]
        qbodies = [vec_json(v) for v in qn]
        vec_bodies = ['{"vector": ' + b + ', "k": ' + str(K) + '}' for b in qbodies]
        chroma_bodies = ['{"query_embeddings": [' + b + '], "n_results": ' + str(K) +
                         ', "include": ["distances", "documents", "metadatas"]}' for b in qbodies]
        text_bodies = [json.dumps({"text": t, "k": K}) for t in qtexts]
        files = {}
        for name, bodies in (("vecdb-vector", vec_bodies), ("chroma-vector", chroma_bodies),
                             ("vecdb-text", text_bodies)):
            files[name] = os.path.join(tmp, name + ".jsonl")
            with open(files[name], "w") as f:
                f.write("\n".join(bodies) + "\n")
        chroma_path = f"{CHROMA_PREFIX}/collections/{col.id}/query"

        # ---- recall, with the bodies wrk sends
        log(f"recall@{K}: {len(queries)} queries, one request each")
        found_v = found_c = 0
        searches, sample_answers, sizes = set(), {}, {"vecdb": [], "chroma": []}
        for i, (vb, cb) in enumerate(zip(vec_bodies, chroma_bodies)):
            va = vhttp.call("POST", "/v1/query", vb)
            sizes["vecdb"].append(vhttp.last_size)
            ca = chttp.call("POST", chroma_path, cb)
            sizes["chroma"].append(chttp.last_size)
            searches.add(va["search"])
            found_v += len(truth_ids[i] & {r["external_id"] for r in va["results"]})
            found_c += len(truth_ids[i] & set(ca["ids"][0]))
            if i == 0:
                sample_answers = {"vecdb": {k: v for k, v in va.items() if k != "results"} | {
                                      "results[0]": va["results"][0], "n_results": len(va["results"])},
                                  "chroma_keys": sorted(ca), "chroma_n": len(ca["ids"][0]),
                                  "chroma_first": {k: (ca[k][0][0] if ca.get(k) else None)
                                                   for k in ("ids", "distances", "documents", "metadatas")}}
                # the score and the distance agree: cosine = 1 - cosine distance
                sample_answers["score_vs_distance"] = [
                    (r["external_id"], r["score"], 1 - ca["distances"][0][ca["ids"][0].index(r["external_id"])])
                    for r in va["results"][:3] if r["external_id"] in ca["ids"][0]]
        total = K * len(queries)
        res["recall"] = {"vecdb": found_v / total, "vecdb_search": ", ".join(sorted(searches)),
                         "chroma": found_c / total, "answers": sample_answers,
                         "response_bytes_mean": {k: float(np.mean(v)) for k, v in sizes.items()},
                         "request_bytes_mean": {"vecdb": float(np.mean([len(b) for b in vec_bodies])),
                                                "chroma": float(np.mean([len(b) for b in chroma_bodies]))},
                         "chroma_hnsw": (cinfo.get("configuration_json") or {}).get("hnsw")}
        if args.ef:
            found, searches = 0, set()
            for i, b in enumerate(qbodies):
                va = vhttp.call("POST", "/v1/query", '{"vector": ' + b + f', "k": {K}, "ef": {args.ef}' + '}')
                searches.add(va["search"])
                found += len(truth_ids[i] & {r["external_id"] for r in va["results"]})
            res["recall"].update({"vecdb_hnsw": found / total, "vecdb_hnsw_ef": args.ef,
                                  "vecdb_hnsw_search": ", ".join(sorted(searches))})
        log(f"  recall vecdb {res['recall']['vecdb']:.4f} ({res['recall']['vecdb_search']}), "
            f"vecdb forced {res['recall'].get('vecdb_hnsw')}, Chroma {res['recall']['chroma']:.4f}")

        # ---- the Python client: sentence-transformers embedding + Chroma query
        st_model = None
        if not args.no_text_client:
            try:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                import torch
                from sentence_transformers import SentenceTransformer
                torch.set_num_threads(os.cpu_count() or 2)
                model_dir = os.path.join(os.environ.get("VECDB_MODELS", os.path.expanduser("~/.cache/vecdb/models")),
                                         "minilm")
                st_model = SentenceTransformer(model_dir, device="cpu")
                res["versions"]["sentence_transformers"] = __import__("sentence_transformers").__version__
                res["versions"]["torch"] = torch.__version__
                st_q = st_model.encode(qtexts, batch_size=64, normalize_embeddings=True)
                cos = np.sum(st_q * qn, axis=1)
                found = 0
                for i in range(len(queries)):
                    ca = chttp.call("POST", chroma_path, '{"query_embeddings": [' + vec_json(st_q[i]) + '], '
                                    f'"n_results": {K}, "include": ["distances"]' + '}')
                    found += len(truth_ids[i] & set(ca["ids"][0]))
                res["recall"]["chroma_st"] = found / total
                res["recall"]["st_vs_vecdb_query_cosine_min"] = float(cos.min())
                log(f"  sentence-transformers query vectors: min cosine to vecdb's {cos.min():.6f}, "
                    f"Chroma recall {found / total:.4f}")
            except ImportError as e:
                log(f"no sentence-transformers ({e}): Chroma text queries skipped")
                res["text_client_skipped"] = str(e)
                st_model = None

        def chroma_st_request(http, text):
            v = st_model.encode([text], normalize_embeddings=True)[0]
            http.call("POST", chroma_path, '{"query_embeddings": [' + vec_json(v) + '], "n_results": ' + str(K) +
                      ', "include": ["distances", "documents", "metadatas"]}')

        def vecdb_text_request(http, text):
            http.call("POST", "/v1/query", json.dumps({"text": text, "k": K}))

        # ---- load rounds
        def add(series, c, r, rnd):
            res["load"].setdefault(series, {}).setdefault(str(c), []).append(dict(r, round=rnd))

        log("warm-up: 2 s of each vector and text target at c=8 (not recorded)")
        run_wrk(servers.vecdb_port, "/v1/query", files["vecdb-vector"], 8, 2, "warm-up vecdb vector")
        run_wrk(servers.chroma_port, chroma_path, files["chroma-vector"], 8, 2, "warm-up chroma vector")
        run_wrk(servers.vecdb_port, "/v1/query", files["vecdb-text"], 8, 2, "warm-up vecdb text")
        for rnd in range(1, args.rounds + 1):
            la0, first = loadavg(), ("vecdb" if rnd % 2 else "chroma")
            log(f"round {rnd}/{args.rounds} (load average {' '.join(la0)}), {first} first")
            for c in concs:
                vec_runs = [("vector/vecdb", lambda: run_wrk(servers.vecdb_port, "/v1/query", files["vecdb-vector"],
                                                             c, args.duration, "vecdb vector")),
                            ("vector/chroma", lambda: run_wrk(servers.chroma_port, chroma_path,
                                                              files["chroma-vector"], c, args.duration,
                                                              "chroma vector"))]
                text_runs = [("text/vecdb", lambda: run_wrk(servers.vecdb_port, "/v1/query", files["vecdb-text"], c,
                                                            args.duration, "vecdb text (wrk)"))]
                if st_model is not None:
                    text_runs.append(("text/chroma_st", lambda: run_py_client(
                        "chroma text (ST client)", servers.chroma_port, chroma_st_request, qtexts, c, args.duration)))
                    text_runs.append(("text/vecdb_py", lambda: run_py_client(
                        "vecdb text (Python client)", servers.vecdb_port, vecdb_text_request, qtexts, c,
                        args.duration)))
                if first == "chroma":
                    vec_runs.reverse()
                    text_runs.reverse()
                for series, fn in vec_runs + text_runs:
                    add(series, c, fn(), rnd)
                    servers.check_alive()
            res["rounds"].append({"round": rnd, "first": first, "loadavg_start": la0, "loadavg_end": loadavg()})
        res["final"] = {"vecdb_rss_mb": rss_mb(servers.procs["vecdb"].pid),
                        "chroma_rss_mb": rss_mb(servers.procs["chroma"].pid),
                        "vecdb_healthz": vhttp.call("GET", "/healthz"), "chroma_count": col.count()}
        vhttp.close()
        chttp.close()
    finally:
        servers.stop()
        res["machine"]["loadavg_end"] = loadavg()
        res["seconds"] = time.time() - t_all
        logs = {}
        for name in ("vecdb.log", "chroma.log"):
            p = os.path.join(tmp, name)
            if os.path.exists(p):
                with open(p, errors="replace") as f:
                    logs[name] = f.read()[-3000:]
        res["server_log_tails"] = logs
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(res, f, indent=1)
        log(f"wrote {args.out} ({res['seconds']:.0f} s)")
        shutil.rmtree(tmp, ignore_errors=True)
    print(report(res))


if __name__ == "__main__":
    main()
