"""The per-entry cache: a changed file read entry by entry gives exactly what a full parse gives."""

from __future__ import annotations

import re

from directory.datafile.entry_cache import EntryCache
from directory.datafile.limits import DataLimits
from directory.datafile.load import parse_bytes
from tests.conftest import SAMPLE

PATH = "data/resources.yaml"
LIMITS = DataLimits(max_field_chars=400)  # small enough that a test entry can pass it
ENTRY = re.compile(r"^  - id: ", re.M)


def _entries(text: str) -> list[tuple[int, int]]:
    """Return the (start, end) of each entry of the sample's `resources:` list."""
    starts = [m.start() for m in ENTRY.finditer(text)]
    return list(zip(starts, [*starts[1:], len(text)], strict=True))


def _entry(text: str, n: int) -> str:
    start, end = _entries(text)[n]
    return text[start:end]


def _replace_entry(text: str, n: int, new: str) -> str:
    start, end = _entries(text)[n]
    return text[:start] + new + text[end:]


def _same_as_full(text: str, cache: EntryCache, feed_files=None):
    data = text.encode()
    full = parse_bytes(data, PATH, LIMITS, feed_files)
    incremental = parse_bytes(data, PATH, LIMITS, feed_files, entries=cache)
    assert incremental[1] == full[1]  # every problem, with its line, in the same order
    assert incremental[0] == full[0]  # the catalog, line of every resource included
    return full


def _edits(text: str):
    """Yield (what, edited text, whether entries are reused), each edit on top of the last."""
    yield "unchanged", text, True
    text = _replace_entry(text, 3, _entry(text, 3).replace("name: ", "name: Renamed ", 1))
    yield "one entry changed", text, True
    new = "  - id: brand-new\n    name: Brand new help\n    category: counseling\n\n"
    text = _replace_entry(text, 10, new + _entry(text, 10))
    yield "one entry added (every later one moves down)", text, True
    text = _replace_entry(text, 20, "")
    yield "one entry removed", text, True
    a, b = _entry(text, 30), _entry(text, 31)
    start, _ = _entries(text)[30]
    _, end = _entries(text)[31]
    text = text[:start] + b + a + text[end:]
    yield "two entries swapped", text, True
    broken = _entry(text, 40).replace("\n    name: ", "\n    phone: not a phone\n    name: ", 1)
    text = _replace_entry(text, 40, broken)
    yield "one entry broken (bad phone)", text, True
    text = _replace_entry(text, 41, _entry(text, 41).replace("category: ", "categroy: ", 1))
    yield "a second broken (unknown key)", text, True
    text = _replace_entry(text, 40, _entry(text, 40).replace("    phone: not a phone\n", "", 1))
    text = _replace_entry(text, 41, _entry(text, 41).replace("categroy: ", "category: ", 1))
    yield "both fixed", text, True
    copy = _entry(text, 5)
    text = _replace_entry(text, 50, copy + _entry(text, 50))
    yield "an entry duplicated (duplicate id)", text, True
    text = _replace_entry(text, 51, "")
    text = _replace_entry(text, 51, _entry(text, 51).replace("name: ", 'name: "unterminated ', 1))
    yield "a YAML syntax error in one entry (read whole)", text, False
    text = _replace_entry(text, 51, _entry(text, 51).replace('name: "unterminated ', "name: ", 1))
    yield "the syntax error fixed", text, True
    text = "# a new first line moves every line of the file\n" + text
    yield "a line added above everything", text, True
    text = text.replace("  timezone: America/Los_Angeles", "  timezone: America/Denver", 1)
    yield "the directory's time zone changed (every entry again)", text, False
    text = text.replace("  timezone: America/Denver", "  timezone: America/Los_Angeles", 1)
    yield "and back", text, False
    long = "x" * 450
    text = _replace_entry(
        text, 60, _entry(text, 60).replace("name: ", f"notes: {long}\n    name: ", 1)
    )
    yield "a text past the length limit, and an unknown key", text, True
    twice = _entry(text, 61).replace("\n    name: ", "\n    name: First\n    name: ", 1)
    text = _replace_entry(text, 61, twice)
    yield "a duplicate key", text, True
    text = _replace_entry(text, 62, "  - just a line of text\n\n" + _entry(text, 62))
    yield "an entry that is not a mapping (later ones renumbered)", text, True
    text = _replace_entry(text, 62, "")
    with_anchor = _entry(text, 70).replace("category: ", "category: &kind ", 1)
    text = _replace_entry(text, 70, with_anchor)
    text = _replace_entry(text, 71, _entry(text, 71).replace("category: ", "category: *kind #", 1))
    yield "an alias to another entry's anchor (read whole)", text, False
    text = _replace_entry(text, 71, _entry(text, 71).replace("category: *kind #", "category: ", 1))
    text = _replace_entry(text, 70, _entry(text, 70).replace("category: &kind ", "category: ", 1))
    yield "the alias removed", text, True
    text = text.rstrip("\n") + "\n\n# a comment after the list\nfeeds: []\n"
    yield "a top-level key after the list", text, True


def test_incremental_parse_equals_a_full_parse_over_many_edits():
    cache = EntryCache()
    text = SAMPLE.read_text(encoding="utf-8")
    parse_bytes(text.encode(), PATH, LIMITS, entries=cache)  # the version in service
    count = len(_entries(text))
    for what, edited, reused in _edits(text):
        full = _same_as_full(edited, cache)
        if reused:  # it really was incremental: most entries came from the cache
            assert cache.hits >= count - 10, (what, cache.hits, cache.misses)
            assert cache.misses <= 5, (what, cache.misses)
        else:
            assert cache.hits == 0, (what, cache.hits)
        assert full[1] or full[0] is not None, what


def test_moved_entries_carry_their_new_lines_and_problems():
    cache = EntryCache()
    text = SAMPLE.read_text(encoding="utf-8")
    broken = _replace_entry(
        text, 5, _entry(text, 5).replace("category: ", "category: nope\n    x: ", 1)
    )
    _, problems = parse_bytes(broken.encode(), PATH, LIMITS, entries=cache)
    lines = sorted(p.line for p in problems if p.severity == "error")
    shifted = "# one\n# two\n# three\n" + broken
    _, again = parse_bytes(shifted.encode(), PATH, LIMITS, entries=cache)
    assert cache.hits == len(_entries(text))  # the broken entry's verdict too
    assert sorted(p.line for p in again if p.severity == "error") == [n + 3 for n in lines]


def test_entries_of_feed_files_are_read_entry_by_entry_too():
    feed = "format: 1\nresources:\n" + "".join(
        f"- id: fx-{n}\n  name: Meeting {n}\n  category: meeting\n  fellowship: AA\n"
        f"  schedule:\n  - {{days: [mon], start: '19:00'}}\n  location:\n"
        f"    address: {n} Main St\n    city: Portland\n    state: OR\n"
        for n in range(30)
    )
    curated = SAMPLE.read_text(encoding="utf-8").replace(
        "\nresources:\n",
        "\nfeeds:\n  - {name: fx, path: fx.json, fellowship: AA, prefix: fx}\nresources:\n",
        1,
    )
    cache = EntryCache()
    _same_as_full(curated, cache, {"fx": feed.encode()})
    changed = feed.replace("Meeting 7\n", "Meeting seven\n").replace(
        "- id: fx-9\n", "- id: nofx-9\n"
    )
    _same_as_full(curated, cache, {"fx": changed.encode()})  # a wrong prefix: an error
    assert cache.misses == 2
