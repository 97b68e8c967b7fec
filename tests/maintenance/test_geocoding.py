"""Geocoding through geopy against a local Nominatim-compatible HTTP server (real HTTP)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from geopy.geocoders.base import _DEFAULT_USER_AGENT

from directory import create_app
from directory.core.model import Location
from directory.datafile import editing
from directory.datafile.load import load_catalog
from directory.maintenance import geocoding

UA = "test-recovery-directory/1.0 (maintainers@example.org)"

HOUSE = {
    "place_id": 1,
    "lat": "45.5122001",
    "lon": "-122.6470002",
    "class": "place",
    "type": "house",
    "place_rank": 30,
    "addresstype": "place",
    "display_name": "1234, Southeast Hawthorne Boulevard, Portland, Oregon, 97214, United States",
}
STREET = {
    "place_id": 2,
    "lat": "45.5046",
    "lon": "-122.6197",
    "class": "highway",
    "type": "secondary",
    "place_rank": 26,
    "addresstype": "road",
    "display_name": "Southeast Division Street, Portland, Oregon, United States",
}
TOWN = {
    "place_id": 3,
    "lat": "45.4871",
    "lon": "-122.8037",
    "class": "boundary",
    "type": "administrative",
    "place_rank": 16,
    "addresstype": "city",
    "display_name": "Beaverton, Oregon, United States",
}

# The server answers by the street number that starts the query.
BEHAVIOUR = {
    "1234": ("json", [HOUSE]),
    "4110": ("json", [STREET]),
    "9999": ("json", []),
    "7000": ("sleep", None),
    "4290": ("status", 429),
    "5000": ("status", 500),
    "5001": ("status", 500),
    "5002": ("status", 500),
    "Beaverton": ("json", [TOWN]),
}


class FakeNominatim:
    """A Nominatim-compatible /search on 127.0.0.1 that counts and records requests."""

    def __init__(self, sleep_seconds: float = 2.0):
        self.requests: list[dict] = []
        self.times: list[float] = []
        self.sleep_seconds = sleep_seconds
        self.release = threading.Event()
        self.on_request = None  # called with the query before answering
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                parts = urlsplit(self.path)
                params = {k: v[0] for k, v in parse_qs(parts.query).items()}
                server.requests.append(
                    {"path": parts.path, "params": params, "ua": self.headers["User-Agent"]}
                )
                server.times.append(time.monotonic())
                query = params.get("q", "")
                if server.on_request is not None:
                    server.on_request(query)
                kind, value = next(
                    (b for key, b in BEHAVIOUR.items() if query.startswith(key)), ("json", [])
                )
                try:
                    if kind == "sleep":
                        server.release.wait(server.sleep_seconds)
                        self._send(200, [HOUSE])
                    elif kind == "status":
                        self._send(value, {"error": "nope"}, {"Retry-After": "30"})
                    else:
                        self._send(200, value)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def _send(self, status, body, headers=None):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    fake = FakeNominatim()
    yield fake
    fake.close()


FILE = """\
# Sample for geocoding tests.
format: 1
directory:
  name: Test Directory
  timezone: America/Los_Angeles
  country: US
  center: {lat: 45.5152, lon: -122.6784}
locations:
  st-marks-hall:   # the hall behind the church
    name: St. Mark's Parish Hall
    address: 1234 SE Hawthorne Blvd
    city: Portland
    state: OR
    postal_code: "97214"
resources:
  - id: hawthorne-serenity-aa
    name: Hawthorne Serenity Group
    category: meeting
    fellowship: AA
    location: st-marks-hall
    schedule:
      - {days: [mon], start: "19:00"}
  - id: eastside-bridge-clinic
    name: Eastside Bridge Clinic
    category: mat
    phone: (503) 238-4410
    location:
      address: 4110 SE Division St
      address_2: Suite 200
      city: Portland
      state: OR
      postal_code: "97202"
  - id: nowhere-pantry
    name: Nowhere Pantry
    category: food
    location:
      address: 9999 Imaginary Ave
      city: Portland
      state: OR
  - id: already-placed
    name: Already Placed
    category: food
    location: {address: 1 Main St, city: Portland, state: OR, lat: 45.52, lon: -122.68}
"""


def write_file(path, extra: str = "") -> None:
    path.write_text(FILE + extra)


@pytest.fixture
def data_path(tmp_path):
    path = tmp_path / "resources.yaml"
    write_file(path)
    return path


@pytest.fixture
def app(tmp_path, data_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATA_PATH": str(data_path),
            "INDEX_DIR": str(tmp_path / "index"),
            "GEOCODE_CACHE": str(tmp_path / "instance" / "geocode-cache.json"),
            "GEOCODER_USER_AGENT": UA,
        }
    )
    return app


def geocode(runner, server, *args):
    base = ["geocode", "--url", server.url, "--min-delay-seconds", "0", "--timeout", "0.5"]
    return runner.invoke(args=base + list(args))


# --- pure parts ----------------------------------------------------------------------------------


def test_query_leaves_out_the_suite():
    loc = Location(
        address="4110 SE Division St",
        address_2="Suite 200",
        city="Portland",
        state="OR",
        postal_code="97202",
    )
    assert geocoding.query_for(loc) == "4110 SE Division St, Portland, OR 97202"
    assert geocoding.query_for(Location(city="Beaverton", state="OR")) == "Beaverton, OR"
    assert geocoding.query_for(Location(name="Somewhere")) == ""


@pytest.mark.parametrize(
    "raw, precision",
    [
        (HOUSE, "address"),
        (STREET, "street"),
        (TOWN, "area"),
        (
            {"class": "amenity", "type": "clinic", "place_rank": 30, "addresstype": "amenity"},
            "address",
        ),
        ({"category": "building", "type": "yes", "place_rank": "30"}, "address"),  # jsonv2
        ({"class": "highway", "type": "residential", "place_rank": 27}, "street"),
        ({"class": "place", "type": "postcode", "place_rank": 21}, "area"),
        ({"class": "place", "type": "house"}, "address"),  # no rank: from class/type
        ({"addresstype": "road", "place_rank": "not a number"}, "street"),
        ({}, "unknown"),
    ],
)
def test_nominatim_precision(raw, precision):
    assert geocoding.nominatim_precision(raw) == precision


def test_photon_precision():
    assert geocoding.photon_precision({"properties": {"type": "house"}}) == "address"
    assert geocoding.photon_precision({"properties": {"type": "street"}}) == "street"
    assert geocoding.photon_precision({"properties": {"type": "city"}}) == "area"
    assert geocoding.photon_precision({}) == "unknown"


@pytest.mark.parametrize("ua", [None, "", "   ", _DEFAULT_USER_AGENT, "geopy/1.0", "a\nb"])
def test_a_real_user_agent_is_required(ua):
    with pytest.raises(geocoding.GeocodingRefused):
        geocoding.make_geocoder("nominatim", ua)


def test_public_nominatim_needs_a_second_between_requests():
    with pytest.raises(geocoding.GeocodingRefused, match="one request per second"):
        geocoding.make_geocoder("nominatim", UA, min_delay_seconds=0.5)
    assert geocoding.make_geocoder("nominatim", UA, min_delay_seconds=1)
    # Your own server may be asked faster.
    assert geocoding.make_geocoder("nominatim", UA, domain="127.0.0.1:1", min_delay_seconds=0)


@pytest.mark.parametrize(
    "url, domain",
    [("ftp://x.org", None), ("http://", None), (None, "a/b"), ("http://a.org", "a.org")],
)
def test_bad_server_options_are_refused(url, domain):
    with pytest.raises(geocoding.GeocodingRefused):
        geocoding.parse_server(url, domain)


def test_find_targets(data_path):
    targets = geocoding.find_targets(load_catalog(data_path))
    assert [(t.kind, t.id) for t in targets] == [
        ("location", "st-marks-hall"),
        ("resource", "eastside-bridge-clinic"),
        ("resource", "nowhere-pantry"),
    ]
    assert targets[0].line == 9  # the shared location's own line under locations:
    assert targets[1].country == "US"


# --- through the command, over HTTP ---------------------------------------------------------------


def test_dry_run_reports_and_writes_nothing(runner, server, data_path, app):
    before = data_path.read_text()
    result = geocode(runner, server)
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"{data_path}:9: location 'st-marks-hall': 45.5122, -122.647 <- 1234 SE" in out
    assert (
        "resource 'eastside-bridge-clinic': 45.5046, -122.6197 (approximate: only the street)"
        in out
    )
    assert f"{data_path}:33: resource 'nowhere-pantry': not found: 9999 Imaginary Ave" in out
    assert "2 found (1 approximate), 1 not found, 0 failed; 3 request(s) sent" in out
    assert "dry run" in out
    assert data_path.read_text() == before
    assert list(data_path.parent.glob("*.bak")) == []
    # What was sent: the public policy's user agent, the country, no suite number.
    assert {r["ua"] for r in server.requests} == {UA}
    assert all(r["path"] == "/search" for r in server.requests)
    assert all(r["params"]["countrycodes"] == "us" for r in server.requests)
    assert server.requests[1]["params"]["q"] == "4110 SE Division St, Portland, OR 97202"
    cache = json.loads((data_path.parent / "instance" / "geocode-cache.json").read_text())
    assert len(cache["entries"]) == 3
    assert sum(not e["found"] for e in cache["entries"].values()) == 1


def test_second_run_asks_nothing(runner, server):
    assert geocode(runner, server).exit_code == 0
    assert len(server.requests) == 3
    result = geocode(runner, server)
    assert result.exit_code == 0, result.output
    assert len(server.requests) == 3  # not found was cached too
    assert "0 request(s) sent" in result.output
    assert result.output.count("[cached]") == 2


def test_write_sets_coordinates_and_keeps_the_rest(runner, server, data_path):
    before = data_path.read_text()
    result = geocode(runner, server, "--write")
    assert result.exit_code == 0, result.output
    assert "wrote 2 coordinate(s)" in result.output
    after = data_path.read_text()
    assert "# the hall behind the church" in after  # (editing.py may re-space it)
    assert after.startswith("# Sample for geocoding tests.\n")
    backups = list(data_path.parent.glob("resources.yaml.*.bak"))
    assert len(backups) == 1 and backups[0].read_text() == before
    catalog = load_catalog(data_path)
    hall = catalog.locations["st-marks-hall"]
    assert (hall.lat, hall.lon, hall.approximate) == (45.5122, -122.647, False)
    clinic = catalog.by_id("eastside-bridge-clinic").location
    assert (clinic.lat, clinic.lon, clinic.approximate) == (45.5046, -122.6197, True)
    assert clinic.address_2 == "Suite 200"
    assert catalog.by_id("nowhere-pantry").location.point is None
    assert catalog.by_id("already-placed").location.point is not None
    # Only the geocoded entries changed.
    diff = editing.diff_text(before, after).splitlines()[2:]
    changed = [line for line in diff if line[:1] in "+-" and "the hall" not in line]
    assert changed == [
        "+    lat: 45.5122",
        "+    lon: -122.647",
        "+      lat: 45.5046",
        "+      lon: -122.6197",
        "+      approximate: true",
    ]


def test_town_only_address_is_approximate(runner, server, data_path):
    data_path.write_text(
        FILE + "  - id: beaverton-house\n"
        "    name: Beaverton House\n"
        "    category: housing\n"
        "    phone: (503) 555-0100\n"
        "    location: {city: Beaverton, state: OR}\n"
    )
    result = geocode(runner, server, "--write")
    assert result.exit_code == 0, result.output
    loc = load_catalog(data_path).by_id("beaverton-house").location
    assert (loc.lat, loc.lon, loc.approximate) == (45.4871, -122.8037, True)


def test_timeout_is_reported_and_the_run_goes_on(runner, server, data_path):
    data_path.write_text(FILE.replace("1234 SE Hawthorne", "7000 SE Slow"))
    started = time.monotonic()
    result = geocode(runner, server, "--write")
    assert time.monotonic() - started < 1.8  # gave up on the slow answer after 0.5 s
    assert result.exit_code == 1
    assert "location 'st-marks-hall': not looked up: no answer in time" in result.output
    assert "1 found (1 approximate), 1 not found, 1 failed" in result.output
    catalog = load_catalog(data_path)
    assert catalog.locations["st-marks-hall"].point is None
    assert catalog.by_id("eastside-bridge-clinic").location.point is not None
    # A failure is not an answer: the next run asks again, and only that.
    server.release.set()
    geocode(runner, server)
    assert [r["params"]["q"][:4] for r in server.requests] == ["7000", "4110", "9999", "7000"]


def test_rate_limited_stops_and_writes_nothing(runner, server, data_path):
    data_path.write_text(FILE.replace("4110 SE Division", "4290 SE Busy"))
    before = data_path.read_text()
    result = geocode(runner, server, "--write")
    assert result.exit_code == 1
    assert "too many requests (HTTP 429)" in result.output
    assert "wait 30 s" in result.output
    assert "1 location(s) not looked up" in result.output
    assert "nothing was written" in result.output
    assert len(server.requests) == 2  # the third address was never asked
    assert data_path.read_text() == before
    assert list(data_path.parent.glob("*.bak")) == []
    # The answer received before the 429 is kept.
    cache = json.loads((data_path.parent / "instance" / "geocode-cache.json").read_text())
    assert len(cache["entries"]) == 1


def test_server_error_is_per_address_then_stops_after_three(runner, server, data_path):
    data_path.write_text(FILE.replace("4110 SE Division", "5000 SE Broken"))
    result = geocode(runner, server, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert [o["status"] for o in report["outcomes"]] == ["found", "error", "not-found"]
    assert "failed" in report["outcomes"][1]["error"]
    assert report["stopped"] is None

    extra = "".join(
        f"  - id: broken-{n}\n    name: Broken {n}\n    category: food\n"
        f"    location: {{address: {n} SE Broken St, city: Portland, state: OR}}\n"
        for n in (5001, 5002, 1234)
    )
    data_path.write_text(FILE.replace("9999 Imaginary", "5000 Other") + extra)
    result = geocode(runner, server, "--write", "--format", "json")
    report = json.loads(result.output)
    assert result.exit_code == 1
    assert "3 failures in a row" in report["stopped"]
    assert report["written"] is False
    assert report["not_reached"] == ["resource 'broken-1234'"]
    assert len(server.requests) == 3 + 4  # 1234 was cached by the first run


def test_unreachable_server_stops_cleanly(runner, data_path, tmp_path):
    dead = FakeNominatim()
    dead.close()  # nothing listens on that port any more
    result = geocode(runner, dead, "--write")
    assert result.exit_code == 1
    assert "stopped: the geocoder cannot be reached" in result.output
    assert "2 location(s) not looked up" in result.output
    assert "Traceback" not in result.output


def test_requests_are_spaced(app, server, data_path, tmp_path):
    catalog = load_catalog(data_path)
    geocoder = geocoding.make_geocoder(
        "nominatim", UA, scheme="http", domain=server.url.split("//")[1], min_delay_seconds=1
    )
    now, sleeps = [1000.0], []

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    run = geocoding.geocode_targets(
        geocoding.find_targets(catalog),
        geocoder,
        geocoding.GeocodeCache(tmp_path / "cache.json"),
        "nominatim",
        min_delay_seconds=1,
        sleep=sleep,
        clock=lambda: now[0],
    )
    assert run.requests == 3
    assert sleeps == [1.0, 1.0]  # one second between requests, none before the first
    # And with the real clock: three requests 0.2 s apart take at least 0.4 s.
    server.times.clear()
    geocoding.geocode_targets(
        geocoding.find_targets(catalog),
        geocoder,
        geocoding.GeocodeCache(tmp_path / "other-cache.json"),
        "nominatim",
        min_delay_seconds=0.2,
    )
    assert server.times[-1] - server.times[0] >= 0.35


def test_default_user_agent_is_refused_before_any_request(app, server):
    app.config["GEOCODER_USER_AGENT"] = None
    runner = app.test_cli_runner()
    result = geocode(runner, server)
    assert result.exit_code == 1
    assert "user agent" in result.output
    result = geocode(runner, server, "--user-agent", _DEFAULT_USER_AGENT)
    assert result.exit_code == 1
    assert "default user agent" in result.output
    assert server.requests == []


@pytest.mark.parametrize("content", ["{not json", '{"version": 99}', "[]"])
def test_broken_cache_is_refused(runner, server, data_path, content):
    cache = data_path.parent / "instance" / "geocode-cache.json"
    cache.parent.mkdir()
    cache.write_text(content)
    result = geocode(runner, server)
    assert result.exit_code == 1
    assert "geocode cache" in result.output
    assert server.requests == []


def test_damaged_cache_entry_is_asked_again(runner, server, data_path):
    cache = data_path.parent / "instance" / "geocode-cache.json"
    geocode(runner, server)
    data = json.loads(cache.read_text())
    key = next(k for k, v in data["entries"].items() if v["found"])
    data["entries"][key]["lat"] = "north"
    cache.write_text(json.dumps(data))
    geocode(runner, server)
    assert len(server.requests) == 4


def test_file_changed_meanwhile_is_not_overwritten(runner, server, data_path):
    def edit(query):
        if query.startswith("9999"):  # a maintainer saves the file during the run
            data_path.write_text(data_path.read_text() + "# edited\n")

    server.on_request = edit
    result = geocode(runner, server, "--write")
    assert result.exit_code == 1
    assert "changed while geocoding; nothing was written" in result.output
    assert data_path.read_text().endswith("# edited\n")
    assert "lat: 45.5122" not in data_path.read_text()


def test_apply_run_in_memory(app, server, data_path, tmp_path):
    doc = editing.load_document(data_path)
    catalog = load_catalog(data_path)
    geocoder = geocoding.make_geocoder(
        "nominatim", UA, scheme="http", domain=server.url.split("//")[1], min_delay_seconds=0
    )
    run = geocoding.geocode_targets(
        geocoding.find_targets(catalog),
        geocoder,
        geocoding.GeocodeCache(tmp_path / "c.json"),
        "nominatim",
        min_delay_seconds=0,
    )
    changes = geocoding.apply_run(doc, run)
    assert sorted(changes.changed) == ["eastside-bridge-clinic", "st-marks-hall"]
    assert "lat: 45.5122" in doc.text


def test_nothing_to_do(runner, server, data_path):
    data_path.write_text(FILE.split("locations:")[0] + "resources: []\n")
    result = geocode(runner, server)
    assert result.exit_code == 0
    assert "nothing to do" in result.output
    result = geocode(runner, server, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.output)["outcomes"] == []
    assert server.requests == []


def test_feed_entries_are_not_looked_up_but_counted(runner, server, data_path):
    """A feed file is rewritten by sync: its missing coordinates are reported, not geocoded."""
    write_file(
        data_path,
        "feeds:\n  - {name: east, url: 'https://feeds.example.org/e.json', fellowship: AA,"
        " prefix: ea}\n",
    )
    feed = data_path.parent / "feeds" / "east.yaml"
    feed.parent.mkdir()
    feed.write_text(
        "format: 1\nfeed: {name: east}\nresources:\n"
        "- id: ea-hall\n  name: Hall Group\n  category: meeting\n  fellowship: AA\n"
        "  location: {address: 1 Oak St, city: Portland, state: OR}\n"
        "  schedule:\n  - {days: [mon], start: '19:00'}\n"
    )
    before = feed.read_bytes()
    result = geocode(runner, server, "--write")
    assert result.exit_code == 0, result.output
    assert f"{feed}: 1 entry without coordinates, not looked up" in result.output
    assert "1 Oak St" not in " ".join(r["params"]["q"] for r in server.requests)
    assert len(server.requests) == 3  # the resource file's three, as before
    assert feed.read_bytes() == before
    report = json.loads(geocode(runner, server, "--format", "json").output)
    assert report["feeds_without_coordinates"] == {str(feed): 1}
