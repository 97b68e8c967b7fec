"""The server's parse runs in a child process capped in memory and time."""

from __future__ import annotations

import pytest

from bench import load as synthetic
from directory.datafile.entry_cache import EntryCache
from directory.datafile.isolated import ParseFailed, parse_isolated
from directory.datafile.limits import DataLimits
from directory.datafile.load import parse_bytes
from tests.conftest import FIXTURES, SAMPLE
from tests.datafile.test_entry_cache import LIMITS, PATH, _edits, _entries, _entry, _replace_entry

SMALL = FIXTURES / "referrals.yaml"


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> bytes:
    """A valid file that needs well over 110 MB and more than a second to read."""
    path = tmp_path_factory.mktemp("big") / "resources.yaml"
    synthetic.write_resource_file(path, synthetic.resource_file(1500))
    return path.read_bytes()


def test_the_child_gives_the_same_catalog_and_problems():
    data = SMALL.read_bytes()
    catalog, problems = parse_isolated(data, str(SMALL))
    here, here_problems = parse_bytes(data, str(SMALL))
    assert catalog.fingerprint == here.fingerprint
    assert [r.id for r in catalog.resources] == [r.id for r in here.resources]
    assert catalog.resources[0] == here.resources[0]
    assert problems == here_problems


def test_the_child_reports_every_problem_of_a_broken_file():
    path = FIXTURES / "broken" / "many-problems.yaml"
    catalog, problems = parse_isolated(path.read_bytes(), str(path))
    assert catalog is None
    assert [p.line for p in problems if p.severity == "error"] == [6, 7, 12]


def test_a_parse_that_needs_more_memory_than_allowed_is_stopped(big):
    with pytest.raises(ParseFailed, match=r"needs more than 110 MB .*DATA_PARSE_MEMORY_MB"):
        parse_isolated(big, "big.yaml", DataLimits(parse_memory_mb=110))


def test_a_parse_that_takes_longer_than_allowed_is_stopped(big):
    with pytest.raises(ParseFailed, match=r"took longer than 0.5 s .*DATA_PARSE_SECONDS"):
        parse_isolated(big, "big.yaml", DataLimits(parse_seconds=0.5))


# --- with the parent's entry cache: the child reads and validates only the new entries -------


def _isolated_same_as_full(text: str, cache: EntryCache, feed_files=None):
    """Parse in the child with the cache, check it equals a full parse; return it, and the
    cache's verdicts that are new objects (validated in the child, not kept from before)."""
    data = text.encode()
    before = {digest: id(verdict) for digest, verdict in cache.verdicts.items()}
    isolated = parse_isolated(data, PATH, LIMITS, feed_files, entries=cache)
    full = parse_bytes(data, PATH, LIMITS, feed_files)
    assert isolated[1] == full[1]  # every problem, with its line, in the same order
    assert isolated[0] == full[0]  # the catalog, line of every resource included
    fresh = [d for d, verdict in cache.verdicts.items() if before.get(d) != id(verdict)]
    return isolated, fresh


def test_with_the_entry_cache_the_child_gives_a_full_parse_over_many_edits():
    cache = EntryCache()
    text = SAMPLE.read_text(encoding="utf-8")
    _, fresh = _isolated_same_as_full(text, cache)
    count = len(_entries(text))
    assert len(fresh) == count  # the first parse validates every entry, in the child
    for what, edited, reused in _edits(text):
        full, fresh = _isolated_same_as_full(edited, cache)
        if reused:  # only the changed entries were validated again, in the child
            assert len(fresh) <= 3, (what, len(fresh))
            assert len(cache.verdicts) >= count - 5, what
        assert full[1] or full[0] is not None, what


def test_an_unchanged_entry_keeps_its_resource_object_through_the_child():
    cache = EntryCache()
    text = SAMPLE.read_text(encoding="utf-8")
    first, _ = parse_isolated(text.encode(), PATH, LIMITS, entries=cache)
    edited = _replace_entry(text, 3, _entry(text, 3).replace("name: ", "name: Renamed ", 1))
    (second, _), fresh = _isolated_same_as_full(edited, cache)
    assert len(fresh) == 1
    same = [a is b for a, b in zip(first.resources, second.resources, strict=True)]
    assert same.count(False) == 1 and not same[3]


def test_feed_files_are_read_entry_by_entry_in_the_child_too():
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
    _isolated_same_as_full(curated, cache, {"fx": feed.encode()})
    changed = feed.replace("Meeting 7\n", "Meeting seven\n").replace(
        "- id: fx-9\n", "- id: nofx-9\n"
    )
    (catalog, problems), fresh = _isolated_same_as_full(curated, cache, {"fx": changed.encode()})
    assert len(fresh) == 2 and catalog is None  # a wrong prefix: an error
    assert any("must start with 'fx-'" in p.message for p in problems)


def test_a_failed_child_leaves_the_entry_cache_good_for_the_next_parse(big):
    cache = EntryCache()
    parse_isolated(big, "big.yaml", entries=cache)
    kept = dict(cache.verdicts)
    text = big.decode()
    at = text.index("\n  - id: ", len(text) // 2) + 1
    at = text.index("    name: ", at) + len("    name: ")
    changed = (text[:at] + "Zanzibarish " + text[at:]).encode()
    with pytest.raises(ParseFailed, match=r"needs more than 60 MB"):
        parse_isolated(changed, "big.yaml", DataLimits(parse_memory_mb=60), entries=cache)
    with pytest.raises(ParseFailed, match=r"took longer than 0.05 s"):
        parse_isolated(changed, "big.yaml", DataLimits(parse_seconds=0.05), entries=cache)
    assert cache.verdicts == kept
    catalog, problems = parse_isolated(changed, "big.yaml", entries=cache)
    assert (catalog, problems) == parse_bytes(changed, "big.yaml")
    assert sum(cache.verdicts.get(d) is not v for d, v in kept.items()) == 1


def test_a_broken_file_is_read_whole_in_the_child_with_the_cache_kept():
    cache = EntryCache()
    text = SAMPLE.read_text(encoding="utf-8")
    parse_isolated(text.encode(), PATH, LIMITS, entries=cache)
    kept = dict(cache.verdicts)
    broken = text + "resources: [\n"
    (catalog, problems), _ = _isolated_same_as_full(broken, cache)
    assert catalog is None and "YAML syntax error" in problems[0].message
    assert cache.verdicts == kept  # the next good version still reads few entries
    _, fresh = _isolated_same_as_full(text, cache)
    assert fresh == []
