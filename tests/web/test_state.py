"""The catalog cache is written once a new version serves, and never serves the wrong version."""

from __future__ import annotations

import logging
import os
import shutil
import time

from directory.datafile import cache
from directory.datafile.limits import DEFAULT_LIMITS
from directory.search import SearchRequest
from directory.web.state import DirectoryState


def _state(data_path, tmp_path) -> DirectoryState:
    return DirectoryState(str(data_path), str(tmp_path / "index"), None)


def _entry(data_path, tmp_path):
    key = cache.cache_key(data_path.read_bytes(), str(data_path), DEFAULT_LIMITS, {})
    return cache.entry_path(tmp_path / "index", key)


def _replace(path, old, new):
    """Write a new version the way an editor does: aside, then renamed into place."""
    temporary = path.with_suffix(".new")
    temporary.write_text(path.read_text().replace(old, new))
    os.replace(temporary, path)


def _names(state, q):
    return [h.resource.name for h in state.current().searcher.search(SearchRequest(q=q)).hits]


def _read_from_cache(caplog) -> int:
    return sum("read from the catalog cache" in r.getMessage() for r in caplog.records)


def test_the_catalog_cache_is_written_after_the_new_version_serves(data_path, tmp_path, caplog):
    state = _state(data_path, tmp_path)
    snapshot = state.prepare()
    assert snapshot is not None
    assert not _entry(data_path, tmp_path).exists()  # serving does not wait for it
    state.install(snapshot)
    assert _names(state, "serenity") == ["Hawthorne Serenity Group"]
    state.save_catalog()
    assert _entry(data_path, tmp_path).exists()
    state.save_catalog()  # written once; nothing left to write
    caplog.set_level(logging.INFO)
    restarted = _state(data_path, tmp_path)
    assert restarted.reload()
    assert _read_from_cache(caplog) == 1
    assert restarted.catalog == state.catalog


def test_reload_writes_the_cache_of_the_version_it_switched_to(data_path, tmp_path):
    state = _state(data_path, tmp_path)
    assert state.reload()
    _replace(data_path, "Hawthorne Serenity", "Belmont Hope")
    assert state.reload()
    assert _entry(data_path, tmp_path).exists()
    assert _names(state, "hope") == ["Belmont Hope Group"]


def test_a_crash_between_the_switch_and_the_write_leaves_nothing_wrong_served(
    data_path, tmp_path, caplog
):
    state = _state(data_path, tmp_path)
    assert state.reload()
    _replace(data_path, "Hawthorne Serenity", "Belmont Hope")
    state.install(state.prepare())  # served, and the process dies before save_catalog
    assert not _entry(data_path, tmp_path).exists()
    caplog.set_level(logging.INFO)
    restarted = _state(data_path, tmp_path)
    assert restarted.reload()
    assert _read_from_cache(caplog) == 0  # parsed again: the old version's entry is not it
    assert _names(restarted, "hope") == ["Belmont Hope Group"]
    assert _names(restarted, "serenity") == []


def test_a_file_changed_before_the_write_is_served_as_it_is_now(data_path, tmp_path, caplog):
    state = _state(data_path, tmp_path)
    assert state.reload()
    _replace(data_path, "Hawthorne Serenity", "Belmont Hope")
    state.install(state.prepare())
    written_for = _entry(data_path, tmp_path)
    _replace(data_path, "Belmont Hope", "Division Quokka")  # while the write is still to come
    state.save_catalog()
    assert written_for.exists()  # under the key of the bytes that were parsed
    assert not _entry(data_path, tmp_path).exists()
    assert state.reload()
    assert _names(state, "quokka") == ["Division Quokka Group"]
    caplog.set_level(logging.INFO)
    restarted = _state(data_path, tmp_path)
    assert restarted.reload()
    assert _names(restarted, "quokka") == ["Division Quokka Group"]
    assert _names(restarted, "hope") == []


def test_a_damaged_half_written_or_stale_entry_is_never_served(data_path, tmp_path, caplog):
    state = _state(data_path, tmp_path)
    assert state.reload()
    old_entry = _entry(data_path, tmp_path)
    _replace(data_path, "Hawthorne Serenity", "Belmont Hope")
    entry = _entry(data_path, tmp_path)
    # Another version's catalog under this file's name: a stale or misplaced entry.
    shutil.copy(old_entry, entry)
    # What a write killed halfway leaves: a temporary file, never read.
    (entry.parent / f".{entry.stem}.999999.tmp").write_bytes(old_entry.read_bytes()[:100])
    caplog.set_level(logging.INFO)
    restarted = _state(data_path, tmp_path)
    assert restarted.reload()
    assert _read_from_cache(caplog) == 0
    assert _names(restarted, "hope") == ["Belmont Hope Group"]
    assert restarted.catalog.fingerprint != state.catalog.fingerprint
    # Cut short: a miss, removed, and written again whole.
    entry.write_bytes(entry.read_bytes()[: entry.stat().st_size // 2])
    again = _state(data_path, tmp_path)
    assert again.reload()
    assert _names(again, "hope") == ["Belmont Hope Group"]
    assert cache.read_entry(tmp_path / "index", entry.stem)[0] == again.catalog


def _isolated(data_path, tmp_path) -> DirectoryState:
    return DirectoryState(str(data_path), str(tmp_path / "index"), None, isolate=True)


def test_a_restart_from_the_catalog_cache_keeps_the_entry_verdicts_too(data_path, tmp_path):
    """gunicorn's master after a restart: its first change reads only the changed entry."""
    state = _isolated(data_path, tmp_path)
    assert state.reload()  # parsed in the child; the cache and the verdicts written
    restarted = _isolated(data_path, tmp_path)
    assert restarted.reload()
    assert restarted.catalog == state.catalog
    assert len(restarted.entries.verdicts) == len(state.entries.verdicts)
    kept = dict(restarted.entries.verdicts)
    _replace(data_path, "Hawthorne Serenity", "Belmont Hope")
    assert restarted.reload()
    assert _names(restarted, "belmont") == ["Belmont Hope Group"]
    fresh = [d for d, v in restarted.entries.verdicts.items() if kept.get(d) is not v]
    assert len(fresh) == 1  # validated in the child; every other verdict came from the file
    full = DirectoryState(str(data_path), str(tmp_path / "elsewhere"), None)
    assert full.reload()
    assert restarted.catalog == full.catalog


def test_damaged_or_foreign_verdicts_are_ignored(data_path, tmp_path):
    state = _isolated(data_path, tmp_path)
    assert state.reload()
    kept = _entry(data_path, tmp_path).with_suffix(cache.VERDICTS_SUFFIX)
    good = kept.read_bytes()
    for damaged in (good[: len(good) // 2], b"\0" * 40, good.replace(b"hawthorne", b"hawthornf")):
        kept.write_bytes(damaged)
        restarted = _isolated(data_path, tmp_path)
        assert restarted.reload()
        assert restarted.entries.verdicts == {}  # the next change validates every entry
        _replace(data_path, "Hawthorne Serenity", "Belmont Hope")
        assert restarted.reload()
        assert _names(restarted, "belmont") == ["Belmont Hope Group"]
        _replace(data_path, "Belmont Hope", "Hawthorne Serenity")
        assert restarted.reload()


def test_settles_in_says_when_a_file_just_written_may_be_read(data_path, tmp_path):
    state = DirectoryState(str(data_path), str(tmp_path / "index"), None, settle=30)
    os.utime(data_path)  # written just now
    assert not state.settled()
    assert 25 < state.settles_in() <= 30  # gunicorn's watcher looks again then
    written = time.time() - 60
    os.utime(data_path, (written, written))  # renamed into place, written a minute ago
    assert state.settles_in() == 0
    assert state.settled()
