"""Text relevance: BM25 over an engine's postings, as numpy arrays.

Scoring every matching document in Python is what makes broad queries slow on a large
directory. Here each (field, term) posting list is read once per index generation into arrays
(document numbers and BM25 contributions, field boost included) and cached; a query is then a
few scatter-adds over arrays the size of the directory. Filters, facets and geography work on
the same document numbers (see `table.py`).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping

import numpy as np

from directory.search.analysis import QueryPlan, Vocabulary
from directory.search.engine import TextIndex

BM25_K1 = 1.2
BM25_B = 0.75
INTENT_BOOST = 1.6  # "sober living" is housing first, then the meeting named "Living Sober"
MAX_CACHED_POSTINGS = 50_000  # (field, term) lists kept per generation; beyond, the cache restarts

_EMPTY = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))


class TextScorer:
    """Scores query plans against one engine index. Thread-safe."""

    def __init__(self, index: TextIndex, boosts: Mapping[str, float]):
        self._index = index
        self._boosts = dict(boosts)
        self._lock = threading.Lock()  # one loader at a time; readers share the cache
        self._cache: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self.n = index.doc_count
        self._lengths = {f: index.field_lengths(f) for f in self._boosts}
        # BM25's average length is over the documents that have the field: most listings have
        # no text in another language, and their zeros would make every Spanish text "long".
        self._average = {f: max(float(a[a > 0].mean()), 1.0) if a.any() else 1.0
                         for f, a in self._lengths.items()}  # fmt: skip
        terms: set[str] = set()
        for field in self._boosts:
            terms.update(index.terms(field))
        self.vocabulary = Vocabulary(terms)

    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """Return (document numbers, BM25 contributions) of a term in a field."""
        key = (field, term)
        found = self._cache.get(key)
        if found is not None:
            return found
        with self._lock:
            found = self._cache.get(key)
            if found is None:
                found = self._load(field, term)
                if len(self._cache) >= MAX_CACHED_POSTINGS:
                    self._cache = {}
                self._cache[key] = found
        return found

    def _load(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        docs, tf = self._index.postings(field, term)
        if not len(docs):
            return _EMPTY
        df = len(docs)
        idf = math.log(1.0 + (self.n - df + 0.5) / (df + 0.5))
        norm = 1.0 - BM25_B + BM25_B * self._lengths[field][docs] / self._average[field]
        contribution = self._boosts[field] * idf * tf * (BM25_K1 + 1.0) / (tf + BM25_K1 * norm)
        return docs, contribution.astype(np.float32)

    def score(
        self,
        plan: QueryPlan,
        require_all: bool,
        intent: Callable[[tuple[str, ...]], np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return (score per document, matching documents) for a plan.

        A concept's score is its best alternative's; a document matches a concept when any
        alternative has all its terms in the document. `require_all` ANDs the concepts.
        `intent(categories)` returns the documents of the categories a concept asks for, whose
        score for that concept is multiplied by INTENT_BOOST.
        """
        n = self.n
        total = np.zeros(n, dtype=np.float32)
        matched = np.ones(n, dtype=bool) if require_all else np.zeros(n, dtype=bool)
        for concept in plan.concepts:
            best = np.zeros(n, dtype=np.float32)
            for alternative in concept.alternatives:
                scores = self._alternative(alternative.terms)
                if scores is not None:
                    np.maximum(best, scores * np.float32(alternative.weight), out=best)
            if concept.categories and intent is not None:
                best[intent(concept.categories)] *= np.float32(INTENT_BOOST)
            hit = best > 0
            if require_all:
                matched &= hit
            else:
                matched |= hit
            total += best
        return total, matched

    def _alternative(self, terms: tuple[str, ...]) -> np.ndarray | None:
        """Return the score of documents holding every term (None when none can)."""
        scores = np.zeros(self.n, dtype=np.float32)
        present = np.zeros(self.n, dtype=np.int8) if len(terms) > 1 else None
        for term in terms:
            seen = np.zeros(self.n, dtype=bool) if present is not None else None
            any_field = False
            for field in self._boosts:
                docs, contribution = self.postings(field, term)
                if len(docs):
                    any_field = True
                    scores[docs] += contribution
                    if seen is not None:
                        seen[docs] = True
            if not any_field:
                return None
            if present is not None:
                present += seen
        if present is not None:
            scores[present < len(terms)] = 0
        return scores
