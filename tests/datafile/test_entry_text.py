"""New entries written fast, exactly as ruamel.yaml writes them; the file read back as the app
reads it (directory/datafile/entry_text.py)."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from directory.datafile import editing, entry_text
from directory.datafile.yaml_lines import load as app_load
from directory.formats import bmlt
from directory.formats.hsds import read as hsds
from directory.formats.meeting_guide import read as meeting_guide
from tests.conftest import FIXTURES, SAMPLE


def _ruamel_lines(record: dict, indent: int = 2) -> list[str]:
    """The entry as editing writes it with ruamel.yaml alone."""
    (lines,) = editing._render([("x", editing.to_node(dict(record)), None)], indent, True)
    return lines


def _read_back(lines: list[str]) -> list:
    return list(entry_text.read_items("resources:\n" + "".join(lines), "resources"))


def _imported_records() -> list[dict]:
    records = []
    for path in sorted((FIXTURES / "real").glob("*.json")):
        result = meeting_guide.convert(meeting_guide.parse_feed(path.read_bytes()), "AA")
        records += result.records
    for path in sorted((FIXTURES / "import" / "meeting-guide").glob("*.json")):
        if "invalid" not in path.name and "not_a" not in path.name:
            records += meeting_guide.import_feed(str(path), "AA").records
    records += bmlt.import_answer(str(FIXTURES / "import" / "bmlt" / "search.json")).records
    records += hsds.import_package(FIXTURES / "import" / "hsds").records
    records += hsds.import_package(FIXTURES / "hsds-3.0" / "examples").records
    return records


def test_every_entry_we_import_or_ship_is_written_as_ruamel_yaml_writes_it():
    sample = yaml.load(SAMPLE.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)["resources"]
    records = sample + _imported_records()
    written_here = 0
    for record in records:
        lines = entry_text.entry_lines(record, 2)
        if lines is None:
            continue  # ruamel.yaml writes it
        written_here += 1
        assert lines == _ruamel_lines(record), record["id"]
        assert entry_text.same([record], _read_back(lines)), record["id"]
    assert len(records) > 1400 and written_here > 0.98 * len(records)


# Text that plain YAML reads as something else, or that needs quoting, folding or escapes.
AWKWARD_TEXTS = (
    ["yes", "No", "null", "~", "true", "False", "1e3", "0x1F", ".inf", ".NaN", "2026-01-01",
     "<<", "=", "- a", "-", ": b", ":", "?", "? x", "#c", "a #b", "a#b", "a: b", "a:", "It's",
     'say "hi"', "It's \"x\"", "back\\slash", " lead", "trail ", "a\nb", "a\n\nb", "a \nb",
     "\ta", "\u2028", "\ufeff", "\x85", "\x00", "é ü 中文 🙂", "---", "...x", "[x]", "{x}", "a,b",
     "a, b", "%x", "@x", "`x", "!x", "&x", "*x", "|x", ">x", "'x", '"x', "19:00", "97214",
     "+1 503 555 0100", "12x12", "x" * 4100, "x " * 2100, "", "\u2029", "a\u2028b"]
)  # fmt: skip
AWKWARD = st.sampled_from(AWKWARD_TEXTS)
TEXT = st.one_of(AWKWARD, st.text(max_size=40), st.text(alphabet=" -:#,'\"ab\n", max_size=12))
SCALAR = st.one_of(TEXT, st.integers(), st.floats(allow_nan=False), st.booleans(),
                   st.dates(min_value=dt.date(1900, 1, 1)))  # fmt: skip


PLAIN_RECORD = {"id": "x", "name": "n", "category": "meeting", "types": ["O"],
                "description": "d", "location": {"name": "p"}, "extra": {"k": "v"},
                "schedule": [{"days": "mon"}]}  # fmt: skip


@pytest.mark.parametrize("value", AWKWARD_TEXTS)
@pytest.mark.parametrize("where", ["name", "types", "location", "extra", "schedule"])
def test_each_awkward_text_alone_in_a_plain_entry_is_written_as_ruamel_yaml_writes(value, where):
    record = dict(PLAIN_RECORD)
    record[where] = {
        "name": value, "types": [value], "location": {"name": value}, "extra": {"k": value},
        "schedule": [{"days": value}],
    }[where]  # fmt: skip
    lines = entry_text.entry_lines(record, 2)
    assert lines is None or lines == _ruamel_lines(record), repr(value)


@settings(max_examples=400, deadline=None)
@given(
    name=TEXT,
    description=TEXT,
    types=st.lists(TEXT, max_size=4),
    place=st.dictionaries(st.sampled_from(["name", "city", "notes", "lat"]), SCALAR, max_size=3),
    extra=st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True) | TEXT, SCALAR, max_size=3),
    window=st.dictionaries(st.sampled_from(["days", "start", "end"]), SCALAR, max_size=3),
)
def test_anything_written_here_is_what_ruamel_yaml_writes(
    name, description, types, place, extra, window
):
    record = {"id": "x", "name": name, "category": "meeting", "types": types,
              "description": description, "location": place, "extra": extra,
              "schedule": [window]}  # fmt: skip
    lines = entry_text.entry_lines(record, 2)
    if lines is None:
        return  # ruamel.yaml writes this one
    assert lines == _ruamel_lines(record)
    assert entry_text.same([record], _read_back(lines))


@pytest.mark.parametrize("path", [SAMPLE, FIXTURES / "import" / "hand_edited.yaml"])
def test_the_file_is_read_back_as_the_app_reads_it(path):
    text = path.read_text(encoding="utf-8")
    document, _ = app_load(text)
    for key in ("resources", "locations", "directory"):
        items = list(entry_text.read_items(text, key))
        expected = document.get(key) or []
        assert items == (list(expected.items()) if isinstance(expected, dict) else expected)


def test_anchors_aliases_and_merges_read_as_in_the_app():
    text = """\
base: &base {city: Portland, state: OR}
resources:
  - &first {id: a, location: {<<: *base, name: Hall}, tags: [x]}
  - {id: b, location: *base, again: *first, '<<': not a merge}
  - {id: c, location: {<<: [*base], city: Salem}}
"""
    document, _ = app_load(text)
    assert list(entry_text.read_items(text, "resources")) == document["resources"]
    with pytest.raises(ValueError, match="names no anchor"):
        list(entry_text.read_items("resources: [*nowhere]", "resources"))
    with pytest.raises(ValueError):
        list(entry_text.read_items("resources: [a, b", "resources"))


def test_the_same_data():
    assert entry_text.same({"d": dt.date(2026, 9, 1)}, {"d": "2026-09-01"})
    assert not entry_text.same(True, 1) and not entry_text.same(1, 1.0)
    assert not entry_text.same(["a"], ["a", "b"]) and not entry_text.same({"a": 1}, {"b": 1})
    assert entry_text.same(float("nan"), float("nan"))
