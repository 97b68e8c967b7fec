"""Serve a version of a read-only artifact (DIRECTORY_ARTIFACT_DIR) instead of reading a data file.

The same state as DirectoryState, for the same callers (gunicorn's watcher and reload, workers
after fork, /readyz): only what "a new version" is differs. Here it is the version a pointer in
the artifact folder names (CURRENT, or CURRENT.<host> for a host switched on its own). Nothing is
ever written to the folder. A version that is broken, or was built by code that cannot read it,
is refused and the last good one keeps serving; one still arriving (a copy in progress) is looked
at again every few checks.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from directory.search import artifact
from directory.search.service import SearchService, gazetteer_for
from directory.web.state import OLD_SEARCHER_SECONDS, DirectoryState, Snapshot


@dataclass(frozen=True, kw_only=True)
class VersionSnapshot(Snapshot):
    folder: Path
    manifest: dict

    def report(self) -> dict:
        """What /readyz says of the artifact version in service."""
        return {
            "version": self.folder.name,
            "built": self.manifest.get("built"),
            "active": self.manifest.get("active"),
        }


class ArtifactState(DirectoryState):
    def __init__(
        self, artifact_dir: str, pointer: str = artifact.CURRENT, check_interval: float | None = 2.0
    ):
        self.artifact_dir = Path(artifact_dir)
        self.pointer = artifact.check_pointer(pointer)
        super().__init__(
            str(self.artifact_dir / pointer), str(self.artifact_dir), check_interval, settle=0.0
        )

    def file_signature(self) -> str | None:
        """Return the name of the version the pointer names (None: no pointer yet)."""
        return artifact.pointed_name(self.artifact_dir, self.pointer)

    def _prepare(self) -> Snapshot | None:
        self._retry_at = None
        name = self.file_signature()
        self.attempted = name
        if name is None:
            return self._refuse(
                f"no version named by {self.pointer} in {self.artifact_dir}"
                " (build one with `flask --app directory index --out DIR`)"
            )
        try:
            opened = artifact.open_version(self.artifact_dir / name)
        except artifact.VersionIncomplete as exc:
            self._retry_at = time.monotonic() + self.index_retry_seconds
            return self._refuse(f"{exc}; looking again in {self.index_retry_seconds:g} s",
                                "retrying")  # fmt: skip
        except artifact.VersionBroken as exc:
            return self._refuse(str(exc))
        catalog = opened.catalog
        service = SearchService(
            catalog, opened.searcher, gazetteer_for(catalog), self.stale_after_days
        )
        mtime = float(opened.manifest.get("data_mtime") or time.time())
        return VersionSnapshot(
            service, mtime, time.time(), folder=opened.folder, manifest=opened.manifest
        )

    def install(self, snapshot: Snapshot, in_flight: bool = True) -> None:
        """Serve `snapshot` from now on (nothing in the folder is touched, unlike a data file's).

        `in_flight=False` (gunicorn's master, which serves no request): the old searcher is
        closed at once, so its catalog is freed before the new workers fork.
        """
        old = self.snapshot
        self.snapshot = snapshot
        self.error = None
        self.status = "serving"
        if old is not None and old.searcher is not snapshot.searcher and not in_flight:
            old.searcher.close()
        elif old is not None and old.searcher is not snapshot.searcher:
            closer = threading.Timer(OLD_SEARCHER_SECONDS, old.searcher.close)
            closer.daemon = True
            closer.start()

    def index_dir_of(self, snapshot) -> Path | None:
        """After a fork, the inherited version's own index (reopen_index keeps its table)."""
        return snapshot.folder if isinstance(snapshot, VersionSnapshot) else None
