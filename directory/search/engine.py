"""What search needs from a full-text engine, so another engine can take Whoosh's place.

An engine writes a folder of documents (each a dict of field -> text, plus "id"; a field of
`LANGUAGE_FIELDS` is analysed in its language) and opens it again as a `TextIndex`: raw
postings, field lengths and terms, numbered by document in the order written. Everything else
(BM25 scoring, filters, facets, distances, times, generations) is ours and engine-neutral.
The engine in use is `ENGINE` in `index.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

# Text in another language than English is also indexed in that language's own field, with its
# stemmer ("reuniones" and "reunión" meet as "reunion"): a language here, a field there.
LANGUAGE_FIELDS: dict[str, str] = {"es": "text_es"}
TEXT_FIELDS: tuple[str, ...] = ("name", "keywords", "description", *LANGUAGE_FIELDS.values())


class TextIndex(Protocol):
    """One written folder, opened for reading. Must be safe to call from many threads."""

    doc_count: int

    def document_ids(self) -> list[str]:
        """Return the "id" of every document, in document-number order."""

    def terms(self, field: str) -> Iterable[str]:
        """Return every term indexed in a field."""

    def field_lengths(self, field: str) -> np.ndarray:
        """Return the length in terms of a field in every document (float32)."""

    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """Return (document numbers, term frequencies) of a term in a field; empty if absent."""

    def close(self) -> None:
        """Release the files."""


class Engine(Protocol):
    def write(self, folder: Path, documents: Sequence[Mapping[str, str]], procs: int) -> None:
        """Write documents (in order) into an empty folder; raise on any failure.

        `documents` may make each document as it is read and record something of it (its
        fingerprint, index_update.FingerprintedDocuments): an engine that reads some of them in
        another process gives this one's `record` what that one's `recorded` returned.
        """

    def open(self, folder: Path) -> TextIndex:
        """Open a folder written by `write`; raise on damaged files."""
