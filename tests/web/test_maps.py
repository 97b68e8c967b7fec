"""The map over HTTP: the toggle, the server's SVG map, the outlines, the operator's PMTiles."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from directory import create_app
from directory.config import ConfigError
from directory.web.security import UnsafeSettings
from tests.maps import pmtiles_file


@pytest.fixture(scope="module")
def client(sample_app):
    return sample_app.test_client()


class Elements(HTMLParser):
    """Every start tag with its attributes, in order."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict]]:
    parser = Elements()
    parser.feed(html)
    return parser.tags


SEARCH = "/search?q=meeting&near=97214&radius=10&fellowship=AA"


def test_the_toggle_keeps_the_search_both_ways(client):
    listing = client.get(SEARCH).get_data(as_text=True)
    links = {
        a["href"]: a
        for t, a in elements(listing)
        if t == "a" and "view-choice" in a.get("class", "")
    }
    assert len(links) == 2
    to_map = next(h for h in links if "view=map" in h)
    asked = parse_qs(urlsplit(SEARCH).query)
    got = parse_qs(urlsplit(to_map).query)
    assert got == {**asked, "view": ["map"]}
    on_map = client.get(to_map).get_data(as_text=True)
    back = [
        a["href"] for t, a in elements(on_map) if t == "a" and "view-choice" in a.get("class", "")
    ]
    back_to_list = next(h for h in back if "view=map" not in h)
    assert parse_qs(urlsplit(back_to_list).query) == asked
    # The search box and the filter form carry the view, so a new search stays on the map.
    hidden = [a for t, a in elements(on_map) if t == "input" and a.get("name") == "view"]
    assert len(hidden) == 2 and all(a["value"] == "map" for a in hidden)


def test_the_list_view_loads_no_map_code(client):
    html = client.get(SEARCH).get_data(as_text=True)
    assert "map.js" not in html and "leaflet" not in html and "map.css" not in html
    assert 'id="map"' not in html and '<svg class="static-map"' not in html


def test_the_svg_map_numbers_every_located_result_as_the_list_does(client):
    html = client.get("/search?q=meeting&near=97214&view=map").get_data(as_text=True)
    tags = elements(html)
    cards = [a["id"] for t, a in tags if t == "li" and "result" in a.get("class", "").split()]
    assert cards
    # The list's numbers, in list order.
    numbered = re.findall(r'<li class="result" id="(r-[^"]+)">\s*<h[34]><span class="pin-number"'
                          r' aria-hidden="true">(\d+)</span>', html)  # fmt: skip
    assert [int(n) for _, n in numbered] == list(range(1, len(numbered) + 1))
    number_of = {card: int(n) for card, n in numbered}
    # Every pin links to its card; together the pins name each numbered result once.
    svg = html[html.index('<svg class="static-map"') : html.index("</svg>")]
    pins = re.findall(r'<a class="map-pin[^"]*" href="#(r-[^"]+)" aria-label="([^"]+)">', svg)
    assert pins
    named = []
    for target, label in pins:
        assert target in cards
        numbers = [int(n) for n in label.split(":")[0].split(", ")]
        assert number_of[target] == numbers[0]
        named += numbers
    assert sorted(named) == sorted(number_of.values())
    # The searched place is marked; the caption counts what is on the map.
    assert 'class="map-place"' in svg
    assert f"{len(numbered)} of the {len(cards)} results on this page" in html


def test_a_result_with_no_place_has_no_pin(client):
    html = client.get("/search?q=online&view=map").get_data(as_text=True)
    script = re.search(r"data-map-script='([^']+)'", html).group(1)
    numbered = re.findall(r'class="pin-number"', html)
    assert script.count('"card"') == len(numbered)
    assert "online or by phone only" in html


def test_a_listing_with_a_place_has_a_small_map_and_one_without_has_none(client, sample_app):
    from directory.datafile.load import load_catalog
    from tests.conftest import SAMPLE

    catalog = load_catalog(SAMPLE)
    located = next(r for r in catalog.active() if r.location and r.location.lat is not None)
    html = client.get(f"/resources/{located.id}").get_data(as_text=True)
    assert '<figure class="listing-map">' in html and 'role="img"' in html
    assert html.count('class="map-pin') == 1
    online = next(r for r in catalog.active() if not r.location)
    assert "listing-map" not in client.get(f"/resources/{online.id}").get_data(as_text=True)


@pytest.mark.parametrize(
    "bbox",
    ["", "1,2,3", "a,b,c,d", "nan,0,1,1", "-122,45,-123,46", "-200,0,0,1", "-180,-80,0,80",
     "0,0,1," + "9" * 400, "inf,0,1,1"],
)  # fmt: skip
def test_outlines_refuse_a_box_that_is_not_one(client, bbox):
    response = client.get("/map/outlines.json", query_string={"bbox": bbox})
    assert response.status_code == 400
    assert response.json["error"]["parameter"] == "bbox"


def test_outlines_of_a_box_hold_its_lines_and_labels(client):
    response = client.get("/map/outlines.json?bbox=-123.2,45.2,-122.2,45.8")
    assert response.status_code == 200
    data = response.json
    assert data["states"] and data["counties"]  # the Columbia (OR/WA) and county lines
    assert {"Multnomah", "Washington", "Clark"} <= {label["name"] for label in data["labels"]}
    for line in data["states"] + data["counties"]:
        assert all(45.0 < lat < 46.0 and -123.5 < lon < -122.0 for lat, lon in line[1:-1])
    assert "max-age" in response.headers["Cache-Control"]
    wide = client.get("/map/outlines.json?bbox=-125,25,-66,50").json
    assert wide["states"] and not wide["counties"]


@pytest.fixture(scope="module")
def tiles_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiles") / "region.pmtiles"
    pmtiles_file.build(path)
    return path


@pytest.fixture
def tiles_app(tiles_file, data_path, tmp_path):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATA_PATH": str(data_path),
            "INDEX_DIR": str(tmp_path / "index"),
            "MAP_PMTILES_FILE": str(tiles_file),
        }
    )


def ranged(client, value: str | None = None):
    """GET the PMTiles path (with a Range header); return the answer, its file closed."""
    headers = {"Range": value} if value is not None else {}
    with client.get("/map/basemap.pmtiles", headers=headers) as response:
        response.get_data()
    return response


def test_the_pmtiles_file_is_served_in_byte_ranges(tiles_app, tiles_file):
    from pmtiles.reader import Reader

    client = tiles_app.test_client()
    data = tiles_file.read_bytes()
    header = ranged(client, "bytes=0-126")
    assert header.status_code == 206
    assert header.headers["Content-Range"] == f"bytes 0-126/{len(data)}"
    assert header.headers["Accept-Ranges"] == "bytes"
    assert header.data == data[:127]
    # The way a map reads it: the library's own reader, each read one range request.
    asked = []

    def get_bytes(offset, length):
        asked.append((offset, length))
        answer = ranged(client, f"bytes={offset}-{offset + length - 1}")
        assert answer.status_code == 206
        return answer.data

    reader = Reader(get_bytes)
    tile = reader.get(10, *pmtiles_file._tile_of(-122.6765, 45.5231, 10))
    import gzip

    import mapbox_vector_tile

    layers = mapbox_vector_tile.decode(gzip.decompress(tile))
    assert layers["places"]["features"][0]["properties"]["name"] == "Portland"
    assert len(asked) >= 2
    tail = ranged(client, "bytes=-10")
    assert tail.status_code == 206 and tail.data == data[-10:]


@pytest.mark.parametrize(
    "value",
    [
        "bytes=999999999-",
        "bytes=99999999999999999999999999-1",
        "bytes=5-1",
        "bytes=0-1,3-4",
        "bytes=" + ",".join(f"{i}-{i}" for i in range(500)),
        "bytes=abc",
        "lines=0-10",
        "bytes=-0",
        "bytes=0-\x00",
        "bytes=0-1, 0-1",
        "bytes=" + "9" * 5000,
    ],
)
def test_a_range_that_cannot_be_answered_is_416_never_an_error(tiles_app, tiles_file, value):
    client = tiles_app.test_client()
    response = ranged(client, value)
    assert response.status_code == 416, response.status_code
    assert response.headers["Content-Range"] == f"bytes */{tiles_file.stat().st_size}"


def test_an_unsatisfiable_range_is_416(tiles_app, tiles_file):
    response = ranged(tiles_app.test_client(), "bytes=999999999-")
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{tiles_file.stat().st_size}"
    whole = ranged(tiles_app.test_client())
    assert whole.status_code == 200 and whole.data == tiles_file.read_bytes()


def test_without_a_pmtiles_file_the_path_is_not_found(client):
    assert ranged(client, "bytes=0-10").status_code == 404


def test_the_map_view_tells_the_script_about_the_pmtiles(tiles_app):
    html = (
        tiles_app.test_client().get("/search?q=meeting&near=97214&view=map").get_data(as_text=True)
    )
    assert '"kind": "pmtiles"' in html and '"url": "/map/basemap.pmtiles"' in html
    assert '"max_zoom": 12' in html


def _app(data_path, tmp_path, **settings):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATA_PATH": str(data_path),
            "INDEX_DIR": str(tmp_path / "index"),
            **settings,
        }
    )


def test_the_csp_allows_only_this_site_and_the_operators_tile_origin(data_path, tmp_path):
    plain = _app(data_path, tmp_path).test_client().get("/")
    csp = plain.headers["Content-Security-Policy"]
    assert "img-src 'self' data:;" in csp and "connect-src 'self';" in csp
    tiled = _app(data_path, tmp_path, MAP_TILES_URL="https://tiles.example.org/{z}/{x}/{y}.png")
    csp = tiled.test_client().get("/").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://tiles.example.org;" in csp
    assert "connect-src 'self' https://tiles.example.org;" in csp
    assert "script-src 'self';" in csp and csp.count("tiles.example.org") == 2


@pytest.mark.parametrize(
    "url",
    [
        "https://tiles.example.org/{z}/{x}/{y}.png; script-src *",
        "https://tiles.example.org/tiles/{z}/{x}.png",
        "javascript:alert(1)//{z}/{x}/{y}",
        "https://user:pw@tiles.example.org/{z}/{x}/{y}.png",
        "//tiles.example.org/{z}/{x}/{y}.png",
        "https://tiles.example.org 'unsafe-inline'/{z}/{x}/{y}",
        "ftp://tiles.example.org/{z}/{x}/{y}.png",
    ],
)
def test_a_tile_url_that_could_widen_the_csp_stops_the_start(data_path, tmp_path, url):
    with pytest.raises((UnsafeSettings, ConfigError), match="DIRECTORY_MAP_TILES_URL"):
        _app(data_path, tmp_path, MAP_TILES_URL=url)


def test_a_pmtiles_setting_that_cannot_work_stops_the_start(data_path, tmp_path):
    with pytest.raises(ConfigError, match="cannot be read"):
        _app(data_path, tmp_path, MAP_PMTILES_FILE=str(tmp_path / "missing.pmtiles"))
    junk = tmp_path / "junk.pmtiles"
    junk.write_bytes(b"not a pmtiles file" * 20)
    with pytest.raises(ConfigError, match="not a PMTiles"):
        _app(data_path, tmp_path, MAP_PMTILES_FILE=str(junk))


def test_outlines_are_rate_limited_like_the_api(data_path, tmp_path):
    app = _app(data_path, tmp_path, RATE_LIMIT_API="2 per minute",
               RATELIMIT_STORAGE_URI="memory://", RATELIMIT_ENABLED=True)  # fmt: skip
    client = app.test_client()
    box = "/map/outlines.json?bbox=-123.2,45.2,-122.2,45.8"
    assert [client.get(box).status_code for _ in range(3)] == [200, 200, 429]
