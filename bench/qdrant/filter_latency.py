"""Latency of filtered `count` through qdrant-client against `vecdb serve` (no peer: local mode is a Python
reference, not a server to race): the parity suite's 10,000 points and its 88 filters, one call each, slowest
first and the median. Run from the repository root: .venv-ci/bin/python bench/qdrant/filter_latency.py
(needs .build/release/vecdb and scripts/test-qdrant's venv)."""
import re, subprocess, tempfile, time, sys
sys.path.insert(0, "Tests/Qdrant")  # the suite's data and filters
from qdrant_client import QdrantClient, models as M
import test_qdrant_parity as T
work = tempfile.mkdtemp()
log = open(f"{work}/log", "wb")
p = subprocess.Popen([".build/release/vecdb", "serve", "--db", f"{work}/q.vecdb", "--port", "0"], stdout=log, stderr=log)
for _ in range(600):
    m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", open(f"{work}/log").read())
    if m: break
    time.sleep(0.1)
c = QdrantClient(url=f"http://127.0.0.1:{m.group(1)}", prefer_grpc=False, timeout=120)
for d in ("cos","dot","euc"):
    c.create_collection(d, vectors_config=M.VectorParams(size=T.DIM, distance=T.DISTANCES[d]))
    T.upsert_batches(c, d, T.make_points(T.N_POINTS, T.DIM, T.SEED))
res=[]
for label, f in T.ALL_FILTERS:
    t=time.time(); n=c.count("dot", count_filter=f).count; dt=time.time()-t
    res.append((dt, label, n))
res.sort(reverse=True)
for dt,label,n in res[:12]: print(f"{dt*1000:7.1f} ms {label} ({n})")
print("median", sorted(r[0] for r in res)[len(res)//2]*1000)
p.terminate(); p.wait()
