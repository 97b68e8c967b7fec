"""`flask sync` against a real HTTP server on 127.0.0.1 serving real Meeting Guide feeds."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from directory import create_app
from directory.datafile.feeds import feed_file
from directory.formats.common import FeedError
from directory.maintenance import feed_sync
from tests.conftest import FIXTURES, reloading_app

REAL = FIXTURES / "real"
LAST_MODIFIED = "Tue, 01 Dec 2026 12:00:00 GMT"


class InFlight:
    """How many requests are being answered at once, and the most seen."""

    def __init__(self):
        self.now = self.most = 0
        self.lock = threading.Lock()

    def enter(self):
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def leave(self):
        with self.lock:
            self.now -= 1


class FeedServer:
    """Serves feeds by path with an ETag and Last-Modified, answering 304 when they match."""

    def __init__(self, shared: InFlight | None = None):
        self.bodies: dict[str, bytes] = {}
        self.status: dict[str, int] = {}  # a path answered with this error status
        self.delay: dict[str, float] = {}
        self.plain: set[str] = set()  # paths answered without ETag or Last-Modified
        self.before: dict[str, Callable[[], None]] = {}  # run before answering a path
        self.requests: list[tuple[str, int]] = []  # (path, status)
        self.in_flight = InFlight()
        gauges = [self.in_flight] + ([shared] if shared else [])
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802  # why: http.server's name
                for gauge in gauges:
                    gauge.enter()
                try:
                    self._get()
                finally:
                    for gauge in gauges:
                        gauge.leave()

            def _get(self):
                path = self.path
                if path in server.before:
                    server.before[path]()
                time.sleep(server.delay.get(path, 0))
                if path in server.status:
                    return self._answer(server.status[path], b"no")
                body = server.bodies.get(path)
                if body is None:
                    return self._answer(404, b"not found")
                if path in server.plain:
                    return self._answer(200, body)
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    return self._answer(304, b"", etag)
                return self._answer(200, body, etag)

            def _answer(self, status, body, etag=None):
                server.requests.append((self.path, status))
                self.send_response(status)
                if etag:
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", LAST_MODIFIED)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    feeds = FeedServer()
    feeds.bodies["/bl.json"] = (REAL / "benlomond.json").read_bytes()
    feeds.bodies["/kc.json"] = (REAL / "kansas-city.json").read_bytes()
    yield feeds
    feeds.close()


@pytest.fixture
def curated(tmp_path, server) -> Path:
    path = tmp_path / "resources.yaml"
    path.write_text(
        (FIXTURES / "minimal.yaml").read_text() + "feeds:\n"
        f"  - {{name: benlomond, url: '{server.url}/bl.json', fellowship: AA,"
        " timezone: America/Los_Angeles, prefix: bl}\n"
        f"  - {{name: kansas-city, url: '{server.url}/kc.json', fellowship: AA,"
        " timezone: America/Chicago, prefix: kc}\n"
    )
    return path


@pytest.fixture
def app(tmp_path, curated):
    return reloading_app(curated, tmp_path / "index")


def _sync(app, *args):
    return app.test_cli_runner().invoke(args=["sync", *args])


def _files(curated: Path) -> dict[str, tuple[int, bytes]]:
    folder = curated.parent / "feeds"
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.iterdir())}


def _names(client, query: str) -> str:
    return client.get(f"/search?q={query}").get_data(as_text=True)


def test_sync_writes_each_feed_and_the_server_merges_them(app, curated, server):
    result = _sync(app)
    assert result.exit_code == 0, result.output
    assert "benlomond: written: 35 added" in result.output
    assert "kansas-city: written: 206 added" in result.output
    catalog = app.extensions["directory"].current().catalog
    ids = [r.id for r in catalog.resources]
    assert len(ids) == len(set(ids))
    assert {i.split("-")[0] for i in ids if i.startswith(("bl-", "kc-"))} == {"bl", "kc"}
    assert sum(i.startswith("bl-") for i in ids) == 35
    assert "hawthorne-serenity-aa" in ids  # the curated file's own entries stay
    client = app.test_client()
    assert "Ward Parkway Group" in _names(client, "ward+parkway")
    assert "Daily Reflections" in _names(client, "daily+reflections")
    assert [f.name for f in catalog.feeds] == ["benlomond", "kansas-city"]


def test_a_resync_with_nothing_changed_asks_with_the_etag_and_writes_nothing(app, curated, server):
    assert _sync(app).exit_code == 0
    before = _files(curated)
    server.requests.clear()
    result = _sync(app)
    assert result.exit_code == 0, result.output
    assert "not modified since the last sync (304)" in result.output
    assert sorted(server.requests) == [("/bl.json", 304), ("/kc.json", 304)]
    assert _files(curated) == before


def test_a_server_without_validators_sending_the_same_answer_costs_no_conversion(
    app, curated, server
):
    server.plain |= {"/bl.json", "/kc.json"}  # as WordPress's admin-ajax answers
    assert "benlomond: written: 35 added" in _sync(app).output
    # Once more, in full: the answer is seen to make the same file, and is known from then on.
    result = _sync(app)
    assert "benlomond: unchanged" in result.output and "kansas-city: unchanged" in result.output
    state = json.loads((curated.parent / "feeds" / feed_sync.STATE_FILE).read_text())
    assert set(state["benlomond"]) == {"source", "answer"}
    before = _files(curated)
    result = _sync(app)
    assert result.exit_code == 0, result.output
    assert "benlomond: the same answer as the last sync; nothing written" in result.output
    assert "kansas-city: the same answer as the last sync" in result.output
    assert _files(curated) == before  # no file written, the state file included
    # What the file is made from besides the answer: the resource file, the feed file itself.
    curated.write_text(curated.read_text() + "# a comment\n")
    assert "benlomond: unchanged" in _sync(app, "benlomond").output
    bl = feed_file(curated, "benlomond")
    good = bl.read_bytes()
    bl.write_bytes(good.replace(b"Daily Reflections", b"Daily Reflection", 1))  # by hand
    assert "benlomond: written: 0 added, 1 changed" in _sync(app, "benlomond").output
    assert bl.read_bytes() == good
    meetings = json.loads(server.bodies["/bl.json"])
    meetings[0]["name"] = "Quillwort Reflections"
    server.bodies["/bl.json"] = json.dumps(meetings).encode()
    assert "benlomond: written: 0 added, 1 changed" in _sync(app, "benlomond").output


def test_a_new_etag_with_the_same_meetings_rewrites_no_feed_file(app, curated, server):
    assert _sync(app).exit_code == 0
    before = _files(curated)
    meetings = json.loads(server.bodies["/bl.json"])
    server.bodies["/bl.json"] = json.dumps(meetings, indent=2).encode()  # new bytes, same data
    result = _sync(app)
    assert "benlomond: unchanged" in result.output
    after = _files(curated)
    assert after["benlomond.yaml"] == before["benlomond.yaml"]
    assert after["kansas-city.yaml"] == before["kansas-city.yaml"]


def test_a_failing_feed_leaves_its_file_and_the_served_data_and_the_others_go_on(
    app, curated, server
):
    assert _sync(app).exit_code == 0
    client = app.test_client()
    assert "Ward Parkway Group" in _names(client, "ward+parkway")
    kc_before = _files(curated)["kansas-city.yaml"]
    meetings = json.loads(server.bodies["/bl.json"])
    meetings[0]["name"] = "Quillwort Reflections"
    server.bodies["/bl.json"] = json.dumps(meetings).encode()
    server.status["/kc.json"] = 500
    result = _sync(app)
    assert result.exit_code == 1
    assert "kansas-city: failed" in result.output and "500" in result.output
    assert "benlomond: written: 0 added, 1 changed" in result.output
    assert _files(curated)["kansas-city.yaml"] == kc_before
    assert "Quillwort Reflections" in _names(client, "quillwort")
    assert "Ward Parkway Group" in _names(client, "ward+parkway")  # the last good copy


@pytest.mark.parametrize(
    "body, message",
    [
        (b"<html>maintenance</html>", "not valid JSON"),
        (b'{"not": "a list"}', "list"),
    ],
)
def test_a_feed_that_cannot_be_read_is_reported_and_not_written(
    app, curated, server, body, message
):
    assert _sync(app).exit_code == 0
    before = _files(curated)
    server.bodies["/bl.json"] = body
    result = _sync(app, "benlomond")
    assert result.exit_code == 1
    assert "benlomond: failed" in result.output and message in result.output
    assert _files(curated) == before


def test_a_slow_server_times_out(app, curated, server):
    server.delay["/bl.json"] = 3
    started = time.monotonic()
    result = _sync(app, "benlomond", "--timeout", "0.5")
    assert time.monotonic() - started < 2.5
    assert result.exit_code == 1 and "timed out" in result.output
    assert not feed_file(curated, "benlomond").exists()


def test_a_feed_larger_than_the_limit_is_refused(server, tmp_path):
    with pytest.raises(FeedError, match="larger than 1,000 bytes"):
        feed_sync.fetch(f"{server.url}/kc.json", tmp_path, max_bytes=1000)


def test_a_feed_that_lost_most_of_its_meetings_needs_allow_shrink(app, curated, server):
    assert _sync(app).exit_code == 0
    before = _files(curated)
    server.bodies["/kc.json"] = json.dumps(json.loads(server.bodies["/kc.json"])[:20]).encode()
    app.config["RELOAD_MAX_SHRINK"] = 0.5
    result = _sync(app, "kansas-city")
    assert result.exit_code == 1
    assert "kansas-city: refused" in result.output and "--allow-shrink" in result.output
    assert _files(curated) == before
    result = _sync(app, "kansas-city", "--allow-shrink")
    assert result.exit_code == 0 and "removed" in result.output
    assert _files(curated)["kansas-city.yaml"] != before["kansas-city.yaml"]


def test_a_dry_run_shows_the_diff_and_writes_nothing(app, curated, server):
    result = _sync(app, "--dry-run", "--diff", "benlomond")
    assert result.exit_code == 0, result.output
    assert "benlomond: would be written: 35 added" in result.output
    assert '+- {"id": "bl-daily-reflections", "name": "Daily Reflections"' in result.output
    assert not (curated.parent / "feeds").exists()


def _app_with_local_feed(tmp_path, source: Path, declaration: str):
    """Return an app whose curated file declares one feed read from a copy of `source`."""
    curated = tmp_path / "resources.yaml"
    (tmp_path / source.name).write_bytes(source.read_bytes())
    curated.write_text((FIXTURES / "minimal.yaml").read_text() + f"feeds:\n  - {declaration}\n")
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "DATA_PATH": str(curated),
            "INDEX_DIR": str(tmp_path / "index"),
        }  # fmt: skip
    )


def test_a_local_path_is_a_feed_too(tmp_path):
    declaration = "{name: bl, path: benlomond.json, fellowship: AA, prefix: bl}"
    app = _app_with_local_feed(tmp_path, REAL / "benlomond.json", declaration)
    result = _sync(app)
    assert result.exit_code == 0, result.output
    assert "bl: written: 35 added" in result.output
    assert app.test_cli_runner().invoke(args=["validate"]).exit_code == 0


def _slow_feeds(tmp_path, servers: list[FeedServer], per_server: int) -> tuple[Path, list]:
    """Return a curated file declaring `per_server` slow feeds on each server, and their names."""
    names, lines = [], [(FIXTURES / "minimal.yaml").read_text(), "feeds:"]
    body = (REAL / "benlomond.json").read_bytes()
    for n in range(per_server * len(servers)):
        feeds, name = servers[n % len(servers)], f"slow-{n}"
        feeds.bodies[f"/{name}.json"] = body
        feeds.delay[f"/{name}.json"] = 0.5  # a WordPress site making its feed
        names.append(name)
        lines.append(f"  - {{name: {name}, url: '{feeds.url}/{name}.json', fellowship: AA,"
                     f" timezone: America/Los_Angeles, prefix: s{n}}}")  # fmt: skip
    curated = tmp_path / "resources.yaml"
    curated.write_text("\n".join(lines) + "\n")
    return curated, names


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_slow_servers_are_asked_together_and_reported_in_order(tmp_path, jobs):
    everyone = InFlight()
    servers = [FeedServer(everyone) for _ in range(3)]
    try:
        curated, names = _slow_feeds(tmp_path, servers, 2)
        result = _sync(reloading_app(curated, tmp_path / "index"), "--jobs", jobs)
    finally:
        for feeds in servers:
            feeds.close()
    assert result.exit_code == 0, result.output
    reported = [line.split(":")[0] for line in result.output.splitlines() if "written" in line]
    assert reported == names
    assert everyone.most >= 4  # one at a time, each feed would wait for the one before


def test_one_server_is_never_asked_more_than_twice_at_once(tmp_path, server):
    curated, names = _slow_feeds(tmp_path, [server], 6)
    result = _sync(reloading_app(curated, tmp_path / "index"))
    assert result.exit_code == 0, result.output
    assert sum("written" in line for line in result.output.splitlines()) == len(names)
    assert server.in_flight.most == feed_sync.FETCHES_PER_HOST == 2


def test_a_sync_process_killed_midway_fails_its_feeds_and_the_command_says_so(tmp_path, server):
    curated, names = _slow_feeds(tmp_path, [server], 4)
    for name in names[:2]:
        server.delay[f"/{name}.json"] = 0

    def kill_the_workers():  # as the kernel's out-of-memory killer would
        time.sleep(1.5)  # the first two feeds are converted by then
        for worker in multiprocessing.active_children():
            os.kill(worker.pid, signal.SIGKILL)

    server.before[f"/{names[2]}.json"] = kill_the_workers
    result = _sync(reloading_app(curated, tmp_path / "index"), "--jobs", "2")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert f"{names[3]}: failed: its sync process failed" in result.output
    assert "not synced:" in result.output and names[3] in result.output
    assert not feed_file(curated, names[3]).exists()


def test_names_not_declared_are_refused(app):
    result = _sync(app, "nowhere")
    assert result.exit_code == 1 and "not declared under feeds: nowhere" in result.output


def test_a_bmlt_feed_is_synced_with_its_own_format(tmp_path):
    declaration = "{name: na, path: search.json, format: bmlt, fellowship: NA, prefix: na}"
    app = _app_with_local_feed(tmp_path, FIXTURES / "import" / "bmlt" / "search.json", declaration)
    result = _sync(app)
    assert result.exit_code == 0, result.output
    assert "na: written:" in result.output
    catalog = app.extensions["directory"].current().catalog
    assert any(r.id.startswith("na-") and r.fellowship == "NA" for r in catalog.resources)


def test_a_feed_file_reads_back_exactly_what_was_written():
    import datetime as dt

    from directory.core.model import Feed
    from directory.datafile.yaml_lines import load_bounded

    odd = 'Line\u2028sep \x85 C1 \ufeff bom \U0001f600 "quoted" back\\slash: #no comment, [x]'
    records = [
        {"id": "x-1", "name": odd, "types": ["O", "19:00", "1e5", "yes", "~"], "n": 1.5},
        {"id": "x-2", "last_verified": dt.date(2026, 6, 1), "extra": {"empty": [], "no": None}},
    ]
    text = feed_sync.render(Feed("x", "x.json", "AA", "x"), records)
    document, duplicates, long_texts = load_bounded(text.decode("utf-8"))
    assert not duplicates and not long_texts
    assert document["resources"][0] == records[0]
    assert document["resources"][1] == {**records[1], "last_verified": "2026-06-01"}
    assert document["feed"] == {"name": "x", "source": "x.json"}
    assert (
        load_bounded(feed_sync.render(Feed("x", "x", "AA", "x"), []).decode())[0]["resources"] == []
    )


def test_feeds_synced_in_parallel_make_the_same_files_as_one_at_a_time(app, curated, server):
    import shutil

    assert _sync(app, "--jobs", "1").exit_code == 0
    one_at_a_time = {name: body for name, (_, body) in _files(curated).items()}
    shutil.rmtree(curated.parent / "feeds")
    result = _sync(app, "--jobs", "2")
    assert result.exit_code == 0, result.output
    assert result.output.index("benlomond:") < result.output.index("kansas-city:")  # in order
    assert {name: body for name, (_, body) in _files(curated).items()} == one_at_a_time


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_entry_the_validation_refuses_is_skipped_and_the_rest_written(tmp_path, jobs):
    place = {"day": 1, "time": "19:00", "formatted_address": "1 Main St, Portland, OR 97214",
             "latitude": 45.5163, "longitude": -122.649}  # fmt: skip
    meetings = [
        {**place, "slug": "fine", "name": "Fine"},
        {**place, "slug": "bad-site", "name": "Bad Site", "url": "https://x"},  # no dot
        {**place, "slug": "also-fine", "name": "Also Fine"},
    ]
    (tmp_path / "f.json").write_text(json.dumps(meetings))
    (tmp_path / "g.json").write_text(json.dumps(meetings[:1]))
    curated = tmp_path / "resources.yaml"
    curated.write_text(
        (FIXTURES / "minimal.yaml").read_text() + "feeds:\n"
        "  - {name: f, path: f.json, fellowship: AA, prefix: f}\n"
        "  - {name: g, path: g.json, fellowship: AA, prefix: g}\n"
    )
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "DATA_PATH": str(curated),
            "INDEX_DIR": str(tmp_path / "index"),
        }  # fmt: skip
    )
    result = _sync(app, "--jobs", jobs)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if not line.startswith("static/")]
    assert [line.split(" [")[0] for line in lines] == [
        "f: written: 2 added, 0 changed, 0 removed; 1 record(s) skipped",
        "  skipped record 2 (slug 'bad-site'): refused by the validation: website: 'https://x'"
        " is not a web address (https://...)",
        "g: written: 1 added, 0 changed, 0 removed",
    ]
    written = feed_file(curated, "f").read_text()
    assert '"id": "f-fine"' in written and '"id": "f-also-fine"' in written
    assert "bad-site" not in written
    assert app.test_cli_runner().invoke(args=["validate"]).exit_code == 0


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_id_the_curated_file_uses_is_refused_with_its_line_there(tmp_path, jobs):
    """The curated file's verdicts come from the sync's entry cache: its lines stay right."""
    meeting = {"day": 1, "time": "19:00", "formatted_address": "1 Main St, Portland, OR 97214",
               "latitude": 45.5163, "longitude": -122.649}  # fmt: skip
    (tmp_path / "f.json").write_text(
        json.dumps(
            [
                {**meeting, "slug": "serenity-aa", "name": "Dup"},
                {**meeting, "slug": "x", "name": "X"},
            ]
        )
    )
    curated = tmp_path / "resources.yaml"
    curated.write_text(
        (FIXTURES / "minimal.yaml").read_text()
        + "feeds:\n  - {name: f, path: f.json, fellowship: AA, prefix: hawthorne}\n"
    )
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "DATA_PATH": str(curated),
            "INDEX_DIR": str(tmp_path / "index"),
        }  # fmt: skip
    )
    line = 1 + (FIXTURES / "minimal.yaml").read_text().splitlines().index(
        "  - id: hawthorne-serenity-aa"
    )
    result = _sync(app, "--jobs", jobs)
    assert result.exit_code == 0, result.output
    assert (
        "  skipped record 1 (slug 'serenity-aa'): refused by the validation: id: duplicate id"
        f" 'hawthorne-serenity-aa': also used by the resource at {curated}:{line}"
    ) in result.output.splitlines()
    assert '"id": "hawthorne-x"' in feed_file(curated, "f").read_text()
