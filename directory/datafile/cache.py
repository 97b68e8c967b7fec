"""Keep the validated catalog of each file version, so an unchanged file is never parsed twice.

Reading and validating 100,000 entries takes most of a minute; unpickling the catalog they give
takes seconds. `parse_cached` looks for the answer under a key made of the bytes of the file and
of its feed files (SHA-256), its path, the limits it is checked against, this format and a
fingerprint of the code and libraries that validate it (so a new rule, vocabulary or ZIP table
means a new parse, never a stale verdict). Only files without errors are kept: they are what
restarts and the CLI read again; a refused file is parsed each time it changes, as before.

The entries live in the index folder's `catalogs/` (derived data, next to the index built from
the same file), written whole and renamed into place, in the layout of `catalog_file.py` (a
checksum over every byte, checked before anything is decoded); an entry that cannot be read is a
miss and is removed. The newest `KEEP` entries are kept. Decoding is trusted as the index is:
both are written by this service into its own instance folder.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import logging
import os
import sys
from collections.abc import Callable, Mapping
from functools import cache
from importlib import metadata
from pathlib import Path

from directory.core.model import Catalog
from directory.datafile.catalog_file import CatalogFileDamaged, decode, encode
from directory.datafile.feeds import bundle_fingerprint
from directory.datafile.limits import DataLimits
from directory.datafile.load import Problem, parse_bytes

log = logging.getLogger(__name__)

CACHE_FORMAT = 3  # bump when catalog_file.py's layout changes (a new Resource shape is seen)
FOLDER = "catalogs"
SUFFIX = ".catalog"
OLD_SUFFIXES = (".pickle",)  # entries of earlier formats, removed with the old ones
KEEP = 3  # the version in service, the one before it and one being tried
LIBRARIES = ("marshmallow", "phonenumbers", "PyYAML", "zipcodes")  # what validation depends on

Parsed = tuple[Catalog | None, list[Problem]]


@cache
def code_fingerprint() -> str:
    """Return a hash of the code and data that validation depends on."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for folder in ("core", "datafile"):
        for path in sorted((package / folder).iterdir()):
            if path.suffix in (".py", ".json", ".csv", ".txt"):
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for name in LIBRARIES:
        try:
            digest.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=none".encode())
    return digest.hexdigest()


def cache_key(
    data: bytes, path: str, limits: DataLimits, feed_files: Mapping[str, bytes] | None = None
) -> str:
    parts = [CACHE_FORMAT, code_fingerprint(), path, sorted(limits.__dict__.items())]
    parts.append(list(sys.version_info[:2]))  # pickle and marshal are Python's own formats
    digest = hashlib.sha256(json.dumps(parts).encode())
    digest.update(bytes.fromhex(bundle_fingerprint(data, feed_files)))
    return digest.hexdigest()


def parse_cached(
    data: bytes,
    path: str,
    limits: DataLimits,
    index_dir: str | Path | None,
    parse: Callable[..., Parsed] = parse_bytes,
    feed_files: Mapping[str, bytes] | None = None,
) -> Parsed:
    """Return `parse(data, path, limits, feed_files)`, from the cache when read before."""
    parsed, keep = parse_cached_later(data, path, limits, index_dir, parse, feed_files)
    if keep is not None:
        keep()
    return parsed


def parse_cached_later(
    data: bytes,
    path: str,
    limits: DataLimits,
    index_dir: str | Path | None,
    parse: Callable[..., Parsed] = parse_bytes,
    feed_files: Mapping[str, bytes] | None = None,
) -> tuple[Parsed, Callable[[], None] | None]:
    """Return what `parse_cached` returns, and the write of its cache entry still to be done.

    Writing a large catalog takes seconds (9 s at 100,000), and nothing served needs it: a
    server writes it once the new version serves (web/state.py). The write is None on a hit,
    without a folder, or for a file with errors. Until it is done, a restart parses the file
    again, which is slower, never wrong: an entry is found only under its own file's key.
    """
    if index_dir is None:
        return parse(data, path, limits, feed_files), None
    folder = Path(index_dir) / FOLDER
    key = cache_key(data, path, limits, feed_files)
    hit = _read(folder / f"{key}{SUFFIX}", key)
    if hit is not None:
        log.info("%s: validated before, read from the catalog cache", path)
        return hit, None
    catalog, problems = parse(data, path, limits, feed_files)
    if catalog is None:
        return (catalog, problems), None
    return (catalog, problems), functools.partial(_keep, folder, key, (catalog, problems))


def _keep(folder: Path, key: str, parsed: Parsed) -> None:
    catalog = parsed[0]
    catalog.towns(), catalog.regions()  # kept with it: a restart need not walk them again
    _write(folder, key, parsed)


def _read(entry: Path, key: str) -> Parsed | None:
    try:
        parsed = _decoded(entry.read_bytes(), key)
    except FileNotFoundError:
        return None
    except Exception as exc:  # a damaged entry is a miss, and is removed
        log.warning("catalog cache entry %s unreadable (%r); parsing the file", entry.name, exc)
        _remove(entry)
        return None
    os.utime(entry)  # the newest entries are the ones kept
    return parsed


def _decoded(data: bytes, key: str) -> Parsed:
    collecting = gc.isenabled()
    gc.disable()  # a million new objects would start many needless collections: 3x slower
    try:
        catalog, problems = decode(data, key)
    finally:
        if collecting:
            gc.enable()
    return catalog, problems


def _write(folder: Path, key: str, parsed: Parsed) -> None:
    temporary = folder / f".{key}.{os.getpid()}.tmp"
    try:
        data = encode(key, *parsed)
    except Exception as exc:  # why: an unforeseen value in the catalog costs a parse, not a start
        log.warning("cannot keep the validated catalog: %r", exc)
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as out:
            out.write(data)
        os.replace(temporary, folder / f"{key}{SUFFIX}")
    except OSError as exc:  # a read-only or full disk: serving goes on, the next start parses
        log.warning("cannot keep the validated catalog in %s: %s", folder, exc.strerror or exc)
        _remove(temporary)
        return
    entries = sorted(folder.glob(f"*{SUFFIX}"), key=_mtime, reverse=True)
    for old in entries[KEEP:] + [p for s in OLD_SUFFIXES for p in folder.glob(f"*{s}")]:
        _remove(old)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def entry_path(index_dir: str | Path, key: str) -> Path:
    """Return where the catalog kept under `key` lives (see `parse_cached`)."""
    return Path(index_dir) / FOLDER / f"{key}{SUFFIX}"


def read_entry(index_dir: str | Path, key: str) -> Parsed:
    """Return the catalog kept under `key`, only reading: for a folder this process must not write.

    Raises OSError when it is missing and ValueError when it cannot be read or holds another key;
    nothing is removed or touched (a read-only artifact is shared by every host).
    """
    data = entry_path(index_dir, key).read_bytes()
    try:
        return _decoded(data, key)
    except CatalogFileDamaged as exc:
        raise ValueError(f"the kept catalog cannot be read: {exc}") from None
    except Exception as exc:  # a file of the right checksum that still does not decode
        raise ValueError(f"the kept catalog cannot be read ({exc!r})"[:300]) from None


VERDICTS_SUFFIX = ".verdicts"  # beside an entry: its entries' verdicts (entry_cache.py)


def keep_verdicts(index_dir: str | Path, key: str, data: bytes) -> None:
    """Keep a catalog's entry verdicts beside it, so that a restart's entry cache is not empty.

    Written whole and renamed into place; the verdicts of catalogs no longer kept are removed.
    A failure costs only speed (the next change validates every entry), so it is logged only.
    """
    folder = Path(index_dir) / FOLDER
    temporary = folder / f".{key}.{os.getpid()}.verdicts.tmp"
    try:
        with open(temporary, "wb") as out:
            out.write(data)
        os.replace(temporary, folder / f"{key}{VERDICTS_SUFFIX}")
    except OSError as exc:
        log.warning("cannot keep the entry verdicts in %s: %s", folder, exc.strerror or exc)
        _remove(temporary)
        return
    for old in folder.glob(f"*{VERDICTS_SUFFIX}"):
        if not old.with_suffix(SUFFIX).exists():
            _remove(old)


def read_verdicts(index_dir: str | Path, key: str) -> bytes | None:
    """Return the verdicts kept beside the catalog under `key`, or None."""
    try:
        return (Path(index_dir) / FOLDER / f"{key}{VERDICTS_SUFFIX}").read_bytes()
    except OSError:
        return None
