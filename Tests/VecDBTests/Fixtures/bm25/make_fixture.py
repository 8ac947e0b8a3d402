#!/usr/bin/env python3
"""Writes the BM25 fixture of this folder: corpus.jsonl, queries.jsonl and expected.json (bm25s as reference).

    bench/.venv/bin/python Tests/VecDBTests/Fixtures/bm25/make_fixture.py   # from the repository root
    (needs: pip install bm25s==0.3.16 PyStemmer==3.1.0 numpy)

Deterministic: the text comes from random.Random(SEED) over a fixed word list; the scores from bm25s with
float64 scores. See README.md for what each field means.
"""
import json
import os
import platform
import random
import re
import sys
from importlib import metadata

os.environ.setdefault("DISABLE_TQDM", "1")

import numpy as np  # noqa: E402
import bm25s  # noqa: E402
import bm25s.stopwords  # noqa: E402
import Stemmer  # noqa: E402

SEED = 20250611
HERE = os.path.dirname(os.path.abspath(__file__))
SETTINGS = [(0.9, 0.4), (1.2, 0.75)]
TOP = 10
TOP_ALL = 15

# --- vecdb's analyzer -------------------------------------------------------------------------------------
LUCENE_STOPWORDS = (
    "a an and are as at be but by for if in into is it no not of on or such that the their then there these "
    "they this to was will with".split()
)
assert list(LUCENE_STOPWORDS) == list(bm25s.stopwords.STOPWORDS_EN)
STOP = frozenset(LUCENE_STOPWORDS)
TOKEN_RE = re.compile(r"[^\W_]+")
STEMMER = Stemmer.Stemmer("porter")
# Snowball's Porter stems the word "s" (from "U.S.", "patient's") to the empty term "", which bm25s indexes like
# any other. vecdb's analyzer never emits an empty term (a term is at least one letter or digit), so the fixture
# drops them too; False would keep PyStemmer's output as it is.
DROP_EMPTY_TERMS = True


def analyze(text):
    words = [w.lower() for w in TOKEN_RE.findall(text)]
    terms = STEMMER.stemWords([w for w in words if w not in STOP])
    return [t for t in terms if t] if DROP_EMPTY_TERMS else terms


# --- vocabulary -------------------------------------------------------------------------------------------
FUNCTION_WORDS = LUCENE_STOPWORDS + (
    "from have has we which were been can our its also than more most some very about over after i you he "
    "she".split()
)
FAMILIES = """
run runs running runner runners ran
connect connected connecting connection connections connective
general generally generalize generalization generalizations
happy happiness happily happier
study studies studied studying
relate related relation relational relations relativity
fly flies flying
argue argued argues arguing argument arguments
cell cells cellular
gene genes genetic genetics
protein proteins
cause caused causes causing causal
treat treated treatment treatments
increase increased increases increasing
respond response responses responsive
analysis analyses analyze analyzed analytical
effect effects effective effectiveness
operate operation operational operator
pony ponies caress caresses
agree agreed agreement
measure measured measurement measurements
control controls controlled controlling
""".split()
CONTENT = """
apple banana river mountain ocean forest desert valley island city village market garden kitchen window
table chair bridge tower engine signal network memory vector index query search rank score model data
patient doctor hospital disease virus bacteria immune blood heart brain lung liver kidney muscle bone
tumor cancer therapy drug dose trial risk rate level mouse mice rat human child adult woman man
school teacher student book paper letter story music song voice sound light color green blue red
yellow black white small large ancient modern quick slow bright dark warm cold early late
winter summer spring autumn morning evening night storm rain snow wind cloud stone metal glass
water fire earth gold silver copper iron carbon oxygen nitrogen hydrogen energy power force
""".split()
SPECIAL = """
2 42 2024 1999 3d b12 covid19 h2o p53 0 007 10x mp3 4k
café naïve résumé über Müller façade jalapeño São Zürich coöperation élan fiancée Ångström señor
α β γ κB 1β IL-6 TNF-α
DNA RNA NASA McDonald iPhone
state-of-the-art don't e.g. foo_bar x-ray well-known 3.14 co-operate U.S. o'clock #hashtag email@example.com
""".split()
VOCAB = list(dict.fromkeys(list(FUNCTION_WORDS) + FAMILIES + CONTENT + SPECIAL))

# Words that the corpus never uses (checked below), for the "unknown words only" query.
UNKNOWN = ["xylophone", "quixotic", "zzzz", "Pterodactyl"]

# Queries written by hand: (id, text, why)
HAND_QUERIES = [
    ("q-stop", "The AND of with, to the: it is", "stopwords only: no terms, no results"),
    ("q-unknown", "xylophone quixotic zzzz Pterodactyl", "only words absent from the corpus: no results"),
    ("q-repeat", "running running runs river", "run (stemmed) three times: bm25s counts each occurrence"),
    ("q-family", "connections", "one term; matches connect/connected/connecting/connection..."),
    ("q-case", "CAFÉ müller ZÜRICH Ångström", "case folding of accented letters"),
    ("q-digits", "covid19 2024 b12 007", "letter/digit runs"),
    ("q-punct", "state-of-the-art x-ray foo_bar e.g.", "punctuation and underscore split tokens"),
    ("q-greek", "β 1β κB TNF-α", "Greek letters and mixed runs"),
    ("q-frequent", "score", "one term in most documents (df > N/2; Lucene idf stays > 0)"),
    ("q-possessive", "doctor's patients' U.S.", "'s and U.S. give the one-letter word s, which Porter stems to ''"),
    ("q-partial", "quixotic gene xylophone", "one known term among unknown ones"),
]


def zipf_weights(n, s, rng):
    ranks = list(range(n))
    rng.shuffle(ranks)
    return [1.0 / (r + 1) ** s for r in ranks]


def make_corpus(rng):
    function = list(FUNCTION_WORDS)
    other = [w for w in VOCAB if w not in set(function)]
    w_other = zipf_weights(len(other), 0.8, rng)
    docs = []
    n = 392
    for i in range(n):
        r = rng.random()
        if r < 0.05:
            length = rng.randint(1, 3)
        elif r < 0.75:
            length = rng.randint(4, 40)
        elif r < 0.95:
            length = rng.randint(41, 100)
        else:
            length = rng.randint(101, 200)
        words = []
        for _ in range(length):
            if rng.random() < 0.3:
                words.append(rng.choice(function))
            else:
                words.append(rng.choices(other, weights=w_other)[0])
            if rng.random() < 0.08:
                words[-1] = words[-1].capitalize()
        # one title in three; the title is part of the document text (title + " " + text)
        title = ""
        if rng.random() < 0.33 and len(words) > 3:
            k = rng.randint(1, 3)
            title, words = " ".join(words[:k]), words[k:]
        text = " ".join(words)
        if rng.random() < 0.3:
            text = text + rng.choice([".", "!", "?", ";", " ..."])
        docs.append({"_id": f"d{i}", "title": title, "text": text})
    # exact duplicates of earlier documents, under new ids, at later positions (tie order)
    for src in (3, 17, 17, 120, 200):
        d = dict(docs[src])
        d["_id"] = f"d{len(docs)}"
        docs.append(d)
    docs.append({"_id": f"d{len(docs)}", "title": "", "text": "the of and to with it is not"})  # stopwords only
    docs.append({"_id": f"d{len(docs)}", "title": "River", "text": ""})  # title only, one term
    docs.append({"_id": f"d{len(docs)}", "title": "", "text": "run run run run run run run run run run run"})
    return docs


def make_queries(rng, docs):
    content = [w for w in VOCAB if w not in STOP]
    queries = [{"_id": q, "text": t} for q, t, _ in HAND_QUERIES]
    # the text of a duplicated document: its copies tie at the top
    queries.append({"_id": "q-dup", "text": docs[17]["title"] + " " + docs[17]["text"]})
    queries[-1]["text"] = " ".join(queries[-1]["text"].split()[:12])
    i = 0
    while len(queries) < 40:
        n = rng.choice([1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 10, 12])
        words = [rng.choice(content) if rng.random() > 0.15 else rng.choice(LUCENE_STOPWORDS) for _ in range(n)]
        queries.append({"_id": f"q{i}", "text": " ".join(words)})
        i += 1
    return queries


def main():
    rng = random.Random(SEED)
    docs = make_corpus(rng)
    queries = make_queries(rng, docs)
    doc_terms = [analyze(d["title"] + " " + d["text"]) for d in docs]
    vocab = set(t for terms in doc_terms for t in terms)
    for w in UNKNOWN:
        assert not (set(analyze(w)) & vocab), w

    positions = np.arange(len(docs))
    out = {
        "what": "BM25 (Lucene variant) top results for queries.jsonl over corpus.jsonl, computed by bm25s",
        "generator": "Tests/VecDBTests/Fixtures/bm25/make_fixture.py",
        "seed": SEED,
        "versions": {
            "bm25s": bm25s.__version__,
            "PyStemmer": metadata.version("PyStemmer"),
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "analyzer": {
            "tokens": "maximal runs of Unicode letters/digits (Python regex [^\\W_]+), each lowercased",
            "stopwords": list(LUCENE_STOPWORDS),
            "stopwords_note": "removed before stemming; equals bm25s.stopwords.STOPWORDS_EN and Lucene's "
                              "EnglishAnalyzer.ENGLISH_STOP_WORDS_SET",
            "stemmer": "PyStemmer Stemmer.Stemmer('porter') (original Porter algorithm)",
            "document_text": "title + ' ' + text",
            "cases": [{"text": t, "terms": analyze(t)} for t in [
                "Running runs RUNNER ran", "connections connective generalizations happiness",
                "café naïve résumé über Müller façade jalapeño São Zürich coöperation élan fiancée Ångström señor",
                "state-of-the-art don't e.g. foo_bar x-ray well-known 3.14 U.S. o'clock #hashtag email@example.com",
                "α β γ κB 1β IL-6 TNF-α covid19 b12 007 h2o 10x", "The and of WITH it is no not",
                "ponies caresses flies studies relational operational agreed",
            ]],
        },
        "empty_term_note": "PyStemmer's porter stems 's' to '' (no length guard): '' is a term here, "
                           "counted in dl and df like any other; DROP_EMPTY_TERMS in make_fixture.py switches that",
        "scoring": {
            "method": "bm25s BM25(method='lucene', dtype='float64')",
            "idf": "ln(1 + (N - df + 0.5) / (df + 0.5))",
            "term": "idf * tf / (tf + k1 * (1 - b + b * dl / avgdl))",
            "dl": "number of terms of the document after stopword removal (exact, not quantised)",
            "N_and_avgdl": "over all documents, including those with no terms (avgdl counts them as 0)",
            "query": "sum over the query's terms in order; a term that occurs twice in the query counts twice",
            "order": "score descending, then document position in corpus.jsonl ascending; only documents "
                     "with score > 0 (at least one query term) are listed",
        },
        "corpus": {
            "documents": len(docs),
            "terms": len(vocab),
            "avgdl": float(np.mean([len(t) for t in doc_terms])),
            "doc_lengths": [len(t) for t in doc_terms],
        },
        "settings": [],
    }
    tie_report = []
    for k1, b in SETTINGS:
        retriever = bm25s.BM25(k1=k1, b=b, method="lucene", dtype="float64")
        retriever.index(doc_terms, create_empty_token=False, show_progress=False)
        df = {}
        for terms in doc_terms:
            for t in set(terms):
                df[t] = df.get(t, 0) + 1
        per_query = {}
        for q in queries:
            terms = analyze(q["text"])
            known = [t for t in terms if t in retriever.vocab_dict]
            entry = {"terms": terms, "df": {t: df.get(t, 0) for t in dict.fromkeys(terms)}}
            if known:
                scores = retriever.get_scores(known)
                order = [int(i) for i in np.lexsort((positions, -scores)) if scores[i] > 0]
                entry["matches"] = len(order)
                top_all = [[docs[i]["_id"], float(scores[i])] for i in order[:TOP_ALL]]
                entry["top10"] = top_all[:TOP]
                entry["top15"] = top_all
                s = [x[1] for x in top_all]
                entry["tie_at_10"] = len(s) > TOP and s[TOP - 1] == s[TOP]
                entry["ties_in_top15"] = any(s[j] == s[j + 1] for j in range(len(s) - 1))
                near = [j for j in range(len(s) - 1) if s[j] != s[j + 1] and (s[j] - s[j + 1]) < 1e-9 * s[j]]
                assert not near, (q["_id"], near)
                # bm25s's own ordering of the same top 15, for the tie-order note
                res = retriever.retrieve([known], k=TOP_ALL, show_progress=False)
                mine = [x[0] for x in top_all]
                theirs = [docs[int(i)]["_id"] for i, sc in zip(res.documents[0], res.scores[0]) if sc > 0]
                assert [float(x) for x in res.scores[0] if x > 0] == s
                if entry["ties_in_top15"]:
                    tie_report.append((k1, b, q["_id"], mine, theirs))
            else:
                entry.update(matches=0, top10=[], top15=[], tie_at_10=False, ties_in_top15=False)
            per_query[q["_id"]] = entry
        out["settings"].append({"k1": k1, "b": b, "queries": per_query})

    differ = [r for r in tie_report if r[3] != r[4]]
    out["bm25s_tie_order"] = (
        "bm25s.retrieve does not order equal scores by position: it selects with np.argpartition (numpy "
        "backend) or a heap (numba), then sorts by np.flip(np.argsort(scores)), an unstable sort reversed. "
        f"In this fixture {len(tie_report)} (setting, query) pairs have ties in their top 15; bm25s's order "
        f"differs from position order in {len(differ)} of them. The lists here are re-ordered by position "
        "(vecdb's rule) from bm25s's own score vector (BM25.get_scores); the scores equal bm25s.retrieve's.")

    with open(os.path.join(HERE, "corpus.jsonl"), "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    with open(os.path.join(HERE, "queries.jsonl"), "w", encoding="utf-8") as f:
        for q in queries:
            f.write(json.dumps(q, ensure_ascii=False) + "\n")
    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8") as f:
        text = json.dumps(out, ensure_ascii=False, indent=1)
        # one [id, score] pair per line, and short lists of strings / numbers on one line
        text = re.sub(r'\[\n\s+("[^"\n]*"),\n\s+([-+0-9.e]+)\n\s+\]', r"[\1, \2]", text)
        text = re.sub(r'\[\n\s+((?:(?:"[^"\n]*"|[-+0-9.e]+),?\n\s+)*(?:"[^"\n]*"|[-+0-9.e]+))\n\s+\]',
                      lambda m: "[" + re.sub(r",\n\s+", ", ", m.group(1)) + "]", text)
        f.write(text + "\n")
    print(f"{len(docs)} documents, {len(queries)} queries, {len(vocab)} terms; ties in top 15: "
          f"{len(tie_report)}, bm25s order differs: {len(differ)}", file=sys.stderr)
    for r in differ[:3]:
        print("  e.g.", r, file=sys.stderr)


if __name__ == "__main__":
    main()
