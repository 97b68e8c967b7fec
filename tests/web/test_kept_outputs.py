"""Whole-directory outputs over real HTTP: built once per data version, gzip or plain, 304.

A real server on 127.0.0.1 and http.client, so what is checked is what goes over the wire:
Content-Encoding, Vary, Content-Length on HEAD, and the gzip opened by the gzip module. The
expected bytes are rendered afresh the way the views rendered them before they were kept.
"""

from __future__ import annotations

import gzip
import http.client
import os
import shutil
import threading
import tracemalloc
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from directory import create_app
from directory.formats.icalendar import calendar_for
from directory.formats.meeting_guide.write import meeting_guide_feed
from directory.search import facets
from directory.web import api_schemas, kept_outputs
from directory.web.links import public_url
from directory.web.version_outputs import make_output
from tests.browser import live_server
from tests.conftest import SAMPLE

BASE_URL = "https://directory.example.org"


@pytest.fixture
def sample_path(tmp_path):
    path = tmp_path / "resources.yaml"
    shutil.copy(SAMPLE, path)
    return path


@pytest.fixture
def live(tmp_path, sample_path):
    app = create_app(
        {
            "SECRET_KEY": "kept-outputs-" + "s" * 32,
            "ENV_NAME": "development",
            "BASE_URL": BASE_URL,
            "DATA_PATH": str(sample_path),
            "INDEX_DIR": str(tmp_path / "index"),
            "RELOAD_CHECK_SECONDS": 0,
            "RELOAD_SETTLE_SECONDS": 0,
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    with live_server(app) as url:
        yield app, urlsplit(url).port


def fetch(port: int, path: str, method: str = "GET", **headers: str):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            method, path, headers={k.replace("_", "-"): v for k, v in headers.items()}
        )
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def fresh_feed(app, fellowship: str | None = None) -> bytes:
    """The feed as the view built it on every request before it was kept."""
    catalog = app.extensions["directory"].current().catalog
    with app.test_request_context("/api/v1/meetings.json"):
        feed = meeting_guide_feed(catalog, public_url, fellowship)
        dumped = api_schemas.MeetingSchema(many=True).dump(feed)
        return app.json.response(dumped).get_data()


def test_the_feed_is_the_fresh_render_byte_for_byte_plain_or_gzipped(live):
    app, port = live
    expected = fresh_feed(app)
    status, headers, body = fetch(port, "/api/v1/meetings.json", Accept_Encoding="gzip")
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in headers["vary"]
    assert int(headers["content-length"]) == len(body) < len(expected) / 4
    assert gzip.decompress(body) == expected
    status, plain_headers, plain = fetch(port, "/api/v1/meetings.json")
    assert status == 200 and plain == expected
    assert "content-encoding" not in plain_headers
    assert "Accept-Encoding" in plain_headers["vary"]
    # Two representations, two strong ETags; q=0 refuses gzip.
    assert plain_headers["etag"] != headers["etag"]
    status, refused, body = fetch(port, "/api/v1/meetings.json", Accept_Encoding="gzip;q=0")
    assert body == expected and refused["etag"] == plain_headers["etag"]
    assert app.extensions["directory"].snapshot.outputs.builds == 1  # built once for all three


def test_one_fellowships_feed_calendar_and_the_vocabularies_are_kept_too(live):
    app, port = live
    assert fetch(port, "/api/v1/meetings/aa.json")[2] == fresh_feed(app, "AA")
    _, _, body = fetch(port, "/api/v1/meetings.json?fellowship=aa", Accept_Encoding="gzip")
    assert gzip.decompress(body) == fresh_feed(app, "AA")
    snapshot = app.extensions["directory"].current()
    with app.test_request_context("/api/v1/vocabularies"):
        vocabularies = app.json.response(
            api_schemas.VocabulariesSchema().dump(facets.vocabularies(snapshot.catalog))
        ).get_data()
        meetings = [
            r
            for r in snapshot.catalog.active()
            if r.is_meeting and r.schedule and r.attendance != "inactive" and r.fellowship == "NA"
        ]
        loaded = datetime.fromtimestamp(int(snapshot.loaded_at), UTC)
        name = f"NA meetings · {snapshot.catalog.directory.name}"
        calendar = calendar_for(meetings, public_url, loaded, name=name)
    assert fetch(port, "/api/v1/vocabularies")[2] == vocabularies
    status, headers, body = fetch(port, "/calendars/fellowships/na.ics", Accept_Encoding="gzip")
    assert status == 200 and headers["content-type"].startswith("text/calendar")
    assert gzip.decompress(body) == calendar
    assert fetch(port, "/calendars/fellowships/na.ics")[2] == calendar
    assert fetch(port, "/calendars/fellowships/no-such.ics")[0] == 404
    assert snapshot.outputs.builds == 3  # the AA feed (at two addresses), vocabularies, NA calendar


def test_if_none_match_gets_304_and_head_tells_the_length_without_a_body(live):
    _, port = live
    path = "/api/v1/meetings.json"
    _, zipped, body = fetch(port, path, Accept_Encoding="gzip")
    _, plain, _ = fetch(port, path)
    for tag in (zipped["etag"], plain["etag"]):  # either tag names this version
        status, headers, nothing = fetch(port, path, Accept_Encoding="gzip", If_None_Match=tag)
        assert status == 304 and nothing == b"" and headers["etag"] == zipped["etag"]
    status, headers, nothing = fetch(port, path, If_None_Match=zipped["etag"])
    assert status == 304 and headers["etag"] == plain["etag"]
    status, headers, nothing = fetch(port, path, "HEAD", Accept_Encoding="gzip")
    assert status == 200 and nothing == b""
    assert headers["content-encoding"] == "gzip"
    assert int(headers["content-length"]) == len(body)
    status, _, _ = fetch(port, "/calendars/fellowships/na.ics", If_None_Match='"other"')
    assert status == 200
    _, ics, _ = fetch(port, "/calendars/fellowships/na.ics", Accept_Encoding="gzip")
    assert fetch(port, "/calendars/fellowships/na.ics", If_None_Match=ics["etag"])[0] == 304


def test_a_new_data_file_gives_a_new_etag_and_body_and_drops_the_old_outputs(live, sample_path):
    app, port = live
    path = "/api/v1/meetings.json"
    _, before, old_body = fetch(port, path, Accept_Encoding="gzip")
    old_snapshot = app.extensions["directory"].snapshot
    text = sample_path.read_text()
    assert "Gresham Noon" in text
    sample_path.write_text(text.replace("Gresham Noon", "Belmont Hope"))
    stat = os.stat(sample_path)
    os.utime(sample_path, (stat.st_atime + 10, stat.st_mtime + 10))
    status, after, new_body = fetch(port, path, Accept_Encoding="gzip")
    assert status == 200 and after["etag"] != before["etag"]
    assert b"Belmont Hope" in gzip.decompress(new_body)
    assert b"Gresham Noon" not in gzip.decompress(new_body)
    assert b"Gresham Noon" in gzip.decompress(old_body)
    assert gzip.decompress(new_body) == fresh_feed(app)
    # The old version's tag no longer matches: the client gets the new feed, not a 304.
    assert fetch(port, path, Accept_Encoding="gzip", If_None_Match=before["etag"])[0] == 200
    new_snapshot = app.extensions["directory"].snapshot
    assert new_snapshot is not old_snapshot and new_snapshot.outputs is not old_snapshot.outputs
    assert new_snapshot.outputs.builds == 1


def test_requests_arriving_together_get_the_same_bytes_from_one_build(live):
    app, port = live
    bodies = []

    def get():
        bodies.append(fetch(port, "/api/v1/meetings.json", Accept_Encoding="gzip")[2])

    threads = [threading.Thread(target=get) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(bodies) == 6 and len(set(bodies)) == 1
    assert gzip.decompress(bodies[0]) == fresh_feed(app)
    assert app.extensions["directory"].snapshot.outputs.builds == 1


PIECES_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "pieces-" + "s" * 32,
    "ENV_NAME": "development",
    "RATELIMIT_STORAGE_URI": "memory://",  # not a file in the checkout's instance/
}


def _records(count: int):
    for n in range(count):
        yield {"slug": f"meeting-{n}", "name": f"Meeting «{n}»", "day": n % 7, "types": ["O", "D"]}


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("count", [0, 1, 999, 1000, 1001, 2500])
def test_a_json_array_in_pieces_is_the_bytes_flask_sends_for_the_whole(count, debug):
    app = create_app(PIECES_CONFIG)
    app.debug = debug
    with app.test_request_context("/api/v1/meetings.json"):
        whole = app.json.response(list(_records(count))).get_data()
        pieces = list(kept_outputs.json_array_pieces(_records(count), list))
    assert b"".join(pieces) == whole
    assert debug or len(pieces) == count // kept_outputs.JSON_BATCH + 2 - (count % 1000 == 0)


def test_a_large_feed_is_kept_without_ever_holding_its_whole_text():
    app = create_app(PIECES_CONFIG)
    count = 100_000
    with app.test_request_context("/api/v1/meetings.json"):
        tracemalloc.start()
        try:
            output = make_output(kept_outputs.json_array_pieces(_records(count), list), "x/y")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        whole = app.json.response(list(_records(count))).get_data()
    assert gzip.decompress(output.gzipped) == whole and output.kept_plain is None
    # One batch's records and text at a time, and the gzip (0.6 MB) gathered and joined: about
    # 2 MB. A build of the whole list held every record (about 60 MB) and the whole text (8.6 MB).
    assert peak < len(whole) / 3
