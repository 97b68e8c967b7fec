"""The Whoosh engine: writes documents with our own analyzer and reads postings back fast.

Text is indexed without positions: phrases are matched as "all words in one resource", which
is what a person means by "sober living", and the index stays small and quick to build. Terms
come from `search.text.analyze` (`analyze_as` in a language's field), so Whoosh only stores and
reads them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import whoosh.index
from whoosh.analysis import Token, Tokenizer
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.fields import ID, TEXT, Schema
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from directory.search.engine import LANGUAGE_FIELDS, TEXT_FIELDS
from directory.search.text import analyze, analyze_as

WRITER_MEMORY_MB = 256
_BYTE_LENGTHS = np.array([byte_to_length(i) for i in range(256)], dtype=np.float32)
_EMPTY = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))


class TermsTokenizer(Tokenizer):
    """A Whoosh tokenizer yielding the index terms `search.text` makes (English, or `language`)."""

    language: str | None = None

    def __init__(self, language: str | None = None):
        self.language = language

    def __eq__(self, other):
        return type(other) is type(self) and other.language == self.language

    def __call__(self, value, positions=False, chars=False, mode="", **kwargs):
        token = Token(positions, chars, mode=mode, **kwargs)
        terms = analyze_as(self.language, value) if self.language else analyze(value)
        for term in terms:
            token.text = term
            token.boost = 1.0
            token.stopped = False
            yield token


_LANGUAGE_OF = {field: language for language, field in LANGUAGE_FIELDS.items()}
SCHEMA = Schema(
    id=ID(stored=True, unique=True),
    **{
        name: TEXT(analyzer=TermsTokenizer(_LANGUAGE_OF.get(name)), phrase=False)
        for name in TEXT_FIELDS
    },  # fmt: skip
)


class WhooshEngine:
    def write(self, folder: Path, documents: Iterable[Mapping[str, str]], procs: int) -> None:
        ix = whoosh.index.create_in(str(folder), SCHEMA)
        if procs > 1:
            writer = ix.writer(procs=procs, multisegment=True, limitmb=WRITER_MEMORY_MB // procs)
        else:
            writer = ix.writer(limitmb=WRITER_MEMORY_MB)
        try:
            for document in documents:
                writer.add_document(**document)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        ix.close()

    def open(self, folder: Path) -> WhooshIndex:
        ix = whoosh.index.open_dir(str(folder))
        return WhooshIndex(ix.reader())


class WhooshIndex:
    """Postings of one Whoosh index, read block by block into numpy arrays."""

    def __init__(self, reader):
        self._reader = reader
        self._lock = threading.Lock()  # Whoosh readers seek shared files: one reader at a time
        self.doc_count = reader.doc_count_all()

    def document_ids(self) -> list[str]:
        with self._lock:
            ids = [fields["id"] for fields in self._reader.all_stored_fields()]
        if len(ids) != self.doc_count:
            raise RuntimeError("the index has deleted documents")
        return ids

    def terms(self, field: str) -> Iterable[str]:
        with self._lock:
            return list(self._reader.field_terms(field))

    def field_lengths(self, field: str) -> np.ndarray:
        out = np.zeros(self.doc_count, dtype=np.float32)
        with self._lock:
            for segment, offset in self._reader.leaf_readers():
                count = segment.doc_count_all()
                out[offset : offset + count] = _segment_lengths(segment, field, count)
        return out

    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        ids, weights = [], []
        with self._lock:
            for segment, offset in self._reader.leaf_readers():
                try:
                    matcher = segment.postings(field, term)
                except TermNotFound:
                    continue
                seg_ids, seg_weights = _read_matcher(matcher)
                ids.append(seg_ids + offset)
                weights.append(seg_weights)
        if not ids:
            return _EMPTY
        return np.concatenate(ids).astype(np.int32), np.concatenate(weights).astype(np.float32)

    def close(self) -> None:
        self._reader.close()


def _read_matcher(matcher) -> tuple[np.ndarray, np.ndarray]:
    """Return the document numbers and term frequencies of a leaf posting list."""
    if hasattr(matcher, "_read_ids") and hasattr(matcher, "_next_block"):
        # Whoosh 3 codec: take whole blocks instead of stepping posting by posting.
        ids, weights = [], []
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids.append(np.asarray(matcher._ids, dtype=np.int64))
            weights.append(np.asarray(matcher._weights, dtype=np.float32))
            matcher._next_block()
        return np.concatenate(ids), np.concatenate(weights)
    ids, weights = [], []  # pragma: no cover - another codec: step through the postings
    while matcher.is_active():  # pragma: no cover
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float32)


def _segment_lengths(segment, field: str, count: int) -> np.ndarray:
    """Return the field lengths of a segment's documents, read as one block when possible."""
    try:
        column = segment._perdoc._cached_reader(f"_{field}_len", LENGTHS_COLUMN)
        if column is None:
            return np.zeros(count, dtype=np.float32)
        raw = column._dbfile.get(column._basepos, column._count)
        codes = np.zeros(count, dtype=np.uint8)
        codes[: len(raw)] = np.frombuffer(raw, dtype=np.uint8)
        return _BYTE_LENGTHS[codes]
    except AttributeError:  # pragma: no cover - another codec: ask document by document
        return np.asarray(
            [segment.doc_field_length(d, field, 0) for d in range(count)], dtype=np.float32
        )
