"""Feed files merged with the curated file: same rules, ids unique across feeds by prefix."""

from __future__ import annotations

import os

import pytest

from directory.datafile import cache
from directory.datafile.feeds import read_feed_files
from directory.datafile.isolated import parse_isolated
from directory.datafile.limits import DEFAULT_LIMITS
from directory.datafile.load import parse_bytes
from tests.conftest import FIXTURES, reloading_app

CURATED = (FIXTURES / "minimal.yaml").read_text() + (
    "feeds:\n"
    "  - {name: east, url: 'https://feeds.example.org/east.json', fellowship: AA, prefix: ea}\n"
    "  - {name: west, path: west.json, fellowship: NA, prefix: we, timezone: America/Denver}\n"
)


def _feed(*entries: str) -> bytes:
    return ("format: 1\nfeed: {name: x, source: y}\nresources:\n" + "".join(entries)).encode()


def _meeting(rid: str, name: str = "Feed Group") -> str:
    return (
        f"- id: {rid}\n  name: {name}\n  category: meeting\n  fellowship: AA\n"
        "  online: {url: 'https://meet.example.org/1'}\n"
        "  schedule:\n  - {days: [mon], start: '19:00'}\n"
    )


def _parse(feeds: dict[str, bytes], curated: str = CURATED):
    return parse_bytes(curated.encode(), "data/resources.yaml", DEFAULT_LIMITS, feeds)


def _errors(problems):
    return [str(p) for p in problems if p.severity == "error"]


def test_feed_files_are_merged_after_the_curated_entries():
    catalog, problems = _parse({"east": _feed(_meeting("ea-one")), "west": _feed(_meeting("we-a"))})
    assert not _errors(problems)
    ids = [r.id for r in catalog.resources]
    assert ids[-2:] == ["ea-one", "we-a"] and "hawthorne-serenity-aa" in ids
    assert [(f.name, f.prefix, f.timezone) for f in catalog.feeds] == [
        ("east", "ea", None),
        ("west", "we", "America/Denver"),
    ]
    assert catalog.feeds[0].source == "https://feeds.example.org/east.json"


def test_a_declared_feed_without_its_file_is_a_warning():
    catalog, problems = _parse({"east": _feed(_meeting("ea-one"))})
    assert catalog is not None
    assert any("feed 'west' has no file yet" in str(p) for p in problems)


def test_an_id_without_the_feeds_prefix_is_an_error_in_the_feed_file():
    catalog, problems = _parse({"east": _feed(_meeting("ea-one"), _meeting("we-stolen"))})
    assert catalog is None
    (error,) = _errors(problems)
    assert error.startswith("data/feeds/east.yaml:")
    assert "id 'we-stolen' must start with 'ea-', the id prefix of feed 'east'" in error


def test_the_same_id_in_the_curated_file_and_a_feed_is_reported_in_both():
    curated = CURATED.replace("id: hawthorne-serenity-aa", "id: ea-taken")
    catalog, problems = _parse({"east": _feed(_meeting("ea-taken"))}, curated)
    assert catalog is None
    errors = _errors(problems)
    assert any(e.startswith("data/resources.yaml:") and "data/feeds/east.yaml:4" in e
               for e in errors)  # fmt: skip
    assert any(e.startswith("data/feeds/east.yaml:4") and "data/resources.yaml:" in e
               for e in errors)  # fmt: skip


def test_overlapping_prefixes_are_refused():
    curated = CURATED.replace("prefix: we", "prefix: ea-west")
    catalog, problems = _parse({}, curated)
    assert catalog is None
    assert any("id prefix 'ea-west' overlaps 'ea'" in e for e in _errors(problems))


@pytest.mark.parametrize(
    "entry, message",
    [
        ("feeds: {name: x}\n", "feeds: a list of feeds"),
        ("feeds:\n  - {name: x, fellowship: AA, prefix: x}\n", "give the feed's url or its path"),
        ("feeds:\n  - {name: X Y, path: a, fellowship: AA, prefix: x}\n", "must be a slug"),
        ("feeds:\n  - {name: x, path: a, fellowship: AA, prefix: x, tz: UTC}\n", "unknown key"),
    ],
)
def test_a_broken_feeds_section_says_what_is_wrong(entry, message):
    catalog, problems = _parse({}, (FIXTURES / "minimal.yaml").read_text() + entry)
    assert catalog is None
    assert any(message in e for e in _errors(problems)), _errors(problems)


def test_a_feed_file_nobody_declared_is_not_loaded():
    catalog, problems = _parse({"east": _feed(_meeting("ea-one")), "old": _feed(_meeting("x"))})
    assert catalog is not None and "x" not in [r.id for r in catalog.resources]
    assert any("feeds/old.yaml is not declared under feeds:" in str(p) for p in problems)


def test_a_broken_feed_file_is_an_error_with_its_own_path_and_line():
    catalog, problems = _parse({"east": b"format: 1\nresources:\n- id: [unclosed\n"})
    assert catalog is None
    (error,) = _errors(problems)
    assert error.startswith("data/feeds/east.yaml:") and "YAML syntax error" in error


def test_the_fingerprint_and_cache_key_cover_the_feed_files(tmp_path):
    one = _parse({"east": _feed(_meeting("ea-one"))})[0]
    two = _parse({"east": _feed(_meeting("ea-one", "Other Group"))})[0]
    assert one.fingerprint != two.fingerprint
    data = CURATED.encode()
    keys = {
        cache.cache_key(data, "p", DEFAULT_LIMITS, f) for f in ({}, {"east": b"a"}, {"east": b"b"})
    }
    assert len(keys) == 3


def test_the_isolated_parser_reads_the_feed_files_too():
    feeds = {"east": _feed(_meeting("ea-one")), "west": _feed(_meeting("we-a")), "empty": b""}
    expected = parse_bytes(CURATED.encode(), "p.yaml", DEFAULT_LIMITS, feeds)
    assert parse_isolated(CURATED.encode(), "p.yaml", DEFAULT_LIMITS, feeds) == expected


@pytest.fixture
def live(tmp_path):
    data_path = tmp_path / "resources.yaml"
    data_path.write_text(CURATED)
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "east.yaml").write_bytes(_feed(_meeting("ea-one", "Zephyrine Group")))
    app = reloading_app(data_path, tmp_path / "index")
    return app, tmp_path / "feeds" / "east.yaml"


def _later(path):
    stat = os.stat(path)
    os.utime(path, (stat.st_atime + 10, stat.st_mtime + 10))


def test_the_server_picks_up_a_new_feed_file_and_keeps_the_last_good_one(live):
    app, east = live
    client = app.test_client()
    assert "Zephyrine Group" in client.get("/search?q=zephyrine").get_data(as_text=True)
    east.write_bytes(_feed(_meeting("ea-one", "Quillwort Group")))
    _later(east)
    assert "Quillwort Group" in client.get("/search?q=quillwort").get_data(as_text=True)
    good = client.get("/readyz").get_json()["fingerprint"]
    east.write_bytes(b"format: 1\nresources: [unclosed\n")  # a hand edit gone wrong
    _later(east)
    assert "Quillwort Group" in client.get("/search?q=quillwort").get_data(as_text=True)
    ready = client.get("/readyz").get_json()
    assert ready["fingerprint"] == good and "feeds/east.yaml" in ready["last_refused"]


def test_read_feed_files_skips_temporaries(tmp_path):
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "a.yaml").write_bytes(b"x")
    (tmp_path / "feeds" / ".a.yaml.123.tmp").write_bytes(b"half")
    (tmp_path / "feeds" / ".sync-state.json").write_bytes(b"{}")
    assert read_feed_files(tmp_path / "resources.yaml", 100) == {"a": b"x"}
