"""The data a request is served from: one search service (catalog, index, places), swapped as one.

A `Snapshot` never changes; reloading builds a new one aside and replaces the reference, so a
request always sees one consistent version. A broken data file is refused and the last good
snapshot keeps serving.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass

from flask import Flask, current_app

from directory.core.model import Catalog
from directory.datafile.load import CatalogError, load_catalog
from directory.search.index import IndexUnavailable, ensure_index, open_index
from directory.search.query import Searcher
from directory.search.service import SearchService, gazetteer_for

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    service: SearchService
    data_mtime: float
    loaded_at: float

    @property
    def catalog(self) -> Catalog:
        return self.service.catalog

    @property
    def searcher(self) -> Searcher:
        return self.service.searcher


class DataUnavailable(RuntimeError):
    """No good data has ever been loaded: pages answer 503."""


class DirectoryState:
    stale_after_days: int = 365  # STALE_AFTER_DAYS, set by init_app

    def __init__(self, data_path: str, index_dir: str, check_interval: float | None = 2.0):
        self.data_path = data_path
        self.index_dir = index_dir
        self.check_interval = check_interval  # seconds between looks at the file; None: never
        self.snapshot: Snapshot | None = None
        self.error: str | None = None
        self._lock = threading.Lock()
        self._checked = 0.0
        self.attempted_mtime: float | None = None  # the file version last read (good or not)

    @property
    def catalog(self) -> Catalog | None:
        return self.snapshot.catalog if self.snapshot else None

    def current(self) -> Snapshot:
        """Return the snapshot to serve, loading or refreshing it when the file changed."""
        if self.snapshot is None:
            with self._lock:
                # With no good data yet, read the file again only once it has changed.
                if self.snapshot is None and self.data_changed():
                    self.reload()
        elif self.check_interval is not None:
            now = time.monotonic()
            if now - self._checked >= self.check_interval:
                self._checked = now
                if self.data_changed() and self._lock.acquire(False):
                    try:
                        self.reload()
                    finally:
                        self._lock.release()
        if self.snapshot is None:
            raise DataUnavailable(self.error or "the resource file could not be loaded")
        return self.snapshot

    def reload(self) -> bool:
        """Load the data file and its index; keep the last good snapshot if anything fails."""
        mtime = self.file_mtime()
        self.attempted_mtime = mtime
        try:
            catalog = load_catalog(self.data_path)
            searcher = ensure_index(catalog, self.index_dir)
        except CatalogError as exc:
            errors = [p for p in exc.problems if p.severity == "error"]
            self.error = f"{len(errors)} error(s); first: {errors[0]}"
        except OSError as exc:
            self.error = f"cannot read {self.data_path}: {exc.strerror or exc}"
        except IndexUnavailable as exc:
            self.error = f"search index unavailable: {exc}"
        else:
            service = SearchService(
                catalog, searcher, gazetteer_for(catalog), self.stale_after_days
            )
            old = self.snapshot
            self.snapshot = Snapshot(service, mtime, time.time())
            self.error = None
            if old is not None and old.searcher is not searcher:
                # Requests still using the old searcher finish first; its files stay on disk.
                closer = threading.Timer(30, old.searcher.close)
                closer.daemon = True
                closer.start()
            return True
        log.error("resource file refused, keeping the last good data: %s", self.error)
        return False

    def reopen(self) -> bool:
        """After a fork: open this process's own index files for the inherited snapshot.

        The catalog parsed by the parent is kept: parsing a large file takes seconds, and the
        parent (gunicorn's master) loads a changed file itself. The file is read here only when
        there is nothing to inherit or the inherited index is gone.
        """
        old = self.snapshot
        if old is not None:
            try:
                searcher = open_index(self.index_dir, old.catalog)
            except IndexUnavailable:
                pass
            else:
                service = SearchService(
                    old.catalog, searcher, old.service.gazetteer, self.stale_after_days
                )
                self.snapshot = Snapshot(service, old.data_mtime, old.loaded_at)
                return True
        return self.reload()

    def data_changed(self) -> bool:
        """Return True when the file on disk is not the one last loaded, refused or being read."""
        return self.file_mtime() != self.attempted_mtime

    def file_mtime(self) -> float:
        try:
            return os.stat(self.data_path).st_mtime
        except OSError:
            return -1.0


def init_app(app: Flask) -> None:
    app.extensions["directory"] = DirectoryState(
        app.config["DATA_PATH"], app.config["INDEX_DIR"], app.config["RELOAD_CHECK_SECONDS"]
    )
    app.extensions["directory"].stale_after_days = app.config["STALE_AFTER_DAYS"]


def get_state() -> DirectoryState:
    return current_app.extensions["directory"]


def get_snapshot() -> Snapshot:
    return get_state().current()


def get_catalog() -> Catalog:
    return get_snapshot().catalog
