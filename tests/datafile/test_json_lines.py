"""A feed file's JSON lines read without YAML give exactly what the YAML reader gives, or None."""

from __future__ import annotations

import json

import pytest

from directory.core.model import Feed
from directory.datafile import json_lines
from directory.datafile.limits import DEFAULT_LIMITS
from directory.datafile.load import parse_bytes
from directory.datafile.yaml_lines import Mapping, load_bounded
from directory.formats.meeting_guide import read as meeting_guide
from directory.maintenance.feed_sync import render
from tests.conftest import FIXTURES

HEADER = 'format: 1\nfeed: {"name": "x", "source": "y"}\nresources:\n'


def _same(a, b) -> bool:
    """Equal, of the same types, with the same line of every node, key and item."""
    if _kind(a) is not _kind(b) or a != b:
        return False
    if isinstance(a, dict | list):
        if a.line != b.line or a.lines != b.lines:
            return False
        pairs = (
            zip(a.values(), b.values(), strict=True)
            if isinstance(a, dict)
            else zip(a, b, strict=True)
        )
        return all(_same(x, y) for x, y in pairs)
    return True


def _kind(value) -> type:
    return Mapping if isinstance(value, Mapping) else type(value)  # an Entry is a Mapping


def _check(text: str, max_chars: int | None = None) -> bool:
    """Assert the fast read equals the YAML read; return whether the fast read took it."""
    fast = json_lines.read_file(text, max_chars)
    if fast is None:
        return False
    slow = load_bounded(text, max_chars)
    assert _same(fast[0], slow[0]) and fast[1:] == slow[1:]
    return True


@pytest.mark.parametrize("name", ["aasanjose", "edmonton", "kansas-city", "eda", "benlomond"])
def test_a_rendered_real_feed_reads_as_yaml_reads_it(name):
    feed = Feed(name=name, source=f"{name}.json", fellowship="AA", prefix="p")
    meetings = meeting_guide.parse_feed((FIXTURES / "real" / f"{name}.json").read_bytes())
    result = meeting_guide.convert(meetings, "AA", "p", "America/Chicago", feed=name)
    assert result.records
    assert _check(render(feed, result.records).decode(), 10_000)


ODD_VALUES = [
    1e-05,  # `1e-05` is text to YAML 1.1
    1.5e300,
    0.1,
    -0.0,
    10**30,
    "yes",
    "19:00",
    "2024-01-01",
    'a "quoted" \\ back\\slash\n\tand tab',
    "\u00e9\u4e2d\U0001f600",
    "\x07 bell",
    "",
    True,
    None,
    [[1, [2, {"k": [3]}]], {}],
    {"nested": {"deeper": {"x": "y"}}},
]


@pytest.mark.parametrize("value", ODD_VALUES, ids=[repr(v)[:30] for v in ODD_VALUES])
def test_odd_values_read_the_same_or_go_to_yaml(value):
    line = "- " + json.dumps({"id": "p-a", "value": value}, ensure_ascii=False)
    taken = _check(HEADER + line + "\n")
    assert taken or value == 1e-05  # text to YAML, a number to JSON: YAML reads that line


@pytest.mark.parametrize(
    "line",
    [
        '- {"id": "p-a", "id": "p-b"}',  # a duplicate key: YAML reports it
        '- {"id":"p-a"}',  # spacing json.dumps does not write
        '- {"id": "p-a", "n": 1E5}',
        '- {"id": "p-a", "n": 1.50}',
        '- {"id": "p-a", "n": NaN}',
        '- {"id": "p-a", "u": "\\/"}',
        '- {"id": "p-a", "u": "\\ud83d\\ude00"}',
        '- {"id": "p-a", "u": "\u2028"}',  # a line break to YAML 1.1
        '- {"id": "p-a", "u": "\x85"}',
        '- {"id": "p-a", "u": "\ufeff"}',
        '- {"id": "p-a"} # a comment',
        '- ["p-a"]',
        "- id: p-a",
        '- {"id": "p-a", "d": ' + "[" * 40 + "]" * 40 + "}",  # deeper than YAML's fast path
    ],
)
def test_lines_yaml_might_read_otherwise_are_left_to_it(line):
    assert json_lines.entry(line, 4) is None
    assert json_lines.read_file(HEADER + line + "\n") is None


def test_a_text_over_the_limit_is_left_to_yaml_which_reports_it():
    line = "- " + json.dumps({"id": "p-a", "name": "x" * 50})
    assert json_lines.read_file(HEADER + line + "\n", 40) is None
    assert _check(HEADER + line + "\n", 60)


@pytest.mark.parametrize(
    "text",
    [
        HEADER,  # no entries
        'format: 1\nresources: []\n- {"id": "p-a"}\n',
        HEADER + '- {"id": "p-a"}',  # no final line end
        HEADER + '- {"id": "p-a"}\r\n',
        HEADER + '- {"id": "p-a"}\nother: 1\n',
        'resources:\n- {"id": "p-a"}\n',  # the key on the first line: not the generated layout
        "format: 1\nresources:\n  - {}\n" + 'resources:\n- {"id": "p-a"}\n',
        'format: [1\nresources:\n- {"id": "p-a"}\n',  # a broken header: YAML says what
    ],
)
def test_other_layouts_are_left_to_yaml(text):
    assert json_lines.read_file(text) is None


def test_the_header_keeps_its_own_problems():
    text = 'format: 1\nformat: 2\nfeed: {"name": "x"}\nresources:\n- {"id": "p-a"}\n'
    assert _check(text)


def test_a_feed_file_read_either_way_makes_the_same_catalog():
    feed = Feed(name="kc", source="kc.json", fellowship="AA", prefix="kc")
    meetings = meeting_guide.parse_feed((FIXTURES / "real" / "kansas-city.json").read_bytes())
    records = meeting_guide.convert(meetings, "AA", "kc", "America/Chicago", feed="kc").records
    text = render(feed, records)
    curated = (FIXTURES / "minimal.yaml").read_bytes() + (
        b"feeds:\n  - {name: kc, path: kc.json, fellowship: AA, prefix: kc}\n"
    )
    assert json_lines.read_file(text.decode()) is not None
    fast = parse_bytes(curated, "resources.yaml", DEFAULT_LIMITS, {"kc": text})
    slow = parse_bytes(curated, "resources.yaml", DEFAULT_LIMITS, {"kc": text + b"# yaml\n"})
    assert fast[0] is not None and len(fast[0].resources) > 200
    assert fast[0].resources == slow[0].resources and fast[1] == slow[1]
    assert [r.source for r in fast[0].resources] == [r.source for r in slow[0].resources]


def test_an_entry_cache_reads_a_feed_files_lines_the_same_way():
    from directory.datafile.entry_cache import EntryCache

    feed = Feed(name="kc", source="kc.json", fellowship="AA", prefix="kc")
    meetings = meeting_guide.parse_feed((FIXTURES / "real" / "kansas-city.json").read_bytes())
    records = meeting_guide.convert(meetings, "AA", "kc", "America/Chicago", feed="kc").records
    curated = (FIXTURES / "minimal.yaml").read_bytes() + (
        b"feeds:\n  - {name: kc, path: kc.json, fellowship: AA, prefix: kc}\n"
    )
    entries = EntryCache()
    for version in range(3):
        records[5]["name"] = f"Version {version}"  # one entry changes each time
        text = render(feed, records)
        cached = parse_bytes(curated, "resources.yaml", DEFAULT_LIMITS, {"kc": text}, entries)
        plain = parse_bytes(curated, "resources.yaml", DEFAULT_LIMITS, {"kc": text + b"# y\n"})
        assert cached[0].resources == plain[0].resources and cached[1] == plain[1]
        assert [r.source for r in cached[0].resources] == [r.source for r in plain[0].resources]
    assert entries.hits > 200 and entries.misses == 1
