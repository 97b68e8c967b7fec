"""The data a request is served from: one search service (catalog, index, places), swapped as one.

A `Snapshot` never changes; reloading builds a new one aside and replaces the reference, so a
request always sees one consistent version. Whatever goes wrong while a new file is read (it is
missing, still being written, broken, too large, far smaller than the one in service, or the
index cannot be written), the last good snapshot keeps serving and `error` says why.

A new file is read only once it has stopped changing (`settle` seconds with the same size, time
and inode), and then only once, from one open file, so the bytes validated are the bytes
fingerprinted and served. With `isolate` (the gunicorn master), the parse runs in a child process
capped in memory and time (datafile/isolated.py).
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app, g

from directory.config import data_limits
from directory.core.model import Catalog
from directory.datafile.cache import cache_key, keep_verdicts, parse_cached_later, read_verdicts
from directory.datafile.entry_cache import EntryCache, dump_verdicts, load_verdicts
from directory.datafile.feeds import feed_files_on_disk
from directory.datafile.isolated import ParseFailed, parse_isolated
from directory.datafile.limits import DEFAULT_LIMITS, DataLimits
from directory.datafile.load import parse_bytes
from directory.datafile.versions import Version, shrink_refusal
from directory.search.index import (
    IndexUnavailable,
    current_generation,
    ensure_index,
    read_meta,
    reopen_index,
)
from directory.search.query import Searcher
from directory.search.service import SearchService, gazetteer_for
from directory.web.cards import KeptCards
from directory.web.version_outputs import VersionOutputs

log = logging.getLogger(__name__)

INDEX_RETRY_CHECKS = 5  # a valid file waiting for a writable index: retried every 5 checks
ALLOW_SHRINK = "ALLOW-SHRINK"  # in the index folder: the fingerprint of a file accepted anyway
OLD_SEARCHER_SECONDS = 30  # requests still using a replaced searcher finish within this


@dataclass(frozen=True)
class Snapshot:
    service: SearchService
    data_mtime: float
    loaded_at: float
    # Whole-directory outputs (feeds, calendars) of this version, built on first request and
    # dropped with the snapshot; a worker's own (a fork inherits none in the middle of a build).
    outputs: VersionOutputs = field(default_factory=VersionOutputs, compare=False, repr=False)
    # Result cards of this version, rendered once with holes for each request's parts.
    cards: KeptCards = field(default_factory=KeptCards, compare=False, repr=False)

    @property
    def catalog(self) -> Catalog:
        return self.service.catalog

    @property
    def searcher(self) -> Searcher:
        return self.service.searcher


class DataUnavailable(RuntimeError):
    """No good data has ever been loaded: pages answer 503."""


class FileChanging(OSError):
    """The file changed while it was being read: read it again once it settles."""


@dataclass(frozen=True)
class FileRead:
    data: bytes
    signature: tuple[int, int, int]
    mtime: float


def signature_of(stat: os.stat_result) -> tuple[int, int, int]:
    return (stat.st_size, stat.st_mtime_ns, stat.st_ino)


def read_once(path: str, max_bytes: int) -> FileRead:
    """Read a file from one open descriptor; raise FileChanging if it changed meanwhile."""
    with open(path, "rb") as handle:
        before = os.fstat(handle.fileno())
        data = handle.read(max_bytes + 1)  # a larger file is refused on its size alone
        after = os.fstat(handle.fileno())
    complete = len(data) == after.st_size or len(data) > max_bytes
    if signature_of(before) != signature_of(after) or not complete:
        raise FileChanging(f"{path} changed while it was read")
    return FileRead(data, signature_of(after), after.st_mtime)


def served_version(index_dir: str) -> Version | None:
    """Return the version the search index was last built from (what a server serves)."""
    generation = current_generation(index_dir)
    if generation is None:
        return None
    try:
        meta = read_meta(generation)
        return Version(int(meta["count"]), "in service", str(meta.get("fingerprint", "")))
    except (IndexUnavailable, KeyError, TypeError, ValueError):
        return None


def accept_shrink(index_dir: str, fingerprint: str) -> None:
    """Let the file with this fingerprint replace the one in service however much smaller."""
    folder = Path(index_dir)
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{ALLOW_SHRINK}.{os.getpid()}.tmp"
    temporary.write_text(fingerprint + "\n", encoding="utf-8")
    os.replace(temporary, folder / ALLOW_SHRINK)


def shrink_accepted(index_dir: str, fingerprint: str) -> bool:
    try:
        return (Path(index_dir) / ALLOW_SHRINK).read_text(encoding="utf-8").strip() == fingerprint
    except OSError:
        return False


class DirectoryState:
    stale_after_days: int = 365  # STALE_AFTER_DAYS, set by init_app

    def __init__(
        self,
        data_path: str,
        index_dir: str,
        check_interval: float | None = 2.0,
        settle: float = 0.0,
        max_shrink: float = 1.0,
        limits: DataLimits = DEFAULT_LIMITS,
        isolate: bool = False,
    ):
        self.data_path = data_path
        self.index_dir = index_dir
        self.check_interval = check_interval  # seconds between looks at the file; None: never
        self.settle = settle
        self.max_shrink = max_shrink
        self.limits = limits
        self.isolate = isolate
        self.snapshot: Snapshot | None = None
        self.pending: Snapshot | None = None  # prepared by gunicorn's watcher, installed on HUP
        self.announce = False  # the watcher HUPs so that new workers report a refusal
        self.error: str | None = None  # why the newest file is not in service
        # loading, serving, refused (the newest file), retrying (valid, but the index cannot be
        # written), settling (the file changed while it was read)
        self.status = "loading"
        self._lock = threading.RLock()
        self._checked = 0.0
        self.attempted: tuple[int, int, int] | None | bool = False  # last version read
        self._seen: tuple[tuple[int, int, int] | None, float] | None = None
        self._unindexed: tuple[tuple[int, int, int], Catalog] | None = None
        self._retry_at: float | None = None
        self._refused_shrink: str | None = None  # fingerprint refused for dropping listings
        self.index_retry_seconds = max(INDEX_RETRY_CHECKS * (check_interval or 0.0), 1.0)
        self.entries = EntryCache()  # verdicts of the last file's entries: a change re-reads few
        # The catalog cache's entry for the file last parsed, written once it serves (see
        # save_catalog): a restart reads it; nothing served waits for it.
        self._unsaved: Callable[[], None] | None = None
        self._unsaved_lock = threading.Lock()  # not _lock: a parse holds that for seconds
        # How save_catalog runs the write: None, here; gunicorn's master, in a forked process.
        self.catalog_writer: Callable[[Callable[[], None]], None] | None = None

    @property
    def catalog(self) -> Catalog | None:
        return self.snapshot.catalog if self.snapshot else None

    def current(self) -> Snapshot:
        """Return the snapshot to serve, loading or refreshing it when the file changed."""
        if self.snapshot is None:
            with self._lock:
                # With no good data yet, read the file again only once it has changed.
                if self.snapshot is None and self.needs_check():
                    self.reload()
        elif self.check_interval is not None:
            now = time.monotonic()
            if now - self._checked >= self.check_interval:
                self._checked = now
                if self.needs_check() and self.settled() and self._lock.acquire(False):
                    try:
                        self.reload()
                    finally:
                        self._lock.release()
        if self.snapshot is None:
            raise DataUnavailable(self.error or "the resource file could not be loaded")
        return self.snapshot

    # --- noticing a new version -------------------------------------------------------------

    def file_signature(self) -> tuple | None:
        """Return the signature of the resource file and its feed files (None: no file)."""
        try:
            main = signature_of(os.stat(self.data_path))
        except OSError:
            return None
        try:
            feeds = tuple(
                (p.name, signature_of(p.stat())) for p in feed_files_on_disk(self.data_path)
            )
        except OSError:
            feeds = ("unreadable",)
        return (main, feeds)

    def newest_mtime(self) -> float:
        """Return the latest modification time of the resource file and its feed files."""
        times = [os.stat(self.data_path).st_mtime]
        try:
            times += [p.stat().st_mtime for p in feed_files_on_disk(self.data_path)]
        except OSError:
            pass
        return max(times)

    def data_changed(self) -> bool:
        """Return True when the file on disk is not the one last read (good or refused)."""
        return self.file_signature() != self.attempted

    def needs_check(self) -> bool:
        """Return True when the file changed, a retry is due, or a refused drop was accepted."""
        if self.data_changed():
            return True
        if self._retry_at is not None and time.monotonic() >= self._retry_at:
            return True
        return self._refused_shrink is not None and shrink_accepted(
            self.index_dir, self._refused_shrink
        )

    def settled(self) -> bool:
        """Return True once the file has not changed for `settle` seconds (or is older)."""
        signature = self.file_signature()
        now = time.monotonic()
        if self._seen is None or self._seen[0] != signature:
            self._seen = (signature, now)
        if signature is None or self.settle <= 0:
            return True
        try:
            if time.time() - self.newest_mtime() >= self.settle:
                return True  # written a while ago (renamed into place, or long finished)
        except OSError:
            return True
        return now - self._seen[1] >= self.settle

    def settles_in(self) -> float:
        """Return the seconds until the file, unchanged from now on, counts as settled."""
        try:
            by_time = self.settle - (time.time() - self.newest_mtime())
        except OSError:
            return 0.0
        seen = self._seen[1] if self._seen is not None else time.monotonic()
        return max(0.0, min(by_time, self.settle - (time.monotonic() - seen)))

    def wait_until_settled(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self.settled():
            if time.monotonic() >= deadline:
                return False
            time.sleep(min(0.2, max(self.settle / 4, 0.01)))
        return True

    # --- reading it ---------------------------------------------------------------------------

    def reload(self) -> bool:
        """Load the data file and its index; keep the last good snapshot if anything fails."""
        snapshot = self.prepare()
        if snapshot is not None:
            self.install(snapshot)
        self.save_catalog()
        return snapshot is not None

    def save_catalog(self) -> None:
        """Write the catalog cache's entry for the file last parsed, if it is still unwritten.

        Called once the new version serves: the write takes seconds at national scale and
        nothing served needs it. The entry is keyed by the bytes that were parsed (cache.py),
        so writing it late is never wrong: a crash before it leaves no entry (a restart parses
        the file), a file changed meanwhile has another key, and an interrupted write leaves
        only a temporary file that is never read.
        """
        with self._unsaved_lock:
            keep, self._unsaved = self._unsaved, None
        if keep is not None and self.catalog_writer is not None:
            self.catalog_writer(keep)
        elif keep is not None:
            keep()

    def prepare(self) -> Snapshot | None:
        """Read, check and index the file on disk; return its snapshot, or None (see `error`)."""
        with self._lock:
            collecting = gc.isenabled()
            # The catalog in service is millions of objects: each full collection a new
            # version's allocations start walks them all (seconds of a one-entry change).
            # What a reload leaves is freed by reference counts, or by the next collection.
            gc.disable()
            try:
                return self._prepare()
            except Exception as exc:  # never let a data file take the server down
                log.exception("unexpected error while loading %s", self.data_path)
                return self._refuse(f"unexpected error while loading the file: {exc!r}"[:500])
            finally:
                if collecting:
                    gc.enable()

    def _prepare(self) -> Snapshot | None:
        self._retry_at = None
        try:
            version = read_once(self.data_path, self.limits.max_bytes)
        except FileChanging:
            self._retry_at = time.monotonic()  # not a verdict: look again at the next check
            return self._refuse("the file changed while it was read; reading it again", "settling")
        except OSError as exc:
            self.attempted = self.file_signature()
            return self._refuse(f"cannot read {self.data_path}: {exc.strerror or exc}")
        try:
            feeds = {
                p.stem: read_once(str(p), self.limits.max_bytes)
                for p in feed_files_on_disk(self.data_path)
            }
        except FileChanging:
            self._retry_at = time.monotonic()
            return self._refuse("a feed file changed while it was read; reading it again",
                                "settling")  # fmt: skip
        except OSError as exc:
            self.attempted = self.file_signature()
            return self._refuse(f"cannot read the feed files: {exc.strerror or exc}")
        feed_files = {name: read.data for name, read in feeds.items()}
        signature = (version.signature, tuple(
            (f"{name}.yaml", read.signature) for name, read in sorted(feeds.items())
        ))  # fmt: skip
        self.attempted = signature
        catalog = None
        if self._unindexed is not None and self._unindexed[0] == signature:
            catalog = self._unindexed[1]  # validated already; only the index was missing
        else:
            self._unindexed = None
            try:
                catalog, problems = self._parse(version.data, feed_files)
            except ParseFailed as exc:
                return self._refuse(str(exc))
            if catalog is None:
                errors = [p for p in problems if p.severity == "error"]
                return self._refuse(f"{len(errors)} error(s); first: {errors[0]}")
        refusal = shrink_refusal(len(catalog.active()), self.baseline(), self.max_shrink)
        if refusal and not shrink_accepted(self.index_dir, catalog.fingerprint):
            self._refused_shrink = catalog.fingerprint
            return self._refuse(refusal)
        self._refused_shrink = None
        try:
            previous = self.snapshot.catalog if self.snapshot else None
            searcher = ensure_index(
                catalog,
                self.index_dir,
                previous.resources if previous else None,
                previous.fingerprint if previous else None,
            )
        except (OSError, IndexUnavailable) as exc:
            self._unindexed = (signature, catalog)
            self._retry_at = time.monotonic() + self.index_retry_seconds
            why = exc.strerror or str(exc) if isinstance(exc, OSError) else str(exc)
            return self._refuse(
                f"cannot write the search index in {self.index_dir}: {why}"
                " (is the folder read-only, or the disk full?); the new file is valid and goes"
                f" into service once the index can be written (retrying every"
                f" {self.index_retry_seconds:g} s)",
                "retrying",
            )
        self._unindexed = None
        service = SearchService(catalog, searcher, gazetteer_for(catalog), self.stale_after_days)
        return Snapshot(service, version.mtime, time.time())

    def _parse(self, data: bytes, feed_files: dict[str, bytes]):
        parsed_here = []

        def parse(data, path, limits, feed_files=None):
            parsed_here.append(True)
            if self.isolate:
                return parse_isolated(data, path, limits, feed_files, self.entries)
            return _parse_here(data, path, limits, feed_files, self.entries)

        parsed, keep = parse_cached_later(
            data, self.data_path, self.limits, self.index_dir, parse, feed_files
        )
        catalog = parsed[0]
        if catalog is not None and self.index_dir:
            key = cache_key(data, self.data_path, self.limits, feed_files)
            if not parsed_here:  # read from the catalog cache: its verdicts with it
                kept = read_verdicts(self.index_dir, key)
                if kept is not None:
                    load_verdicts(self.entries, kept, catalog.resources)
            elif keep is not None:
                keep = functools.partial(self._keep_with_verdicts, keep, key, catalog)
        with self._unsaved_lock:
            self._unsaved = keep
        return parsed

    def _keep_with_verdicts(self, keep: Callable[[], None], key: str, catalog: Catalog) -> None:
        """Write the catalog cache's entry, and beside it the verdicts of its entries."""
        keep()
        verdicts = dump_verdicts(self.entries, catalog.resources)
        if verdicts is not None:
            keep_verdicts(self.index_dir, key, verdicts)

    def baseline(self) -> Version | None:
        """Return the version a new file must not shrink from: in memory, else in the index."""
        if self.snapshot is not None:
            catalog = self.snapshot.catalog
            return Version(len(catalog.active()), "in service", catalog.fingerprint)
        return served_version(self.index_dir)

    def _refuse(self, message: str, status: str = "refused") -> None:
        self.error = message
        self.status = status
        if status != "refused":
            log.warning("resource file not in service yet, keeping the last good data: %s", message)
        else:
            log.error("resource file refused, keeping the last good data: %s", message)
        return None

    def install(self, snapshot: Snapshot, in_flight: bool = True) -> None:
        """Serve `snapshot` from now on; requests in flight finish on the old one.

        `in_flight=False` (gunicorn's master, which serves no request): the old searcher is
        closed at once, so the old catalog it holds is freed before the new workers fork.
        """
        old = self.snapshot
        self.snapshot = snapshot
        self.error = None
        self.status = "serving"
        if shrink_accepted(self.index_dir, snapshot.catalog.fingerprint):
            try:  # accepted once; the next drop needs its own decision
                (Path(self.index_dir) / ALLOW_SHRINK).unlink()
            except OSError:
                pass
        if old is not None and old.searcher is not snapshot.searcher and not in_flight:
            old.searcher.close()
        elif old is not None and old.searcher is not snapshot.searcher:
            # Requests still using the old searcher finish first; its files stay on disk.
            closer = threading.Timer(OLD_SEARCHER_SECONDS, old.searcher.close)
            closer.daemon = True
            closer.start()

    def reopen(self) -> bool:
        """After a fork: open this process's own index files for the inherited snapshot.

        The catalog parsed by the parent is kept: parsing a large file takes seconds, and the
        parent (gunicorn's master) loads a changed file itself. So is its searcher's table
        (reopen_index): only the index files are this process's own, and nothing walks the
        inherited objects, whose pages then stay shared with the parent. The file is read here
        only when there is nothing to inherit or the inherited index is gone.
        """
        old = self.snapshot
        index_dir = self.index_dir_of(old) if old is not None else None
        if old is not None and index_dir is not None:
            try:
                searcher = reopen_index(index_dir, old.searcher, old.catalog)
            except (IndexUnavailable, OSError):
                pass
            else:
                old.searcher.close()  # this process's copies of the parent's files only
                service = SearchService(
                    old.catalog, searcher, old.service.gazetteer, self.stale_after_days
                )
                # The outputs are this process's own: none is inherited in the middle of a build.
                self.snapshot = dataclasses.replace(
                    old, service=service, outputs=VersionOutputs(), cards=KeptCards()
                )
                return True
        return self.reload()

    def index_dir_of(self, snapshot: Snapshot) -> str | Path | None:
        """Return the index folder a snapshot was opened from (None: reload instead)."""
        return self.index_dir


def _parse_here(data: bytes, path: str, limits: DataLimits, feed_files=None, entries=None):
    try:
        return parse_bytes(data, path, limits, feed_files, entries)
    except (MemoryError, RecursionError) as exc:
        raise ParseFailed(f"reading the file ran out of {type(exc).__name__[:-5]}") from None


def init_app(app: Flask) -> None:
    cfg = app.config
    app.extensions["directory"] = DirectoryState(
        cfg["DATA_PATH"],
        cfg["INDEX_DIR"],
        cfg["RELOAD_CHECK_SECONDS"],
        settle=cfg["RELOAD_SETTLE_SECONDS"],
        max_shrink=cfg["RELOAD_MAX_SHRINK"],
        limits=data_limits(cfg),
    )
    if cfg["ARTIFACT_DIR"]:  # serve a built artifact, read-only, instead of the data file
        from directory.web.artifact_state import ArtifactState  # why: it builds on this module

        app.extensions["directory"] = ArtifactState(
            cfg["ARTIFACT_DIR"], cfg["ARTIFACT_CURRENT"], cfg["RELOAD_CHECK_SECONDS"]
        )
    app.extensions["directory"].stale_after_days = app.config["STALE_AFTER_DAYS"]


def get_state() -> DirectoryState:
    return current_app.extensions["directory"]


def get_snapshot() -> Snapshot:
    snapshot = get_state().current()
    g.directory_snapshot = snapshot  # the version this request is answered from (X-Data-Version)
    return snapshot


def get_catalog() -> Catalog:
    return get_snapshot().catalog
