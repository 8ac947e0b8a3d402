"""Fixtures of the Qdrant parity suite: a `vecdb serve` per session, the two clients, the HTTP recorder.

See test_qdrant_parity.py for what the suite checks and how to run it.
"""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from qdrant_client import QdrantClient

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# "1": the vecdb side is a second local-mode client (no server, no HTTP).
# "rest": the vecdb side is a REST client whose requests a shim (selftest_shim.py) answers from a second
#         local-mode instance, so the recorder and the OpenAPI check run too. Both are for developing the suite.
SELFTEST = os.environ.get("QDRANT_PARITY_SELFTEST", "").strip().lower()
if SELFTEST == "0":
    SELFTEST = ""
if SELFTEST not in ("", "1", "rest"):
    raise pytest.UsageError(f"QDRANT_PARITY_SELFTEST={SELFTEST!r}: use 1 or rest (or leave it unset)")
LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")
START_TIMEOUT_S = 60


def pytest_configure(config):
    # local mode warns that it ignores search_params and that it is not for large collections
    config.addinivalue_line("filterwarnings", "ignore:Local mode:UserWarning")
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning")


class Recorder:
    """Every (request, response) pair sent through httpx to the vecdb server, in order."""

    def __init__(self):
        self.port = None
        self.exchanges = []  # (httpx.Request, status, headers, body bytes)

    def wants(self, request):
        return self.port is not None and request.url.port == self.port


@pytest.fixture(scope="session")
def recorder():
    rec = Recorder()
    original = httpx.Client.send

    def send(self, request, *args, **kwargs):
        response = original(self, request, *args, **kwargs)
        if rec.wants(request):
            try:
                body = response.read()
            except Exception:  # a streamed response nobody read; not something this client does
                body = b""
            rec.exchanges.append((request, response.status_code, response.headers, body))
        return response

    httpx.Client.send = send
    yield rec
    httpx.Client.send = original


@pytest.fixture(scope="session")
def vecdb_port(tmp_path_factory, recorder):
    """Port of a `vecdb serve` on an empty database, for the whole session (None in selftest mode)."""
    if SELFTEST == "1":
        yield None
        return
    if SELFTEST == "rest":
        recorder.port = 6399  # the shim's fake port
        yield recorder.port
        return
    binary = os.environ.get("VECDB")
    if not binary:
        pytest.fail("VECDB is not set: it must name the vecdb binary (scripts/test-qdrant sets it)")
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        pytest.fail(f"VECDB={binary} is not an executable file (build it: swift build -c release)")
    work = tmp_path_factory.mktemp("vecdb-qdrant")
    log_path = work / "serve.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [binary, "serve", "--db", str(work / "q.vecdb"), "--port", "0"],
        stdin=subprocess.DEVNULL, stdout=log, stderr=log,
    )
    port = None
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        match = LISTENING.search(log_path.read_text(errors="replace"))
        if match:
            port = int(match.group(1))
            break
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    if port is None:
        proc.kill()
        proc.wait()
        log.close()
        pytest.fail(f"vecdb serve did not print 'listening on http://127.0.0.1:PORT' within "
                    f"{START_TIMEOUT_S} s (exit code {proc.returncode}); its log:\n{log_path.read_text(errors='replace')}")
    recorder.port = port
    yield port
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()
    tail = log_path.read_text(errors="replace")[-4000:]
    if proc.returncode not in (0, -signal.SIGTERM):
        print(f"vecdb serve exited {proc.returncode}; log tail:\n{tail}", file=sys.stderr)


@pytest.fixture(scope="session")
def remote(vecdb_port):
    """The client under test: vecdb over REST (or its selftest stand-in)."""
    if SELFTEST == "1":
        client = QdrantClient(":memory:")
    elif SELFTEST == "rest":
        from selftest_shim import shim_transport
        transport, behind = shim_transport()
        client = QdrantClient(url=f"http://127.0.0.1:{vecdb_port}", prefer_grpc=False, timeout=120,
                              transport=transport, check_compatibility=False)
        client._selftest_local = behind  # so that MaskCache.freeze reaches its collections
    else:
        client = QdrantClient(url=f"http://127.0.0.1:{vecdb_port}", prefer_grpc=False, timeout=120)
    yield client
    client.close()


class MaskCache:
    """Local mode evaluates a filter in Python over every payload (~0.3 s per call at 10,000 points), for each
    query, count and scroll page. For collections that are registered as frozen (loaded once, never written
    again), this memoises the result of local mode's own `calculate_payload_mask` per filter, so each filter
    is evaluated once: the reference answers stay exactly local mode's."""

    def __init__(self):
        self.frozen = {}  # id(payload list) -> (payload list, {filter json: mask})
        self.tags = {}  # tag -> (payloads, ids, {filter json: mask}) shared by collections of equal content

    def freeze(self, client, name, tag):
        """Register a local-mode collection whose points will not change; collections under one tag must hold
        the same payloads and ids in the same order (then they share their masks)."""
        client = getattr(client, "_selftest_local", client)
        inner = getattr(client, "_client", None)
        collections = getattr(inner, "collections", None)
        if collections is None or name not in collections:
            return  # not a local-mode client
        collection = collections[name]
        payloads, ids = collection.payload, list(collection.ids_inv)
        if tag not in self.tags:
            self.tags[tag] = (payloads, ids, {})
        first_payloads, first_ids, masks = self.tags[tag]
        assert payloads == first_payloads and ids == first_ids, f"{name} differs from the other '{tag}' collections"
        self.frozen[id(payloads)] = (payloads, masks)

    def install(self):
        from qdrant_client.local import local_collection
        original = local_collection.calculate_payload_mask

        def cached(payloads, payload_filter, ids_inv, deleted_per_vector):
            entry = self.frozen.get(id(payloads))
            if entry is None or payload_filter is None or entry[0] is not payloads:
                return original(payloads, payload_filter, ids_inv, deleted_per_vector)
            key = payload_filter.model_dump_json()
            mask = entry[1].get(key)
            if mask is None:
                mask = entry[1][key] = original(payloads, payload_filter, ids_inv, deleted_per_vector)
            return mask.copy()

        local_collection.calculate_payload_mask = cached
        return original


@pytest.fixture(scope="session")
def mask_cache():
    cache = MaskCache()
    original = cache.install()
    yield cache
    from qdrant_client.local import local_collection
    local_collection.calculate_payload_mask = original


@pytest.fixture(scope="session")
def local():
    """The reference: qdrant-client's local mode, in memory."""
    client = QdrantClient(":memory:")
    yield client
    client.close()
