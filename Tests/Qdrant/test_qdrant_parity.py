"""vecdb's Qdrant-compatible REST API against qdrant-client's local mode.

Every scenario runs the same function against two clients and compares what they return:
  - `local`:  QdrantClient(":memory:"), qdrant-client's own in-process implementation (the reference);
  - `remote`: QdrantClient(url="http://127.0.0.1:PORT", prefer_grpc=False) talking to `vecdb serve` (started
    once per session by conftest.py on an empty database, `--port 0`).
The last test validates every HTTP response vecdb sent during the session against Tests/Qdrant/openapi.json
(Qdrant 1.19's published REST spec) with openapi-core.

Run:  scripts/test-qdrant                  (venv .venv-ci, VECDB=$PWD/.build/release/vecdb)
      VECDB=/path/to/vecdb .venv-ci/bin/python -m pytest Tests/Qdrant
Without VECDB (or with a missing binary) every test fails: the suite never skips vecdb silently.

Development only (document, do not use in CI):
  QDRANT_PARITY_SELFTEST=1     the vecdb side is a second local-mode client: checks the harness itself
                               (every comparison must pass; the OpenAPI test is skipped, nothing went over HTTP).
  QDRANT_PARITY_SELFTEST=rest  the vecdb side is a REST client whose requests selftest_shim.py answers from a
                               second local-mode instance: the recorder and the OpenAPI validation run too.

Local-mode semantics the comparisons rely on (read from qdrant_client/local/*.py, 1.20.0): scroll orders
integer ids numerically, then UUIDs as canonical strings; Cosine stores unit vectors; Euclid scores are L2
distances, ascending; a missing field matches no match/range/except condition, is_empty but not is_null.
"""

import random
import uuid

import numpy as np
import pytest
from qdrant_client import models as M

from conftest import SELFTEST

SEED = 20240611
N_POINTS = 10_000
DIM = 24
BATCH = 500
COLORS = ["red", "green", "blue", "yellow", "black"]
TAGS = ["a", "b", "c", "d", "e", "f", "g", "h"]
GROUPS = ["g1", "g2", "g3", "g4"]
DISTANCES = {"cos": M.Distance.COSINE, "dot": M.Distance.DOT, "euc": M.Distance.EUCLID}
SCORE_TOL = 1e-4
# Two results may swap places when their scores are equal up to float32 rounding: 1e-6, plus 2e-6 of the
# score's magnitude (dot products of 24 float32 products near 10 differ by up to ~1e-5 between two correct
# implementations that sum in different orders; measured 7e-6, with neighbours 2e-6 apart).
TIE_TOL = 1e-6
TIE_REL = 2e-6
VECTOR_TOL = 1e-5


# ---------------------------------------------------------------------------------------------------------
# data


def make_payload(r: random.Random) -> dict:
    """A payload with fields of several kinds; any field may be missing, some are null or empty."""
    p = {}
    if r.random() < 0.9:
        p["color"] = None if r.random() < 0.06 else r.choice(COLORS)
    if r.random() < 0.9:
        p["count"] = None if r.random() < 0.05 else r.randint(0, 100)
    if r.random() < 0.85:
        p["price"] = round(r.uniform(0.0, 1000.0), 3)
    if r.random() < 0.9:
        p["flag"] = r.random() < 0.5
    if r.random() < 0.85:
        p["tags"] = None if r.random() < 0.05 else r.sample(TAGS, r.randint(0, 4))  # 0: an empty list
    if r.random() < 0.6:
        p["scores"] = [r.randint(0, 50) for _ in range(r.randint(0, 3))]
    x = r.random()
    if x < 0.75:
        p["meta"] = {"group": None if r.random() < 0.05 else r.choice(GROUPS), "rank": r.randint(0, 9)}
    elif x < 0.85:
        p["meta"] = {"group": r.choice(GROUPS)}  # no rank
    return p


def make_points(n, dim, seed, first_id=0, ids=None):
    """`n` points with seeded random float32 vectors and payloads; ids first_id.. unless given."""
    rng = np.random.default_rng(seed)
    r = random.Random(seed)
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    ids = ids if ids is not None else list(range(first_id, first_id + n))
    return [M.PointStruct(id=ids[i], vector=vectors[i].tolist(), payload=make_payload(r)) for i in range(n)]


def query_vectors(n, dim, seed):
    rng = np.random.default_rng(seed)
    return [v.tolist() for v in rng.standard_normal((n, dim)).astype(np.float32)]


def upsert_batches(client, name, points):
    for i in range(0, len(points), BATCH):
        result = client.upsert(name, points=points[i:i + BATCH], wait=True)
        assert result.status == M.UpdateStatus.COMPLETED


def recreate(client, name, vectors_config):
    if client.collection_exists(name):
        client.delete_collection(name)
    client.create_collection(name, vectors_config=vectors_config)


# ---------------------------------------------------------------------------------------------------------
# random filters


class FilterGen:
    """Seeded random filters over the payload fields of make_payload (and ids)."""

    def __init__(self, seed, max_id=N_POINTS):
        self.r = random.Random(seed)
        self.max_id = max_id

    def bounds(self, lo, hi, integer):
        r = self.r
        def value():
            v = r.randint(lo, hi) if integer else round(r.uniform(lo, hi), 2)
            return v + 0.5 if integer and r.random() < 0.3 else v
        kinds = r.sample(["gt", "gte", "lt", "lte"], r.randint(1, 2))
        b = {k: value() for k in kinds}
        return M.Range(**b)

    def leaf(self):
        r = self.r
        kind = r.randrange(17)
        if kind == 0:
            return M.FieldCondition(key="color", match=M.MatchValue(value=r.choice(COLORS)))
        if kind == 1:
            return M.FieldCondition(key="color", match=M.MatchAny(any=r.sample(COLORS + ["purple"], r.randint(1, 3))))
        if kind == 2:
            return M.FieldCondition(key="color", match=M.MatchExcept(**{"except": r.sample(COLORS, r.randint(1, 3))}))
        if kind == 3:
            return M.FieldCondition(key="count", match=r.choice([
                M.MatchValue(value=r.randint(0, 100)),
                M.MatchAny(any=[r.randint(0, 100) for _ in range(r.randint(1, 12))]),
                M.MatchExcept(**{"except": [r.randint(0, 100) for _ in range(r.randint(1, 30))]}),
            ]))
        if kind in (4, 5):
            return M.FieldCondition(key="count", range=self.bounds(0, 100, integer=True))
        if kind == 6:
            return M.FieldCondition(key="price", range=self.bounds(0, 1000, integer=False))
        if kind == 7:
            return M.FieldCondition(key="flag", match=M.MatchValue(value=r.random() < 0.5))
        if kind == 8:
            return M.FieldCondition(key="tags", match=r.choice([
                M.MatchValue(value=r.choice(TAGS)),
                M.MatchAny(any=r.sample(TAGS, r.randint(1, 3))),
                M.MatchExcept(**{"except": r.sample(TAGS, r.randint(1, 6))}),
            ]))
        if kind == 9:
            return M.FieldCondition(key="meta.group", match=r.choice([
                M.MatchValue(value=r.choice(GROUPS)),
                M.MatchAny(any=r.sample(GROUPS, 2)),
                M.MatchExcept(**{"except": r.sample(GROUPS, r.randint(1, 3))}),
            ]))
        if kind == 10:
            return M.FieldCondition(key="meta.rank", range=self.bounds(0, 9, integer=True))
        if kind == 11:
            return M.FieldCondition(key="meta.rank", match=M.MatchValue(value=r.randint(0, 9)))
        if kind == 12:
            return M.FieldCondition(key="scores", range=self.bounds(0, 50, integer=True)) if r.random() < 0.5 \
                else M.FieldCondition(key="scores", match=M.MatchAny(any=r.sample(range(51), 3)))
        if kind == 13:
            return M.HasIdCondition(has_id=r.sample(range(self.max_id + 500), r.randint(1, 400)))
        if kind == 14:
            return M.IsEmptyCondition(is_empty=M.PayloadField(key=r.choice(["color", "tags", "scores", "meta.rank", "meta", "nope"])))
        if kind == 15:
            return M.IsNullCondition(is_null=M.PayloadField(key=r.choice(["color", "count", "tags", "meta.group", "nope"])))
        return M.FieldCondition(key="price", range=self.bounds(0, 1000, integer=False))

    def condition(self, depth):
        return self.filter(depth + 1) if depth < 2 and self.r.random() < 0.25 else self.leaf()

    def filter(self, depth=0):
        r = self.r
        clauses = r.sample(["must", "should", "must_not", "min_should"], r.choice([1, 1, 2, 2, 3]))
        f = {}
        for clause in clauses:
            conditions = [self.condition(depth) for _ in range(r.randint(1, 3))]
            if clause == "min_should":
                conditions += [self.condition(depth)]
                f["min_should"] = M.MinShould(conditions=conditions, min_count=r.randint(1, len(conditions)))
            else:
                f[clause] = conditions
        return M.Filter(**f)


def F(**clauses):
    return M.Filter(**clauses)


def match(key, value):
    return M.FieldCondition(key=key, match=M.MatchValue(value=value))


# Named edge cases, each a semantic the random filters hit only by chance.
EDGE_FILTERS = {
    "except_skips_missing_and_null": F(must=[M.FieldCondition(key="color", match=M.MatchExcept(**{"except": ["red"]}))]),
    "except_on_array": F(must=[M.FieldCondition(key="tags", match=M.MatchExcept(**{"except": ["a", "b"]}))]),
    "except_int": F(must=[M.FieldCondition(key="count", match=M.MatchExcept(**{"except": [1, 2, 3]}))]),
    "not_match_includes_missing": F(must_not=[match("color", "red")]),
    "is_empty_missing_null_emptylist": F(must=[M.IsEmptyCondition(is_empty=M.PayloadField(key="tags"))]),
    "is_empty_nested": F(must=[M.IsEmptyCondition(is_empty=M.PayloadField(key="meta.rank"))]),
    "is_empty_unknown_field": F(must=[M.IsEmptyCondition(is_empty=M.PayloadField(key="nope"))]),
    "is_null": F(must=[M.IsNullCondition(is_null=M.PayloadField(key="color"))]),
    "is_null_nested": F(must=[M.IsNullCondition(is_null=M.PayloadField(key="meta.group"))]),
    "is_null_unknown_field": F(must=[M.IsNullCondition(is_null=M.PayloadField(key="nope"))]),
    "not_is_empty": F(must_not=[M.IsEmptyCondition(is_empty=M.PayloadField(key="scores"))]),
    "match_array_element": F(must=[match("tags", "c")]),
    "match_any_array": F(must=[M.FieldCondition(key="tags", match=M.MatchAny(any=["a", "h"]))]),
    "match_bool": F(must=[match("flag", False)]),
    "match_int": F(must=[match("count", 42)]),
    "nested_key": F(must=[match("meta.group", "g3")]),
    "range_int_gt_lt": F(must=[M.FieldCondition(key="count", range=M.Range(gt=10, lt=20))]),
    "range_int_gte_lte": F(must=[M.FieldCondition(key="count", range=M.Range(gte=10, lte=20))]),
    "range_float": F(must=[M.FieldCondition(key="price", range=M.Range(gte=100.5, lt=250.25))]),
    "range_on_array_any_element": F(must=[M.FieldCondition(key="scores", range=M.Range(gte=48))]),
    "range_nested": F(must=[M.FieldCondition(key="meta.rank", range=M.Range(lte=2))]),
    "has_id_with_missing_ids": F(must=[M.HasIdCondition(has_id=[0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 10_001, 99_999])]),
    "should_two": F(should=[match("color", "red"), match("meta.group", "g1")]),
    "min_should_2_of_3": F(min_should=M.MinShould(conditions=[match("color", "blue"), match("flag", True), match("tags", "d")], min_count=2)),
    "must_and_must_not": F(must=[match("flag", True)], must_not=[M.FieldCondition(key="count", range=M.Range(lt=50))]),
    "nested_two_levels": F(must=[F(should=[F(must=[match("color", "green"), match("tags", "a")]),
                                           F(must_not=[M.IsEmptyCondition(is_empty=M.PayloadField(key="meta"))],
                                             must=[M.FieldCondition(key="meta.rank", range=M.Range(gte=8))])])],
                           must_not=[match("flag", False)]),
    "matches_nothing": F(must=[match("color", "purple")]),
    "empty_should_is_no_constraint": F(should=[], must=[match("color", "black")]),
}

_GEN = FilterGen(SEED + 1)
RANDOM_FILTERS = [_GEN.filter() for _ in range(60)]
ALL_FILTERS = list(EDGE_FILTERS.items()) + [(f"random_{i}", f) for i, f in enumerate(RANDOM_FILTERS)]


# ---------------------------------------------------------------------------------------------------------
# comparison helpers


def both(local, remote, fn):
    """Run fn(client) on both clients; returns (local answer, vecdb answer)."""
    return fn(local), fn(remote)


def norm_id(i):
    return i if isinstance(i, int) else str(i)


def id_key(i):
    """Local mode's scroll order: integers first (numerically), then UUIDs as strings."""
    return ("", i) if isinstance(i, int) else (str(i), 0)


def assert_vector_close(a, b, where):
    if a is None or b is None:
        assert a is None and b is None, f"{where}: vector {a!r:.80} vs {b!r:.80}"
        return
    if isinstance(a, dict):
        assert isinstance(b, dict) and sorted(a) == sorted(b), f"{where}: vector names {sorted(a)} vs {b!r:.120}"
        for name in a:
            assert_vector_close(a[name], b[name], f"{where}[{name!r}]")
        return
    assert isinstance(b, list) and len(a) == len(b), f"{where}: vector {a!r:.80} vs {b!r:.80}"
    assert all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in b), f"{where}: vector {b!r:.80}"
    diff = max(abs(x - y) for x, y in zip(a, b))
    assert diff <= VECTOR_TOL, f"{where}: vectors differ by {diff}: {a[:4]}… vs {b[:4]}…"


def assert_records_equal(a, b, where, ordered=True):
    """Records (retrieve/scroll): same ids (in order unless ordered=False), payloads equal, vectors close."""
    ra = [(norm_id(p.id), p.payload, p.vector) for p in a]
    rb = [(norm_id(p.id), p.payload, p.vector) for p in b]
    if not ordered:
        ra.sort(key=lambda t: id_key(t[0]))
        rb.sort(key=lambda t: id_key(t[0]))
    ids_a, ids_b = [t[0] for t in ra], [t[0] for t in rb]
    assert ids_a == ids_b, f"{where}: ids differ\n local: {ids_a[:30]}\n vecdb: {ids_b[:30]}"
    for (i, pa, va), (_, pb, vb) in zip(ra, rb):
        assert pa == pb, f"{where}: payload of id {i}\n local: {pa}\n vecdb: {pb}"
        assert_vector_close(va, vb, f"{where}: id {i}")


def tie_groups(points):
    """Split a ranked list into runs of scores equal within rounding (TIE_TOL + TIE_REL x magnitude)."""
    groups = []
    for p in points:
        if groups and abs(groups[-1][-1].score - p.score) <= TIE_TOL + TIE_REL * max(abs(p.score), abs(groups[-1][-1].score)):
            groups[-1].append(p)
        else:
            groups.append([p])
    return groups


def assert_scored_equal(a, b, where, limit=None, check_payload=True):
    """Scored points: same length, scores within SCORE_TOL position by position, ids in the same order up to
    permutations among equal scores (a tie group cut by `limit` may hold different members), payloads equal,
    vectors close."""
    ids_a = [norm_id(p.id) for p in a]
    ids_b = [norm_id(p.id) for p in b]
    assert len(a) == len(b), f"{where}: {len(a)} results locally, {len(b)} from vecdb\n local: {ids_a[:20]}\n vecdb: {ids_b[:20]}"
    for k, (pa, pb) in enumerate(zip(a, b)):
        assert abs(pa.score - pb.score) <= SCORE_TOL, \
            f"{where}: score #{k} local {pa.id}:{pa.score} vs vecdb {pb.id}:{pb.score}\n local: {ids_a[:20]}\n vecdb: {ids_b[:20]}"
    groups_a = tie_groups(a)
    pos = 0
    for g, group in enumerate(groups_a):
        got = b[pos:pos + len(group)]
        want_ids = sorted((norm_id(p.id) for p in group), key=id_key)
        got_ids = sorted((norm_id(p.id) for p in got), key=id_key)
        # The last group of a full page may continue past the limit (even when one member shows): any of its
        # members may fill it, at the same score (checked above).
        cut = limit is not None and g == len(groups_a) - 1 and len(a) == limit
        if not cut:
            assert want_ids == got_ids, f"{where}: ids at ranks {pos}..{pos + len(group) - 1} differ\n local: {ids_a[:20]}\n vecdb: {ids_b[:20]}"
        pos += len(group)
    by_id = {norm_id(p.id): p for p in b}
    for pa in a:
        pb = by_id.get(norm_id(pa.id))
        if pb is None:
            continue  # a different member of a cut tie group
        if check_payload:
            assert pa.payload == pb.payload, f"{where}: payload of id {pa.id}\n local: {pa.payload}\n vecdb: {pb.payload}"
        assert_vector_close(pa.vector, pb.vector, f"{where}: id {pa.id}")


def exact_query(client, name, vector, flt=None, limit=10, **kw):
    return client.query_points(name, query=vector, query_filter=flt, limit=limit,
                               search_params=M.SearchParams(exact=True), **kw).points


def scroll_all(client, name, page, flt=None, **kw):
    """Every page of a scroll: (list of pages of records, list of next_page_offset values)."""
    pages, offsets, offset = [], [], None
    while True:
        records, offset = client.scroll(name, scroll_filter=flt, limit=page, offset=offset, **kw)
        pages.append(records)
        offsets.append(norm_id(offset) if offset is not None else None)
        if offset is None:
            return pages, offsets
        assert len(pages) <= 10_000, "scroll does not end"


def assert_scroll_equal(local, remote, name, page, flt=None, where="", **kw):
    (pa, oa), (pb, ob) = both(local, remote, lambda c: scroll_all(c, name, page, flt, **kw))
    assert oa == ob, f"{where}: next_page_offset sequence\n local: {oa[:20]}\n vecdb: {ob[:20]}"
    for k, (a, b) in enumerate(zip(pa, pb)):
        assert_records_equal(a, b, f"{where}: page {k}")
    return sum(len(p) for p in pa)


# ---------------------------------------------------------------------------------------------------------
# the big dataset: three unnamed collections of N_POINTS, one per distance


@pytest.fixture(scope="module")
def dataset(local, remote, mask_cache):
    points = make_points(N_POINTS, DIM, SEED)
    names = {}
    for short, distance in DISTANCES.items():
        name = f"parity_{short}"
        for client in (local, remote):
            recreate(client, name, M.VectorParams(size=DIM, distance=distance))
            upsert_batches(client, name, points)
            mask_cache.freeze(client, name, tag="dataset")  # never written again (test_errors_raise_on_both's upsert fails)
        names[short] = name
    return {"names": names, "points": points}


# ---------------------------------------------------------------------------------------------------------
# scenarios


def test_server_version(remote):
    """GET / answers a version qdrant-client 1.20 accepts (major equal, minor within one): no warning."""
    if SELFTEST == "1":
        pytest.skip("selftest: no server")
    from importlib.metadata import version
    from qdrant_client.common.version_check import is_compatible
    info = remote.info()
    assert info.title and info.version
    assert is_compatible(version("qdrant-client"), info.version), f"server version {info.version!r}"


def test_collections(local, remote):
    """Create (unnamed vectors with each distance, named vectors), get_collection, get_collections,
    collection_exists, delete_collection; creating an existing one fails on both."""
    configs = {
        "parity_coll_cos": M.VectorParams(size=16, distance=M.Distance.COSINE),
        "parity_coll_dot": M.VectorParams(size=17, distance=M.Distance.DOT),
        "parity_coll_euc": M.VectorParams(size=32, distance=M.Distance.EUCLID),
        "parity_coll_named": {"image": M.VectorParams(size=8, distance=M.Distance.DOT),
                              "text": M.VectorParams(size=20, distance=M.Distance.COSINE)},
    }

    def vectors_of(info):
        v = info.config.params.vectors
        if isinstance(v, dict):
            return {k: (p.size, p.distance) for k, p in v.items()}
        return (v.size, v.distance)

    for name, config in configs.items():
        for client in (local, remote):
            if client.collection_exists(name):
                client.delete_collection(name)
        a, b = both(local, remote, lambda c: c.create_collection(name, vectors_config=config))
        assert a is True and b is True, name
        a, b = both(local, remote, lambda c: c.collection_exists(name))
        assert a is True and b is True, name
        a, b = both(local, remote, lambda c: c.get_collection(name))
        assert vectors_of(a) == vectors_of(b), name
        assert a.points_count == b.points_count == 0, name
        for client in (local, remote):
            with pytest.raises(Exception):
                client.create_collection(name, vectors_config=config)

    dim = 16
    pts = make_points(25, dim, SEED + 7)
    for client in (local, remote):
        upsert_batches(client, "parity_coll_cos", pts)
    a, b = both(local, remote, lambda c: c.get_collection("parity_coll_cos"))
    assert a.points_count == b.points_count == 25

    a, b = both(local, remote, lambda c: {d.name for d in c.get_collections().collections})
    assert set(configs) <= a and set(configs) <= b, (a, b)

    for name in configs:
        a, b = both(local, remote, lambda c: c.delete_collection(name))
        assert a is True and b is True, name
        a, b = both(local, remote, lambda c: c.collection_exists(name))
        assert a is False and b is False, name
        for client in (local, remote):
            with pytest.raises(Exception):
                client.get_collection(name)
    a, b = both(local, remote, lambda c: {d.name for d in c.get_collections().collections})
    assert not (set(configs) & a) and not (set(configs) & b)


def test_dataset_loaded(dataset, local, remote):
    """10,000 points in batches of 500 (wait=True): counts and the collection info agree."""
    for short, name in dataset["names"].items():
        a, b = both(local, remote, lambda c: c.count(name, exact=True).count)
        assert a == b == N_POINTS, name
        a, b = both(local, remote, lambda c: c.get_collection(name))
        assert a.points_count == b.points_count == N_POINTS
        assert b.config.params.vectors.size == DIM and b.config.params.vectors.distance == DISTANCES[short]


def test_exact_unfiltered(dataset, local, remote):
    """Exact search without a filter, each distance: same ids in order, scores within 1e-4 (Euclid: distances,
    ascending), payloads equal."""
    for k, vector in enumerate(query_vectors(10, DIM, SEED + 2)):
        for short, name in dataset["names"].items():
            a, b = both(local, remote, lambda c: exact_query(c, name, vector, limit=25))
            assert_scored_equal(a, b, f"{short} query {k}", limit=25)
            if short == "euc":
                assert all(x.score <= y.score for x, y in zip(a, a[1:]))


@pytest.mark.parametrize("short", list(DISTANCES))
def test_exact_filtered(dataset, local, remote, short):
    """Exact search under named edge-case filters and 60 seeded random filters (must/should/must_not/
    min_should, MatchValue/Any/Except, Range, HasId, IsEmpty, IsNull, nested keys, filters two levels deep)."""
    name = dataset["names"][short]
    vectors = query_vectors(len(ALL_FILTERS), DIM, SEED + 3)
    limits = [1, 5, 10, 30]
    nonempty = 0
    for k, ((label, flt), vector) in enumerate(zip(ALL_FILTERS, vectors)):
        limit = limits[k % len(limits)]
        a, b = both(local, remote, lambda c: exact_query(c, name, vector, flt, limit=limit))
        assert_scored_equal(a, b, f"{short} filter {label} {flt.model_dump(exclude_none=True)}", limit=limit)
        nonempty += bool(a)
    assert nonempty >= len(ALL_FILTERS) * 0.6, f"only {nonempty} filters matched anything: the generator is degenerate"


def test_count(dataset, local, remote):
    """count(exact=True) with and without each filter."""
    name = dataset["names"]["dot"]
    a, b = both(local, remote, lambda c: c.count(name, exact=True).count)
    assert a == b == N_POINTS
    counts = []
    for label, flt in ALL_FILTERS:
        a, b = both(local, remote, lambda c: c.count(name, count_filter=flt, exact=True).count)
        assert a == b, f"count under {label} {flt.model_dump(exclude_none=True)}: local {a}, vecdb {b}"
        counts.append(a)
    assert len(set(counts)) > 20, "the filters should select many different subsets"


def test_hnsw_recall(dataset, local, remote):
    """Search without `exact` (vecdb uses its HNSW index at 10,000 points): recall@10 >= 0.95 against local
    mode's exact answer over 100 queries per distance, and over 50 queries under each of two filters."""
    def recall(name, vectors, flt=None):
        hits = total = 0
        for vector in vectors:
            want = {norm_id(p.id) for p in exact_query(local, name, vector, flt, limit=10)}
            got = [norm_id(p.id) for p in remote.query_points(name, query=vector, query_filter=flt, limit=10,
                                                              with_payload=False).points]
            assert len(got) == len(set(got)) == len(want), f"{name}: {len(got)} results, {len(want)} expected"
            hits += len(want & set(got))
            total += len(want)
        return hits / total

    vectors = query_vectors(100, DIM, SEED + 4)
    for short, name in dataset["names"].items():
        r = recall(name, vectors)
        assert r >= 0.95, f"{short}: recall@10 {r:.3f}"
    broad = F(must=[match("flag", True)])
    narrow = F(must=[match("color", "red")], should=[match("meta.group", "g1"), match("tags", "b")])
    for label, flt in (("broad", broad), ("narrow", narrow)):
        r = recall(dataset["names"]["cos"], vectors[:50], flt)
        assert r >= 0.95, f"cos under the {label} filter: recall@10 {r:.3f}"


def test_limit_offset_threshold(dataset, local, remote):
    """limit, offset and score_threshold (set midway in the widest gap between two of the top 40 scores, so
    neither rounding nor > versus >= matters) agree."""
    vectors = query_vectors(6, DIM, SEED + 5)
    for short, name in dataset["names"].items():
        for k, vector in enumerate(vectors):
            for limit, offset in ((1, 0), (10, 0), (10, 5), (7, 37), (100, 0)):
                a, b = both(local, remote, lambda c: exact_query(c, name, vector, limit=limit, offset=offset))
                assert_scored_equal(a, b, f"{short} q{k} limit {limit} offset {offset}", limit=limit)
            ranked = exact_query(local, name, vector, limit=50)
            keep = max(range(10, 40), key=lambda k: abs(ranked[k - 1].score - ranked[k].score))  # the widest gap
            threshold = (ranked[keep - 1].score + ranked[keep].score) / 2
            a, b = both(local, remote, lambda c: exact_query(c, name, vector, limit=50, score_threshold=threshold))
            assert len(a) == keep, (short, threshold, [p.score for p in ranked[keep - 2:keep + 2]])
            assert_scored_equal(a, b, f"{short} q{k} score_threshold {threshold}", limit=50)
    # the default limit is 10
    name = dataset["names"]["cos"]
    a, b = both(local, remote, lambda c: c.query_points(name, query=vectors[0], search_params=M.SearchParams(exact=True)).points)
    assert len(a) == 10
    assert_scored_equal(a, b, "default limit", limit=10)


def test_with_payload_and_vectors(dataset, local, remote):
    """with_payload True/False/list of keys/include/exclude selectors and with_vectors True/False give the
    same payloads and vectors (Cosine vectors come back normalised)."""
    selectors = [True, False, ["color", "meta.group"], ["meta"], ["nope"], [],
                 M.PayloadSelectorInclude(include=["tags", "meta.rank", "price"]),
                 M.PayloadSelectorExclude(exclude=["tags", "meta.rank"]),
                 M.PayloadSelectorExclude(exclude=["meta"])]
    vector = query_vectors(1, DIM, SEED + 6)[0]
    for short, name in dataset["names"].items():
        for selector in selectors:
            for with_vectors in (False, True):
                a, b = both(local, remote, lambda c: exact_query(c, name, vector, limit=15, with_payload=selector,
                                                                 with_vectors=with_vectors))
                assert_scored_equal(a, b, f"{short} with_payload={selector} with_vectors={with_vectors}", limit=15)
                if selector is False:
                    assert all(p.payload is None for p in b)
                if not with_vectors:
                    assert all(p.vector is None for p in b)
        ids = [3, 1, 4, 159, 2653]
        for selector in selectors:
            a, b = both(local, remote, lambda c: c.retrieve(name, ids=ids, with_payload=selector, with_vectors=True))
            assert_records_equal(a, b, f"{short} retrieve with_payload={selector}", ordered=False)
            a, b = both(local, remote, lambda c: c.scroll(name, limit=5, with_payload=selector, with_vectors=True)[0])
            assert_records_equal(a, b, f"{short} scroll with_payload={selector}")


def load_named(local, remote, name, config, n, seed):
    """Collection `name` of `config`'s named vectors on both clients: `n` points with seeded vectors (drawn per
    point in `config`'s order) and payloads."""
    rng = np.random.default_rng(seed)
    r = random.Random(seed)
    points = [M.PointStruct(id=i, vector={vector: rng.standard_normal(params.size).astype(np.float32).tolist()
                                          for vector, params in config.items()},
                            payload=make_payload(r)) for i in range(n)]
    for client in (local, remote):
        recreate(client, name, config)
        upsert_batches(client, name, points)
    return points


def test_named_vectors(local, remote):
    """A collection with two named vectors of different sizes and distances: query each by `using`,
    with_vectors True / list of names / False."""
    name = "parity_named"
    config = {"img": M.VectorParams(size=8, distance=M.Distance.DOT),
              "txt": M.VectorParams(size=16, distance=M.Distance.EUCLID)}
    load_named(local, remote, name, config, 600, SEED + 8)
    a, b = both(local, remote, lambda c: c.get_collection(name))
    va, vb = a.config.params.vectors, b.config.params.vectors
    assert isinstance(vb, dict) and {k: (v.size, v.distance) for k, v in va.items()} == {k: (v.size, v.distance) for k, v in vb.items()}
    assert a.points_count == b.points_count == 600
    flt = EDGE_FILTERS["should_two"]
    for using, dim in (("img", 8), ("txt", 16)):
        for k, vector in enumerate(query_vectors(4, dim, SEED + 9)):
            for with_vectors in (True, False, ["img"], ["txt"], ["img", "txt"]):
                a, b = both(local, remote, lambda c: exact_query(c, name, vector, limit=12, using=using,
                                                                 with_vectors=with_vectors))
                assert_scored_equal(a, b, f"using {using} q{k} with_vectors={with_vectors}", limit=12)
            a, b = both(local, remote, lambda c: exact_query(c, name, vector, flt, limit=12, using=using))
            assert_scored_equal(a, b, f"using {using} q{k} filtered", limit=12)
    a, b = both(local, remote, lambda c: c.retrieve(name, ids=[0, 5, 599, 600], with_vectors=["txt"]))
    assert_records_equal(a, b, "retrieve named", ordered=False)
    assert_scroll_equal(local, remote, name, 250, with_vectors=True, where="scroll named")


def test_named_vectors_partial_points(local, remote):
    """Qdrant lets a point of a named-vector collection hold only some of the vectors: it is skipped by a
    query on a vector it lacks, and with_vectors shows only the ones it has."""
    name = "parity_named_partial"
    config = {"img": M.VectorParams(size=4, distance=M.Distance.COSINE),
              "txt": M.VectorParams(size=6, distance=M.Distance.DOT)}
    rng = np.random.default_rng(SEED + 10)
    points = []
    for i in range(60):
        vec = {"img": rng.standard_normal(4).astype(np.float32).tolist()}
        if i % 3:
            vec["txt"] = rng.standard_normal(6).astype(np.float32).tolist()
        points.append(M.PointStruct(id=i, vector=vec, payload={"i": i}))
    for client in (local, remote):
        recreate(client, name, config)
        upsert_batches(client, name, points)
    q = query_vectors(1, 6, SEED + 11)[0]
    a, b = both(local, remote, lambda c: exact_query(c, name, q, limit=60, using="txt", with_vectors=True))
    assert len(a) == 40
    assert_scored_equal(a, b, "query txt", limit=60)
    assert_scroll_equal(local, remote, name, 25, with_vectors=True, where="scroll partial")


def test_scroll_pagination(dataset, local, remote):
    """Scroll page by page (offset = next_page_offset until None), with and without filters: the same ids,
    payloads and next_page_offset values in the same order; an offset that is not an id starts after it."""
    name = dataset["names"]["euc"]
    n = assert_scroll_equal(local, remote, name, 1000, where="unfiltered")
    assert n == N_POINTS
    for label, flt in list(EDGE_FILTERS.items())[:8] + [(f"random_{i}", RANDOM_FILTERS[i]) for i in range(4)]:
        assert_scroll_equal(local, remote, name, 257, flt, where=f"filter {label}")
    a, b = both(local, remote, lambda c: c.scroll(name, limit=7, offset=9_995, with_vectors=True))
    assert_records_equal(a[0], b[0], "tail")
    assert a[1] is None and b[1] is None
    a, b = both(local, remote, lambda c: c.scroll(name, limit=3, offset=123, with_payload=False))
    assert_records_equal(a[0], b[0], "offset 123")
    assert norm_id(a[1]) == norm_id(b[1]) == 126


def test_scroll_order_by(dataset, local, remote):
    """scroll with order_by a payload key: floats (price), integers with ties and nulls (count), arrays (scores:
    a point per distinct value), nested (meta.rank); ascending and descending, start_from, with a filter; the same
    points, payloads and order values in the same order."""
    name = dataset["names"]["cos"]
    cases = [M.OrderBy(key="price"), M.OrderBy(key="price", direction=M.Direction.DESC, start_from=500.0),
             M.OrderBy(key="count", start_from=40), M.OrderBy(key="count", direction=M.Direction.DESC),
             M.OrderBy(key="scores"), M.OrderBy(key="meta.rank", direction=M.Direction.DESC, start_from=7)]
    for order in cases:
        for flt in (None, EDGE_FILTERS["should_two"]):
            for limit in (1, 37, 400):
                a, b = both(local, remote, lambda c: c.scroll(name, limit=limit, order_by=order, scroll_filter=flt))
                where = f"order_by {order.key} {order.direction} from {order.start_from} limit {limit} filtered={flt is not None}"
                assert_records_equal(a[0], b[0], where)
                assert [p.order_value for p in a[0]] == [p.order_value for p in b[0]], where
                assert a[1] is None and b[1] is None


def test_retrieve(dataset, local, remote):
    """retrieve by ids, some missing: both return only the existing points (compared in id order)."""
    name = dataset["names"]["cos"]
    ids = [0, 17, 9_999, 10_000, 123_456, 4_242, 5]
    for with_payload, with_vectors in ((True, False), (False, True), (True, True)):
        a, b = both(local, remote, lambda c: c.retrieve(name, ids=ids, with_payload=with_payload, with_vectors=with_vectors))
        assert len(a) == 5
        assert_records_equal(a, b, f"retrieve payload={with_payload} vectors={with_vectors}", ordered=False)
    a, b = both(local, remote, lambda c: c.retrieve(name, ids=[10_000, 777_777]))
    assert a == [] and b == []


def test_upsert_replaces(local, remote):
    """Upserting an existing id replaces its vector and its whole payload (a point upserted without payload
    has none); the count does not change."""
    name = "parity_replace"
    for client in (local, remote):
        recreate(client, name, M.VectorParams(size=8, distance=M.Distance.COSINE))
        upsert_batches(client, name, make_points(50, 8, SEED + 12))
    rng = np.random.default_rng(SEED + 13)
    new = [M.PointStruct(id=i, vector=rng.standard_normal(8).astype(np.float32).tolist(),
                         payload={"replaced": True, "round": 1} if i % 2 else None) for i in range(0, 50, 5)]
    batch = M.Batch(ids=[1, 2, 3], vectors=[rng.standard_normal(8).astype(np.float32).tolist() for _ in range(3)],
                    payloads=[{"batch": 1}, {"batch": 2}, {"batch": 3}])
    for client in (local, remote):
        client.upsert(name, points=new, wait=True)
        client.upsert(name, points=batch, wait=True)
    a, b = both(local, remote, lambda c: c.count(name).count)
    assert a == b == 50
    a, b = both(local, remote, lambda c: c.retrieve(name, ids=list(range(50)), with_vectors=True))
    assert_records_equal(a, b, "after replace", ordered=False)
    assert next(p for p in b if p.id == 5).payload == {"replaced": True, "round": 1}
    assert next(p for p in b if p.id == 0).payload in ({}, None)
    for k, vector in enumerate(query_vectors(3, 8, SEED + 14)):
        a, b = both(local, remote, lambda c: exact_query(c, name, vector, limit=50, with_vectors=True))
        assert_scored_equal(a, b, f"query {k} after replace", limit=50)


def test_payload_updates(local, remote):
    """set_payload (by ids, by filter, with a key path), overwrite_payload, delete_payload and clear_payload
    (by ids and by filter), each followed by retrieve / count comparisons."""
    name = "parity_payload"
    n = 400
    for client in (local, remote):
        recreate(client, name, M.VectorParams(size=8, distance=M.Distance.DOT))
        upsert_batches(client, name, make_points(n, 8, SEED + 15))
    ops = [
        ("set by ids", lambda c: c.set_payload(name, payload={"color": "purple", "extra": {"x": 1, "y": [1, 2]}}, points=[1, 2, 3])),
        ("set null removes the key", lambda c: c.set_payload(name, payload={"flag": None, "count": 7}, points=[4, 5, 6])),
        ("set by filter", lambda c: c.set_payload(name, payload={"bonus": 1.5}, points=F(must=[match("color", "red")]))),
        ("set by FilterSelector", lambda c: c.set_payload(name, payload={"sel": "yes"}, points=M.FilterSelector(filter=F(must=[match("meta.group", "g2")])))),
        ("set under key meta", lambda c: c.set_payload(name, payload={"group": "gX", "new": True}, points=[7, 8, 9, 10], key="meta")),
        ("overwrite by ids", lambda c: c.overwrite_payload(name, payload={"only": "this"}, points=[11, 12])),
        ("overwrite by filter", lambda c: c.overwrite_payload(name, payload={"replaced": 1}, points=M.FilterSelector(filter=F(must=[match("meta.group", "g1"), M.FieldCondition(key="count", range=M.Range(lt=30))])))),
        ("delete keys by ids", lambda c: c.delete_payload(name, keys=["color", "meta.rank"], points=[1, 2, 13, 14])),
        ("delete keys by filter", lambda c: c.delete_payload(name, keys=["tags", "price"], points=F(must=[match("flag", True)]))),
        ("clear by ids", lambda c: c.clear_payload(name, points_selector=[20, 21, 22])),
        ("clear by PointIdsList", lambda c: c.clear_payload(name, points_selector=M.PointIdsList(points=[23]))),
        ("clear by filter", lambda c: c.clear_payload(name, points_selector=M.FilterSelector(filter=F(must=[match("color", "blue")])))),
    ]
    probes = [F(must=[match("color", "purple")]), F(must=[M.IsEmptyCondition(is_empty=M.PayloadField(key="flag"))]),
              F(must=[M.FieldCondition(key="bonus", range=M.Range(gt=1))]), F(must=[match("meta.group", "gX")]),
              F(must=[match("meta.new", True)]), F(must=[M.IsEmptyCondition(is_empty=M.PayloadField(key="color"))])]
    for label, op in ops:
        a, b = both(local, remote, op)
        assert b.status == M.UpdateStatus.COMPLETED, label
        a, b = both(local, remote, lambda c: c.retrieve(name, ids=list(range(n))))
        assert_records_equal(a, b, f"after {label}", ordered=False)
        for probe in probes:
            a, b = both(local, remote, lambda c: c.count(name, count_filter=probe).count)
            assert a == b, f"after {label}: count under {probe.model_dump(exclude_none=True)}: local {a}, vecdb {b}"
    a, b = both(local, remote, lambda c: c.retrieve(name, ids=[11, 20]))
    assert {p.id: p.payload for p in b} == {11: {"only": "this"}, 20: {}}


def test_deletes(local, remote):
    """delete by FilterSelector, by Filter, by id list (with unknown ids) and PointIdsList; then count,
    scroll, query and retrieve agree; a deleted id can be upserted again."""
    name = "parity_delete"
    n = 2_000
    points = make_points(n, 16, SEED + 16)
    for client in (local, remote):
        recreate(client, name, M.VectorParams(size=16, distance=M.Distance.COSINE))
        upsert_batches(client, name, points)
    ops = [
        ("FilterSelector", lambda c: c.delete(name, points_selector=M.FilterSelector(filter=F(must=[match("color", "green")])))),
        ("ids with unknown ones", lambda c: c.delete(name, points_selector=[5, 6, 7, 99_999, 123_456])),
        ("PointIdsList", lambda c: c.delete(name, points_selector=M.PointIdsList(points=list(range(100, 160))))),
        ("nested filter", lambda c: c.delete(name, points_selector=M.FilterSelector(filter=EDGE_FILTERS["nested_two_levels"]))),
        ("filter matching nothing", lambda c: c.delete(name, points_selector=M.FilterSelector(filter=EDGE_FILTERS["matches_nothing"]))),
    ]
    vectors = query_vectors(3, 16, SEED + 17)
    for label, op in ops:
        a, b = both(local, remote, op)
        assert b.status == M.UpdateStatus.COMPLETED, label
        a, b = both(local, remote, lambda c: c.count(name, exact=True).count)
        assert a == b, f"after {label}: count local {a}, vecdb {b}"
        a, b = both(local, remote, lambda c: c.count(name, count_filter=F(must=[match("flag", True)])).count)
        assert a == b, f"after {label}: filtered count local {a}, vecdb {b}"
        assert_scroll_equal(local, remote, name, 500, where=f"after {label}")
        for k, vector in enumerate(vectors):
            a, b = both(local, remote, lambda c: exact_query(c, name, vector, limit=20))
            assert_scored_equal(a, b, f"after {label}: query {k}", limit=20)
    a, b = both(local, remote, lambda c: c.retrieve(name, ids=[5, 6, 7, 100, 159, 160]))
    assert_records_equal(a, b, "retrieve deleted", ordered=False)
    a, b = both(local, remote, lambda c: c.get_collection(name).points_count)
    assert a == b
    for client in (local, remote):
        client.upsert(name, points=[points[5], points[100]], wait=True)
    a, b = both(local, remote, lambda c: c.retrieve(name, ids=[5, 6, 100], with_vectors=True))
    assert_records_equal(a, b, "revived", ordered=False)
    assert len(b) == 2


def test_uuid_ids(local, remote):
    """String UUID ids mixed with integer ids: given in canonical, uppercase and 32-hex spellings, returned
    in canonical lowercase hyphenated form; retrieve, has_id, query, scroll (ints first, then UUIDs) and
    delete agree."""
    name = "parity_uuid"
    r = random.Random(SEED + 18)
    uuids = [uuid.UUID(int=r.getrandbits(128), version=4) for _ in range(200)]
    spelled = []
    for k, u in enumerate(uuids):
        spelled.append(str(u).upper() if k % 10 == 1 else u.hex if k % 10 == 2 else str(u))
    ids = list(range(0, 400, 2)) + spelled
    r.shuffle(ids)
    points = make_points(len(ids), 8, SEED + 19, ids=ids)
    for client in (local, remote):
        recreate(client, name, M.VectorParams(size=8, distance=M.Distance.EUCLID))
        upsert_batches(client, name, points)
    a, b = both(local, remote, lambda c: c.count(name).count)
    assert a == b == 400
    n = assert_scroll_equal(local, remote, name, 37, where="scroll", with_vectors=True)
    assert n == 400
    canonical = {str(u) for u in uuids}
    got = [p.id for p in remote.scroll(name, limit=400, with_payload=False)[0]]
    assert [i for i in got if isinstance(i, str)] == sorted(canonical), "UUIDs come back canonical, in string order"
    assert all(isinstance(i, int) for i in got[:200])
    lookups = [str(uuids[1]).upper(), uuids[2].hex, str(uuids[3]), str(uuid.UUID(int=12345)), 0, 1, 398]
    a, b = both(local, remote, lambda c: c.retrieve(name, ids=lookups, with_vectors=True))
    assert_records_equal(a, b, "retrieve mixed spellings", ordered=False)
    assert len(b) == 5 and {p.id for p in b} >= {str(uuids[1]), str(uuids[2]), str(uuids[3])}
    has_id = F(must=[M.HasIdCondition(has_id=[str(u) for u in uuids[:50]] + [uuids[60].hex] + list(range(0, 100, 2)))])
    for k, vector in enumerate(query_vectors(4, 8, SEED + 20)):
        a, b = both(local, remote, lambda c: exact_query(c, name, vector, limit=30))
        assert_scored_equal(a, b, f"query {k}", limit=30)
        a, b = both(local, remote, lambda c: exact_query(c, name, vector, has_id, limit=30))
        assert_scored_equal(a, b, f"query {k} has_id", limit=30)
    assert_scroll_equal(local, remote, name, 11, has_id, where="scroll has_id")
    offset = str(sorted(canonical)[57])
    a, b = both(local, remote, lambda c: c.scroll(name, limit=5, offset=offset))
    assert_records_equal(a[0], b[0], "scroll from a UUID offset")
    assert norm_id(a[1]) == norm_id(b[1])
    for client in (local, remote):
        client.delete(name, points_selector=[str(uuids[4]).upper(), uuids[5].hex, 2])
    a, b = both(local, remote, lambda c: c.count(name).count)
    assert a == b == 397
    assert_scroll_equal(local, remote, name, 100, where="scroll after delete")


def test_errors_raise_on_both(dataset, local, remote):
    """Requests both sides refuse: an unknown collection, a vector of the wrong size."""
    name = dataset["names"]["cos"]
    for client in (local, remote):
        with pytest.raises(Exception):
            client.query_points("parity_no_such_collection", query=[0.0] * DIM, limit=3)
        with pytest.raises(Exception):
            client.upsert(name, points=[M.PointStruct(id=1, vector=[0.5] * (DIM + 1))], wait=True)
        with pytest.raises(Exception):
            client.count("parity_no_such_collection")
    a, b = both(local, remote, lambda c: c.count(name).count)
    assert a == b == N_POINTS


# ---------------------------------------------------------------------------------------------------------
# the spec: keep this test last in the file, it checks what the tests above sent


def test_zz_responses_match_openapi(recorder):
    """Every HTTP response vecdb sent this session validates against Qdrant 1.19's OpenAPI document
    (Tests/Qdrant/openapi.json), error responses included (ErrorResponse); error bodies also carry Qdrant's
    `{"status": {"error": "..."}}` that the client reads."""
    if SELFTEST == "1":
        pytest.skip("selftest without HTTP: nothing recorded")
    from openapi_check import validate_exchanges
    assert recorder.exchanges, "no HTTP exchange was recorded"
    problems, routes = validate_exchanges(recorder.exchanges)
    summary = ", ".join(f"{route} ×{n}" for route, n in sorted(routes.items()))
    assert not problems, f"{len(problems)} responses do not match the spec (checked: {summary}):\n" + "\n".join(problems[:40])
