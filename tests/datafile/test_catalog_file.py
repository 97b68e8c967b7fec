"""The catalog cache's file: a catalog comes back exactly, and a damaged file is refused."""

from __future__ import annotations

import dataclasses
import pickle
import struct
import zlib
from datetime import date

import pytest

from directory.core.model import Catalog, DirectoryInfo, Location, Online, Resource
from directory.core.schedule import Schedule
from directory.datafile import catalog_file
from directory.datafile.catalog_file import CatalogFileDamaged, decode, encode
from directory.datafile.load import Problem, parse_bytes
from tests.conftest import SAMPLE
from tests.factories import generate

KEY = "ab" * 32


class Label(str):
    """A str subclass: marshal cannot keep it, so its field must go the slow, exact way."""


def _catalog(resources) -> Catalog:
    shared = Location(id="hall", line=3, name="Hall", city="Portland", lat=45.5, lon=-122.6)
    return Catalog(
        DirectoryInfo("Test", "America/Los_Angeles"),
        tuple(resources),
        {"hall": shared},
        "f" * 64,
        path="test.yaml",
        warnings=(Problem("test.yaml", 4, "a warning", "x", "name", "warning"),),
    )


def _assert_same(back: Catalog, catalog: Catalog) -> None:
    assert back == catalog
    for mine, theirs in zip(back.resources, catalog.resources, strict=True):
        for f in dataclasses.fields(Resource):  # the fields equality leaves out too
            assert getattr(mine, f.name) == getattr(theirs, f.name), f.name
            assert type(getattr(mine, f.name)) is type(getattr(theirs, f.name)), f.name
    assert back.by_id(catalog.resources[0].id) is back.resources[0]
    assert back.towns() == catalog.towns() and back.regions() == catalog.regions()


def test_the_sample_directory_comes_back_exactly():
    catalog, problems = parse_bytes(SAMPLE.read_bytes(), str(SAMPLE))
    back, back_problems = decode(encode(KEY, catalog, problems), KEY)
    _assert_same(back, catalog)
    assert back_problems == problems
    assert [r.raw for r in back.resources] == [r.raw for r in catalog.resources]
    # What was one object stays one object: a shared value, a shared location.
    by_id = {r.id: r for r in catalog.resources}
    pairs = [(r, by_id[r.id]) for r in back.resources]
    for name in ("category", "timezone", "schedule", "location"):
        mine = {id(getattr(a, name)) for a, _ in pairs if getattr(a, name) is not None}
        theirs = {id(getattr(b, name)) for _, b in pairs if getattr(b, name) is not None}
        assert len(mine) == len(theirs), name


def test_every_kind_of_value_comes_back_exactly():
    schedule = generate(40)[0].schedule or Schedule((), "America/Chicago")
    resources = [
        *generate(40),
        Resource(
            id="odd",
            name="Odd",
            category="meeting",
            dimensions=("community",),
            timezone="America/Chicago",
            location=Location(id="hall", name="Hall", city="Portland", lat=45.5, lon=-122.6),
            online=Online(url="https://example.org", notes=Label("a label")),
            schedule=schedule,
            last_verified=date(2026, 1, 2),
            tags=["a", "list"],  # a hand-made Resource: kept as given
            translations={"es": {"name": "Raro"}},
            source=b'{"id": "odd"}',
            description=Label("a str subclass"),
        ),
    ]
    catalog = _catalog(resources)
    back, _ = decode(encode(KEY, catalog, []), KEY)
    _assert_same(back, catalog)
    assert type(back.by_id("odd").online.notes) is Label
    for resource in back.resources:  # what other code does with a resource works the same
        assert pickle.loads(pickle.dumps(resource)) == resource
        changed = dataclasses.replace(resource, name="Changed")
        assert changed.description == resource.description and changed.name == "Changed"
        if resource.id != "odd":  # its list of tags cannot be hashed
            assert hash(resource) == hash(catalog.by_id(resource.id))
    assert back.by_id("odd").translations == {"es": {"name": "Raro"}}


def _damaged(good: bytes):
    start = len(catalog_file.MAGIC) + catalog_file._HEADER.size
    yield b""
    yield good[:10]
    yield good[: start - 1]
    yield good[:start]
    yield good[: len(good) // 2]
    yield good[:-1]
    yield good + b"\0"
    for at in (0, len(catalog_file.MAGIC) + 70, start + 5, len(good) // 2, len(good) - 3):
        yield good[:at] + bytes([good[at] ^ 0x41]) + good[at + 1 :]
    yield bytes(len(good))
    # A header that says the right key, lengths and checksums over parts that do not decode.
    for pickled, marshalled in (
        (b"\x80\x05garbage", b"\xff" * 50),
        (pickle.dumps(42), b"\x00" * 20),
        (pickle.dumps(([], {}, [], {}, [], tuple)), b"\xe3" * 9),
    ):
        header = struct.pack(
            "<64sQIQI",
            KEY.encode(),
            len(pickled),
            zlib.crc32(pickled),
            len(marshalled),
            zlib.crc32(marshalled),
        )
        yield catalog_file.MAGIC + header + pickled + marshalled


def test_a_catalog_read_back_is_written_the_same_way():
    catalog, problems = parse_bytes(SAMPLE.read_bytes(), str(SAMPLE))
    once = encode(KEY, catalog, problems)
    again = encode(KEY, *decode(once, KEY))
    # Records stay records (not pickled objects), however their defaults are kept.
    assert _pickled(again)[:3] == _pickled(once)[:3]
    assert len(again) < len(once) * 1.01


def _pickled(data: bytes) -> tuple:
    """Return the pickled part: field names, kinds of fields, objects, ..."""
    start = len(catalog_file.MAGIC) + catalog_file._HEADER.size
    size = catalog_file._HEADER.unpack_from(data, len(catalog_file.MAGIC))[1]
    return pickle.loads(data[start : start + size])


def test_a_damaged_file_is_refused_before_it_is_believed():
    catalog, problems = parse_bytes(SAMPLE.read_bytes(), str(SAMPLE))
    good = encode(KEY, catalog, problems)
    for number, bad in enumerate(_damaged(good)):
        with pytest.raises(Exception) as caught:  # noqa: PT011  # why: any error, never a catalog
            decode(bad, KEY)
        assert isinstance(caught.value, CatalogFileDamaged) or number >= 13, number


def test_another_keys_file_is_refused():
    catalog, problems = parse_bytes(SAMPLE.read_bytes(), str(SAMPLE))
    with pytest.raises(CatalogFileDamaged, match="another version"):
        decode(encode(KEY, catalog, problems), "cd" * 32)
