"""Bad data files against a real gunicorn with the shipped configuration, under a memory cap.

Each fault replaces the data file; the master must refuse it with a reason /readyz shows, the
workers keep answering from the last good data, and the master never exits. One server serves
the whole module, in order.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.datafile.test_limits import alias_bomb
from tests.readonly import read_only
from tests.web.gunicorn_server import Gunicorn, children_of

pytestmark = pytest.mark.slow

GOOD = (FIXTURES / "minimal.yaml").read_text()
HEAD = GOOD[: GOOD.index("locations:")]
MAX_BYTES = 100_000


def replace(path: Path, text: str) -> None:
    """Put a new version in place in one step (the slow copy has its own test)."""
    temporary = path.with_name(f".{path.name}.new")
    temporary.write_text(text)
    os.replace(temporary, path)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    work = tmp_path_factory.mktemp("gunicorn-faults")
    data = work / "resources.yaml"
    data.write_text(GOOD)
    gunicorn = Gunicorn(work, data, DIRECTORY_DATA_MAX_BYTES=str(MAX_BYTES)).start()
    try:
        gunicorn.wait_ready()
        gunicorn.master = gunicorn.master_pid()
        yield gunicorn
    finally:
        gunicorn.stop()


def serves_good_data(server: Gunicorn, name: str = "Hawthorne Serenity Group") -> None:
    for path in (
        "/search?category=meeting",
        "/api/v1/search?category=meeting",
        "/resources/closed-pantry",
    ):
        status, body = server.get(path)
        if path.startswith("/resources/"):
            assert status == 404  # inactive: never shown
        else:
            assert status == 200, (path, status)
            assert name.encode() in body
    assert server.alive() and server.master_pid() == server.master


def test_the_good_file_is_served(server):
    ready = server.readyz()
    assert (ready["status"], ready["resources"], ready["data_status"]) == ("ok", 3, "serving")
    serves_good_data(server)


FAULTS = {
    "self-referencing anchor": (HEAD + "resources: &all\n  - *all\n", "refers to the block"),
    "alias bomb": (HEAD + alias_bomb() + "resources: []\n", "aliases (*name) here expand to"),
    "YAML error": (GOOD + "resources: [\n", "YAML syntax error"),
    "validation error": (GOOD.replace("category: mat", "category: mta"), "'mta' is not a known"),
    "cut short": (GOOD[: GOOD.index("  - id: eastside")], "1 fewer than the 3 in service"),
    "too large": (GOOD + "#" * MAX_BYTES, "larger than 100,000 bytes"),
    "deleted": (None, "No such file or directory"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_bad_file_is_refused_and_the_last_good_data_keeps_serving(server, fault):
    text, reason = FAULTS[fault]
    if text is None:
        server.data_path.unlink()
    else:
        replace(server.data_path, text)
    ready = server.wait_for(lambda r: reason in (r["last_refused"] or ""))
    assert (ready["status"], ready["resources"], ready["data_status"]) == ("ok", 3, "refused")
    serves_good_data(server)


def test_a_read_only_index_folder_is_reported_and_retried(server):
    with read_only(server.index_dir):
        replace(server.data_path, GOOD.replace("Hawthorne Serenity", "Belmont Hope"))
        ready = server.wait_for(lambda r: r["data_status"] == "retrying")
        assert f"cannot write the search index in {server.index_dir}" in ready["last_refused"]
        assert "cannot read" not in ready["last_refused"]
        serves_good_data(server)
    server.wait_for(lambda r: r["data_status"] == "serving")
    serves_good_data(server, "Belmont Hope Group")


def test_a_slow_non_atomic_copy_is_read_only_once_finished(server):
    before = server.readyz()["fingerprint"]
    text = GOOD.replace("Hawthorne Serenity", "Lents Courage").encode()
    seen = set()
    with open(server.data_path, "wb") as copy:  # cp without a rename: ten pieces
        for i in range(10):
            copy.write(text[i * len(text) // 10 : (i + 1) * len(text) // 10])
            copy.flush()
            seen.add(server.readyz()["fingerprint"])
            time.sleep(0.1)
    after = server.wait_for(lambda r: r["fingerprint"] != before)["fingerprint"]
    assert seen == {before}  # never a partial version, only the old one, then the new one
    assert after != before
    serves_good_data(server, "Lents Courage Group")


def test_kill_9_of_a_worker_is_survived(server):
    workers = server.worker_pids()
    assert len(workers) == 2
    os.kill(workers[0], signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        serves_good_data(server, "Lents Courage Group")
        replacement = set(server.worker_pids()) - set(workers)
        if len(server.worker_pids()) == 2 and replacement:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("the master did not replace the killed worker")
    serves_good_data(server, "Lents Courage Group")


def test_a_one_entry_change_is_read_and_validated_alone_by_the_parse_child(server):
    """The master keeps each entry's verdict: its parse child reads only the changed entry."""
    before = server.readyz()["fingerprint"]
    logged = len(server.log())
    text = GOOD.replace("Hawthorne Serenity", "Lents Courage").replace("Dawn Patrol", "Dawn Watch")
    replace(server.data_path, text)
    server.wait_for(lambda r: r["fingerprint"] != before and r["data_status"] == "serving")
    status, body = server.get("/search?q=dawn+watch")
    assert status == 200 and b"Dawn Watch NA" in body and b"Dawn Patrol" not in body
    serves_good_data(server, "Lents Courage Group")
    assert "resources.yaml: 1 of 4 entries read and validated" in server.log()[logged:]


def test_the_catalog_cache_of_a_change_is_written_aside_and_read_by_a_restart(tmp_path):
    """The master forks a writer for the new version's catalog cache; a restart reads it."""
    data = tmp_path / "resources.yaml"
    data.write_text(GOOD)
    server = Gunicorn(tmp_path, data).start()
    catalogs = tmp_path / "index" / "catalogs"
    try:
        server.wait_ready()
        before = server.readyz()["fingerprint"]
        replace(data, GOOD.replace("Dawn Patrol", "Dawn Watch"))
        server.wait_for(lambda r: r["fingerprint"] != before and r["data_status"] == "serving")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
            len(list(catalogs.glob("*.verdicts"))) < 2 or len(server.worker_pids()) != 2
            or len(children_of(server.master_pid())) != 2
        ):  # fmt: skip
            time.sleep(0.2)  # the writer has written both files and is gone
        assert len(list(catalogs.glob("*.catalog"))) == 2
        assert len(children_of(server.master_pid())) == 2  # the writer was reaped
    finally:
        server.stop()
    logged = len(server.log())
    server.start()
    try:
        server.wait_ready()
        status, body = server.get("/search?q=dawn+watch")
        assert status == 200 and b"Dawn Watch NA" in body
    finally:
        server.stop()
    assert "read from the catalog cache" in server.log()[logged:]
    assert "Traceback" not in server.log() and "not written" not in server.log()


def test_no_traceback_and_no_unhandled_exception_in_the_log(server):
    log = server.log()
    assert "Traceback" not in log
    assert "Unhandled exception" not in log
    assert log.count("resource file refused, keeping the last good data") >= len(FAULTS)


@pytest.mark.parametrize(
    "text, reason",
    [
        (HEAD + alias_bomb() + "resources: []\n", "aliases (*name) here expand to"),
        (GOOD.replace("category: mat", "category: mta"), "'mta' is not a known category"),
    ],
)
def test_a_fresh_start_on_a_bad_file_fails_with_the_reason(tmp_path, text, reason):
    data = tmp_path / "resources.yaml"
    data.write_text(text)
    server = Gunicorn(tmp_path, data, workers=1).start()
    try:
        assert server.process.wait(timeout=120) == 1
    finally:
        server.stop()
    log = server.log()
    assert "cannot start, the data file cannot be served:" in log
    assert reason in log
    assert "Traceback" not in log
