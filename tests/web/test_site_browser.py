"""The public site in a real browser: the main flows, JavaScript off, keyboard, axe, widths."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe
from icalendar import Calendar

from directory.datafile.load import load_catalog
from tests.browser import AXE_OPTIONS, OUTPUT, live_server, needs_chromium
from tests.conftest import SAMPLE

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def base_url(sample_app):
    with live_server(sample_app) as url:
        yield url


@pytest.fixture
def page(browser, base_url):
    context = browser.new_context(base_url=base_url, accept_downloads=True)
    page = context.new_page()
    outside: list[str] = []
    page.on(
        "request",
        lambda req: (
            outside.append(req.url)
            if urlparse(req.url).hostname not in ("127.0.0.1", None)
            and not req.url.startswith("data:")
            else None
        ),
    )
    yield page
    context.close()
    assert outside == [], f"requests left the site: {outside}"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(SAMPLE)


def _first(catalog, **match):
    return next(
        r for r in catalog.active()
        if r.status == "active" and all(getattr(r, k) == v for k, v in match.items())
    )  # fmt: skip


def test_search_by_zip_then_filter_then_open_and_download_calendar(page, catalog):
    page.goto("/")
    page.get_by_label("What are you looking for?").fill("NA meeting")
    page.get_by_label("Near", exact=True).fill("97214")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url("**/search?**")
    heading = page.get_by_role("heading", level=2).filter(has_text="near 97214").inner_text()
    assert " near 97214 (Portland, OR)" in heading
    # Ticking boxes changes nothing until the person asks (WCAG 3.2.2: no surprise reloads).
    page.locator("form.filters input[name=fellowship][value=NA]").check()
    page.locator("form.filters input[name=day][value=mon]").check()
    page.locator("form.filters").get_by_role("button", name="Show results").click()
    page.wait_for_url("**day=mon**")
    assert "fellowship=NA" in page.url
    results = page.locator("ol.results > li")
    assert results.count() > 0
    for text in results.locator(".meta").all_inner_texts()[:5]:
        assert "NA" in text
    results.first.get_by_role("link").first.click()
    page.wait_for_url("**/resources/**")
    with page.expect_download() as info:
        page.get_by_role("link", name="Add to calendar").click()
    calendar = Calendar.from_ical(Path(info.value.path()).read_bytes())
    assert calendar.walk("VEVENT")
    assert "TZID=America/Los_Angeles" in calendar.to_ical().decode()


def test_main_flow_with_javascript_off(browser, base_url, catalog):
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/")
    page.get_by_role("link", name="Medication for opioid use").click()
    page.wait_for_url("**category=mat**")
    page.locator("details.filter-panel > summary").click()  # closed until asked for
    page.locator("form.filters input[name=medication][value=methadone]").check()
    page.locator("form.filters").get_by_role("button", name="Show results").click()
    page.wait_for_url("**medication=methadone**")
    page.locator("ol.results > li").first.get_by_role("link").first.click()
    page.wait_for_url("**/resources/**")
    assert page.locator("a[href^='tel:']").count() >= 3  # crisis lines + the clinic
    assert page.get_by_role("link", name="Use my location").count() == 0
    context.close()


def test_three_taps_from_home_to_directions(page):
    page.goto("/")
    page.get_by_role("link", name="Meetings today").click()  # 1
    page.locator("ol.results > li").first.get_by_role("link").first.click()  # 2
    page.wait_for_url("**/resources/**")
    link = page.get_by_role("link", name="OpenStreetMap")
    if link.count() == 0:  # an online meeting: the next tap joins it instead
        link = page.get_by_role("link", name="Join online")
    assert link.first.get_attribute("href").startswith("https://")  # 3


def test_keyboard_only_search_to_resource_to_calendar(page):
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    page.locator("#q").focus()
    page.keyboard.type("women")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?**")
    first = page.locator("ol.results > li h3 a").first
    first.focus()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible
    page.keyboard.press("Enter")
    page.wait_for_url("**/resources/**")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Add to calendar":
            break
    else:
        pytest.skip("first result has no meeting times")  # pragma: no cover
    with page.expect_download():
        page.keyboard.press("Enter")


def _page_paths(catalog) -> list[str]:
    paths = [
        "/",
        "/search?q=meeting",
        "/search?q=meeting&category=meeting&fellowship=AA&day=mon&near=97214&radius=10",
        "/search?near=97214&radius=1&category=food&open_now=true&q=zzzzqqq",
        "/search?near=not-a-place-at-all",
        "/about",
        "/no-such-page",
    ]
    seen = set()
    for resource in catalog.active():
        if resource.category not in seen:
            seen.add(resource.category)
            paths.append(f"/resources/{resource.id}")
    return paths


def test_axe_finds_no_violations_on_every_page_type(browser, base_url, catalog):
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    axe = Axe()
    failures = {}
    for path in _page_paths(catalog):
        page.goto(path)
        results = axe.run(page, options=AXE_OPTIONS)
        if results.violations_count:
            failures[path] = results.generate_report()
    context.close()
    assert not failures, json.dumps(failures, indent=1)[:6000]


@pytest.mark.parametrize("width", [320, 375, 1280])
def test_usable_at_narrow_and_wide_screens(browser, base_url, width):
    OUTPUT.mkdir(exist_ok=True)
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 900})
    page = context.new_page()
    for name, path in (("home", "/"), ("results", "/search?q=meeting&near=97214")):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways at {width}px"
        page.screenshot(path=str(OUTPUT / f"{name}-{width}.png"), full_page=True)
    context.close()


def test_zoom_200_percent_does_not_scroll_sideways(browser, base_url):
    # 200% zoom of a 640px window lays out like a 320 CSS-pixel viewport.
    context = browser.new_context(
        base_url=base_url, viewport={"width": 320, "height": 450}, device_scale_factor=2
    )
    page = context.new_page()
    page.goto("/search?q=housing")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    context.close()
