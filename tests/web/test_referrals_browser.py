"""A peer specialist's referral flow in Chromium: search to printed sheet, with and without JS."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser import live_server, needs_chromium
from tests.web.referral_flow import make_app

pytestmark = needs_chromium

TEN = ["harbor-detox", "eastside-bridge-clinic", "bridge-recovery-house", "st-francis-pantry",
       "ged-classes", "legal-aid-clinic", "hawthorne-serenity-aa", "dawn-patrol-na",
       "peer-center", "east-coast-aa"]  # fmt: skip


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    app = make_app(
        folder,
        TESTING=False,
        BASE_URL="http://127.0.0.1",
        RATELIMIT_STORAGE_URI=f"sqlite:///{folder}/rate-limits.sqlite",
    )
    with live_server(app) as url:
        app.config["BASE_URL"] = url  # known once the server has its port
        yield url


@pytest.fixture
def context(browser, base_url):
    context = browser.new_context(base_url=base_url, accept_downloads=True, device_scale_factor=2)
    yield context
    context.close()


def watch(page) -> dict[str, list[str]]:
    """Record requests that leave the site and console errors (CSP violations among them)."""
    seen: dict[str, list[str]] = {"outside": [], "errors": []}
    page.on(
        "request",
        lambda r: (
            seen["outside"].append(r.url)
            if urlparse(r.url).hostname not in ("127.0.0.1", None) and not r.url.startswith("data:")
            else None
        ),
    )
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    return seen


def decode_qr(locator, path: Path) -> str:
    locator.screenshot(path=str(path))
    result = subprocess.run(["zbarimg", "--raw", "-q", str(path)], capture_output=True, text=True)
    return result.stdout.strip()


def add_from_resource_page(page, resource_id: str) -> None:
    page.goto(f"/resources/{resource_id}")
    page.get_by_role("button", name="Add to referral list").click()
    # Added in place with scripts on (a status message), or flashed after the redirect.
    page.get_by_text(re.compile(r"(to|on) the referral list")).first.wait_for(state="attached")


def test_search_to_printed_sheet_of_ten(context, base_url, tmp_path):
    page = context.new_page()
    seen = watch(page)
    # From a search: added in place, the page stays where it is and says so.
    page.goto("/search?q=detox")
    card = page.locator("ol.results > li").filter(has_text="Harbor Withdrawal Center")
    card.get_by_role("button", name="Add to list").click()
    card.get_by_role("button", name="Added").wait_for()
    page.get_by_role("link", name="Referral list (1)").wait_for()
    assert page.url.endswith("/search?q=detox")
    for resource_id in TEN[1:]:
        add_from_resource_page(page, resource_id)
    page.get_by_role("link", name="Referral list (10)").click()
    page.wait_for_url("**/referrals")
    items = page.locator("li.referral-item")
    assert items.count() == 10
    # Notes, order and removal.
    page.get_by_label("Note").nth(1).fill("Ask for the intake desk")
    items.nth(1).get_by_role("button", name="Move up").click()
    page.wait_for_url("**/referrals#item-eastside-bridge-clinic")
    assert items.first.locator("h3").inner_text() == "Eastside Bridge Clinic"
    assert page.locator("#note-eastside-bridge-clinic").input_value() == "Ask for the intake desk"
    items.filter(has_text="Legal Aid").get_by_role("button", name="Remove").click()
    expect(page.locator("li.referral-item")).to_have_count(9)  # after the form's round trip
    # The details, then the sheet.
    page.get_by_label("First name or initials").fill("Robin")
    page.get_by_label("Health").fill("Sleep through the night")
    page.get_by_label("Your name").fill("Ana")
    page.get_by_label("How to reach you").fill("503-555-0100, weekdays")
    page.get_by_label("Measure distances from").fill("97214")
    page.get_by_role("button", name="Make the sheet").last.click()
    page.wait_for_url("**/referrals/sheet")
    assert page.get_by_role("heading", level=1).inner_text() == "Robin's recovery resources"
    titles = page.locator("h3.dimension-title").all_inner_texts()
    assert [t.strip() for t in titles] == ["Health", "Home", "Purpose", "Community"]
    assert page.locator(".item").count() == 9
    assert page.locator(".item-note").inner_text() == "Note: Ask for the intake desk"
    print_button = page.get_by_role("button", name="Print")
    assert print_button.is_visible() and not page.locator(".print-hint").is_visible()
    # Printing hides the toolbar.
    page.emulate_media(media="print")
    assert not page.locator(".sheet-toolbar").is_visible()
    page.emulate_media(media="screen")
    # The QR code next to a listing opens its page.
    if shutil.which("zbarimg"):
        code = decode_qr(page.locator("#sheet-harbor-detox .item-qr"), tmp_path / "qr.png")
        assert code == f"{base_url}/resources/harbor-detox"
    # The PDF from the same sheet.
    with page.expect_download() as info:
        page.get_by_role("button", name="Download PDF").click()
    pdf = PdfReader(io.BytesIO(Path(info.value.path()).read_bytes()))
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    assert "Robin's recovery resources" in text and "Sleep through the night" in text
    assert "Ask for the intake desk" in text and "Second Chance Legal Aid" not in text
    assert info.value.suggested_filename.startswith("referral-sheet-")
    assert seen["outside"] == [] and seen["errors"] == []


def test_the_whole_flow_works_with_javascript_off(browser, base_url):
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    seen = watch(page)
    page.goto("/search?q=meeting")
    first = page.locator("ol.results > li").first
    first_id = first.get_attribute("id")
    first.get_by_role("button", name="Add to list").click()
    page.wait_for_url(f"**/search?q=meeting#{first_id}")  # back to the same card
    add_from_resource_page(page, "harbor-detox")
    page.goto("/referrals")
    assert page.locator("li.referral-item").count() == 2
    page.get_by_label("Note").first.fill("Bring photo ID")
    page.get_by_role("button", name="Save notes").click()
    page.wait_for_url("**/referrals")
    assert page.get_by_label("Note").first.input_value() == "Bring photo ID"
    # Enter in a text box makes the sheet: the first button in the form is "Make the sheet".
    page.get_by_label("First name or initials").fill("JT")
    page.get_by_label("First name or initials").press("Enter")
    page.wait_for_url("**/referrals/sheet")
    assert page.get_by_role("heading", level=1).inner_text() == "JT's recovery resources"
    assert not page.get_by_role("button", name="Print").is_visible()
    assert page.locator(".print-hint").is_visible()
    assert page.get_by_text("Bring photo ID").count() == 1
    context.close()
    assert seen["outside"] == []


def test_a_bad_place_is_explained_on_the_form(context):
    page = context.new_page()
    add_from_resource_page(page, "peer-center")
    page.goto("/referrals")
    page.get_by_label("First name or initials").fill("Sam")
    page.get_by_label("Measure distances from").fill("Nowhereville, QQ")
    page.get_by_role("button", name="Make the sheet").first.click()
    error = page.locator("#near-error")
    assert "We could not find" in error.inner_text()
    assert page.get_by_label("First name or initials").input_value() == "Sam"
    assert page.get_by_label("Measure distances from").get_attribute("aria-invalid") == "true"


def test_share_code_opens_a_read_only_list_on_a_phone(context, browser, base_url, tmp_path):
    page = context.new_page()
    for resource_id in ("harbor-detox", "hawthorne-serenity-aa"):
        add_from_resource_page(page, resource_id)
    page.goto("/referrals")
    page.get_by_label("Note").first.fill("Private note text")
    page.get_by_role("button", name="Make the sheet").first.click()
    page.wait_for_url("**/referrals/sheet")
    link = page.locator(".typed-address").inner_text()
    assert re.fullmatch(rf"{base_url}/r/[0-9a-z]{{4}}-[0-9a-z]{{4}}", link), link
    if shutil.which("zbarimg"):
        assert decode_qr(page.locator(".on-phone .share-qr"), tmp_path / "share.png") == link
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    shared = phone.new_page()
    shared.goto(link)
    assert shared.locator("li.shared-item").count() == 2
    assert shared.get_by_text("Private note text").count() == 0
    assert shared.get_by_role("link", name="Add the meetings to your calendar").count() == 1
    assert shared.get_by_role("link", name="Referral list").count() == 1  # their own, empty
    phone.close()


def test_referral_pages_have_no_axe_violations(context):
    page = context.new_page()
    for resource_id in ("harbor-detox", "hawthorne-serenity-aa"):
        add_from_resource_page(page, resource_id)
    axe = Axe()
    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}}
    page.goto("/referrals")
    result = axe.run(page, options=options)
    assert result.violations_count == 0, result.generate_report()
    page.get_by_role("button", name="Make the sheet").first.click()
    page.wait_for_url("**/referrals/sheet")
    result = axe.run(page, options=options)
    assert result.violations_count == 0, result.generate_report()
    page.goto(page.locator(".typed-address").inner_text())
    result = axe.run(page, options=options)
    assert result.violations_count == 0, result.generate_report()


# Work kept in the browser, and the end of the session.

DRAFT = "directory.referrals.draft"
ME = "directory.referrals.me"


def session_storage(page) -> dict:
    return page.evaluate("() => Object.assign({}, window.sessionStorage)")


def local_storage(page) -> dict:
    return page.evaluate("() => Object.assign({}, window.localStorage)")


def test_what_was_typed_survives_back_a_return_and_a_reorder_within_a_dimension(context):
    page = context.new_page()
    for resource_id in ("harbor-detox", "hawthorne-serenity-aa", "eastside-bridge-clinic"):
        add_from_resource_page(page, resource_id)
    page.goto("/referrals")
    groups = page.locator("h2.referral-group-title").all_inner_texts()
    assert [g.strip() for g in groups] == ["Health", "Community"]  # grouped as it will print
    page.get_by_label("First name or initials").fill("Robin")
    page.get_by_label("Home").fill("A room of my own by spring")
    page.get_by_label("Measure distances from").fill("97214")
    page.locator("#note-eastside-bridge-clinic").fill("Ask for Rosa")  # typed, not yet saved
    # Move Eastside above Harbor: within Health; what was typed stays (the browser keeps it).
    page.locator("#item-eastside-bridge-clinic").get_by_role("button", name="Move up").click()
    page.wait_for_url("**/referrals#item-eastside-bridge-clinic")
    assert page.get_by_label("First name or initials").input_value() == "Robin"
    assert page.locator("#note-eastside-bridge-clinic").input_value() == "Ask for Rosa"
    health = page.locator(".dimension-health li.referral-item h3").all_inner_texts()
    assert health == ["Eastside Bridge Clinic", "Harbor Withdrawal Center"]
    page.get_by_role("button", name="Make the sheet").first.click()
    page.wait_for_url("**/referrals/sheet")
    # The new order within Health, on the summary table and in the details.
    rows = page.locator(".glance-health .glance-name").all_inner_texts()
    assert rows == ["Eastside Bridge Clinic", "Harbor Withdrawal Center"]
    details = page.locator(".item.dimension-health h4").all_inner_texts()
    assert [d.split(" Medication")[0].split(" Treatment")[0] for d in details] == rows
    assert page.locator("#sheet-eastside-bridge-clinic .item-note").inner_text().endswith("Rosa")
    # The browser's Back button: the details are still there.
    page.go_back()
    page.wait_for_url("**/referrals*")
    assert page.get_by_label("First name or initials").input_value() == "Robin"
    assert page.get_by_label("Home").input_value() == "A room of my own by spring"
    assert page.get_by_label("Measure distances from").input_value() == "97214"
    # And "Back to the list" from the sheet.
    page.get_by_role("button", name="Make the sheet").first.click()
    page.wait_for_url("**/referrals/sheet")
    page.get_by_role("button", name="Back to the list").click()
    page.wait_for_url("**/referrals")
    assert page.get_by_label("First name or initials").input_value() == "Robin"
    assert page.get_by_label("Home").input_value() == "A room of my own by spring"
    # Kept in this tab's sessionStorage only: not in the cookie, not in localStorage.
    assert "Robin" in session_storage(page)[DRAFT]
    assert all("Robin" not in c["value"] for c in context.cookies())
    assert local_storage(page) == {}
    page.close()


def test_remember_me_and_forget_me_on_this_device(context):
    page = context.new_page()
    add_from_resource_page(page, "peer-center")
    page.goto("/referrals")
    remember = page.get_by_label("Remember my name and how to reach me on this device")
    assert remember.is_visible() and not remember.is_checked()
    page.get_by_label("Your name").fill("Ana")
    page.get_by_label("How to reach you").fill("503-555-0100, weekdays")
    page.get_by_label("First name or initials").fill("Robin")
    remember.check()
    assert "Remembered on this device" in page.locator(".remember-status").inner_text()
    stored = local_storage(page)[ME]
    assert "Ana" in stored and "503-555-0100" in stored and "Robin" not in stored
    # Another tab (another session's sheet): the specialist is filled in, the participant not.
    other = context.new_page()
    other.goto("/referrals")
    assert other.get_by_label("Your name").input_value() == "Ana"
    assert other.get_by_label("How to reach you").input_value() == "503-555-0100, weekdays"
    assert other.get_by_label("First name or initials").input_value() == ""
    assert other.get_by_label("Remember my name and how to reach me on this device").is_checked()
    other.get_by_role("button", name="Forget me on this device").click()
    assert "Forgotten" in other.locator(".remember-status").inner_text()
    assert ME not in local_storage(other)
    assert not other.get_by_role("button", name="Forget me on this device").is_visible()
    third = context.new_page()
    third.goto("/referrals")
    assert third.get_by_label("Your name").input_value() == ""
    for p in (page, other, third):
        p.close()


def test_hand_over_by_text_or_email_then_finish_and_clear(context, base_url):
    page = context.new_page()
    sent: list[str] = []
    page.on("request", lambda r: sent.append(f"{r.url} {r.post_data or ''}"))
    for resource_id in ("harbor-detox", "hawthorne-serenity-aa"):
        add_from_resource_page(page, resource_id)
    page.goto("/referrals")
    page.get_by_label("Your name").fill("Ana")
    page.get_by_label("Remember my name and how to reach me on this device").check()
    page.get_by_label("First name or initials").fill("Robin")
    page.get_by_label("Note").first.fill("Private note text")
    page.get_by_role("button", name="Make the sheet").first.click()
    page.wait_for_url("**/referrals/sheet")
    short = page.locator(".typed-address").inner_text()
    body = quote(short, safe="")
    text_it = page.get_by_role("link", name="Text it to me")
    email_it = page.get_by_role("link", name="Email it")
    assert text_it.get_attribute("href") == f"sms:?&body={quote(short)}"
    page.get_by_label("Their mobile number").fill("(503) 555-0123")
    assert text_it.get_attribute("href") == f"sms:5035550123?&body={body}"
    page.get_by_label("Their email address").fill("robin@example.org")
    assert email_it.get_attribute("href") == (
        f"mailto:robin@example.org?subject=Your%20recovery%20resources&body={body}"
    )
    for link in (text_it, email_it):  # only the short address: no name, note or goal
        href = link.get_attribute("href")
        assert "Robin" not in href and "Private" not in href and "Ana" not in href
    # Typing the number and address sent nothing anywhere.
    assert not any("555-0123" in s or "5035550123" in s or "example.org" in s for s in sent)
    page.get_by_role("button", name="Finish and clear").click()
    page.wait_for_url("**/referrals")
    assert "Finished: the list and everything typed for the sheet are cleared" in page.content()
    assert page.get_by_text("The list is empty").count() == 1
    assert page.get_by_role("link", name="Referral list", exact=True).count() == 1  # no count
    assert DRAFT not in session_storage(page)
    assert all("Private" not in c["value"] for c in context.cookies())
    # The specialist asked this device to remember them: it still does, and says so.
    assert page.get_by_role("button", name="Forget me on this device").is_visible()
    page.get_by_role("button", name="Forget me on this device").click()
    assert local_storage(page) == {}
    page.close()


def test_return_hand_over_and_finish_work_with_javascript_off(browser, base_url):
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    add_from_resource_page(page, "harbor-detox")
    page.goto("/referrals")
    assert not page.get_by_label("Remember my name and how to reach me on this device").count() or (
        not page.locator("[data-remember]").is_visible()
    )
    page.get_by_label("First name or initials").fill("JT")
    page.get_by_label("Health").fill("Sleep")
    page.get_by_role("button", name="Make the sheet").first.click()
    page.wait_for_url("**/referrals/sheet")
    short = page.locator(".typed-address").inner_text()
    # Plain links, with the short address and no number: the phone's app asks who to send to.
    assert page.get_by_role("link", name="Text it to me").get_attribute("href") == (
        f"sms:?&body={quote(short)}"
    )
    assert not page.get_by_label("Their mobile number").is_visible()
    page.get_by_role("button", name="Back to the list").click()
    assert page.get_by_label("First name or initials").input_value() == "JT"
    assert page.get_by_label("Health").input_value() == "Sleep"
    page.get_by_role("button", name="Make the sheet").first.click()
    page.wait_for_url("**/referrals/sheet")
    page.get_by_role("button", name="Finish and clear").click()
    page.wait_for_url("**/referrals")
    assert page.get_by_text("The list is empty").count() == 1
    context.close()
