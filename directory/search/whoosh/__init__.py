"""The Whoosh engine: writes documents with our own analyzer and reads postings back fast.

Text is indexed without positions: phrases are matched as "all words in one resource", which
is what a person means by "sober living", and the index stays small and quick to build. Terms
come from `search.text.analyze` (`analyze_as` in a language's field), so Whoosh only stores and
reads them.
"""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import whoosh.index
from whoosh.analysis import Token, Tokenizer
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.fields import ID, TEXT, Schema
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from directory.search.engine import LANGUAGE_FIELDS, TEXT_FIELDS
from directory.search.text import analyze, analyze_as
from directory.search.whoosh import segments
from directory.search.whoosh import update as updating

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
    def write(self, folder: Path, documents: Sequence[Mapping[str, str]], procs: int) -> None:
        """Write every document into a new index in `folder`.

        The garbage collector is paused meanwhile: the writer makes millions of short-lived
        postings and no cycles, and the collections they would start cost a tenth of the build.
        """
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._write(folder, documents, procs)
        finally:
            if collecting:
                gc.enable()

    def _write(self, folder: Path, documents: Sequence[Mapping[str, str]], procs: int) -> None:
        if segments.fast_schema(SCHEMA):
            segments.write(str(folder), SCHEMA, documents, procs)
            return
        write_with_whoosh(folder, documents, procs)  # pragma: no cover - another codec

    def update(
        self,
        previous: Path,
        folder: Path,
        previous_order: Sequence[str],
        removed: Sequence[Mapping[str, str]],
        added: Iterable[Mapping[str, str]],
        order: Sequence[str],
    ) -> None:
        """Write into `folder` the index `previous` with `removed` replaced by `added`."""
        updating.update(previous, folder, previous_order, removed, added, order, WRITER_MEMORY_MB)

    def open(self, folder: Path) -> WhooshIndex:
        ix = whoosh.index.open_dir(str(folder))
        order = dropped = None
        if (folder / updating.DOCORDER).exists():  # derived by `update` (whoosh/update.py)
            order = np.load(folder / updating.DOCORDER)
            dropped = json.loads((folder / updating.DROPPED).read_text(encoding="utf-8"))
        return WhooshIndex(ix.reader(), order, dropped)


def write_with_whoosh(folder: Path, documents: Iterable[Mapping[str, str]], procs: int) -> None:
    """Write the index with Whoosh's own writer (the reference segments.py is tested against)."""
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


class WhooshIndex:
    """Postings of one Whoosh index, read block by block into numpy arrays.

    An index derived by `update` has deleted documents and its documents in another order than
    a full build's: `order` maps each Whoosh document number to the full build's (-1: deleted)
    and `dropped` names the terms only deleted documents hold, so that it reads as the full
    build would.
    """

    def __init__(self, reader, order: np.ndarray | None = None, dropped: dict | None = None):
        self._reader = reader
        self._lock = threading.Lock()  # Whoosh readers seek shared files: one reader at a time
        self._order = order
        self._dropped = {field: frozenset(terms) for field, terms in (dropped or {}).items()}
        if order is not None and len(order) != reader.doc_count_all():
            raise RuntimeError("the document order does not match the index")
        self.doc_count = reader.doc_count_all() if order is None else int((order >= 0).sum())

    def document_ids(self) -> list[str]:
        with self._lock:
            if self._order is None:
                ids = [fields["id"] for fields in self._reader.all_stored_fields()]
            else:
                ids = [""] * self.doc_count
                for docnum in self._reader.all_doc_ids():
                    ids[self._order[docnum]] = self._reader.stored_fields(docnum)["id"]
        if len(ids) != self.doc_count or (self._order is None and self._reader.has_deletions()):
            raise RuntimeError("the index has deleted documents")
        return ids

    def terms(self, field: str) -> Iterable[str]:
        with self._lock:
            terms = list(self._reader.field_terms(field))
        dropped = self._dropped.get(field)
        return [t for t in terms if t not in dropped] if dropped else terms

    def field_lengths(self, field: str) -> np.ndarray:
        out = np.zeros(self._reader.doc_count_all(), dtype=np.float32)
        with self._lock:
            for segment, offset in self._reader.leaf_readers():
                count = segment.doc_count_all()
                out[offset : offset + count] = _segment_lengths(segment, field, count)
        if self._order is None:
            return out
        live = self._order >= 0
        ordered = np.zeros(self.doc_count, dtype=np.float32)
        ordered[self._order[live]] = out[live]
        return ordered

    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        ids, weights = [], []
        with self._lock:
            for segment, offset in self._reader.leaf_readers():
                try:
                    matcher = segment.postings(field, term)
                except TermNotFound:
                    continue
                if isinstance(matcher, FilterMatcher):
                    matcher = matcher.child  # every posting, deleted ones too: `order` drops them
                seg_ids, seg_weights = _read_matcher(matcher)
                ids.append(seg_ids + offset)
                weights.append(seg_weights)
        if not ids:
            return _EMPTY
        docs = np.concatenate(ids)
        tf = np.concatenate(weights).astype(np.float32)
        if self._order is not None:
            mapped = self._order[docs]
            live = mapped >= 0
            mapped, tf = mapped[live], tf[live]
            by_doc = np.argsort(mapped, kind="stable")
            docs, tf = mapped[by_doc], tf[by_doc]
            if not len(docs):
                return _EMPTY
        return docs.astype(np.int32), tf

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
        if not ids:  # a term whose postings are all past (a derived index's deleted documents)
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
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
