"""Data updates go live without a restart; a broken file never replaces good data."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.conftest import reloading_app
from tests.readonly import read_only


@pytest.fixture
def live_app(tmp_path, data_path):
    return reloading_app(data_path, tmp_path / "index")


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


# --- files cut short, still being written, deleted; an index that cannot be written -----------

CUT_BEFORE = "  - id: eastside-bridge-clinic"  # the last active entry of the minimal fixture


def _cut_short(data_path):
    """Write the file as a copy interrupted before its last active entry would leave it."""
    text = data_path.read_text()
    data_path.write_text(text[: text.index(CUT_BEFORE)])
    _touch_later(data_path)


def test_a_file_cut_short_is_refused_with_the_numbers(live_app, data_path, caplog):
    client = live_app.test_client()
    before = client.get("/readyz").get_json()
    assert before["resources"] == 3
    _cut_short(data_path)
    response = client.get("/search?q=suboxone")
    assert response.status_code == 200
    assert "Eastside Bridge Clinic" in response.get_data(as_text=True)
    ready = client.get("/readyz").get_json()
    assert ready["fingerprint"] == before["fingerprint"] and ready["resources"] == 3
    assert ready["data_status"] == "refused"
    assert "2 active resources, 1 fewer than the 3 in service (33%" in ready["last_refused"]
    assert "flask --app directory reload --allow-shrink" in ready["last_refused"]
    assert "resource file refused, keeping the last good data" in caplog.text


def test_reload_allow_shrink_accepts_that_version_once(live_app, data_path):
    client = live_app.test_client()
    client.get("/readyz")
    _cut_short(data_path)
    assert client.get("/readyz").get_json()["data_status"] == "refused"
    result = live_app.test_cli_runner().invoke(args=["reload"])
    assert result.exit_code == 1
    assert "1 fewer than the 3 in service" in result.output
    result = live_app.test_cli_runner().invoke(args=["reload", "--allow-shrink"])
    assert result.exit_code == 0, result.output
    assert "2 active resources (1 fewer than the 3 in service)" in result.output
    ready = client.get("/readyz").get_json()
    assert (ready["resources"], ready["data_status"]) == (2, "serving")
    index = Path(live_app.config["INDEX_DIR"])
    assert not (index / "ALLOW-SHRINK").exists()  # once: the next drop needs its own decision


def test_max_shrink_of_one_turns_the_check_off(tmp_path, data_path):
    app = reloading_app(data_path, tmp_path / "index", RELOAD_MAX_SHRINK=1)
    client = app.test_client()
    client.get("/readyz")
    _cut_short(data_path)
    assert client.get("/readyz").get_json()["resources"] == 2


def test_a_file_still_being_written_is_read_once_it_has_settled(tmp_path, data_path):
    app = reloading_app(data_path, tmp_path / "index", RELOAD_SETTLE_SECONDS=0.5)
    client = app.test_client()
    before = client.get("/readyz").get_json()["fingerprint"]
    text = data_path.read_text().replace("Hawthorne Serenity", "Belmont Hope")
    with open(data_path, "w") as copy:  # a slow copy: half now, the rest later
        copy.write(text[: len(text) // 2])
        copy.flush()
        for _ in range(3):
            ready = client.get("/readyz").get_json()
            assert (ready["fingerprint"], ready["data_status"]) == (before, "serving")
            time.sleep(0.1)
        copy.write(text[len(text) // 2 :])
    deadline = time.monotonic() + 10
    while client.get("/readyz").get_json()["fingerprint"] == before:
        assert time.monotonic() < deadline, "the finished file was never read"
        time.sleep(0.1)
    assert "Belmont Hope Group" in client.get("/search?q=hope").get_data(as_text=True)


def test_a_deleted_file_keeps_the_last_good_data_until_it_is_back(live_app, data_path):
    client = live_app.test_client()
    before = client.get("/readyz").get_json()["fingerprint"]
    text = data_path.read_text()
    data_path.unlink()
    assert "Hawthorne Serenity Group" in client.get("/search?q=serenity").get_data(as_text=True)
    ready = client.get("/readyz").get_json()
    assert ready["fingerprint"] == before
    assert "No such file or directory" in ready["last_refused"]
    data_path.write_text(text.replace("Hawthorne Serenity", "Belmont Hope"))
    assert "Belmont Hope Group" in client.get("/search?q=hope").get_data(as_text=True)


def test_a_read_only_index_folder_is_reported_as_such_and_retried(live_app, data_path):
    client = live_app.test_client()
    before = client.get("/readyz").get_json()["fingerprint"]
    state = live_app.extensions["directory"]
    state.index_retry_seconds = 0.2
    index = Path(live_app.config["INDEX_DIR"])
    with read_only(index):
        data_path.write_text(data_path.read_text().replace("Hawthorne Serenity", "Belmont Hope"))
        _touch_later(data_path)
        assert "Hawthorne Serenity Group" in client.get("/search?q=serenity").get_data(as_text=True)
        ready = client.get("/readyz").get_json()
        assert (ready["fingerprint"], ready["data_status"]) == (before, "retrying")
        assert f"cannot write the search index in {index}" in ready["last_refused"]
        assert "read-only" in ready["last_refused"]
        assert "cannot read" not in ready["last_refused"]
    time.sleep(0.3)
    assert "Belmont Hope Group" in client.get("/search?q=hope").get_data(as_text=True)
    assert client.get("/readyz").get_json()["data_status"] == "serving"
