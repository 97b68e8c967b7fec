"""One validated, indexed version of the data, built once and served read-only by many hosts.

Parsing and indexing a national directory takes a minute of CPU; doing it on every host, in
every gunicorn master, multiplies that cost and lets two hosts serve different verdicts on the
same file. So `flask index --out DIR` does it once and writes a version folder that hosts only
read (DIRECTORY_ARTIFACT_DIR). Layout of DIR:

    CURRENT                 the name of the version to serve (replaced with os.replace); other
                            pointers, CURRENT.<host>, let each host switch on its own
    v-<ns>-<fingerprint>/   one complete version, never changed once renamed into place:
        catalogs/<key>.catalog  the validated catalog, as the catalog cache keeps it
        CURRENT, gen-*/         its search index (one generation, see index.py)
        manifest.json           format, fingerprint, counts, build time, the catalog's size and
                                SHA-256: written last, so a folder without it is unfinished
    .building-*/            a build in progress (or abandoned; removed by the next build)
    .lock                   held while building

A host checks a version whole before serving it (manifest, code that can read it, the catalog's
bytes, the index against the catalog) and refuses anything else, keeping the last good version.
The newest KEEP_VERSIONS versions and every version a pointer names are kept, for hosts still
reading them; older ones are removed by the next build.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from directory.core.model import Catalog
from directory.datafile.cache import (
    CACHE_FORMAT,
    cache_key,
    code_fingerprint,
    entry_path,
    parse_cached,
    read_entry,
)
from directory.datafile.limits import DataLimits
from directory.datafile.load import Problem
from directory.datafile.versions import Version
from directory.search.index import (
    INDEX_FORMAT,
    IndexUnavailable,
    build_index,
    build_lock,
    current_generation,
    open_index,
    write_durably,
)
from directory.search.query import Searcher

ARTIFACT_FORMAT = 1  # bump when the layout of a version folder changes
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
KEEP_VERSIONS = 3  # the version in service, the one before it, and one a host may still read
POINTER = re.compile(r"^CURRENT(\.[A-Za-z0-9_-]+)?$")  # CURRENT, CURRENT.host-a, ...
VERSION = re.compile(r"^v-(\d+)-[0-9a-z]+$")
HASH_CHUNK = 1 << 20


class VersionBroken(Exception):
    """A version that must not be served: damaged, or written by code that cannot read it."""


class VersionIncomplete(VersionBroken):
    """A version still arriving (no manifest yet, a file short): worth looking at again."""


@dataclass(frozen=True)
class OpenVersion:
    folder: Path
    manifest: dict
    catalog: Catalog
    searcher: Searcher


def check_pointer(pointer: str) -> str:
    """Return `pointer` if it is a pointer's name (CURRENT or CURRENT.<host>); else ValueError."""
    if not POINTER.match(pointer):
        raise ValueError(f"{pointer!r} is not a pointer name: CURRENT or CURRENT.<host>")
    return pointer


# --- building ------------------------------------------------------------------------------


def write_version(
    out_dir: str | Path,
    data: bytes,
    path: str,
    limits: DataLimits,
    feed_files: Mapping[str, bytes],
    catalog: Catalog,
    problems: list[Problem],
    data_mtime: float,
) -> Path:
    """Write a complete version folder for a validated catalog into `out_dir`; return it.

    Nothing is switched: see `switch`. The catalog is kept through `parse_cached` itself, so it
    is stored exactly as the catalog cache stores it and read back by `read_entry`.
    """
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    with build_lock(root):
        for folder in root.glob(".building-*"):  # under the lock: none is in progress
            shutil.rmtree(folder, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix=".building-", dir=root))
        try:
            key = cache_key(data, path, limits, feed_files)
            parse_cached(data, path, limits, work, _already(catalog, problems), feed_files)
            kept = entry_path(work, key)
            if not kept.is_file():
                raise OSError(f"the catalog could not be written in {work}")
            generation = build_index(catalog.resources, work, catalog.fingerprint)
            with contextlib.suppress(OSError):
                (work / ".lock").unlink()  # the index's build lock: nothing builds here again
            manifest = {
                "format": ARTIFACT_FORMAT,
                "fingerprint": catalog.fingerprint,
                "resources": len(catalog.resources),
                "active": len(catalog.active()),
                "warnings": sum(1 for p in problems if p.severity == "warning"),
                "feed_files": sorted(feed_files),
                "data_mtime": data_mtime,
                "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "catalog": str(kept.relative_to(work)),
                "catalog_key": key,
                "catalog_bytes": kept.stat().st_size,
                "catalog_sha256": _sha256(kept),
                "cache_format": CACHE_FORMAT,
                "code": code_fingerprint(),
                "index_format": INDEX_FORMAT,
                "index_generation": generation.name,
            }
            write_durably(work / MANIFEST, json.dumps(manifest, indent=1))
            _readable_by_all(work)
            final = root / f"v-{time.time_ns()}-{catalog.fingerprint[:12] or 'nofingerprint'}"
            os.rename(work, final)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    return final


def _already(catalog: Catalog, problems: list[Problem]):
    def parsed(*_args, **_options):
        return catalog, problems

    return parsed


def switch(out_dir: str | Path, version: str, pointer: str = CURRENT) -> Path:
    """Point `pointer` in `out_dir` at a complete version, atomically; prune old versions."""
    root = Path(out_dir)
    check_pointer(pointer)
    folder = root / version
    if not VERSION.match(version) or not folder.is_dir():
        raise VersionBroken(f"no version {version!r} in {root}")
    check_complete(folder)
    write_durably(root / pointer, version + "\n", replace=True)
    prune(root)
    return folder


def prune(out_dir: str | Path) -> list[str]:
    """Remove versions older than the newest KEEP_VERSIONS that no pointer names."""
    root = Path(out_dir)
    named = {pointed_name(root, p.name) for p in root.iterdir() if POINTER.match(p.name)}
    removed = []
    for folder in versions(root)[:-KEEP_VERSIONS]:
        if folder.name not in named:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed


def versions(out_dir: str | Path) -> list[Path]:
    """Return the version folders of `out_dir`, oldest first."""
    found = []
    for folder in Path(out_dir).glob("v-*"):
        match = VERSION.match(folder.name)
        if match and folder.is_dir():
            found.append((int(match.group(1)), folder))
    return [folder for _, folder in sorted(found)]


# --- reading -------------------------------------------------------------------------------


def pointed_name(out_dir: str | Path, pointer: str = CURRENT) -> str | None:
    """Return the version name a pointer holds, or None (no pointer, or not a version's name)."""
    try:
        name = (Path(out_dir) / pointer).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return name if VERSION.match(name) else None


def read_manifest(folder: Path) -> dict:
    """Return a version's manifest; raise VersionIncomplete when it is not (yet) there."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VersionIncomplete(f"version {folder.name} is incomplete: no {MANIFEST}") from None
    except (OSError, ValueError) as exc:
        raise VersionBroken(f"version {folder.name}: unreadable {MANIFEST} ({exc})") from None
    if not isinstance(manifest, dict):
        raise VersionBroken(f"version {folder.name}: {MANIFEST} is not an object")
    return manifest


def check_complete(folder: Path) -> dict:
    """Check a version's manifest, format and files (not the index's contents); return it."""
    manifest = read_manifest(folder)
    expected = {
        "format": ARTIFACT_FORMAT,
        "cache_format": CACHE_FORMAT,
        "index_format": INDEX_FORMAT,
        "code": code_fingerprint(),
    }
    for field, value in expected.items():
        if manifest.get(field) != value:
            raise VersionBroken(
                f"version {folder.name} was built by other code ({field} {manifest.get(field)!r},"
                f" this code reads {value!r}): build it again with this release"
            )
    try:
        catalog = folder / str(manifest["catalog"])
        size, digest = int(manifest["catalog_bytes"]), str(manifest["catalog_sha256"])
        generation_name = str(manifest["index_generation"])
    except (KeyError, TypeError, ValueError):
        raise VersionBroken(f"version {folder.name}: {MANIFEST} lacks a field") from None
    try:
        actual = catalog.stat().st_size
    except OSError:
        raise VersionIncomplete(f"version {folder.name} is incomplete: no catalog") from None
    if actual < size:
        raise VersionIncomplete(f"version {folder.name} is incomplete: the catalog is short")
    if actual != size or _sha256(catalog) != digest:
        raise VersionBroken(f"version {folder.name}: the catalog is damaged (checksum)")
    generation = current_generation(folder)
    if generation is None or generation.name != generation_name:
        raise VersionIncomplete(f"version {folder.name} is incomplete: no index {generation_name}")
    return manifest


def open_version(folder: Path) -> OpenVersion:
    """Open a version to serve, reading only; raise VersionBroken if any part of it is wrong."""
    manifest = check_complete(folder)
    try:
        catalog, _ = read_entry(folder, str(manifest["catalog_key"]))
    except (OSError, ValueError) as exc:
        raise VersionBroken(f"version {folder.name}: {exc}") from None
    if not isinstance(catalog, Catalog) or catalog.fingerprint != manifest.get("fingerprint"):
        raise VersionBroken(f"version {folder.name}: the catalog is not the manifest's")
    try:
        searcher = open_index(folder, catalog)
    except (IndexUnavailable, OSError) as exc:
        raise VersionBroken(f"version {folder.name}: {exc}") from None
    return OpenVersion(folder, manifest, catalog, searcher)


def served_version(out_dir: str | Path, pointer: str = CURRENT) -> Version | None:
    """Return the active count of the version a pointer names (for the shrink guard)."""
    name = pointed_name(out_dir, pointer)
    if name is None:
        return None
    try:
        manifest = read_manifest(Path(out_dir) / name)
        return Version(int(manifest["active"]), "in the artifact", str(manifest["fingerprint"]))
    except (VersionBroken, KeyError, TypeError, ValueError):
        return None


# --- files ---------------------------------------------------------------------------------


def _readable_by_all(folder: Path) -> None:
    """Let hosts running as another user read it (temporary folders are made private)."""
    for dirpath, _dirs, _files in os.walk(folder):
        os.chmod(dirpath, 0o755)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
