"""QDRANT_PARITY_SELFTEST=rest: a stand-in for vecdb that answers qdrant-client's REST requests in process
(httpx.MockTransport) from a second local-mode instance, shaped as Qdrant answers them. Only for developing
the suite: it exercises the REST path of the client, the recorder and the OpenAPI check without a server."""

import json
import re
import time

import httpx
from pydantic import TypeAdapter
from qdrant_client import QdrantClient, models as M

VERSION = {"title": "qdrant - vector search engine", "version": "1.19.0"}
C = r"/collections/(?P<c>[^/]+)"


def _dump(model):
    return model.model_dump(mode="json", exclude_none=True, by_alias=True)


def _point(p):
    out = {"id": p.id}
    if getattr(p, "version", None) is not None:
        out["version"] = p.version
    if getattr(p, "score", None) is not None:
        out["score"] = p.score
    if p.payload is not None:
        out["payload"] = p.payload
    if p.vector is not None:
        out["vector"] = p.vector
    return out


class Shim:
    def __init__(self):
        self.q = QdrantClient(":memory:")
        self.routes = [
            ("GET", r"/", self.root),
            ("GET", r"/collections", self.list_collections),
            ("GET", C + r"/exists", self.exists),
            ("GET", C, self.get_collection),
            ("PUT", C, self.create_collection),
            ("DELETE", C, self.delete_collection),
            ("PUT", C + r"/points", self.upsert),
            ("POST", C + r"/points", self.retrieve),
            ("POST", C + r"/points/query", self.query),
            ("POST", C + r"/points/scroll", self.scroll),
            ("POST", C + r"/points/count", self.count),
            ("POST", C + r"/points/delete", self.delete),
            ("POST", C + r"/points/payload", self.set_payload),
            ("PUT", C + r"/points/payload", self.overwrite_payload),
            ("POST", C + r"/points/payload/delete", self.delete_payload),
            ("POST", C + r"/points/payload/clear", self.clear_payload),
        ]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        path = request.url.path or "/"
        for method, pattern, handler in self.routes:
            m = re.fullmatch(pattern, path)
            if m and request.method == method:
                body = json.loads(request.content) if request.content else None
                try:
                    result = handler(body, **m.groupdict())
                except (ValueError, KeyError, TypeError) as e:
                    status = 404 if isinstance(e, KeyError) or "not found" in str(e) else 400
                    return httpx.Response(status, json={"status": {"error": str(e)}, "time": time.perf_counter() - started})
                if handler == self.root:
                    return httpx.Response(200, json=result)
                return httpx.Response(200, json={"result": result, "status": "ok", "time": time.perf_counter() - started})
        return httpx.Response(404, json={"status": {"error": f"no route {request.method} {path}"}, "time": 0.0})

    def root(self, body):
        return VERSION

    def list_collections(self, body):
        return _dump(self.q.get_collections())

    def exists(self, body, c):
        return {"exists": self.q.collection_exists(c)}

    def get_collection(self, body, c):
        return _dump(self.q.get_collection(c))

    def create_collection(self, body, c):
        req = M.CreateCollection.model_validate(body)
        return self.q.create_collection(c, vectors_config=req.vectors)

    def delete_collection(self, body, c):
        return self.q.delete_collection(c)

    def _updated(self, result):
        return _dump(result)

    def upsert(self, body, c):
        ops = TypeAdapter(M.PointInsertOperations).validate_python(body)
        points = ops.points if isinstance(ops, M.PointsList) else ops.batch
        return self._updated(self.q.upsert(c, points=points))

    def retrieve(self, body, c):
        req = M.PointRequest.model_validate(body)
        records = self.q.retrieve(c, ids=req.ids, with_payload=req.with_payload if req.with_payload is not None else True,
                                  with_vectors=req.with_vector or False)
        return [_point(p) for p in records]

    def query(self, body, c):
        req = M.QueryRequest.model_validate(body)
        points = self.q.query_points(c, query=req.query, using=req.using, query_filter=req.filter,
                                     search_params=req.params, limit=req.limit or 10, offset=req.offset,
                                     with_payload=req.with_payload if req.with_payload is not None else False,
                                     with_vectors=req.with_vector or False, score_threshold=req.score_threshold).points
        return {"points": [_point(p) for p in points]}

    def scroll(self, body, c):
        req = M.ScrollRequest.model_validate(body)
        records, offset = self.q.scroll(c, scroll_filter=req.filter, limit=req.limit or 10, offset=req.offset,
                                        with_payload=req.with_payload if req.with_payload is not None else True,
                                        with_vectors=req.with_vector or False)
        return {"points": [_point(p) for p in records], "next_page_offset": offset}

    def count(self, body, c):
        req = M.CountRequest.model_validate(body or {})
        return {"count": self.q.count(c, count_filter=req.filter).count}

    @staticmethod
    def _selector(body):
        if body.get("points") is not None:
            return body["points"]
        return M.Filter.model_validate(body["filter"])

    def delete(self, body, c):
        return self._updated(self.q.delete(c, points_selector=self._selector(body)))

    def set_payload(self, body, c):
        return self._updated(self.q.set_payload(c, payload=body["payload"], points=self._selector(body), key=body.get("key")))

    def overwrite_payload(self, body, c):
        return self._updated(self.q.overwrite_payload(c, payload=body["payload"], points=self._selector(body)))

    def delete_payload(self, body, c):
        return self._updated(self.q.delete_payload(c, keys=body["keys"], points=self._selector(body)))

    def clear_payload(self, body, c):
        return self._updated(self.q.clear_payload(c, points_selector=self._selector(body)))


def shim_transport():
    """(transport, the local-mode client behind it)."""
    shim = Shim()
    return httpx.MockTransport(shim), shim.q
