"""Data updates go live without a restart; a broken file never replaces good data."""

from __future__ import annotations

import os

import pytest

from directory import create_app


@pytest.fixture
def live_app(tmp_path, data_path):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "DATA_PATH": str(data_path),
            "INDEX_DIR": str(tmp_path / "index"),
            "RELOAD_CHECK_SECONDS": 0,
        }
    )


def _touch_later(path):
    stat = os.stat(path)
    os.utime(path, (stat.st_atime + 10, stat.st_mtime + 10))


def test_a_new_valid_file_switches_the_data(live_app, data_path):
    client = live_app.test_client()
    assert "Hawthorne Serenity Group" in client.get("/search?q=serenity").get_data(as_text=True)
    before = client.get("/readyz").get_json()["fingerprint"]
    data_path.write_text(data_path.read_text().replace("Hawthorne Serenity", "Belmont Hope"))
    _touch_later(data_path)
    page = client.get("/search?q=hope").get_data(as_text=True)
    assert "Belmont Hope Group" in page
    assert "Hawthorne Serenity Group" not in client.get("/search?q=serenity").get_data(as_text=True)
    assert client.get("/readyz").get_json()["fingerprint"] != before


def test_a_broken_file_is_refused_and_the_old_data_keeps_serving(live_app, data_path, caplog):
    client = live_app.test_client()
    before = client.get("/readyz").get_json()["fingerprint"]
    data_path.write_text(data_path.read_text().replace("category: mat", "category: mta"))
    _touch_later(data_path)
    response = client.get("/search?q=suboxone")
    assert response.status_code == 200
    assert "Eastside Bridge Clinic" in response.get_data(as_text=True)
    ready = client.get("/readyz").get_json()
    assert ready["fingerprint"] == before
    assert "'mta' is not a known category" in ready["last_refused"]
    assert "resource file refused, keeping the last good data" in caplog.text


def test_reopen_after_fork_keeps_the_parsed_catalog(live_app, data_path):
    state = live_app.extensions["directory"]
    before = state.current()
    assert state.reopen()
    after = state.snapshot
    assert after.catalog is before.catalog  # not parsed again
    assert after.searcher is not before.searcher  # its own index files
    data_path.write_text(data_path.read_text().replace("Hawthorne Serenity", "Belmont Hope"))
    _touch_later(data_path)
    assert state.data_changed()
    assert state.reopen()  # a changed file is the parent's to load, not each worker's
    assert state.snapshot.catalog is before.catalog
    assert state.reload()
    assert state.snapshot.catalog is not before.catalog
    assert not state.data_changed()


def test_readyz_keeps_describing_the_served_file_after_a_refusal(live_app, data_path):
    client = live_app.test_client()
    before = client.get("/readyz").get_json()
    data_path.write_text(data_path.read_text().replace("category: mat", "category: mta"))
    _touch_later(data_path)
    client.get("/search?q=x")
    after = client.get("/readyz").get_json()
    assert after["fingerprint"] == before["fingerprint"]
    assert after["data_file_age_seconds"] >= before["data_file_age_seconds"]
    assert "1 error(s); first:" in after["last_refused"]
