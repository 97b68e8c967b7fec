"""The finder on a phone, as a person looking for help uses it, at fixed instants.

At 375x800 and 1280x900, with JavaScript on and off: the first result on the first screen, a
schedule for meetings, "now" finding what is under way, one-tap actions on each card, adding in
place, freshness, sharing and printing a listing, no sideways scroll, and tap targets of at
least 24x24 (44 px high for the help lines on a phone). Screenshots go to test-output/.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote, urlparse
from zoneinfo import ZoneInfo

import pytest

from directory.datafile.load import load_catalog
from tests.browser import OUTPUT, live_server, needs_chromium
from tests.conftest import SAMPLE

pytestmark = needs_chromium

# Monday 7 December 2026, 7:15 pm in Portland: a dozen meetings are under way.
MONDAY_EVENING = datetime(2026, 12, 7, 19, 15, tzinfo=ZoneInfo("America/Los_Angeles"))
AT = quote(MONDAY_EVENING.isoformat())
PHONE = {"width": 375, "height": 800}
DESKTOP = {"width": 1280, "height": 900}
TYPICAL = [
    "na meeting tonight",
    "suboxone near 97214",
    "food pantry",
    "sober living",
    "meeting now",
    "aa meetings gresham",
    "detox",
]


@pytest.fixture(scope="module")
def base_url(sample_app):
    with live_server(sample_app) as url:
        yield url


def _context(browser, base_url, viewport, javascript=True):
    context = browser.new_context(
        base_url=base_url, viewport=viewport, java_script_enabled=javascript, is_mobile=False
    )
    outside: list[str] = []
    context.on(
        "request",
        lambda req: (
            outside.append(req.url)
            if urlparse(req.url).hostname not in ("127.0.0.1", None)
            else None
        ),
    )
    return context, outside


@pytest.fixture(params=[(PHONE, True), (PHONE, False), (DESKTOP, True), (DESKTOP, False)],
                ids=["phone", "phone-nojs", "desktop", "desktop-nojs"])  # fmt: skip
def screen(request, browser, base_url):
    viewport, javascript = request.param
    context, outside = _context(browser, base_url, viewport, javascript)
    page = context.new_page()
    yield page, viewport, javascript
    context.close()
    assert outside == [], f"requests left the site: {outside}"


def search(page, q: str, extra: str = "") -> None:
    page.goto(f"/search?q={quote(q)}&at={AT}{extra}")


def test_the_first_result_is_on_the_first_screen(screen):
    """Its name and its first action (Call, Directions, Join): one tap without scrolling."""
    page, viewport, _ = screen
    for q in TYPICAL:
        search(page, q)
        first = page.locator("ol.results > li.result").first
        box = first.locator("h3 a, h4 a").first.bounding_box()
        assert box is not None, q
        assert box["y"] + box["height"] <= viewport["height"], (q, box)
        action = first.locator(".act").first.bounding_box()
        assert action is not None, q
        assert action["y"] + action["height"] <= viewport["height"], (q, action)


def test_a_tall_filter_panel_does_not_push_the_results_down(screen):
    """Wide screens put the filters beside the results: the results start under the chips."""
    page, viewport, javascript = screen
    search(page, "detox 97214")  # ten results: a shorter column than the filters
    chips = page.locator("ul.chips").bounding_box()
    heading = page.locator("#results-heading").bounding_box()
    panel = page.locator(".filter-panel").bounding_box()
    if viewport is DESKTOP:
        if javascript:  # opened on wide screens by the script; folded without it
            assert panel["height"] > 600, panel  # the case: a panel taller than the results
        assert heading["y"] - (chips["y"] + chips["height"]) < 40, (chips, heading)
    else:
        assert heading["y"] > panel["y"] + panel["height"]  # one column: filters fold above


def test_a_skip_link_jumps_to_the_results(browser, base_url):
    context, _ = _context(browser, base_url, PHONE)
    page = context.new_page()
    search(page, "food pantry")
    page.keyboard.press("Tab")  # Skip to content
    page.keyboard.press("Tab")  # Skip to results
    assert page.evaluate("document.activeElement.textContent") == "Skip to results"
    page.keyboard.press("Enter")
    presses = 0
    while presses < 5:
        page.keyboard.press("Tab")
        presses += 1
        if page.evaluate("document.activeElement.closest('li.result') !== null"):
            break
    assert presses <= 3, "the first result should be a few presses after the skip link"
    context.close()


def _minutes(text: str) -> int:
    match = re.search(r"(\d{1,2})(?::(\d{2}))? (am|pm)|noon|midnight", text)
    assert match, text
    if match.group(0) == "noon":
        return 12 * 60
    if match.group(0) == "midnight":
        return 24 * 60
    hour = int(match.group(1)) % 12 + (12 if match.group(3) == "pm" else 0)
    return hour * 60 + int(match.group(2) or 0)


def test_meetings_are_a_schedule_in_progress_first_then_by_start(screen):
    page, _, _ = screen
    search(page, "meetings", "&per_page=100")
    headings = page.locator("#results h3.group").all_inner_texts()
    assert headings[:3] == ["In progress", "Today", "Tomorrow"]
    groups = page.locator("#results h3.group")
    today = groups.nth(1).locator("xpath=following-sibling::ol[1]").locator("p.when")
    starts = [_minutes(t) for t in today.all_inner_texts()]
    assert starts == sorted(starts) and starts[0] >= 19 * 60  # nothing already over
    running = groups.nth(0).locator("xpath=following-sibling::ol[1]").locator("p.when")
    assert all(t.startswith("In progress") for t in running.all_inner_texts())
    assert "min ago" in running.first.inner_text()
    order = page.locator(".sorts").inner_text()
    assert "Soonest" in order and "Best match" not in order  # no words: nothing to match


def test_now_finds_meetings_under_way_and_an_empty_now_is_never_a_dead_end(screen):
    page, _, _ = screen
    search(page, "meeting now")
    assert "In progress" in page.locator("#results h3.group").first.inner_text()
    assert page.locator("ol.results > li.result").count() >= 5
    search(page, "ca meeting now")
    assert "0 results" in page.locator("#results-heading").inner_text()
    assert "call or text a help line" in page.locator("#results").inner_text()
    offered = page.locator("#results h3.group").all_inner_texts()
    assert "The next online meeting" in offered
    card = page.locator("ol.results > li.result").first
    join = card.get_by_role("link", name=re.compile("^Join"))
    assert join.get_attribute("href").startswith(("https://", "tel:"))


def test_cards_carry_when_where_and_one_tap_actions(screen, catalog):
    page, _, _ = screen
    search(page, "suboxone near 97214")
    card = page.locator("ol.results > li.result").first
    assert card.locator("p.when").inner_text()
    assert re.search(r"\d+\.\d mi", card.locator("p.meta").inner_text())
    assert card.locator("p.checked").inner_text().startswith("Checked ")
    call = card.get_by_role("link", name=re.compile("^Call"))
    assert call.get_attribute("href").startswith("tel:")
    directions = card.get_by_role("link", name=re.compile("^Directions"))
    assert directions.get_attribute("href").startswith("https://www.google.com/maps/dir/")
    search(page, "online meeting")
    online = page.locator("ol.results > li.result").first
    assert online.get_by_role("link", name=re.compile("^Join")).count() == 1


def test_add_toggles_in_place_or_returns_to_the_same_card(screen):
    page, _, javascript = screen
    search(page, "sober living")
    card = page.locator("ol.results > li.result").nth(2)
    card_id = card.get_attribute("id")
    before = page.url
    card.get_by_role("button", name=re.compile("^Add to list")).click()
    if javascript:
        card.get_by_role("button", name=re.compile("^Added")).wait_for()
        assert page.url == before  # in place: no reload, no jump to the top
        page.get_by_role("link", name="Referral list (1)").wait_for()
    else:
        page.wait_for_url(f"**#{card_id}")
        assert "Added" in page.locator("main [role=status]").first.inner_text()


def test_stale_listings_say_to_call_first(screen, catalog):
    page, _, _ = screen
    stale = next(r for r in catalog.active() if r.id == "broadway-big-book")
    search(page, stale.name)
    card = page.locator(f"#r-{stale.id}")
    assert "Not checked recently: call first." in card.locator("p.checked").inner_text()
    page.goto(f"/resources/{stale.id}")
    assert "Not checked recently: call first." in page.locator("main").inner_text()


def test_what_was_understood_is_chips_and_the_box_keeps_what_was_typed(screen):
    page, _, _ = screen
    search(page, "na meeting tonight")
    assert page.locator("#q").input_value() == "na meeting tonight"
    chips = page.locator("ul.chips a.chip")
    labels = [t.split("×")[0].strip() for t in chips.all_inner_texts()]
    assert {"NA", "Meetings", "Tonight"} <= set(labels)
    chips.filter(has_text="Tonight").click()
    page.wait_for_url("**/search?**")
    assert page.locator("#q").input_value() == "na meeting"
    labels = [t.split("×")[0].strip() for t in page.locator("ul.chips a.chip").all_inner_texts()]
    assert "Tonight" not in labels and "NA" in labels


def test_a_listing_can_be_shared_and_printed_with_its_number_and_code(screen, catalog):
    page, _, javascript = screen
    page.goto("/resources/eastside-opioid-treatment-program")
    share = page.get_by_role("button", name="Share")
    if javascript:
        page.evaluate("navigator.share = undefined")  # the copy-the-link path
        share.click()
        assert page.locator("details.share").get_attribute("open") is not None
    else:
        assert share.count() == 0 or not share.is_visible()
        page.locator("details.share > summary").click()
    assert page.locator(".qr-figure svg").is_visible()
    page.emulate_media(media="print")
    printed = page.locator("main").inner_text()
    resource = catalog.by_id("eastside-opioid-treatment-program")
    assert resource.phone in printed
    assert page.locator(".qr-figure svg").is_visible()
    page.emulate_media(media="screen")


def test_no_listing_scrolls_sideways_at_320_px(browser, base_url, catalog):
    context, _ = _context(browser, base_url, {"width": 320, "height": 700})
    page = context.new_page()
    # The listings with the longest addresses, links and words are the ones that would.
    longest = sorted(
        catalog.active(),
        key=lambda r: -max(len(r.website or ""), len((r.online.url if r.online else "") or "")),
    )[:25]
    for resource in longest:
        page.goto(f"/resources/{resource.id}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, resource.id
    context.close()


TARGETS = "a, button, summary, select, input:not([type=hidden]), .chip"


def test_every_tap_target_is_big_enough(browser, base_url):
    context, _ = _context(browser, base_url, PHONE)
    page = context.new_page()
    for path in ("/", f"/search?q=meetings&at={AT}", "/resources/eastside-opioid-treatment-program",
                 "/help"):  # fmt: skip
        page.goto(path)
        small = page.evaluate(
            """(selector) => [...document.querySelectorAll(selector)].filter(el => {
                const box = el.getBoundingClientRect();
                if (!box.width || !box.height || getComputedStyle(el).visibility === 'hidden')
                    return false;
                if (el.closest('.visually-hidden')) return false;
                // WCAG 2.2's inline exception: a link inside a sentence of text.
                const parent = el.parentElement;
                if (el.tagName === 'A' && parent && ['P', 'LI', 'DD', 'FIGCAPTION'].includes(
                        parent.tagName) && parent.textContent.trim().length >
                        el.textContent.trim().length + 12 && !el.classList.contains('act')
                        && !el.classList.contains('crisis-link')) return false;
                return box.width < 24 || box.height < 24;
            }).map(el => el.outerHTML.slice(0, 80))""",
            TARGETS,
        )
        assert small == [], (path, small)
        heights = page.evaluate(
            "[...document.querySelectorAll('.crisis-link')].filter(e => e.offsetParent)"
            ".map(e => e.getBoundingClientRect().height)"
        )
        assert heights and min(heights) >= 44, (path, heights)
    context.close()


def test_screenshots_at_phone_width(browser, base_url):
    context, _ = _context(browser, base_url, PHONE)
    page = context.new_page()
    OUTPUT.mkdir(exist_ok=True)
    shots = {
        "phone-home": "/",
        "phone-meeting-search": f"/search?q={quote('na meeting tonight')}&at={AT}",
        "phone-service-search": f"/search?q={quote('suboxone near 97214')}&at={AT}",
        "phone-listing": "/resources/eastside-opioid-treatment-program",
    }
    for name, path in shots.items():
        page.goto(path)
        page.screenshot(path=str(OUTPUT / f"{name}.png"))
        assert (OUTPUT / f"{name}.png").stat().st_size > 10_000
    context.close()


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(SAMPLE)
