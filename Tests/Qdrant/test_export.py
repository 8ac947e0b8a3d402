"""`vecdb export --qdrant URL` into a second `vecdb serve` (the session's server): afterwards the same queries return
the same ids from both — the native `vecdb query` on the source database and a qdrant-client query on the copy —
and the copy holds every document with its text and metadata as payload. Needs the minilm model (scripts/setup).

The copy is exact-searched with the query vector `vecdb embed` prints, so both sides rank the same vectors by the
same cosine; the source's own ranking comes from its exact scan (fewer than 10,000 vectors)."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from qdrant_client import models

from conftest import SELFTEST

HERE = Path(__file__).resolve().parent
DOCUMENTS = HERE.parent / "Browser" / "documents.jsonl"
QUESTIONS = ["What is GPU?", "Where is OpenAI based?", "Which company makes processors?", "graphics card", "San Francisco"]


def run(*args):
    done = subprocess.run([os.environ["VECDB"], *args], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"vecdb {' '.join(args)} exited {done.returncode}: {done.stderr}"
    return done.stdout


@pytest.mark.skipif(SELFTEST != "", reason="drives the vecdb binary")
def test_export_into_a_second_server_gives_the_same_answers(remote, vecdb_port, tmp_path):
    source = str(tmp_path / "source.vecdb")
    run("ingest", str(DOCUMENTS), "--format", "jsonl", "--db", source, "--model", "minilm")
    run("ingest", str(DOCUMENTS), "--format", "jsonl", "--db", source, "--model", "bm25")
    url = f"http://127.0.0.1:{vecdb_port}"
    summary = json.loads(run("export", "--qdrant", url, "--db", source, "--collection", "exported", "--batch", "4", "--json"))
    documents = [json.loads(line) for line in DOCUMENTS.read_text().splitlines() if line.strip()]
    assert summary["points"] == len(documents)
    assert summary["vectors"] == ["minilm"], "the lexical space has no vectors and stays behind"

    info = remote.get_collection("exported")
    assert info.points_count == len(documents)
    assert info.config.params.vectors["minilm"].size == 384
    assert info.config.params.vectors["minilm"].distance == models.Distance.COSINE

    records, _ = remote.scroll("exported", limit=100, with_payload=True)
    by_id = {r.payload["vecdb_id"]: r.payload for r in records}
    for document in documents:
        payload = by_id[document["id"]]
        assert payload["text"] == document["text"]
        assert {k: payload[k] for k in document if k not in ("id", "text")} == {k: v for k, v in document.items() if k not in ("id", "text")}

    for question in QUESTIONS:
        native = json.loads(run("query", question, "--db", source, "--model", "minilm", "-k", "5", "--json"))
        native_ids = [hit["external_id"] for hit in native["results"]]
        vector = json.loads(run("embed", question, "--model", "minilm").splitlines()[0])["vector"]
        copy = remote.query_points("exported", query=vector, using="minilm", limit=5, with_payload=True,
                                   search_params=models.SearchParams(exact=True)).points
        assert [p.payload["vecdb_id"] for p in copy] == native_ids, question
        for hit, point in zip(native["results"], copy):
            assert abs(hit["score"] - point.score) < 1e-4, question

    # Run again: the same point ids, so nothing is duplicated; resuming after the last document sends nothing.
    again = json.loads(run("export", "--qdrant", url, "--db", source, "--collection", "exported", "--json"))
    assert again["points"] == len(documents)
    assert remote.count("exported", exact=True).count == len(documents)
    resumed = json.loads(run("export", "--qdrant", url, "--db", source, "--collection", "exported", "--json",
                             "--resume-after", str(summary["last_document"])))
    assert resumed["points"] == 0

    # A collection that exists with other vectors is refused, naming the vector.
    remote.create_collection("other", vectors_config=models.VectorParams(size=3, distance=models.Distance.DOT))
    failed = subprocess.run([os.environ["VECDB"], "export", "--qdrant", url, "--db", source, "--collection", "other"],
                            capture_output=True, text=True, timeout=600)
    assert failed.returncode != 0
    assert "minilm" in failed.stderr and failed.stderr.count("\n") <= 2, failed.stderr
