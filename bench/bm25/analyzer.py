"""vecdb's BM25 analyzer, in Python: the reference the bench scripts in this folder share.

    tokens  = maximal runs of Unicode letters/digits (regex [^\\W_]+; Python's \\w is str.isalnum() plus '_'),
    each lowercased (str.lower(), full Unicode mapping), the 33 Lucene English stopwords dropped (before
    stemming), then stemmed with PyStemmer's Stemmer("porter") (Snowball's ORIGINAL Porter, not "english").

Document text is title + " " + text. Document length (BM25 dl) is the number of terms this returns.
bm25s's own `bm25s.tokenize` differs (lowercases first, pattern \\b\\w\\w+\\b drops 1-char tokens and keeps '_'),
so these scripts index pre-analysed token lists instead.
"""
import re

import Stemmer

# Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET (also bm25s.stopwords.STOPWORDS_EN, checked equal in 0.3.16).
STOPWORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there these "
    "they this to was will with".split()
)
assert len(STOPWORDS) == 33

TOKEN_RE = re.compile(r"[^\W_]+")  # str pattern: Unicode-aware by default, same as (?u)

_stemmer = Stemmer.Stemmer("porter")  # PyStemmer keeps a 10,000-word cache of its own by default

# Snowball's Porter stems the one-letter word "s" to "" (step 1a deletes a final s; no length guard, unlike
# Porter's C reference code and Lucene's PorterStemmer, which leave words of <= 2 letters alone). So "U.S."
# and every possessive "'s" give an empty term "". bm25s indexes it like any other term (SciFact: 1,323
# occurrences in 716 documents, 21 test+train queries). vecdb drops empty terms (a term is at least one letter
# or digit), and so does this analyzer; False keeps PyStemmer's output as it is.
DROP_EMPTY_TERMS = True


def analyze(text: str) -> list:
    """text -> list of terms, in order, duplicates kept."""
    words = [w.lower() for w in TOKEN_RE.findall(text)]
    terms = _stemmer.stemWords([w for w in words if w not in STOPWORDS])
    return [t for t in terms if t] if DROP_EMPTY_TERMS else terms


def analyze_many(texts) -> list:
    return [analyze(t) for t in texts]


def doc_text(doc: dict) -> str:
    return (doc.get("title") or "") + " " + (doc.get("text") or "")
