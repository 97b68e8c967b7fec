"""The catalog cache: an unchanged file is parsed once; anything else is parsed again."""

from __future__ import annotations

import logging

import pytest

from directory import create_app
from directory.datafile import cache
from directory.datafile.limits import DEFAULT_LIMITS, DataLimits
from directory.datafile.load import parse_bytes
from tests.conftest import FIXTURES, SAMPLE

HIT = "read from the catalog cache"


def _hits(caplog) -> int:
    return sum(HIT in record.getMessage() for record in caplog.records)


def test_an_unchanged_file_is_read_from_the_cache(tmp_path, caplog):
    caplog.set_level(logging.INFO, "directory.datafile.cache")
    data = SAMPLE.read_bytes()
    first = cache.parse_cached(data, "sample.yaml", DEFAULT_LIMITS, tmp_path)
    assert _hits(caplog) == 0
    second = cache.parse_cached(data, "sample.yaml", DEFAULT_LIMITS, tmp_path)
    assert _hits(caplog) == 1
    assert second[0] == first[0] == parse_bytes(data, "sample.yaml")[0]
    assert second[1] == first[1]
    assert len(list((tmp_path / cache.FOLDER).glob("*" + cache.SUFFIX))) == 1


def test_another_version_path_or_limit_is_parsed_again(tmp_path, caplog):
    caplog.set_level(logging.INFO, "directory.datafile.cache")
    data = SAMPLE.read_bytes()
    cache.parse_cached(data, "sample.yaml", DEFAULT_LIMITS, tmp_path)
    changed = data.replace(b"name:", b"name: ", 1)
    catalog, _ = cache.parse_cached(changed, "sample.yaml", DEFAULT_LIMITS, tmp_path)
    assert catalog.fingerprint == parse_bytes(changed, "x")[0].fingerprint
    cache.parse_cached(data, "other.yaml", DEFAULT_LIMITS, tmp_path)
    wider = DataLimits(**{**DEFAULT_LIMITS.__dict__, "max_field_chars": 9999})
    cache.parse_cached(data, "sample.yaml", wider, tmp_path)
    assert _hits(caplog) == 0
    assert len(list((tmp_path / cache.FOLDER).glob("*" + cache.SUFFIX))) == cache.KEEP


def test_a_file_with_errors_is_not_kept(tmp_path):
    data = (FIXTURES / "broken" / "duplicate-id.yaml").read_bytes()
    catalog, problems = cache.parse_cached(data, "broken.yaml", DEFAULT_LIMITS, tmp_path)
    assert catalog is None and problems == parse_bytes(data, "broken.yaml")[1]
    assert not list((tmp_path / cache.FOLDER).glob("*" + cache.SUFFIX))


def test_a_damaged_entry_is_a_miss_and_is_replaced(tmp_path, caplog):
    caplog.set_level(logging.INFO, "directory.datafile.cache")
    data = SAMPLE.read_bytes()
    expected, _ = cache.parse_cached(data, "sample.yaml", DEFAULT_LIMITS, tmp_path)
    (entry,) = (tmp_path / cache.FOLDER).glob("*" + cache.SUFFIX)
    entry.write_bytes(entry.read_bytes()[:1000])  # cut short, as by a full disk
    catalog, _ = cache.parse_cached(data, "sample.yaml", DEFAULT_LIMITS, tmp_path)
    assert catalog == expected
    assert _hits(caplog) == 0
    assert cache.parse_cached(data, "sample.yaml", DEFAULT_LIMITS, tmp_path)[0] == expected
    assert _hits(caplog) == 1


def test_a_folder_that_cannot_be_written_only_costs_the_parse(tmp_path):
    blocker = tmp_path / "index"
    blocker.write_text("a file where the folder should be")
    data = SAMPLE.read_bytes()
    catalog, _ = cache.parse_cached(data, "sample.yaml", DEFAULT_LIMITS, blocker)
    assert catalog == parse_bytes(data, "sample.yaml")[0]


def test_a_restart_with_an_unchanged_file_does_not_parse_it(tmp_path, caplog):
    caplog.set_level(logging.INFO, "directory.datafile.cache")
    data_path = tmp_path / "resources.yaml"
    data_path.write_bytes(SAMPLE.read_bytes())
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATA_PATH": str(data_path),
        "INDEX_DIR": str(tmp_path / "index"),
    }
    for start in range(2):
        app = create_app(settings)
        assert app.test_client().get("/search?q=meeting").status_code == 200
        assert _hits(caplog) == start


def test_validate_then_index_parses_the_file_once(tmp_path, caplog):
    """`make run`: validate, index, run; only the first reads the YAML."""
    caplog.set_level(logging.INFO, "directory.datafile.cache")
    data_path = tmp_path / "resources.yaml"
    data_path.write_bytes(SAMPLE.read_bytes())
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATA_PATH": str(data_path),
            "INDEX_DIR": str(tmp_path / "index"),
        }
    )
    runner = app.test_cli_runner()
    assert runner.invoke(args=["validate"]).exit_code == 0
    assert _hits(caplog) == 0
    assert runner.invoke(args=["index"]).exit_code == 0
    assert app.test_client().get("/search?q=meeting").status_code == 200
    assert _hits(caplog) == 2


def test_the_cached_catalog_is_compact_and_gives_the_same_answers(tmp_path):
    data = SAMPLE.read_bytes()
    parsed, _ = parse_bytes(data, str(SAMPLE), DEFAULT_LIMITS)
    cache.parse_cached(data, str(SAMPLE), DEFAULT_LIMITS, tmp_path)
    cached, _ = cache.parse_cached(data, str(SAMPLE), DEFAULT_LIMITS, tmp_path)
    assert cached == parsed
    assert [r.raw for r in cached.resources] == [r.raw for r in parsed.resources]
    assert cached.towns() == parsed.towns() and cached.regions() == parsed.regions()
    meetings = [r for r in cached.resources if r.is_meeting]
    # Values repeated across entries are one object each, in memory and in the cache.
    assert len({id(r.category) for r in meetings}) == 1
    assert len({id(r.timezone) for r in meetings}) == len({r.timezone for r in meetings}) < 4
    # The entry as written is kept once, as JSON text, not as a second tree of objects.
    assert all(isinstance(r.source, bytes) and r.source for r in cached.resources)


def test_hostile_entries_are_misses_never_served(tmp_path, caplog):
    """A changed byte, another version's entry under this name, garbage: parsed again, rewritten."""
    caplog.set_level(logging.INFO, "directory.datafile.cache")
    data = SAMPLE.read_bytes()
    expected, _ = cache.parse_cached(data, "sample.yaml", DEFAULT_LIMITS, tmp_path)
    (entry,) = (tmp_path / cache.FOLDER).glob("*" + cache.SUFFIX)
    good = entry.read_bytes()
    changed = data.replace(b"name:", b"name: ", 1)
    cache.parse_cached(changed, "sample.yaml", DEFAULT_LIMITS, tmp_path)
    (other,) = set((tmp_path / cache.FOLDER).glob("*" + cache.SUFFIX)) - {entry}
    middle = len(good) // 2
    for hostile in (
        good[:middle] + bytes([good[middle] ^ 1]) + good[middle + 1 :],  # one bit
        other.read_bytes(),  # another file's catalog, under this file's name
        b"\x80\x05garbage" * 1000,
        b"",
    ):
        entry.write_bytes(hostile)
        catalog, _ = cache.parse_cached(data, "sample.yaml", DEFAULT_LIMITS, tmp_path)
        assert catalog == expected
        assert [r.source for r in catalog.resources] == [r.source for r in expected.resources]
        assert _hits(caplog) == 0
        assert entry.read_bytes() == good  # parsed again and kept again
    assert cache.parse_cached(data, "sample.yaml", DEFAULT_LIMITS, tmp_path)[0] == expected
    assert _hits(caplog) == 1


def test_read_entry_refuses_a_damaged_entry_and_leaves_it(tmp_path):
    data = SAMPLE.read_bytes()
    cache.parse_cached(data, "sample.yaml", DEFAULT_LIMITS, tmp_path)
    key = cache.cache_key(data, "sample.yaml", DEFAULT_LIMITS)
    entry = cache.entry_path(tmp_path, key)
    assert cache.read_entry(tmp_path, key)[0] == parse_bytes(data, "sample.yaml")[0]
    entry.write_bytes(entry.read_bytes()[:-5])
    with pytest.raises(ValueError, match="cannot be read"):
        cache.read_entry(tmp_path, key)
    assert entry.exists()
