"""Build the search index aside and switch to it atomically; open the current one.

Layout of an index folder:

    CURRENT                 the name of the generation in use (replaced with os.replace)
    gen-<ns>-<fingerprint>/ a complete engine index (see engine.py), plus docids.json (document
                            number -> id), table.bin + table.json (the numpy table, see
                            stored_table.py), fingerprints.json (id -> digest of its document, so
                            the next build knows what changed) and meta.json (data fingerprint,
                            format, count), written last
    .building-*/            a build in progress (or abandoned by a crash; removed by the next build)
    .lock                   held while building, so two processes never build at once

A build writes a new generation directory, and only once it is complete does CURRENT name it, so a
running server keeps reading the old generation (a `Searcher` holds its own files open) and a
failed build leaves the last good index in use. Old generations are removed after a switch, keeping
the previous one for searchers that may still be reading it. Only active resources are indexed.
When few documents changed and the resources of the current generation are given, the new
generation is derived from the current one instead of written whole (index_update.py); it is
still a new folder, switched to the same way.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

from directory.core.model import Resource
from directory.search import index_update
from directory.search.engine import Engine
from directory.search.query import FIELD_BOOSTS, Searcher
from directory.search.scoring import TextScorer
from directory.search.stored_table import TableUnusable, open_table, read_columns, write_table
from directory.search.table import ResourceTable, TableColumns
from directory.search.table_update import derive_columns
from directory.search.whoosh import WhooshEngine

try:  # POSIX; where it is missing, builds are simply not serialised between processes
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

INDEX_FORMAT = 3  # bump when the schema, analyzer or docids layout changes: forces a rebuild
KEEP_GENERATIONS = 2  # the current one and the one before it
PARALLEL_MIN_DOCS = 10_000  # below this, a second writer process costs more than it saves
ENGINE: Engine = WhooshEngine()  # the one place that chooses the full-text engine
CURRENT = "CURRENT"
META = "meta.json"
DOCIDS = "docids.json"


class IndexUnavailable(Exception):
    """There is no usable index: the app must not pretend there are no results."""


class IndexMissing(IndexUnavailable):
    """No index has been built in this folder (or its files are broken)."""


class IndexStale(IndexUnavailable):
    """The index was built from other data than the catalog's."""


class CatalogLike(Protocol):
    resources: tuple[Resource, ...]
    fingerprint: str


def build_index(
    resources: Iterable[Resource],
    index_dir: str | Path,
    fingerprint: str,
    procs: int | None = None,
    previous: Iterable[Resource] | None = None,
    previous_fingerprint: str | None = None,
) -> Path:
    """Build a new index generation from the active resources and make it current.

    With `previous`, the resources the current generation was built from, a generation where
    few documents changed is derived from the current one (search/index_update.py); with
    their data fingerprint too, so is its table's (search/table_update.py).
    """
    root = Path(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    with build_lock(root):
        return _build(resources, root, fingerprint, procs, previous, previous_fingerprint)


def _build(
    resources: Iterable[Resource],
    root: Path,
    fingerprint: str,
    procs: int | None,
    previous: Iterable[Resource] | None = None,
    previous_fingerprint: str | None = None,
) -> Path:
    """Build and switch; the caller holds the build lock."""
    active = [r for r in resources if r.active]
    _remove_abandoned_builds(root)
    work = Path(tempfile.mkdtemp(prefix=".building-", dir=root))
    current = None
    try:
        fingerprints = None
        if previous is not None:
            current = current_generation(root)
            if current is not None and _usable_format(current):
                fingerprints = index_update.try_update(
                    ENGINE, current, work, active, previous, DOCIDS,
                    _built_from(current, previous_fingerprint),
                )  # fmt: skip
        if fingerprints is not None:
            ids = [r.id for r in active]  # checked against the index by the engine's update
            derive_from = _previous_table(current, previous, previous_fingerprint)
        else:
            derive_from = None
            documents = index_update.FingerprintedDocuments(active)
            _write_index(work, documents, procs, len(active))
            fingerprints = documents.fingerprints
            ids = _document_ids(work)
            if sorted(ids) != sorted(r.id for r in active):
                raise RuntimeError("the index does not hold exactly the active resources")
            index_update.MEMO.remember(active, fingerprints)
        (work / DOCIDS).write_text(json.dumps(ids), encoding="utf-8")
        _store_table(work, active, ids, fingerprint, derive_from)
        index_update.write_fingerprints(work, fingerprints)
        meta = {
            "format": INDEX_FORMAT,
            "fingerprint": fingerprint,
            "count": len(ids),
            "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        write_durably(work / META, json.dumps(meta, indent=1))
        final = root / f"gen-{time.time_ns()}-{fingerprint[:12] or 'nofingerprint'}"
        os.rename(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    write_durably(root / CURRENT, final.name + "\n", replace=True)
    _remove_old_generations(root, final.name)
    return final


def current_generation(index_dir: str | Path) -> Path | None:
    """Return the folder of the generation CURRENT names, or None."""
    root = Path(index_dir)
    try:
        name = (root / CURRENT).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    folder = root / name
    if not name or "/" in name or name.startswith(".") or not folder.is_dir():
        return None
    return folder


def read_meta(generation: Path) -> dict:
    """Return a generation's meta.json, or raise IndexMissing when it is unreadable."""
    try:
        meta = json.loads((generation / META).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexMissing(f"index generation {generation.name} is incomplete: {exc}") from None
    if not isinstance(meta, dict):
        raise IndexMissing(f"index generation {generation.name} has a broken {META}")
    return meta


def open_index(index_dir: str | Path, catalog: CatalogLike) -> Searcher:
    """Open the current index generation for a catalog; raise IndexUnavailable if unusable.

    The catalog is needed because hits carry the catalog's Resource objects, and because an
    index built from other data (another fingerprint) must not be served.
    """
    generation = current_generation(index_dir)
    if generation is None:
        raise IndexMissing(f"no search index in {index_dir}; build it with `flask index`")
    meta = read_meta(generation)
    if meta.get("format") != INDEX_FORMAT:
        raise IndexStale(f"index format {meta.get('format')} is not {INDEX_FORMAT}")
    if meta.get("fingerprint") != catalog.fingerprint:
        raise IndexStale("the index was built from a different version of the data file")
    try:
        ids_text = (generation / DOCIDS).read_text(encoding="utf-8")
        ids = json.loads(ids_text)
    except (OSError, ValueError) as exc:
        raise IndexMissing(f"index generation {generation.name} is incomplete: {exc}") from None
    by_id = getattr(catalog, "by_id", None) or {r.id: r for r in catalog.resources}.get
    try:
        resources = [by_id(i) for i in ids]
    except TypeError:
        raise IndexStale("the index names resources the catalog does not have") from None
    if None in resources:
        raise IndexStale("the index names resources the catalog does not have")
    text = _open_text(generation, len(resources))
    try:
        table = open_table(generation, resources, catalog.fingerprint, ids_text)
    except BaseException:
        text.close()
        raise
    return Searcher(
        table,
        TextScorer(text, FIELD_BOOSTS),
        fingerprint=catalog.fingerprint,
        generation=generation.name,
        text_index=text,
    )


def reopen_index(index_dir: str | Path, searcher: Searcher, catalog: CatalogLike) -> Searcher:
    """After a fork: return a searcher of the same generation with this process's own files.

    The inherited table, term statistics and cached postings are kept (read-only arrays and
    objects the parent built, shared with it page by page); only the engine's open files are
    this process's own, since files read with seeks cannot be shared between processes. When
    CURRENT names another generation by now, the index is opened afresh.
    """
    generation = current_generation(index_dir)
    if generation is None or generation.name != searcher.generation:
        return open_index(index_dir, catalog)
    if searcher.fingerprint != catalog.fingerprint:
        raise IndexStale("the searcher was opened for a different version of the data file")
    text = _open_text(generation, searcher.resource_count)
    return searcher.with_text_index(text)


def _open_text(generation: Path, count: int):
    try:
        text = ENGINE.open(generation)
    except Exception as exc:  # engines raise many kinds on damaged files
        raise IndexMissing(f"cannot open index {generation.name}: {exc}") from exc
    if text.doc_count != count:
        text.close()
        raise IndexMissing(f"index {generation.name} does not match its {DOCIDS}")
    return text


def ensure_index(
    catalog: CatalogLike,
    index_dir: str | Path,
    previous: Iterable[Resource] | None = None,
    previous_fingerprint: str | None = None,
) -> Searcher:
    """Open the index for a catalog, building it first when it is missing or stale.

    `previous`: the resources of the catalog in service, from which a build may derive the
    new generation (see `build_index`); with its data fingerprint, the table's unchanged rows
    are taken from the current generation's table too.
    """
    try:
        return open_index(index_dir, catalog)
    except IndexUnavailable:
        pass
    root = Path(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    with build_lock(root):
        # Another process may have built it while this one waited for the lock.
        with contextlib.suppress(IndexUnavailable):
            return open_index(index_dir, catalog)
        _build(catalog.resources, root, catalog.fingerprint, None, previous, previous_fingerprint)
    return open_index(index_dir, catalog)


# --- writing -----------------------------------------------------------------------------------


def _write_index(folder: Path, documents: Sequence[dict], procs: int | None, count: int) -> None:
    if procs is None:
        procs = 2 if count >= PARALLEL_MIN_DOCS and (os.cpu_count() or 1) > 1 else 1
    ENGINE.write(folder, documents, procs)


def _usable_format(generation: Path) -> bool:
    try:
        return read_meta(generation).get("format") == INDEX_FORMAT
    except IndexUnavailable:
        return False


def _store_table(
    folder: Path,
    active: list[Resource],
    ids: list[str],
    fingerprint: str,
    derive_from: tuple[TableColumns, list[Resource]] | None = None,
) -> None:
    """Keep the generation's table with it, so that opening it need not walk the resources.

    With the previous generation's table and resources, unchanged rows are taken from it
    (table_update.py) instead of walking every resource.
    """
    by_id = {r.id: r for r in active}
    resources = [by_id[i] for i in ids]
    columns = derive_columns(*derive_from, resources) if derive_from is not None else None
    table = ResourceTable(resources, columns)
    write_table(folder, table, fingerprint, (folder / DOCIDS).read_text(encoding="utf-8"))


def _built_from(generation: Path, fingerprint: str | None) -> bool:
    """Whether `generation` was built from the data of this fingerprint."""
    try:
        return bool(fingerprint) and read_meta(generation).get("fingerprint") == fingerprint
    except IndexUnavailable:
        return False


def _previous_table(
    generation: Path | None,
    previous: Iterable[Resource] | None,
    previous_fingerprint: str | None,
) -> tuple[TableColumns, list[Resource]] | None:
    """Return the stored table of `generation` and its resources, when they are `previous`'s.

    None (walk every resource) unless the generation was built from the data `previous` is
    (its fingerprint) and its stored table is intact: a row is only ever taken from the table
    of the very resources it is compared with.
    """
    if generation is None or previous is None or not previous_fingerprint:
        return None
    try:
        if read_meta(generation).get("fingerprint") != previous_fingerprint:
            return None
        ids_text = (generation / DOCIDS).read_text(encoding="utf-8")
        ids = json.loads(ids_text)
        by_id = {r.id: r for r in previous if r.active}
        resources = [by_id[i] for i in ids]
        columns = read_columns(generation, len(resources), previous_fingerprint, ids_text)
    except (IndexUnavailable, TableUnusable, OSError, ValueError, KeyError, TypeError):
        return None
    return columns, resources


def _document_ids(folder: Path) -> list[str]:
    """Return the resource ids in document-number order."""
    text = ENGINE.open(folder)
    try:
        return text.document_ids()
    finally:
        text.close()


def write_durably(path: Path, text: str, replace: bool = False) -> None:
    """Write a small file so that a crash leaves either the old or the new content."""
    target = path.with_name(f".{path.name}.{os.getpid()}.tmp") if replace else path
    with open(target, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    if replace:
        os.replace(target, path)
        with contextlib.suppress(OSError):  # make the rename itself durable where possible
            fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


@contextlib.contextmanager
def build_lock(root: Path) -> Iterator[None]:
    if fcntl is None:  # pragma: no cover
        yield
        return
    with open(root / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_abandoned_builds(root: Path) -> None:
    """Remove half-written builds; called under the lock, so none is in progress."""
    for folder in root.glob(".building-*"):
        shutil.rmtree(folder, ignore_errors=True)


def _remove_old_generations(root: Path, current: str) -> None:
    generations = sorted(
        (p for p in root.glob("gen-*") if p.is_dir()),
        key=lambda p: int(p.name.split("-")[1]) if p.name.split("-")[1].isdigit() else 0,
    )
    keep = {current} | {p.name for p in generations[-KEEP_GENERATIONS:]}
    for folder in generations:
        if folder.name not in keep:
            shutil.rmtree(folder, ignore_errors=True)
