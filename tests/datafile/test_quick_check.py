"""The quick loader agrees with marshmallow on the entries it loads, gives up on every problem."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest
from marshmallow import ValidationError

from directory.datafile.quick_check import Slow, compile_schema
from directory.datafile.schemas import DirectorySchema, LocationSchema, ResourceSchema
from directory.datafile.yaml_lines import load_bounded
from tests.conftest import FIXTURES, SAMPLE

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import load as bench_load  # noqa: E402  # why: the synthetic generator lives in bench/

FILES = sorted((*FIXTURES.rglob("*.yaml"), SAMPLE))

# Values that break one rule or another of nearly every field.
HOSTILE = (
    None,
    "",
    "   ",
    0,
    -1000,
    1e400,
    float("nan"),
    True,
    [],
    [None],
    [""],
    ["Not A Slug!"],
    {},
    {"zzz": 1},
    {"lat": 91, "lon": 0},
    {"lat": 45.5},
    "Not A Slug!",
    "not-a-real-thing",
    "https://",
    "2999-01-01",
    "25:00",
    "x" * 3,
)


def _entries(path: Path) -> list[tuple[type, dict]]:
    try:
        document, _, _ = load_bounded(path.read_text(encoding="utf-8"), 5000)
    except Exception:  # broken fixtures: the ones that do not parse have no entries to try
        return []
    if not isinstance(document, dict):
        return []
    out: list[tuple[type, dict]] = []
    if isinstance(document.get("directory"), dict):
        out.append((DirectorySchema, document["directory"]))
    if isinstance(document.get("locations"), dict):
        out += [(LocationSchema, v) for v in document["locations"].values() if isinstance(v, dict)]
    if isinstance(document.get("resources"), list):
        out += [(ResourceSchema, v) for v in document["resources"] if isinstance(v, dict)]
    return out


def _verdict(schema_class: type, entry: dict):
    """marshmallow's answer and the quick loader's, each a value or "error"/"slow"."""
    try:
        expected = schema_class().load(dict(entry))
    except ValidationError:
        expected = "error"
    try:
        quick = compile_schema(schema_class())(entry)
    except Slow:
        quick = "slow"
    return expected, quick


def _check(schema_class: type, entry: dict) -> None:
    expected, quick = _verdict(schema_class, entry)
    if expected == "error":
        assert quick == "slow", entry
    elif quick != "slow":
        assert quick == expected, entry


def test_every_schema_of_the_file_has_a_quick_loader():
    for schema_class in (DirectorySchema, LocationSchema, ResourceSchema):
        assert compile_schema(schema_class()) is not None


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_same_answer_as_marshmallow_on_every_fixture_entry(path):
    for schema_class, entry in _entries(path):
        _check(schema_class, entry)


def test_valid_synthetic_entries_load_quickly_and_the_same():
    data = bench_load.resource_file(300)
    document, _, _ = load_bounded(bench_load.to_yaml(data), 5000)
    quick_loads = 0
    for entry in document["resources"]:
        expected, quick = _verdict(ResourceSchema, entry)
        assert expected != "error"
        assert quick == expected
        quick_loads += 1
    assert quick_loads == 300


def _variants(entry: dict):
    """The entry with each key removed, each value (and each nested value) replaced."""
    for key in list(entry):
        smaller = dict(entry)
        del smaller[key]
        yield smaller
        for bad in HOSTILE:
            yield {**entry, key: copy.deepcopy(bad)}
        value = entry[key]
        if isinstance(value, dict):
            for inner in list(value):
                for bad in HOSTILE:
                    yield {**entry, key: {**value, inner: copy.deepcopy(bad)}}
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for inner in list(value[0]):
                for bad in HOSTILE:
                    yield {**entry, key: [{**value[0], inner: copy.deepcopy(bad)}, *value[1:]]}
    yield {**entry, "unknown_key": 1}
    yield {**entry, 7: "a number as a key"}


def test_broken_variants_of_real_entries_always_go_to_marshmallow():
    document, _, _ = load_bounded(SAMPLE.read_text(encoding="utf-8"), 5000)
    seen_categories: set[str] = set()
    checked = 0
    for entry in document["resources"]:
        if entry.get("category") in seen_categories:
            continue  # one entry of each category keeps this test quick
        seen_categories.add(entry.get("category"))
        for variant in _variants(dict(entry)):
            _check(ResourceSchema, variant)
            checked += 1
    for location in list(document.get("locations", {}).values())[:3]:
        for variant in _variants(dict(location)):
            _check(LocationSchema, variant)
            checked += 1
    assert checked > 1000
