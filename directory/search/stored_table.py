"""The table of an index generation, kept in its folder: opening an index reads it back.

Building a `ResourceTable` walks every resource (4 s at 100,000 on the 2-core machine); reading
its arrays back from `table.bin` takes milliseconds. The arrays are mapped from the file
(read-only), so every process serving the generation shares the same pages of the page cache.
`table.json`, written last, says what the file holds: the arrays' places, the facet values and
time zones, a SHA-256 of `table.bin`, and what the table was made from (the data fingerprint,
the document ids, the code that builds tables). A table that is missing, made from anything
else, or damaged is never used: the table is built again from the catalog (the right answers,
at the old cost) and stored in its place.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mmap
import os
from functools import cache
from pathlib import Path

import numpy as np

from directory.core.model import Resource
from directory.search.table import COLUMNS, FacetColumn, ResourceTable, TableColumns, facet_column

log = logging.getLogger(__name__)

TABLE_FORMAT = 1  # bump when the layout of table.bin or table.json changes
DATA = "table.bin"
META = "table.json"
ALIGN = 64  # bytes: each array starts on a cache line
FACET_ARRAYS = ("pair_docs", "pair_values", "by_doc_start", "by_doc_values")


class TableUnusable(Exception):
    """The stored table cannot be used for this catalog (missing, stale or damaged)."""


class TableDamaged(TableUnusable):
    """The stored table's files do not hold what its table.json says."""


@cache
def code_fingerprint() -> str:
    """Return a hash of the code (and its data files) that a table's columns depend on."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for folder in ("core", "search"):
        for path in sorted((package / folder).iterdir()):
            if path.suffix in (".py", ".json", ".csv", ".txt", ".yaml"):
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def ids_digest(ids_text: str) -> str:
    """Return the hash of a generation's document ids (docids.json's text)."""
    return hashlib.sha256(ids_text.encode("utf-8")).hexdigest()


def open_table(
    folder: Path, resources: list[Resource], fingerprint: str, ids_text: str
) -> ResourceTable:
    """Return the generation's table: read back when stored, else built and stored."""
    try:
        return ResourceTable(resources, read_columns(folder, len(resources), fingerprint, ids_text))
    except TableDamaged as exc:
        log.warning("index %s: stored table unusable (%s); building it again", folder.name, exc)
    except TableUnusable as exc:
        log.info("index %s: %s; building the table", folder.name, exc)
    table = ResourceTable(resources)
    try:
        write_table(folder, table, fingerprint, ids_text)
    except OSError as exc:  # a read-only index folder: served all the same, built on each open
        log.warning("index %s: cannot store its table: %s", folder.name, exc.strerror or exc)
    return table


def write_table(folder: Path, table: ResourceTable, fingerprint: str, ids_text: str) -> None:
    """Store a table in a generation folder: table.bin, then table.json (each replaced whole)."""
    arrays = _arrays_of(table.columns)
    layout: dict[str, list] = {}
    temporary = folder / f".{DATA}.{os.getpid()}.tmp"
    digest = hashlib.sha256()
    try:
        with open(temporary, "wb") as out:
            offset = 0
            for name, array in arrays.items():
                pad = -offset % ALIGN
                data = np.ascontiguousarray(array).tobytes()
                chunk = b"\0" * pad + data
                out.write(chunk)
                digest.update(chunk)
                layout[name] = [array.dtype.str, offset + pad, int(array.size)]
                offset += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, folder / DATA)
    finally:
        if temporary.exists():
            temporary.unlink()
    columns = table.columns
    meta = {
        "format": TABLE_FORMAT,
        "code": code_fingerprint(),
        "fingerprint": fingerprint,
        "ids": ids_digest(ids_text),
        "n": columns.n,
        "bytes": offset,
        "sha256": digest.hexdigest(),
        "arrays": layout,
        "zones": list(columns.zones),
        "areas": list(columns.areas.values),
        "facets": {key: list(column.values) for key, column in columns.facets.items()},
    }
    temporary = folder / f".{META}.{os.getpid()}.tmp"
    try:
        temporary.write_text(json.dumps(meta), encoding="utf-8")
        os.replace(temporary, folder / META)
    finally:
        if temporary.exists():
            temporary.unlink()


def read_columns(folder: Path, n: int, fingerprint: str, ids_text: str) -> TableColumns:
    """Return the stored columns of a generation; raise TableUnusable when they cannot serve."""
    try:
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TableUnusable("no stored table") from None
    except (OSError, ValueError) as exc:
        raise TableDamaged(f"{META}: {exc}") from None
    if not isinstance(meta, dict):
        raise TableDamaged(f"{META} is not an object")
    made_from = {
        "format": TABLE_FORMAT,
        "code": code_fingerprint(),
        "fingerprint": fingerprint,
        "ids": ids_digest(ids_text),
        "n": n,
    }
    for key, expected in made_from.items():
        if meta.get(key) != expected:
            raise TableUnusable(f"the stored table was made from another {key}")
    try:
        return _columns(folder, meta, n)
    except TableDamaged:
        raise
    except (OSError, ValueError, TypeError, KeyError, IndexError) as exc:
        raise TableDamaged(f"{type(exc).__name__}: {exc}") from None


def _columns(folder: Path, meta: dict, n: int) -> TableColumns:
    buffer = _mapped(folder / DATA, int(meta["bytes"]))
    if hashlib.sha256(buffer).hexdigest() != meta["sha256"]:
        raise TableDamaged(f"{DATA} does not match its checksum")
    arrays = {}
    for name, (dtype, offset, count) in meta["arrays"].items():
        dtype = np.dtype(dtype)
        if offset < 0 or offset + dtype.itemsize * count > len(buffer):
            raise TableDamaged(f"array {name} lies outside {DATA}")
        if count:
            arrays[name] = np.frombuffer(buffer, dtype=dtype, count=count, offset=offset)
        else:
            arrays[name] = np.zeros(0, dtype=dtype)
    for name in COLUMNS:
        if name not in arrays:
            raise TableDamaged(f"array {name} is missing")
    for name in ("lat", "lon", "online_only", "remote", "closed", "cells", "doc_zone"):
        if len(arrays[name]) != n:
            raise TableDamaged(f"array {name} does not have {n} entries")
    areas = _facet(arrays, "areas", meta["areas"], n)
    facets = {
        key: _facet(arrays, f"facet.{key}", values, n) for key, values in meta["facets"].items()
    }
    columns = {name: arrays[name] for name in COLUMNS}
    return TableColumns(n, columns, tuple(meta["zones"]), areas, facets)


def _facet(arrays: dict[str, np.ndarray], prefix: str, values: list[str], n: int) -> FacetColumn:
    parts = [arrays[f"{prefix}.{name}"] for name in FACET_ARRAYS]
    if len(parts[2]) != n + 1 or len(parts[0]) != len(parts[1]):
        raise TableDamaged(f"{prefix} does not have the shape of {n} documents")
    return facet_column(values, *parts)


def _arrays_of(columns: TableColumns) -> dict[str, np.ndarray]:
    out = dict(columns.arrays)
    for prefix, column in (
        ("areas", columns.areas),
        *((f"facet.{key}", c) for key, c in columns.facets.items()),
    ):
        for name in FACET_ARRAYS:
            out[f"{prefix}.{name}"] = getattr(column, name)
    return out


def _mapped(path: Path, size: int):
    """Return the file's bytes mapped read-only (shared by every process reading it)."""
    with open(path, "rb") as handle:
        actual = os.fstat(handle.fileno()).st_size
        if actual != size:
            raise TableDamaged(f"{DATA} has {actual} bytes, not {size}")
        if not size:
            return b""
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
