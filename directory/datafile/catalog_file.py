"""The catalog cache's file: a validated catalog as bytes and back, quickly and checked.

Unpickling the catalog of 100,000 resources built about 1.4 million objects one opcode at a time
(1.9 s CPU on the 2-core machine), most of a restart. Here each Resource is one tuple of its
fields in a `marshal` stream: marshal builds strings, numbers and tuples in C several times
quicker than pickle does, and what is one object in memory (a shared category, time zone or
state, see core/sharing.py) it writes once and reads back as one object. The resources are then
made from those tuples in one loop, without their `__post_init__`: what they hold was checked
and shared when the file was parsed. A field of records (a Location, an Online) becomes a table
of such tuples, each distinct record kept once; a field holding anything else (a Schedule, a
date) is pickled, each distinct object once, with the rest of the catalog (its directory
settings, shared locations, warnings) and the problems. A value marshal cannot keep exactly
(a subclass of str, say) never reaches it: its whole field is pickled instead.

Layout: MAGIC, a fixed header (the cache key, then the length and CRC-32 of each part), the
pickled part, the marshal part. A file cut short, holding another key, or with any byte
changed is refused (`CatalogFileDamaged`) before a byte of it is decoded, so a damaged entry is
a miss, never a wrong catalog. CRC-32, not a cryptographic hash: it finds damage (a full disk,
a torn write, a stray byte) at a tenth of the cost; whoever can write this folder can write the
index beside it too.
"""

from __future__ import annotations

import dataclasses
import marshal
import pickle
import struct
import zlib
from functools import partial
from typing import Any

from directory.core.model import Catalog, Resource

MAGIC = b"directory-catalog\n"
MARSHAL_VERSION = 4  # readable by every Python this project runs on (3.4 and later)
_HEADER = struct.Struct("<64sQIQI")  # key (hex), pickled part: length, crc; marshal: length, crc
# Exact types marshal writes and reads back as themselves (not subclasses: marshal refuses those).
_SCALARS = frozenset({str, int, float, bool, type(None), bytes})
_CONTAINERS = frozenset({tuple, list, frozenset})
_RECORDS, _OBJECTS = "records", "objects"
_NONE = object()  # no class attribute: the field has no default, or a default factory


class CatalogFileDamaged(ValueError):
    """The file is not a whole catalog file of the expected key."""


def encode(key: str, catalog: Catalog, problems: list) -> bytes:
    """Return the catalog (and the problems found with it) as the bytes of a cache file."""
    names = [f.name for f in dataclasses.fields(Resource)]
    resources = catalog.resources
    kinds: dict[str, Any] = {}
    rows: list[list] = [[getattr(r, name) for name in names] for r in resources]
    objects: list = []
    tables: dict[str, tuple] = {}
    for column, name in enumerate(names):
        values = [row[column] for row in rows]
        if all(_plain(v) for v in values):
            continue
        record = _record_type(values)
        if record is not None:
            kinds[name] = (_RECORDS, record)
            fields = _distinct(values, rows, column, partial(_fields_of, kind=record))
            tables[name] = _shaped(record, fields)
        else:
            kinds[name] = (_OBJECTS, None)
            _distinct(values, rows, column, lambda o: o, objects)
    rest = {
        f.name: getattr(catalog, f.name)
        for f in dataclasses.fields(Catalog)
        if f.init and f.name not in ("resources", "_by_id")
    }
    pickled = pickle.dumps(
        (names, kinds, objects, rest, problems, type(resources)), pickle.HIGHEST_PROTOCOL
    )
    marshalled = marshal.dumps((tables, _shaped(Resource, rows, set(kinds))), MARSHAL_VERSION)
    header = _HEADER.pack(
        key.encode("ascii"),
        len(pickled),
        zlib.crc32(pickled),
        len(marshalled),
        zlib.crc32(marshalled),
    )
    return MAGIC + header + pickled + marshalled


def decode(data: bytes, key: str) -> tuple[Catalog, list]:
    """Return (catalog, problems) from a cache file's bytes; raise CatalogFileDamaged."""
    view = memoryview(data)
    start = len(MAGIC) + _HEADER.size
    if len(data) < start or view[: len(MAGIC)] != MAGIC:
        raise CatalogFileDamaged("not a catalog file (or cut short)")
    stored_key, pickled_size, pickled_crc, marshal_size, marshal_crc = _HEADER.unpack_from(
        data, len(MAGIC)
    )
    if stored_key != key.encode("ascii"):
        raise CatalogFileDamaged("the file holds another version's catalog")
    if len(data) != start + pickled_size + marshal_size:
        raise CatalogFileDamaged("the file is not as long as its header says (cut short?)")
    pickled, marshalled = view[start : start + pickled_size], view[start + pickled_size :]
    if zlib.crc32(pickled) != pickled_crc or zlib.crc32(marshalled) != marshal_crc:
        raise CatalogFileDamaged("the file's checksum does not match (damaged)")
    names, kinds, objects, rest, problems, container = pickle.loads(pickled)
    tables, rows = marshal.loads(marshalled)
    if names != [f.name for f in dataclasses.fields(Resource)]:
        raise CatalogFileDamaged("the file was written for another shape of Resource")
    resources = container(_resources(kinds, objects, tables, rows))
    catalog = Catalog(**rest, resources=resources)
    return catalog, problems


def _shaped(cls: type, rows: list, numbered: set[str] = frozenset()) -> tuple[list, list]:
    """Return (shapes, rows): each row as (its shape, the values it does not share with `cls`).

    A field whose value is its class's default is left out of the instance's own attributes:
    the class holds the default (a dataclass keeps it as a class attribute), so reading it gives
    the same value, and the objects are made quicker and smaller. Fields in `numbered` hold
    numbers into a table: only None is left out there, where None is the default.
    """
    names = [f.name for f in dataclasses.fields(cls)]
    defaults = [getattr(cls, name, _NONE) for name in names]
    for i, name in enumerate(names):
        if name in numbered and defaults[i] is not None:
            defaults[i] = _NONE  # a number is never the default
    shapes: dict[tuple, int] = {}
    out = []
    for row in rows:
        kept = tuple(i for i, value in enumerate(row) if not _same(value, defaults[i]))
        shape = shapes.setdefault(kept, len(shapes))
        out.append((shape, tuple(row[i] for i in kept)))
    return [tuple(names[i] for i in kept) for kept in shapes], out


def _same(value: Any, default: Any) -> bool:
    """True when `value` is the class's default, of its very type (-0.0 is not 0.0 here)."""
    if default is _NONE:
        return False
    if value is default:
        return True
    return type(value) is type(default) and value == default and repr(value) == repr(default)


def _made(cls: type, shapes: list, rows: list, new, set_attribute) -> list:
    out = []
    append = out.append
    for shape, values in rows:
        record = new(cls)
        set_attribute(record, "__dict__", dict(zip(shapes[shape], values, strict=True)))
        append(record)
    return out


def _resources(kinds: dict, objects: list, tables: dict, shaped: tuple) -> list:
    """Make the Resource of each row, its records and objects put back in place."""
    new = object.__new__
    set_attribute = object.__setattr__  # a frozen dataclass refuses its own __setattr__
    fixes = []
    for name, (kind, record) in kinds.items():
        if kind == _RECORDS:
            fixes.append((name, _made(record, *tables[name], new, set_attribute)))
        else:
            fixes.append((name, objects))
    shapes, rows = shaped
    out = []
    append = out.append
    for shape, row in rows:
        state = dict(zip(shapes[shape], row, strict=True))
        for name, values in fixes:
            number = state.get(name)
            if number is not None:
                state[name] = values[number]
        resource = new(Resource)
        set_attribute(resource, "__dict__", state)
        append(resource)
    return out


def _plain(value: Any) -> bool:
    """True when marshal keeps `value` exactly: plain scalars, and containers of them."""
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind in _CONTAINERS:
        return all(_plain(v) for v in value)
    if kind is dict:
        return all(_plain(k) and _plain(v) for k, v in value.items())
    return False


def _record_type(values: list) -> type | None:
    """Return the dataclass every non-None value is exactly, when each of its fields is plain."""
    kinds = {type(v) for v in values if v is not None}
    if len(kinds) != 1:
        return None
    (kind,) = kinds
    if not dataclasses.is_dataclass(kind):
        return None
    names = [f.name for f in dataclasses.fields(kind)]
    for value in values:
        # Its own attributes are fields only (a default may live on the class), all plain.
        if value is not None and (
            not value.__dict__.keys() <= set(names)
            or not all(_plain(getattr(value, n)) for n in names)
        ):
            return None
    return kind


def _fields_of(record: Any, kind: type) -> tuple:
    return tuple(getattr(record, f.name) for f in dataclasses.fields(kind))


def _distinct(values: list, rows: list, column: int, encode_one, into: list | None = None) -> list:
    """Replace each value in `rows[*][column]` by its number in a list of distinct values."""
    table = [] if into is None else into
    numbers: dict[int, int] = {}
    for row, value in zip(rows, values, strict=True):
        if value is None:
            continue
        number = numbers.get(id(value))
        if number is None:
            number = numbers[id(value)] = len(table)
            table.append(encode_one(value))
        row[column] = number
    return table
