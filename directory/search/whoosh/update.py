"""A Whoosh index derived from the previous one: its segments linked, changed documents replaced.

Writing 100,000 documents takes a minute or more on two cores; a one-entry change should not.
`update` links (or copies) the previous folder's Whoosh files into a new folder (a Whoosh
segment never changes once written: deletions are recorded in the table of contents, which each
commit writes anew), deletes the removed and changed documents by id, adds the new and changed
ones as one new segment, and records two things the reader needs to look exactly like a full
build of the same documents:

- `docorder.npy`: for each Whoosh document number, its number in the order of the full build
  (-1 for a deleted one), so document numbers, ties in ranking and document_ids() are the same;
- `dropped.json`: terms left in Whoosh's term lists only by deleted documents (no live posting),
  so typo correction and prefixes see the same vocabulary.

It refuses (`TooFragmented`) when the index has gathered too many segments or deleted documents:
the caller builds it whole, which also compacts it.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import whoosh.index

from directory.search.engine import TEXT_FIELDS
from directory.search.text import analyze

DOCORDER = "docorder.npy"
DROPPED = "dropped.json"
MAX_SEGMENTS = 12  # each update adds one; past this a full build compacts them
MAX_DELETED_SHARE = 0.05  # deleted documents still in the segments, as a share of all
MIN_DELETED = 100  # ... but a small index may keep this many


class DamagedIndex(Exception):
    """The previous index cannot be read or written on: build the index whole instead."""


class TooFragmented(Exception):
    """Too many segments or deleted documents: build the index whole instead."""


def whoosh_files(folder: Path) -> list[Path]:
    """Return Whoosh's own files in a folder (the index is named MAIN)."""
    return [p for p in folder.iterdir() if p.name.startswith(("MAIN_", "_MAIN_")) and
            p.is_file() and not p.name.endswith("WRITELOCK")]  # fmt: skip


def update(
    previous: Path,
    folder: Path,
    previous_order: Sequence[str],
    removed: Sequence[Mapping[str, str]],
    added: Iterable[Mapping[str, str]],
    order: Sequence[str],
    limitmb: int,
) -> None:
    """Write into the empty `folder` the index `previous` with `removed` replaced by `added`.

    `previous_order` is the ids of `previous` in its (full-build) order, `removed` the previous
    documents to delete (the changed ones too), `order` every id of the result in the order a
    full build would number them. Raise on anything unexpected: the caller builds it whole.
    """
    # Whoosh leaves a damaged segment's files open when it fails to read them: they are closed
    # here, as the failure unwinds, without the warning of a file left to the garbage collector.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            _update(previous, folder, previous_order, removed, added, order, limitmb)
            return
        except TooFragmented:
            raise
        except Exception as exc:
            failure = f"{type(exc).__name__}: {exc}"
        gc.collect()
    raise DamagedIndex(failure)


def _update(previous, folder, previous_order, removed, added, order, limitmb) -> None:
    old = whoosh.index.open_dir(str(previous))
    with old.reader() as reader:
        segments = len(list(reader.leaf_readers()))
        live = reader.doc_count()
        total = reader.doc_count_all()
    if live != len(previous_order):
        raise ValueError(f"{previous.name} holds {live} documents, its order {len(previous_order)}")
    deleted = total - live + len(removed)
    if segments >= MAX_SEGMENTS or deleted > max(MIN_DELETED, MAX_DELETED_SHARE * len(order)):
        raise TooFragmented(f"{segments} segments, {total - live} deleted documents")
    for path in whoosh_files(previous):
        target = folder / path.name
        try:
            os.link(path, target)
        except OSError:  # another file system, or no hard links: a copy does as well
            shutil.copy2(path, target)
    added = list(added)
    ix = whoosh.index.open_dir(str(folder))
    try:
        writer = ix.writer(limitmb=limitmb)
        try:
            for document in removed:
                writer.delete_by_term("id", document["id"])
            for document in added:
                writer.add_document(**document)
        except BaseException:
            writer.cancel()
            raise
        writer.commit(merge=False)  # merging would rewrite the large segments
    finally:
        ix.close()
    docorder = _document_order(previous, total, previous_order, removed, added, order)
    _write_order_and_dropped(folder, docorder, order, removed, added, _read_dropped(previous))


def _read_dropped(folder: Path) -> dict[str, list[str]]:
    try:
        return json.loads((folder / DROPPED).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def _document_order(previous, total, previous_order, removed, added, order) -> np.ndarray:
    """Return, for each Whoosh document number of the update, its number in `order` (-1: gone).

    The previous documents keep their Whoosh numbers (no merge renumbers them) and the added
    ones follow in the order added, as one new segment; `_write_order_and_dropped` checks it.
    """
    position = {rid: n for n, rid in enumerate(order)}
    if len(position) != len(order):
        raise ValueError("the order names an id twice")
    if (previous / DOCORDER).exists():
        before = np.load(previous / DOCORDER)  # Whoosh number -> number in previous_order
    else:
        before = np.arange(total, dtype=np.int32)  # a full build numbers them in that order
    if len(before) != total:
        raise ValueError(f"{previous.name}'s document order does not match its index")
    gone = {d["id"] for d in removed}
    now = np.array(
        [-1 if rid in gone else position.get(rid, -1) for rid in previous_order], dtype=np.int32
    )
    kept = np.where(before >= 0, now[np.maximum(before, 0)], -1).astype(np.int32)
    new = np.array([position[d["id"]] for d in added], dtype=np.int32)
    return np.concatenate([kept, new])


def _write_order_and_dropped(
    folder: Path,
    docorder: np.ndarray,
    order: Sequence[str],
    removed: Sequence[Mapping[str, str]],
    added: Sequence[Mapping[str, str]],
    previous_dropped: Mapping[str, list[str]],
) -> None:
    rng = np.random.default_rng(len(order))
    ix = whoosh.index.open_dir(str(folder))
    try:
        with ix.reader() as reader:
            live = docorder >= 0
            if (
                reader.doc_count_all() != len(docorder)
                or reader.doc_count() != len(order)
                or int(live.sum()) != len(order)
                or len(np.unique(docorder[live])) != len(order)
            ):
                raise ValueError("the updated index does not hold exactly the ordered documents")
            # Every added document, and a sample of the others, is where the order says.
            numbers = np.flatnonzero(live)
            checked = [*range(len(docorder) - len(added), len(docorder))]
            checked += rng.choice(numbers, size=min(200, len(numbers)), replace=False).tolist()
            for docnum in checked:
                if reader.is_deleted(docnum) or (
                    reader.stored_fields(docnum)["id"] != order[docorder[docnum]]
                ):
                    raise ValueError("the updated index numbers its documents unexpectedly")
            dropped: dict[str, list[str]] = {}
            for field in TEXT_FIELDS:
                candidates = set(previous_dropped.get(field, ()))
                for document in removed:
                    candidates.update(analyze(document.get(field, "")))
                gone = [t for t in sorted(candidates) if not _live_docs(reader, field, t)]
                if gone:
                    dropped[field] = gone
    finally:
        ix.close()
    np.save(folder / DOCORDER, docorder)
    (folder / DROPPED).write_text(json.dumps(dropped), encoding="utf-8")


def _live_docs(reader, field: str, term: str) -> bool:
    """True when a live document holds the term (Whoosh's postings skip deleted ones)."""
    if (field, term) not in reader:
        return False
    return reader.postings(field, term).is_active()
