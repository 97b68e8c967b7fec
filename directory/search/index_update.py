"""Derive a new index generation from the current one when few documents changed.

Every generation stores `fingerprints.json`: the id and a BLAKE2 digest of each document's text
(documents.document_for), so the next build knows which documents changed without reading the
index. When a small share changed, the engine derives the new generation from the current one
(whoosh/update.py: its segments linked, changed and removed documents deleted, new and changed
ones added), which reads exactly as a full build of the same documents. The new generation is a
new folder switched by CURRENT like any other (index.py); the current one is not touched.

A full build is done instead when there is no usable current generation (missing, another
format, no fingerprints, damaged: any error of the engine), when the documents removed cannot be
given (the previous catalog is needed for their words, see whoosh/update.py), when more than
`MAX_CHANGED_SHARE` changed, or when the engine says the index is too fragmented.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from directory.core.model import Resource
from directory.search.documents import document_for

log = logging.getLogger(__name__)

FINGERPRINTS = "fingerprints.json"
MAX_CHANGED_SHARE = 0.05  # documents added, changed or removed, as a share of the new count
MIN_CHANGES = 50  # a small index may always change this many documents incrementally

Document = Mapping[str, str]


def document_fingerprint(document: Document) -> str:
    text = "\0".join((document["name"], document["keywords"], document["description"]))
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


class FingerprintedDocuments(Sequence[Document]):
    """The documents of resources, each made when read, its fingerprint recorded by id.

    The engine reads them where it writes them: a second writing process makes the
    documents of its half itself, and sends back what it recorded (`recorded`, `record`).
    """

    def __init__(self, resources: Sequence[Resource]):
        self._resources = resources
        self.fingerprints: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._resources)

    def __getitem__(self, index):  # type: ignore[override]  # why: no slices are read
        document = document_for(self._resources[index])
        self.fingerprints[document["id"]] = document_fingerprint(document)
        return document

    def recorded(self) -> dict[str, str]:
        return self.fingerprints

    def record(self, fingerprints: Mapping[str, str]) -> None:
        self.fingerprints.update(fingerprints)


class FingerprintMemo:
    """Fingerprints of the documents of the resources last indexed, by the Resource object.

    Mapping a resource to its document takes about 10 µs (labels in words): a second at
    100,000, most of a one-entry change. A catalog read with the entry cache
    (datafile/entry_cache.py) reuses the Resource objects of unchanged entries, so their
    fingerprints are found here instead. Holds the resources of the last build only.
    """

    def __init__(self) -> None:
        self._by_object: dict[int, tuple[Resource, str]] = {}

    def fingerprints(self, resources: Sequence[Resource]) -> dict[str, str]:
        known = self._by_object
        fresh: dict[int, tuple[Resource, str]] = {}
        out: dict[str, str] = {}
        for resource in resources:
            found = known.get(id(resource))
            if found is None or found[0] is not resource:
                found = (resource, document_fingerprint(document_for(resource)))
            fresh[id(resource)] = found
            out[resource.id] = found[1]
        self._by_object = fresh
        return out

    def remember(self, resources: Sequence[Resource], fingerprints: Mapping[str, str]) -> None:
        """Keep the fingerprints a full build computed, for the next build's comparison."""
        self._by_object = {id(r): (r, fingerprints[r.id]) for r in resources}

    def learn(self, resources: Iterable[Resource], fingerprints: Mapping[str, str]) -> None:
        """When empty (a restart opened the index), take those of the generation in service.

        `fingerprints` must be those of a generation built from `resources`' very data.
        """
        if not self._by_object:
            known = fingerprints
            self._by_object = {
                id(r): (r, known[r.id]) for r in resources if r.active and r.id in known
            }


MEMO = FingerprintMemo()  # one per process: the builds of one index folder at a time


def write_fingerprints(folder: Path, fingerprints: Mapping[str, str]) -> None:
    (folder / FINGERPRINTS).write_text(json.dumps(fingerprints), encoding="utf-8")


def try_update(
    engine,
    previous: Path | None,
    work: Path,
    active: Sequence[Resource],
    previous_resources: Iterable[Resource] | None,
    docids_name: str,
    built_from_previous: bool = False,
) -> dict[str, str] | None:
    """Derive `work` from generation `previous`; return the fingerprints, or None (build whole).

    `built_from_previous`: generation `previous` was built from the data of
    `previous_resources` (its fingerprint says so), so its fingerprints are theirs. On None,
    `work` is left empty for the full build.
    """
    update = getattr(engine, "update", None)
    if previous is None or previous_resources is None or update is None:
        return None
    try:
        old = json.loads((previous / FINGERPRINTS).read_text(encoding="utf-8"))
        old_order = json.loads((previous / docids_name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(old, dict) or not isinstance(old_order, list) or len(old) != len(old_order):
        return None
    if built_from_previous:  # after a restart: no document made again for unchanged entries
        MEMO.learn(previous_resources, old)
    fingerprints = MEMO.fingerprints(active)
    gone = [rid for rid in old_order if fingerprints.get(rid) != old.get(rid)]
    new = [r for r in active if old.get(r.id) != fingerprints[r.id]]
    if len(gone) + len(new) > max(MIN_CHANGES, MAX_CHANGED_SHARE * len(active)):
        return None
    added = [document_for(r) for r in new]
    by_id = {r.id: r for r in previous_resources} if gone else {}
    removed = []
    for rid in gone:
        resource = by_id.get(rid)
        document = document_for(resource) if resource is not None else None
        if document is None or document_fingerprint(document) != old[rid]:
            return None  # not the catalog this generation was built from
        removed.append(document)
    try:
        update(previous, work, old_order, removed, added, [r.id for r in active])
    except Exception as exc:  # a damaged or fragmented generation: built whole instead
        log.warning("index generation %s not updated in place (%s); building it whole",
                    previous.name, exc)  # fmt: skip
        for path in work.iterdir():
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        return None
    log.info("index generation derived from %s: %d removed or changed, %d added",
             previous.name, len(removed), len(added))  # fmt: skip
    return fingerprints
