"""Hybrid queries: `prefetch` searches in two named vectors fused by reciprocal rank (`{"fusion": "rrf"}`,
and `{"rrf": {"k": …}}`), with an outer filter, offset and limit; and Qdrant's `Document` inference objects: a
text in place of a vector, embedded server-side — the copy checked against `vecdb embed`'s vector of the same
text (minilm). The fused answers are compared with qdrant-client's local mode like every other scenario."""

import json
import os
import subprocess

import pytest
from qdrant_client import QdrantClient, models as M

from conftest import SELFTEST
from test_qdrant_parity import EDGE_FILTERS, SEED, assert_scored_equal, load_named, query_vectors, recreate


def test_prefetch_rrf_fusion(local, remote):
    """Two exact prefetches (a Cosine and a Euclid named vector, 30 each) fused by RRF: same ids and fused scores."""
    name = "parity_fusion"
    config = {"dense": M.VectorParams(size=12, distance=M.Distance.COSINE),
              "other": M.VectorParams(size=6, distance=M.Distance.EUCLID)}
    load_named(local, remote, name, config, 800, SEED + 40)
    exact = M.SearchParams(exact=True)
    for k, (dense, other) in enumerate(zip(query_vectors(8, 12, SEED + 41), query_vectors(8, 6, SEED + 42))):
        for fusion, flt, limit, offset in ((M.FusionQuery(fusion=M.Fusion.RRF), None, 10, 0),
                                           (M.FusionQuery(fusion=M.Fusion.RRF), EDGE_FILTERS["should_two"], 15, 3),
                                           (M.RrfQuery(rrf=M.Rrf(k=10)), None, 10, 0)):
            prefetch = [M.Prefetch(query=dense, using="dense", limit=30, params=exact),
                        M.Prefetch(query=other, using="other", limit=30, params=exact)]

            def fused(client, limit, offset):
                return client.query_points(name, prefetch=prefetch, query=fusion, query_filter=flt, limit=limit,
                                           offset=offset, with_payload=True).points

            # Compared from the top: RRF ties often (one list's rank r against the other's), and a tie that an
            # offset cuts may keep any of its members. The offset page is then vecdb's own list, shifted.
            a, b = fused(local, limit + offset, 0), fused(remote, limit + offset, 0)
            assert_scored_equal(a, b, f"rrf q{k} {fusion} filter={flt is not None}", limit=limit + offset)
            page = fused(remote, limit, offset)
            assert [(p.id, p.score) for p in page] == [(p.id, p.score) for p in b[offset:]]


@pytest.mark.skipif(SELFTEST != "", reason="texts are embedded by vecdb's models")
def test_texts_instead_of_vectors(vecdb_port):
    """Upsert and query with {"text", "model"}: the stored vector is minilm's vector of the text (as `vecdb embed`
    prints it), and a text query ranks like the same query given as that vector. The client sends the texts to the
    server with `cloud_inference=True` (else it embeds them itself, with fastembed)."""
    remote = QdrantClient(url=f"http://127.0.0.1:{vecdb_port}", prefer_grpc=False, timeout=120, cloud_inference=True)
    name = "texts"
    recreate(remote, name, M.VectorParams(size=384, distance=M.Distance.COSINE))
    texts = ["A GPU is a graphics processing unit.", "OpenAI is based at San Francisco.", "Paris is in France."]
    remote.upsert(name, points=[M.PointStruct(id=i, vector=M.Document(text=t, model="minilm"), payload={"t": t})
                                for i, t in enumerate(texts)], wait=True)
    embedded = [json.loads(line)["vector"] for line in subprocess.run(
        [os.environ["VECDB"], "embed", *texts, "--model", "minilm"], capture_output=True, text=True, check=True).stdout.splitlines()]
    stored = remote.retrieve(name, ids=[0, 1, 2], with_vectors=True)
    for record in stored:
        assert max(abs(x - y) for x, y in zip(record.vector, embedded[record.id])) < 1e-5
    by_text = remote.query_points(name, query=M.Document(text="What is GPU?", model="minilm"), limit=3).points
    question = json.loads(subprocess.run([os.environ["VECDB"], "embed", "What is GPU?", "--model", "minilm"],
                                         capture_output=True, text=True, check=True).stdout)["vector"]
    by_vector = remote.query_points(name, query=question, limit=3).points
    assert [p.id for p in by_text] == [p.id for p in by_vector] and by_text[0].id == 0
    with pytest.raises(Exception) as refused:
        remote.query_points(name, query=M.Document(text="x", model="no-such-model"), limit=3)
    assert "no-such-model" in str(refused.value)
