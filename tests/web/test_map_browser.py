"""The map view in Chromium, on a phone and a desktop: markers, popups, keys, privacy, axe.

Screenshots go to test-output/ (and the README's, to docs/images/, with UPDATE_SCREENSHOTS=1).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe

from directory import create_app
from tests.browser import AXE_OPTIONS, OUTPUT, live_server, needs_chromium
from tests.conftest import SAMPLE
from tests.maps import pmtiles_file

pytestmark = needs_chromium
STATIC = Path(__file__).parent.parent.parent / "static"
# The zoomable map needs Leaflet, which `make vendor` copies from npm. Without npm at all the map
# is the server's drawing alone and these tests are skipped; with npm, a missing copy fails.
NO_LEAFLET = (
    shutil.which("npm") is None and not (STATIC / "vendor" / "leaflet" / "leaflet.js").exists()
)
needs_npm = pytest.mark.skipif(NO_LEAFLET, reason="npm is needed for the map's libraries")

PHONE = {"width": 375, "height": 800}
DESKTOP = {"width": 1280, "height": 900}
MAP_SEARCH = "/search?q=meeting&near=97214&view=map"
HYBRID = "/search?q=sunday+morning+meditation&near=97214&view=map"  # in person and online
DOCS = Path(__file__).parent.parent.parent / "docs" / "images"


@pytest.fixture(scope="module")
def base_url(sample_app):
    with live_server(sample_app) as url:
        yield url


def _context(browser, base_url, viewport, javascript=True):
    context = browser.new_context(
        base_url=base_url, viewport=viewport, java_script_enabled=javascript
    )
    outside: list[str] = []
    context.on(
        "request",
        lambda req: (
            outside.append(req.url)
            if urlparse(req.url).hostname not in ("127.0.0.1", None)
            and not req.url.startswith("data:")
            else None
        ),
    )
    return context, outside


@pytest.fixture(params=[PHONE, DESKTOP], ids=["phone", "desktop"])
def screen(request, browser, base_url):
    if NO_LEAFLET:
        pytest.skip("npm is needed for the map's libraries")
    context, outside = _context(browser, base_url, request.param)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield page, request.param
    context.close()
    assert outside == [], f"requests left the site: {outside}"
    assert errors == [], f"script errors or CSP reports: {errors}"


def _until(page, script: str, tries: int = 50) -> None:
    """Wait until a script is true (page.evaluate: the CSP forbids wait_for_function's eval)."""
    for _ in range(tries):
        if page.evaluate(script):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"never true: {script}")


def _open_map(page, path=MAP_SEARCH):
    page.goto(path)
    page.wait_for_selector(".live-map .map-marker, .live-map .map-cluster")
    page.wait_for_load_state("networkidle")


def _a_marker(page):
    """Return a single marker, opening clusters until there is one (dense results cluster)."""
    for _ in range(6):
        markers = page.locator(".live-map .map-marker")
        if markers.count():
            return markers.first
        page.locator(".live-map .map-cluster").first.click()
        page.wait_for_timeout(600)
        _until(page, "!document.querySelector('.live-map .leaflet-cluster-anim')")
    raise AssertionError("no marker after opening clusters")


def _located(page) -> dict[int, str]:
    """Return the list's numbered cards: number -> card name."""
    cards = page.locator("ol.results > li.result:has(.pin-number)")
    out = {}
    for i in range(cards.count()):
        card = cards.nth(i)
        out[int(card.locator(".pin-number").inner_text())] = card.locator(
            "h3 a, h4 a"
        ).first.inner_text()
    return out


def _on_map(page) -> int:
    """Return how many results the map shows: single markers plus every cluster's count."""
    singles = page.locator(".live-map .map-marker").count()
    # A cluster opened in place (spiderfied) stays, faded, under its markers: not counted.
    clusters = page.evaluate(
        "[...document.querySelectorAll('.live-map .map-cluster')]"
        ".filter(e => !e.style.opacity || e.style.opacity === '1').map(e => e.textContent)"
    )
    return singles + sum(int(n) for n in clusters)


def test_one_marker_per_located_result_clustered_where_dense(screen):
    page, viewport = screen
    _open_map(page)
    located = _located(page)
    assert len(located) == page.locator("ol.results > li.result").count() == 20
    assert _on_map(page) == len(located)
    # Every single marker is a button named as its card, number first.
    markers = page.locator(".live-map .map-marker")
    for i in range(markers.count()):
        marker = markers.nth(i)
        assert marker.get_attribute("role") == "button"
        n = int(marker.inner_text())
        assert marker.get_attribute("aria-label").startswith(f"{n}: {located[n]}")
    # Dense places are clusters; opening one shows its markers, and the count still adds up.
    clusters = page.locator(".live-map .map-cluster")
    assert clusters.count() >= 1
    assert re.fullmatch(r"\d+ places here\. Zoom in to see them\.",
                        clusters.first.get_attribute("aria-label"))  # fmt: skip
    before = page.locator(".live-map .map-marker").count()
    clusters.first.click()
    page.wait_for_timeout(600)  # the zoom animation
    _until(page, "!document.querySelector('.live-map .leaflet-cluster-anim')")
    assert page.locator(".live-map .map-marker").count() > before
    # (Markers that the zoom took out of view leave the page, so the count can only fall.)
    assert _on_map(page) <= len(located)
    # The searched place is marked, and said in words.
    assert page.locator(".live-map .map-place-marker").count() == 1
    assert "The diamond is 97214" in page.locator(".results-map figcaption").inner_text()
    assert page.locator(".static-map").is_hidden()  # the live map took its place
    OUTPUT.mkdir(exist_ok=True)
    page.locator("#map").screenshot(path=OUTPUT / f"map-{viewport['width']}.png")


def test_a_popup_is_the_card_with_working_directions_join_and_add(screen):
    page, viewport = screen
    _open_map(page, HYBRID)
    card = page.locator("ol.results > li.result").first
    directions = card.get_by_role("link", name=re.compile("^Directions"))
    join = card.get_by_role("link", name=re.compile("^Join online"))
    assert directions.count() == 1 and join.count() == 1
    marker = page.locator(".live-map .map-marker").first
    assert marker.inner_text() == "1"
    marker.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.locator("a").first.inner_text() == card.locator("h3 a, h4 a").inner_text()
    assert popup.get_by_role("link", name=re.compile("^Directions")).get_attribute(
        "href"
    ) == directions.get_attribute("href")
    assert popup.get_by_role("link", name=re.compile("^Join online")).get_attribute(
        "href"
    ) == join.get_attribute("href")
    assert urlparse(directions.get_attribute("href")).scheme == "https"
    assert popup.locator("[id]").count() == 0  # a copy: no id twice on the page
    # The card's own name link goes to the listing (on this site).
    with page.expect_navigation():
        popup.locator("a").first.click()
    assert urlparse(page.url).path == "/resources/sunday-morning-meditation"
    page.go_back()
    page.wait_for_selector(".live-map .map-marker")
    _a_marker(page).click()
    # "Add to list" in the popup adds it, in place, as on the list.
    popup.get_by_role("button", name=re.compile("^Add to list")).click()
    page.wait_for_selector(".leaflet-popup-content button[aria-pressed=true]")
    page.goto("/referrals")
    assert "Sunday Morning Meditation" in page.locator("main").inner_text()
    if viewport is PHONE:
        page.goto(HYBRID)
        page.wait_for_selector(".live-map .map-marker")
        _a_marker(page).click()
        page.wait_for_timeout(400)
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=OUTPUT / "map-popup-375.png")


def test_the_map_works_from_the_keyboard(screen):
    page, _ = screen
    _open_map(page, HYBRID)
    page.locator(".skip-map").focus()
    assert page.locator(".skip-map").is_visible()
    # Tab reaches the map, its zoom buttons and the marker; Enter opens the card.
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('map-marker')"):
            break
    assert page.evaluate("document.activeElement.getAttribute('aria-label')").startswith(
        "1: Sunday Morning Meditation"
    )
    page.keyboard.press("Enter")
    page.locator(".leaflet-popup-content").wait_for()
    focused = page.evaluate("document.activeElement.closest('.leaflet-popup-content') !== null")
    assert focused, "the card's first link takes the focus"
    page.keyboard.press("Escape")
    page.locator(".leaflet-popup").wait_for(state="detached")
    assert page.evaluate("document.activeElement.classList.contains('map-marker')")
    # Space works as on any button.
    page.keyboard.press(" ")
    page.locator(".leaflet-popup-content").wait_for()


def test_the_toggle_keeps_the_search(screen):
    page, _ = screen
    page.goto("/search?q=meeting&near=97214&radius=10&fellowship=AA")
    page.get_by_role("link", name="Map", exact=True).click()
    page.wait_for_selector("#map")
    asked = {"q": ["meeting"], "near": ["97214"], "radius": ["10"], "fellowship": ["AA"]}
    assert parse_qs(urlparse(page.url).query) == {**asked, "view": ["map"]}
    assert page.get_by_role("link", name="Map", exact=True).get_attribute("aria-current") == "page"
    # A new search from the box stays on the map.
    page.locator("form[role=search] input[name=q]").fill("step study")
    page.locator("form[role=search] button[type=submit]").click()
    page.wait_for_selector("#map")
    assert parse_qs(urlparse(page.url).query)["view"] == ["map"]
    assert parse_qs(urlparse(page.url).query)["q"] == ["step study"]
    page.get_by_role("link", name="List", exact=True).click()
    page.wait_for_selector("ol.results")
    query = parse_qs(urlparse(page.url).query)
    assert "view" not in query and query["q"] == ["step study"]
    assert page.locator("#map").count() == 0
    scripts = page.evaluate("[...document.scripts].map(s => s.src)")
    assert not any("map.js" in s or "leaflet" in s for s in scripts)


def test_the_map_view_has_no_axe_violations(screen):
    page, _ = screen
    _open_map(page)
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()
    _a_marker(page).click()
    page.locator(".leaflet-popup-content").wait_for()
    _until(page, "getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()


class Lines(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@needs_npm
def test_no_position_is_logged_and_location_stays_opt_in(browser, base_url):
    lines = Lines()
    root = logging.getLogger()
    root.addHandler(lines)
    level = root.level
    root.setLevel(logging.DEBUG)
    context, outside = _context(browser, base_url, PHONE)
    context.add_init_script(
        "window.__asked = 0; if (navigator.geolocation) {"
        " navigator.geolocation.getCurrentPosition = function () { window.__asked += 1; };"
        " navigator.geolocation.watchPosition = function () { window.__asked += 1; }; }"
    )
    page = context.new_page()
    _open_map(page)
    _a_marker(page).click()
    page.mouse.wheel(0, -300)
    page.wait_for_timeout(500)
    assert page.evaluate("window.__asked") == 0
    context.close()
    root.removeHandler(lines)
    root.setLevel(level)
    assert outside == []
    text = "\n".join(lines.lines)
    assert len(lines.lines) >= 5  # one a request, the outlines' among them
    assert "bbox" not in text and "97214" not in text
    assert not re.search(r"-12\d\.\d", text), "a longitude reached the log"


def test_without_javascript_the_svg_map_numbers_the_list(browser, base_url):
    context, outside = _context(browser, base_url, PHONE, javascript=False)
    page = context.new_page()
    page.goto(MAP_SEARCH)
    svg = page.locator("svg.static-map")
    assert svg.is_visible()
    assert page.locator(".live-map").count() == 0
    located = _located(page)
    pins = svg.locator("a.map-pin")
    named = []
    for i in range(pins.count()):
        label = pins.nth(i).get_attribute("aria-label")
        numbers = [int(n) for n in label.split(":")[0].split(", ")]
        assert label.split(": ", 1)[1].startswith(located[numbers[0]])
        named += numbers
    assert sorted(named) == sorted(located)
    # A pin is a link to its card.
    first = pins.first
    target = first.get_attribute("href")
    first.click()
    assert urlparse(page.url).fragment == target[1:]
    assert page.locator(target).is_visible()
    OUTPUT.mkdir(exist_ok=True)
    svg.screenshot(path=OUTPUT / "map-nojs-375.png")
    context.close()
    assert outside == []


@pytest.fixture(scope="module")
def tiles_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiled")
    pmtiles_file.build(folder / "region.pmtiles")
    app = create_app(
        {
            "SECRET_KEY": "tiles-tests-" + "s" * 32,
            "ENV_NAME": "development",
            "DATA_PATH": str(SAMPLE),
            "INDEX_DIR": str(folder / "index"),
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "MAP_PMTILES_FILE": str(folder / "region.pmtiles"),
        }
    )
    with live_server(app) as url:
        yield url


@needs_npm
def test_the_operators_pmtiles_are_read_in_ranges_from_this_site(browser, tiles_url):
    context, outside = _context(browser, tiles_url, DESKTOP)
    page = context.new_page()
    answers = []
    page.on(
        "response",
        lambda r: (
            answers.append(
                (r.status, r.request.headers.get("range"), r.headers.get("content-range"))
            )
            if "/map/basemap.pmtiles" in r.url
            else None
        ),
    )
    page.goto(MAP_SEARCH)
    page.wait_for_selector(".live-map .map-marker, .live-map .map-cluster")
    _until(page, "document.querySelectorAll('.live-map canvas').length > 0")
    page.wait_for_load_state("networkidle")
    assert answers, "the map read nothing from the PMTiles file"
    for status, asked, content_range in answers:
        assert status == 206 and asked.startswith("bytes=") and content_range.startswith("bytes ")
    assert len(answers) >= 2  # the header and directory, then tiles
    assert page.evaluate("fetch('/map/outlines.json?bbox=0,0,1,1').then(r => r.status)") == 200
    context.close()
    assert outside == []


@pytest.mark.skipif(not os.environ.get("UPDATE_SCREENSHOTS"), reason="UPDATE_SCREENSHOTS=1 to redo")
@needs_npm
def test_readme_screenshots(browser, base_url):
    DOCS.mkdir(parents=True, exist_ok=True)
    for name, viewport, javascript in (
        ("map-phone", PHONE, True),
        ("map-nojs-phone", PHONE, False),
    ):
        context, _ = _context(browser, base_url, viewport, javascript)
        page = context.new_page()
        page.goto(MAP_SEARCH + "&sort=soonest")  # a schedule: the results spread out
        if javascript:
            _open_map(page, MAP_SEARCH + "&sort=soonest")
        page.locator("#map").screenshot(path=DOCS / f"{name}.png")
        context.close()


def _png(width: int = 256, height: int = 256) -> bytes:
    """A plain light tile as a real PNG (zlib and CRCs from the standard library)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xee\xea\xe0" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = chunk(b"IDAT", zlib.compress(rows))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + idat + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def tile_server():
    """The operator's own tile server: another origin (localhost, not 127.0.0.1)."""
    from werkzeug.wrappers import Request, Response

    png = _png()
    asked: list[str] = []

    @Request.application
    def tiles(request):
        asked.append(request.path)
        if not re.fullmatch(r"/tiles/\d+/\d+/\d+\.png", request.path):
            return Response("no such tile", status=404)
        return Response(png, mimetype="image/png")

    with live_server(tiles) as url:
        yield url.replace("127.0.0.1", "localhost"), asked


@needs_npm
def test_raster_tiles_come_from_the_configured_origin_only(browser, tile_server, tmp_path):
    tiles_base, asked = tile_server
    app = create_app(
        {
            "SECRET_KEY": "raster-tests-" + "s" * 32,
            "ENV_NAME": "development",
            "DATA_PATH": str(SAMPLE),
            "INDEX_DIR": str(tmp_path / "index"),
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "MAP_TILES_URL": tiles_base + "/tiles/{z}/{x}/{y}.png",
            "MAP_TILES_ATTRIBUTION": "Test tiles",
        }
    )
    tile_origin = urlparse(tiles_base).netloc
    with live_server(app) as url:
        context = browser.new_context(base_url=url, viewport=DESKTOP)
        hosts: list[str] = []
        context.on("request", lambda req: hosts.append(urlparse(req.url).netloc))
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        response = page.goto(MAP_SEARCH)
        csp = response.headers["content-security-policy"]
        assert f"img-src 'self' data: {tiles_base};" in csp
        page.wait_for_selector(".live-map .map-marker, .live-map .map-cluster")
        page.wait_for_load_state("networkidle")
        _until(
            page,
            "[...document.querySelectorAll('.live-map img.leaflet-tile')]"
            ".some(i => i.complete && i.naturalWidth === 256)",
        )
        assert "Test tiles" in page.locator(".leaflet-control-attribution").inner_text()
        # Tiles instead of the outlines: nothing asked of /map/outlines.json.
        fetched = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
        assert not any("/map/outlines.json" in name for name in fetched)
        context.close()
    assert errors == []
    assert asked and all(path.startswith("/tiles/") for path in asked)
    assert set(hosts) == {urlparse(url).netloc, tile_origin}, set(hosts)
