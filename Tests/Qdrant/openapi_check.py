"""Validates recorded httpx (request, response) pairs against Tests/Qdrant/openapi.json with openapi-core."""

import json
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs

from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPEC = Path(__file__).resolve().parent / "openapi.json"


NULL_ONLY = {"nullable": True, "enum": [None]}


def _tighten(node):
    """Qdrant's spec writes an optional field as `anyOf: [{$ref: T}, {nullable: true}]`. A schema that is only
    `{nullable: true}` has no type, so it accepts any value and the field would go unchecked; it means
    "or null", and is read so here (in memory; openapi.json stays as published)."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in list(items):
        if value == {"nullable": True}:
            node[key] = dict(NULL_ONLY)
        else:
            _tighten(value)


@lru_cache(maxsize=1)
def spec():
    document = json.loads(SPEC.read_text())
    _tighten(document)
    return OpenAPI.from_dict(document)


@lru_cache(maxsize=1)
def templates():
    """(regex, template) for every path of the spec, templates without parameters first."""
    paths = json.loads(SPEC.read_text())["paths"]
    out = []
    for template in paths:
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        out.append((template.count("{"), re.compile(pattern), template))
    out.sort(key=lambda t: t[0])
    return [(rx, t) for _, rx, t in out]


def route_of(method, path):
    for rx, template in templates():
        if rx.match(path):
            return f"{method} {template}"
    return f"{method} {path} (not in the spec)"


class _Request:
    def __init__(self, request):
        url = request.url
        self.method = request.method.lower()
        self.host_url = f"{url.scheme}://{url.netloc.decode()}"
        self.path = url.path or "/"
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qs(url.query.decode())),
            header=Headers(dict(request.headers)),
        )
        self.body = request.content or None
        self.content_type = request.headers.get("content-type", "")


class _Response:
    def __init__(self, status, headers, body):
        self.status_code = status
        self.content_type = headers.get("content-type", "")
        self.headers = Headers(dict(headers))
        self.data = body


def first_error(exc):
    """The first schema error under an openapi-core exception, in one line."""
    seen = exc
    for _ in range(5):
        errors = getattr(seen, "schema_errors", None)
        if errors:
            e = sorted(errors, key=lambda e: len(list(e.path)))[0]
            path = "/".join(str(p) for p in e.absolute_path)
            deeper = e.context[0].message if getattr(e, "context", None) else ""
            return f"at /{path}: {e.message[:200]}" + (f" ({deeper[:200]})" if deeper else "")
        if seen.__cause__ is None:
            break
        seen = seen.__cause__
    return f"{type(exc).__name__}: {exc}"[:300]


def qdrant_error_shape(status, body):
    """Qdrant's error body, which the spec leaves loose: {"status": {"error": str}, "time"?: number}."""
    if 200 <= status < 300:
        return None
    try:
        obj = json.loads(body)
    except ValueError:
        return "the error body is not JSON"
    if not (isinstance(obj, dict) and isinstance(obj.get("status"), dict)
            and isinstance(obj["status"].get("error"), str)):
        return f'the error body is not {{"status": {{"error": "..."}}}}: {body[:120]!r}'
    return None


def validate_exchanges(exchanges):
    """([problem lines], Counter of routes checked) for a list of (httpx.Request, status, headers, body)."""
    api = spec()
    problems, routes = [], Counter()
    for request, status, headers, body in exchanges:
        route = route_of(request.method, request.url.path or "/")
        routes[f"{route} {status}"] += 1
        where = f"{route} -> {status}"
        ctype = headers.get("content-type", "")
        if not ctype.startswith("application/json"):
            problems.append(f"{where}: Content-Type {ctype!r}, not application/json")
            continue
        errors = list(api.iter_response_errors(_Request(request), _Response(status, headers, body)))
        if errors:
            problems.append(f"{where}: {first_error(errors[0])}; body {body[:160]!r}")
            continue
        shape = qdrant_error_shape(status, body)
        if shape:
            problems.append(f"{where}: {shape}")
    return problems, routes
