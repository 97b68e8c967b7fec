"""The loaded catalog, shared by every request, reached through accessors."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from flask import Flask, current_app

from ..catalog import Catalog, CatalogError, load_catalog

log = logging.getLogger(__name__)


@dataclass
class DirectoryState:
    data_path: str
    catalog: Catalog | None = None
    error: str | None = None

    def __post_init__(self):
        self._lock = threading.Lock()

    def get_catalog(self) -> Catalog:
        """Return the last good catalog, loading it on first use."""
        if self.catalog is None:
            with self._lock:
                if self.catalog is None:
                    self.load()
        if self.catalog is None:
            raise DataUnavailable(self.error or "the resource file could not be loaded")
        return self.catalog

    def load(self) -> bool:
        """Load the data file; keep the last good catalog if the new one is broken."""
        try:
            self.catalog = load_catalog(self.data_path)
            self.error = None
            return True
        except CatalogError as exc:
            self.error = str(exc)
        except OSError as exc:
            self.error = f"cannot read {self.data_path}: {exc.strerror or exc}"
        log.error("resource file refused, keeping the last good data: %s", self.error)
        return False


class DataUnavailable(RuntimeError):
    """No good data has ever been loaded: pages answer 503."""


def init_app(app: Flask) -> None:
    app.extensions["directory"] = DirectoryState(app.config["DATA_PATH"])


def get_state() -> DirectoryState:
    return current_app.extensions["directory"]


def get_catalog() -> Catalog:
    return get_state().get_catalog()
