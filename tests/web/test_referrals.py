"""The referral list and sheet through the test client: cookie, CSRF, redirects, privacy."""

from __future__ import annotations

import html
import io
import logging
import random
import re
import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest
from icalendar import Calendar
from pypdf import PdfReader

from directory.referrals import lists
from directory.web import referrals
from directory.web.session_cookie import CAPACITY, MAX_CHUNKS, chunk_name
from tests.web.referral_flow import add, build_list, make_app, referral_ids, short_link, token

COOKIE_LIMIT = 4093  # werkzeug's (and so Flask's) largest cookie; browsers drop bigger ones


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


LIST_COOKIE = "session-referrals"  # the list's own cookie, sent only under /referrals


def stored(client) -> list:
    with client.session_transaction("/referrals") as session:
        return list(session.get("referrals", []))


def flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [message for _, message in session.get("_flashes", [])]


def session_text(client) -> str:
    with client.session_transaction("/referrals") as session:
        return repr(dict(session))


def session_cookie_size(client) -> int:
    """Return the bytes of every chunk of the list's cookie, each under a browser's limit."""
    total = 0
    for i in range(MAX_CHUNKS):
        cookie = client.get_cookie(chunk_name(LIST_COOKIE, i), path="/referrals")
        if cookie:
            assert len(cookie.value) < COOKIE_LIMIT
            total += len(cookie.value)
    return total


# Building the list.


def test_add_redirects_back_with_a_confirmation_and_counts_in_the_nav(client):
    response = add(client, "harbor-detox", "/search?q=detox&near=97214")
    assert response.status_code == 303
    # Back to the same card of the same results, with JavaScript off too.
    assert response.headers["Location"] == "/search?q=detox&near=97214#r-harbor-detox"
    assert response.headers["Cache-Control"] == "no-store"
    assert stored(client) == ["harbor-detox"]
    assert flashes(client) == ["Added Harbor Withdrawal Center to the referral list (1)."]
    page = client.get("/referrals").get_data(as_text=True)
    assert "Added Harbor Withdrawal Center to the referral list (1)." in page
    assert "Referral list (1)" in page
    assert "Harbor Withdrawal Center" in page


def test_add_twice_keeps_one_and_says_so(client):
    csrf = token(client)
    add(client, "harbor-detox", csrf=csrf)
    add(client, "harbor-detox", csrf=csrf)
    assert stored(client) == ["harbor-detox"]
    assert flashes(client)[-1] == "Harbor Withdrawal Center is already on the referral list."


@pytest.mark.parametrize("resource_id", ["closed-pantry", "no-such-thing", "<b>x</b>", "a" * 500])
def test_add_refuses_unknown_and_inactive_listings(client, resource_id):
    response = add(client, resource_id, "/search")
    assert response.status_code == 303 and response.headers["Location"] == "/search"
    assert stored(client) == []
    assert "no longer in the directory" in flashes(client)[-1]


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        " /search",
        "/search\r\nSet-Cookie: x=1",
        "/\tevil",
        "",
        "/" + "a" * 3000,
    ],
)
def test_next_must_be_a_local_path(client, next_url):
    response = add(client, "harbor-detox", next_url)
    assert response.status_code == 303
    assert response.headers["Location"] == "/referrals"


def test_local_next_paths_are_kept():
    assert referrals.local_path("/resources/harbor-detox") == "/resources/harbor-detox"
    assert referrals.local_path("/search?q=a%20b&page=2") == "/search?q=a%20b&page=2"
    assert referrals.local_path(None) is None


def test_search_results_and_resource_pages_post_to_add(client):
    client.get("/referrals")
    for path in ("/search?q=clinic", "/resources/harbor-detox"):
        page = client.get(path).get_data(as_text=True)
        assert 'action="/referrals/add"' in page, path


def test_list_page_moves_within_a_dimension_removes_and_keeps_notes(client):
    csrf = token(client)
    for resource_id in ("harbor-detox", "peer-center", "ged-classes", "eastside-bridge-clinic"):
        add(client, resource_id, csrf=csrf)
    notes = {"note-harbor-detox": "Ask for the intake desk", "note-peer-center": "Free coffee"}
    response = client.post(
        "/referrals/update", data={"op": "up:eastside-bridge-clinic", "csrf_token": csrf, **notes}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(
        "/referrals#item-eastside-bridge-clinic"
    )
    # Up past the other health listing; the community and purpose ones keep their places.
    assert stored(client) == [
        "eastside-bridge-clinic",
        "peer-center Free coffee",
        "ged-classes",
        "harbor-detox Ask for the intake desk",
    ]
    # Alone in its dimension, a listing has nowhere to go.
    client.post("/referrals/update", data={"op": "up:ged-classes", "csrf_token": csrf})
    client.post("/referrals/update", data={"op": "down:harbor-detox", "csrf_token": csrf})
    client.post("/referrals/update", data={"op": "remove:peer-center", "csrf_token": csrf})
    assert stored(client) == [
        "eastside-bridge-clinic",
        "ged-classes",
        "harbor-detox Ask for the intake desk",
    ]
    page = client.get("/referrals").get_data(as_text=True)
    assert 'value="Ask for the intake desk"' in page
    assert "Removed Mountainside Recovery Community Center from the list." in page
    # The page shows the list grouped as the sheet prints it, first and last of each group
    # without the move that would leave it.
    page = page[page.index("<h1>") :]  # after the messages
    health, purpose = page.index('id="group-health"'), page.index('id="group-purpose"')
    assert health < page.index("Eastside Bridge Clinic") < page.index("Harbor Withdrawal Center")
    assert page.index("Harbor Withdrawal Center") < purpose < page.index("Open Door GED Classes")
    assert 'value="up:eastside-bridge-clinic" disabled' in page
    assert 'value="down:harbor-detox" disabled' in page
    assert 'value="up:ged-classes" disabled' in page and 'value="down:ged-classes" disabled' in page
    # Hostile operations change nothing.
    for op in ("up:../../x", "explode", "remove:", "down:" + "z" * 5000):
        client.post("/referrals/update", data={"op": op, "csrf_token": csrf})
    assert len(stored(client)) == 3


def test_update_with_typed_details_shows_them_again_instead_of_forgetting(client):
    csrf = token(client)
    add(client, "harbor-detox", csrf=csrf)
    add(client, "eastside-bridge-clinic", csrf=csrf)
    response = client.post(
        "/referrals/update",
        data={"op": "up:eastside-bridge-clinic", "participant": "Robin",
              "goal_home": "A room of my own", "csrf_token": csrf},
    )  # fmt: skip
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'value="Robin"' in page and "A room of my own</textarea>" in page
    assert stored(client) == ["eastside-bridge-clinic", "harbor-detox"]
    assert "Robin" not in session_text(client)


def test_a_browser_that_keeps_the_details_itself_is_redirected(client):
    # With scripts on, the page keeps what was typed in sessionStorage; a redirect (not a page
    # made from a POST) keeps the browser's Back button working.
    csrf = build_list(client, ["harbor-detox"])
    form = {"op": "save", "participant": "Robin", "details_kept": "browser", "csrf_token": csrf}
    response = client.post("/referrals/update", data=form)
    assert response.status_code == 303 and response.headers["Location"] == "/referrals"
    assert "Robin" not in response.headers["Location"] and "Robin" not in session_text(client)


def test_clear_empties_the_list(client):
    csrf = token(client)
    add(client, "harbor-detox", csrf=csrf)
    response = client.post("/referrals/clear", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert stored(client) == []
    page = client.get("/referrals").get_data(as_text=True)
    assert "The list is empty" in page and "data-list-empty" in page  # the script clears too


def test_finish_and_clear_empties_the_list_and_says_what_is_left(client):
    csrf = build_list(client, ["harbor-detox"], {"harbor-detox": "Ask for Mo"})
    sheet = client.post("/referrals/sheet", data={"csrf_token": csrf}).get_data(as_text=True)
    assert "Finish and clear" in sheet and 'name="finished" value="1"' in sheet
    response = client.post("/referrals/clear", data={"finished": "1", "csrf_token": csrf})
    assert response.status_code == 303 and response.headers["Location"] == "/referrals"
    assert stored(client) == [] and "Ask for Mo" not in session_text(client)
    page = html.unescape(client.get("/referrals").get_data(as_text=True))
    assert "Finished: the list and everything typed for the sheet are cleared" in page
    assert "delete it from this computer's downloads" in page
    assert "data-list-empty" in page


def test_add_more_saves_the_notes_typed_so_far_without_scripts(client):
    """ "Add more" leaves the page: it is a button of the form, so the notes go with it."""
    csrf = build_list(client, ["harbor-detox"])
    page = client.get("/referrals").get_data(as_text=True)
    button = re.search(r'<button[^>]*value="more"[^>]*>([^<]*)<', page)
    assert button and button.group(1) == "Add more"
    assert 'formaction="/referrals/update"' in button.group(0)
    response = client.post(
        "/referrals/update",
        data={"op": "more", "csrf_token": csrf, "note-harbor-detox": "Bring photo ID"},
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/search")
    assert stored(client) == ["harbor-detox Bring photo ID"]


def test_listings_removed_from_the_directory_are_dropped_with_a_note(client):
    client.get("/referrals")
    with client.session_transaction("/referrals") as session:
        session["referrals"] = ["harbor-detox", "closed-pantry"]
    page = client.get("/referrals").get_data(as_text=True)
    assert "1 listing on the list is no longer in the directory" in page
    assert stored(client) == ["harbor-detox"]


# The cookie: small, signed, and never trusted.

NOTE_PHRASES = [
    "Ask for the intake desk.", "Bring photo ID.", "Bring your insurance card if you have one.",
    "Go Tuesday morning when the line is short.", "Call first to check a bed is open.",
    "Take the 14 bus to 39th.", "Side door, down the stairs.", "Ask about the women's group.",
    "They help with Oregon Health Plan forms.", "Come ten minutes early to meet people.",
    "Bring a list of your medications.", "Court paperwork helps them fill in the form.",
    "Say that Ana sent you.", "Leave a message; they call back within a day.",
]  # fmt: skip


def test_twenty_five_items_with_distinct_280_character_notes_fit(client):
    rng = random.Random(25)
    words = " ".join(NOTE_PHRASES).lower().replace(".", "").replace(";", "").split()
    words += [f"{rng.choice('bcdfghjklmnpqrstvwz')}{rng.choice('aeiou')}{n}" for n in range(300)]
    ids = [r for r in referral_ids(client)][:25]
    csrf = token(client)
    for resource_id in ids:
        assert add(client, resource_id, csrf=csrf).status_code == 303
    notes = {}
    for resource_id in ids:
        note = ""
        while len(note) < 285:
            note += rng.choice(words) + " "
        notes[f"note-{resource_id}"] = note[:280]
    client.post("/referrals/update", data={"op": "save", "csrf_token": csrf, **notes})
    kept = lists.decode_list(stored(client))
    assert [item.id for item in kept] == ids
    assert [item.note for item in kept] == [notes[f"note-{i}"].strip() for i in ids]
    assert sum(len(item.note) for item in kept) > 25 * 270
    assert session_cookie_size(client) < referrals.COOKIE_BUDGET
    assert client.get_cookie(f"{LIST_COOKIE}-1", path="/referrals")  # more than one cookie
    assert "full" not in " ".join(flashes(client))


def test_a_full_list_says_so_and_keeps_what_it_has(client):
    rng = random.Random(7)
    words = " ".join(NOTE_PHRASES).lower().replace(".", "").replace(";", "").split()
    words += [f"{rng.choice('bcdfghjklmnpqrstvwz')}{rng.choice('aeiou')}{n}" for n in range(300)]
    ids = referral_ids(client)
    csrf = token(client)
    added = []
    for resource_id in ids:
        add(client, resource_id, csrf=csrf)
        if stored(client) and stored(client)[-1].split(" ")[0] == resource_id:
            added.append(resource_id)
        note = " ".join(rng.choice(words) for _ in range(80))[:280]
        client.post(
            "/referrals/update",
            data={"op": "save", "csrf_token": csrf, f"note-{resource_id}": note},
        )
        assert session_cookie_size(client) < CAPACITY
        if any("full" in message or "too long" in message for message in flashes(client)):
            break
    else:
        raise AssertionError("long, varied notes never filled the cookie")
    assert 10 < len(added) <= lists.MAX_ITEMS
    assert [item.id for item in lists.decode_list(stored(client))] == added
    page = client.get("/referrals").get_data(as_text=True)
    assert "too long to keep in this browser" in page or "The referral list is full" in page


def test_the_item_cap_has_a_clear_message(client):
    ids = referral_ids(client)
    assert len(ids) > lists.MAX_ITEMS
    csrf = token(client)
    for resource_id in ids[: lists.MAX_ITEMS + 1]:
        add(client, resource_id, csrf=csrf)
    assert len(stored(client)) == lists.MAX_ITEMS
    assert "The referral list is full" in flashes(client)[-1]


def test_a_tampered_cookie_reads_as_an_empty_list(client):
    add(client, "harbor-detox")
    value = client.get_cookie(LIST_COOKIE, path="/referrals").value
    tampered = value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB")
    client.set_cookie(LIST_COOKIE, tampered, path="/referrals")
    response = client.get("/referrals")
    assert response.status_code == 200
    assert "The list is empty" in response.get_data(as_text=True)
    client.set_cookie(LIST_COOKIE, "not-a-cookie-at-all\x7f", path="/referrals")
    assert client.get("/referrals").status_code == 200
    client.set_cookie("session", "1" + value[1:], path="/")  # the list's value as the session's
    assert client.get("/referrals").status_code == 200


@pytest.mark.parametrize(
    "value",
    [{"a": 1}, "harbor-detox", [["harbor-detox"]], ["x y"] * 5000, [None], 12, ["HARBOR"]],
)
def test_a_signed_but_strange_list_reads_as_empty(client, value):
    client.get("/referrals")
    with client.session_transaction("/referrals") as session:
        session["referrals"] = value
    response = client.get("/referrals")
    assert response.status_code == 200
    assert "The list is empty" in response.get_data(as_text=True)
    assert add(client, "harbor-detox").status_code == 303
    assert stored(client) == ["harbor-detox"]


def test_every_post_needs_the_csrf_token(tmp_path):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    for path in ("/referrals/add", "/referrals/update", "/referrals/clear", "/referrals/sheet",
                 "/referrals/sheet.pdf", "/referrals/sheet.ics"):  # fmt: skip
        response = client.post(path, data={"id": "harbor-detox", "next": "/search"})
        assert response.status_code == 400, path
        assert "This form has expired" in response.get_data(as_text=True)
    assert stored(client) == []


# The sheet, its PDF and its calendar file.


def test_the_sheet_page_is_grouped_and_private(client):
    csrf = build_list(client, ["peer-center", "harbor-detox", "hawthorne-serenity-aa"])
    form = {"participant": "Robin", "goal_community": "Go to a meeting a week",
            "specialist": "Ana", "contact": "503-555-0100", "near": "97214",
            "note-harbor-detox": "Bring photo ID", "csrf_token": csrf}  # fmt: skip
    response = client.post("/referrals/sheet", data=form)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = html.unescape(response.get_data(as_text=True))
    assert "<h1>Robin's recovery resources</h1>" in page
    assert "When things get tough, call me first" in page and "503-555-0100" in page
    for part in page.split("At a glance")[1].split("Before you go"):  # the table, the details
        assert part.index("</svg> Health") < part.index("Harbor Withdrawal Center")
        assert part.index("Harbor Withdrawal Center") < part.index("</svg> Community")
        assert part.index("</svg> Community") < part.index("Mountainside Recovery Community")
    assert "Bring photo ID" in page and "Go to a meeting a week" in page
    assert "988 Suicide & Crisis Lifeline" in page and "call 911" in page
    assert "Distances from 97214 (Portland, OR)" in page
    assert page.count('<div class="qr ') == 4  # a QR code per listing and one for the share link
    assert " style=" not in page and "<style" not in page  # the CSP allows no inline styles
    link = short_link(client.application, ["peer-center", "harbor-detox", "hawthorne-serenity-aa"])
    assert f'<p class="typed-address">{link}</p>' in page
    assert stored(client)[1] == "harbor-detox Bring photo ID"  # the note posted with it is kept


def test_a_bad_place_comes_back_to_the_form_with_a_message(client):
    csrf = build_list(client, ["harbor-detox"])
    response = client.post(
        "/referrals/sheet",
        data={"near": "Atlantis, ZZ", "participant": "Robin", "csrf_token": csrf},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="near-error"' in page and "We could not find" in page
    assert 'value="Atlantis, ZZ"' in page and 'value="Robin"' in page


def test_an_empty_list_makes_no_sheet(client):
    response = client.post("/referrals/sheet", data={"csrf_token": token(client)})
    assert response.status_code == 303
    assert "Add at least one listing" in flashes(client)[-1]


def test_the_pdf_holds_every_listing_in_its_group_with_the_crisis_lines(client):
    ids = ["peer-center", "harbor-detox", "bridge-recovery-house", "ged-classes",
           "coaching-to-work", "dawn-patrol-na"]  # fmt: skip
    csrf = build_list(client, ids, {"ged-classes": "Bring your diploma papers"})
    form = {"participant": "Robin", "goal_purpose": "Finish my GED", "specialist": "Ana",
            "contact": "503-555-0100", "csrf_token": csrf}  # fmt: skip
    response = client.post("/referrals/sheet.pdf", data=form)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "Robin" not in disposition
    reader = PdfReader(io.BytesIO(response.data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    glance, details = flat.split("AT A GLANCE")[1].split("BEFORE YOU GO")
    for part in (glance, details):  # the summary table, then the details: grouped alike
        positions = {
            name: part.index(name)
            for name in ["Health", "Home", "Purpose", "Community", "Harbor Withdrawal Center",
                         "Bridge Recovery House", "Open Door GED Classes", "Peer Coaching to Work",
                         "Mountainside Recovery Community Center", "Dawn Patrol NA"]
        }  # fmt: skip
        assert positions["Health"] < positions["Harbor Withdrawal Center"] < positions["Home"]
        assert positions["Home"] < positions["Bridge Recovery House"] < positions["Purpose"]
        assert positions["Purpose"] < positions["Peer Coaching to Work"] < positions["Community"]
        assert positions["Purpose"] < positions["Open Door GED Classes"] < positions["Community"]
        assert positions["Community"] < positions["Mountainside Recovery Community Center"]
        assert positions["Community"] < positions["Dawn Patrol NA"]
    # In list order within a dimension: GED classes were added before the coaching.
    assert details.index("Open Door GED Classes") < details.index("Peer Coaching to Work")
    for expected in ("Robin's recovery resources", "Finish my GED", "Bring your diploma papers",
                     "988 Suicide & Crisis Lifeline", "1-800-662-4357", "call 911",
                     "When things get tough, call me first", "503-555-0100"):  # fmt: skip
        assert expected in flat, expected
    # The help lines run along the foot of every page.
    assert all("Help any time: 988" in page.extract_text() for page in reader.pages)


def test_pdf_paper_follows_the_form(client):
    csrf = build_list(client, ["harbor-detox"])
    letter = client.post("/referrals/sheet.pdf", data={"csrf_token": csrf})
    a4 = client.post("/referrals/sheet.pdf", data={"paper": "a4", "csrf_token": csrf})
    letter_box = PdfReader(io.BytesIO(letter.data)).pages[0].mediabox
    a4_box = PdfReader(io.BytesIO(a4.data)).pages[0].mediabox
    assert (round(letter_box.width), round(letter_box.height)) == (612, 792)
    assert (round(a4_box.width), round(a4_box.height)) == (595, 842)


def test_the_calendar_holds_the_meetings_on_the_list(client):
    csrf = build_list(client, ["hawthorne-serenity-aa", "harbor-detox", "east-coast-aa"])
    response = client.post("/referrals/sheet.ics", data={"csrf_token": csrf})
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    events = calendar.walk("VEVENT")
    summaries = sorted(str(e["SUMMARY"]) for e in events)
    assert summaries == ["Brooklyn Morning Online AA"] * 2 + ["Hawthorne Serenity Group"] * 3
    zones = {str(e["DTSTART"].dt.tzinfo) for e in events}
    assert zones == {"America/Los_Angeles", "America/New_York"}


def test_no_meetings_no_calendar(client):
    csrf = build_list(client, ["harbor-detox"])
    response = client.post("/referrals/sheet.ics", data={"csrf_token": csrf})
    assert response.status_code == 400
    assert "no meetings on this list" in response.get_data(as_text=True)


# The share link.


def test_the_shared_page_shows_ids_only_and_skips_what_is_gone(client):
    response = client.get(
        "/referrals/shared?ids=harbor-detox,closed-pantry,nope,BAD!,hawthorne-serenity-aa"
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Harbor Withdrawal Center" in page and "Hawthorne Serenity Group" in page
    assert "3 listings on this link are no longer in the directory" in page
    assert "/referrals/shared.ics?ids=hawthorne-serenity-aa" in page
    assert "Add to referral list" not in page and "<textarea" not in page
    ics = client.get("/referrals/shared.ics?ids=harbor-detox,hawthorne-serenity-aa")
    assert len(Calendar.from_ical(ics.data).walk("VEVENT")) == 3


@pytest.mark.parametrize("query", ["", "?ids=", "?ids=,,,", "?ids=" + "x," * 10000, "?ids=%00"])
def test_the_shared_page_survives_odd_links(client, query):
    response = client.get("/referrals/shared" + query)
    assert response.status_code == 200


def test_the_short_share_address_opens_the_same_read_only_list(client):
    link = short_link(
        client.application, ["harbor-detox", "closed-pantry", "hawthorne-serenity-aa"]
    )
    response = client.get(link.removeprefix("http://localhost") + "-zzzz")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "Harbor Withdrawal Center" in page and "Hawthorne Serenity Group" in page
    assert "2 listings on this link are no longer in the directory" in page
    meetings = short_link(client.application, ["hawthorne-serenity-aa"])
    ics_path = meetings.removeprefix("http://localhost") + "/meetings.ics"
    assert f'href="{ics_path}"' in page
    assert "Add to referral list" not in page and "<textarea" not in page
    ics = client.get(ics_path)
    assert ics.status_code == 200 and len(Calendar.from_ical(ics.data).walk("VEVENT")) == 3


@pytest.mark.parametrize("code", ["-", "zzzz", "x" * 5000, "%00", "a.b", "HARBOR", "%E2%9F%A6"])
def test_the_short_share_address_survives_odd_codes(client, code):
    response = client.get(f"/r/{code}")
    assert response.status_code == 200
    assert "There is nothing to show on this link" in response.get_data(as_text=True)


def test_text_and_email_links_carry_only_the_short_address(client):
    ids = ["harbor-detox", "hawthorne-serenity-aa"]
    csrf = build_list(client, ids, {"harbor-detox": "Secret note words"})
    form = {"participant": "Quillonette", "goal_health": "Zephyrgoal", "specialist": "Vormund",
            "contact": "555-0199", "csrf_token": csrf}  # fmt: skip
    page = client.post("/referrals/sheet", data=form).get_data(as_text=True)
    link = quote(short_link(client.application, ids))
    sms = re.search(r'id="text-it" href="([^"]*)"', page).group(1)
    mail = re.search(r'id="email-it" href="([^"]*)"', page).group(1)
    assert html.unescape(sms) == f"sms:?&body={link}"
    assert html.unescape(mail) == f"mailto:?subject=Your%20recovery%20resources&body={link}"
    # The boxes for a number or address have no name: a form could never send them to us.
    for box in re.findall(r'<input type="(?:tel|email)"[^>]*>', page):
        assert "name=" not in box
    listing = client.get("/referrals").get_data(as_text=True)
    assert f'href="sms:?&amp;body={link}"' in listing
    assert f'href="mailto:?subject=Your%20recovery%20resources&amp;body={link}"' in listing


def test_the_browsers_print_gets_the_sheets_page_footers(client):
    response = client.get("/referrals/sheet-en.css")
    assert response.status_code == 200 and response.mimetype == "text/css"
    css = response.get_data(as_text=True)
    assert "@bottom-left" in css and "Help any time: 988 · 1-800-662-4357 · 911" in css
    assert "counter(pages)" in css and "size:" not in css


def test_the_share_link_never_carries_notes(client):
    build_list(client, ["harbor-detox"], {"harbor-detox": "Secret note words"})
    page = client.get("/referrals").get_data(as_text=True)
    link = re.search(r'href="(http://localhost/r/[^"]*)"', page).group(1)
    assert link == short_link(client.application, ["harbor-detox"])
    assert re.fullmatch(r"http://localhost/r/[0-9a-z]{4}", link)


# Privacy: nothing the participant typed is written anywhere.


def test_nothing_typed_for_a_sheet_is_written_to_disk_or_logs(tmp_path, monkeypatch, caplog):
    secrets = ["Quillonette", "Zephyrgoal sleep eight hours", "Xanthnote ask for Mo",
               "Specialist Vormund", "call Vormund at 555-0199"]  # fmt: skip
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    caplog.set_level(logging.DEBUG)
    app = make_app(tmp_path)
    app.logger.debug("capture probe")  # proves what our loggers write at DEBUG is captured
    client = app.test_client()
    csrf = build_list(client, ["harbor-detox", "hawthorne-serenity-aa"],
                      {"harbor-detox": secrets[2]})  # fmt: skip
    form = {"participant": secrets[0], "goal_health": secrets[1], "specialist": secrets[3],
            "contact": secrets[4], "near": "97214", "csrf_token": csrf}  # fmt: skip
    sheet = client.post("/referrals/sheet", data=form)
    pdf = client.post("/referrals/sheet.pdf", data=form)
    ics = client.post("/referrals/sheet.ics", data=form)
    assert sheet.status_code == pdf.status_code == ics.status_code == 200
    # Back to the list, as the browser without scripts does it (the form again) and with them.
    back = client.post("/referrals/update", data={**form, "op": "save"})
    kept = client.post("/referrals/update", data={**form, "op": "save", "details_kept": "browser"})
    assert back.status_code == 200 and secrets[0] in back.get_data(as_text=True)
    assert kept.status_code == 303
    text = " ".join(PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text().split())
    assert all(s in text for s in secrets)  # the sheet really carried them
    for response in (sheet, pdf, ics, back, kept):
        assert response.headers["Cache-Control"] == "no-store"
        assert not any(s in response.headers.get("Location", "") for s in secrets)
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    instance = Path(app.instance_path)
    if instance.exists():
        written += [p for p in instance.rglob("*") if p.is_file()]
    assert any(p.parts[-2] == "index" or "index" in p.parts for p in written)  # we did look
    for path in written:
        data = path.read_bytes()
        for s in secrets:
            assert s.encode() not in data, f"{s!r} written to {path}"
    logged = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    assert "capture probe" in caplog.text  # logging was captured at DEBUG
    for s in secrets:
        assert s not in logged
    for s in secrets[:2] + secrets[3:]:
        assert s not in session_text(client)  # only the note lives in the browser's list
    assert not any(s in ics.get_data(as_text=True) for s in secrets)
