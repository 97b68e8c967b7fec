"""Referral sheets rendered: QR codes that scan, PDFs that paginate, nothing fetched."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from icalendar import Calendar
from pypdf import PdfReader

from directory.datafile.load import load_catalog
from directory.referrals import render as sheets
from directory.referrals import sheet as referral
from directory.referrals.wording import SheetWords
from tests.conftest import FIXTURES
from tests.web.referral_flow import build_list, make_app, referral_ids

FIXTURE = FIXTURES / "referrals.yaml"
needs_zbar = pytest.mark.skipif(
    not (shutil.which("zbarimg") and shutil.which("pdftoppm")),
    reason="zbarimg (zbar-tools) and pdftoppm (poppler-utils) decode the printed QR codes",
)


def scan_pdf(pdf: bytes, tmp_path: Path, dpi: int = 110) -> list[str]:
    """Return every QR code's text on every page of pdf, as a phone would read the print."""
    source = tmp_path / "scan.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(source), str(tmp_path / "page")],
                   check=True)  # fmt: skip
    pages = sorted(tmp_path.glob("page*.png"))
    result = subprocess.run(
        ["zbarimg", "--raw", "-q", *map(str, pages)], capture_output=True, text=True, check=False
    )
    return result.stdout.split()


def test_qr_svg_is_inline_and_scales_with_css():
    svg = sheets.qr_svg("https://directory.example/resources/harbor-detox")
    assert svg.startswith("<svg") and 'viewBox="' in svg
    assert "style" not in svg and "width=" not in svg and "height=" not in svg
    assert "<script" not in svg and "href" not in svg


def one_item_sheet(**item) -> dict:
    """Return a sheet context with one listing, as sheet_context makes them (no app)."""
    listing = {"id": "a", "name": "Harbor Detox", "kind": "Treatment", "url":
               "https://directory.example/resources/harbor-detox", "when": "Every day",
               "where": "Portland", "note": "", **item}  # fmt: skip
    return {
        "directory_name": "Test Directory", "language": "en", "participant": "", "specialist": "",
        "contact": "", "date": "2026-03-02", "date_text": "Monday, March 2, 2026",
        "origin": None, "paper": "letter", "share_url": None, "missing": [],
        "crisis_lines": [{"name": "988 Lifeline", "phone": "988", "text": "988"}],
        "has_911": False,
        "groups": [{"dimension": "health", "title": "Health", "description": "Staying well.",
                    "goal": "", "items": [listing]}],
    }  # fmt: skip


@needs_zbar
def test_qr_code_in_a_pdf_scans_to_its_url(tmp_path):
    sheet = one_item_sheet()
    assert scan_pdf(sheets.render_pdf(sheet, SheetWords()), tmp_path, dpi=200) == [
        "https://directory.example/resources/harbor-detox"
    ]


def test_sheet_context_adds_codes_without_changing_the_sheet():
    sheet = {"groups": [{"items": [{"url": "https://x.example/resources/a"}]}]}
    context = sheets.sheet_context(sheet, "https://x.example/referrals/shared?ids=a")
    assert "qr" not in sheet["groups"][0]["items"][0]
    assert context["groups"][0]["items"][0]["qr"].startswith("<svg")
    assert context["share_qr"].startswith("<svg")
    assert sheets.sheet_context(sheet)["share_qr"] is None


def test_pdf_file_name_carries_only_the_date():
    assert sheets.pdf_filename({"date": "2026-03-02", "participant": "Robin"}) == (
        "referral-sheet-2026-03-02.pdf"
    )


def test_page_rule_sets_the_paper_and_quotes_hostile_line_names():
    hostile = 'Line "}; </style><script>alert(1)</script>'
    sheet = {
        "paper": "a4",
        "has_911": False,
        "crisis_lines": [{"name": hostile, "phone": '988"}</style>'}, {"name": "x", "phone": None}],
    }
    css = sheets.page_css(sheet, SheetWords(), "a4")
    assert css.startswith("@page { size: A4;")
    assert "<" not in css and css.count('"') == 6 and "}</style>" not in css  # three strings
    printed = {**one_item_sheet(), "crisis_lines": sheet["crisis_lines"], "paper": "a4"}
    reader = PdfReader(io.BytesIO(sheets.render_pdf(printed, SheetWords())))
    footer = reader.pages[0].extract_text()
    assert 'Help any time: 988"}</style> · 911 in an emergency' in footer
    assert "Page 1 of 1" in footer
    assert hostile in footer  # drawn as text, never read as markup
    assert round(reader.pages[0].mediabox.height) == 842  # A4
    assert sheets.page_css(sheet, SheetWords(), "tabloid").startswith("@page { size: letter;")
    # The browser's Print gets the same footers, without a paper size (the print dialog's).
    assert "size:" not in sheets.page_css(sheet, SheetWords())


class _Counter(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802  # why: the name http.server calls
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args):  # keep test output quiet
        pass


def test_making_a_pdf_fetches_nothing_and_prints_markup_as_text():
    server = HTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    note = (
        f'<img src="{base}/img.png"> <link rel="stylesheet" href="{base}/site.css"> '
        f'<a href="file:///etc/hostname">x</a> <font name="Courier">&amp; {base}/bg'
    )
    sheet = one_item_sheet(note=note, website=f"{base}/site", url=f"{base}/resources/a")
    try:
        pdf = sheets.render_pdf(sheet, SheetWords())
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert _Counter.hits == []
    text = "".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "".join(note.split()) in text


def test_sheet_calendar_has_only_meetings():
    catalog = load_catalog(FIXTURE)
    resources = [catalog.by_id(i) for i in ("harbor-detox", "alanon-family", "dharma-hybrid")]
    body = sheets.sheet_calendar(
        resources, lambda r: f"https://x.example/{r.id}", datetime.now(UTC)
    )
    events = Calendar.from_ical(body).walk("VEVENT")
    assert sorted(str(e["SUMMARY"]) for e in events) == [
        "Hope for Families Al-Anon",
        "Recovery Dharma Sangha",
    ]


# A full sheet, through the app.


@pytest.fixture(scope="module")
def long_sheet(tmp_path_factory):
    """Return (ids, notes, PDF bytes) for a 25-listing sheet with a note on every listing."""
    app = make_app(tmp_path_factory.mktemp("sheet"))
    client = app.test_client()
    ids = referral_ids(client)[:25]
    notes = {rid: f"Note {n:02d}: ask for the front desk and say you have a referral." for n, rid
             in enumerate(ids)}  # fmt: skip
    csrf = build_list(client, ids, notes)
    goals = {f"goal_{d}": f"My {d} goal" for d in ("health", "home", "purpose", "community")}
    form = {"participant": "Robin", "near": "97214", "csrf_token": csrf, **goals}
    response = client.post("/referrals/sheet.pdf", data=form)
    assert response.status_code == 200
    names = {rid: app.extensions["directory"].catalog.by_id(rid).name for rid in ids}
    return ids, names, notes, response.data


def test_a_long_sheet_paginates_without_splitting_a_listing(long_sheet):
    ids, names, notes, pdf = long_sheet
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages]
    assert 3 <= len(pages) <= 6, len(pages)
    for rid in ids:
        # A name is printed twice: in the table on the first pages, then over its details.
        named = [n for n, text in enumerate(pages) if names[rid] in text]
        note = [n for n, text in enumerate(pages) if notes[rid] in text]
        assert named and len(note) == 1 and named[-1] == note[0], (rid, named, note)
    # Each page ends with the help lines, never with half a listing.
    assert all(re.search(r"Help any time: 988 · 1-800-662-4357", text) for text in pages)
    assert all(f"Page {n} of {len(pages)}" in text for n, text in enumerate(pages, 1))


# The handout: 6 listings on 2 pages and 10 on 3, on Letter and A4, with long notes and goals.

SIX = ["harbor-detox", "eastside-bridge-clinic", "bridge-recovery-house", "ged-classes",
       "hawthorne-serenity-aa", "east-coast-aa"]  # fmt: skip
TEN = ["harbor-detox", "eastside-bridge-clinic", "bridge-recovery-house", "st-francis-pantry",
       "ged-classes", "legal-aid-clinic", "hawthorne-serenity-aa", "dawn-patrol-na",
       "peer-center", "east-coast-aa"]  # fmt: skip
NOTE_WORDS = (
    "Ask for the intake desk and say Ana from the peer center sent you. Bring photo ID, your "
    "insurance card if you have one, and a list of the medications you take. Go early on a "
    "weekday when the line is short, call first if the weather is bad, and ask them to help "
    "with the forms if you want it. Text Ana after."
)
GOALS = {  # about 300 characters each: three sentences in the participant's own words
    "health": "Sleep through the night most nights and see a doctor about my back. Keep my "
    "appointments at the clinic every week, even on the hard days, and ask about the shot "
    "instead of the daily film. Walk to the river with my sister on Sundays when it is not "
    "raining, and eat breakfast.",
    "home": "Get a room of my own by spring, close enough to the bus line that I can get to "
    "work and to my kids. Fill in the housing application with Ana, keep my bed at the "
    "house until then, and save a hundred dollars a week for the deposit and the first "
    "month of rent there.",
    "purpose": "Finish my GED by the summer, one class at a time, and then look for work in "
    "a kitchen or a warehouse with regular hours. Get my driving licence back from the "
    "court, and learn enough on a computer to fill in job forms without asking somebody "
    "to do it for me again.",
    "community": "Go to a meeting at least three times a week and find a sponsor I trust "
    "before the holidays. Call somebody before I pick up, not after. Take my kids to the "
    "family day at the center, and maybe help set up chairs at the Tuesday meeting once "
    "I have ninety days.",
}
CONTACT = "503-555-0100 (cell, texts are fine)\nMondays to Fridays, 9 am to 5 pm"


@pytest.fixture(scope="module")
def handout_app(tmp_path_factory):
    """One app (and index) for every handout this module renders."""
    return make_app(tmp_path_factory.mktemp("handouts"))


def handout(app, ids, paper, notes, **details) -> bytes:
    """Return the PDF of a sheet of ids with notes, for Robin from Ana, on paper."""
    client = app.test_client()
    csrf = build_list(client, ids, notes)
    form = {"participant": "Robin", "specialist": "Ana Morales", "contact": CONTACT,
            "near": "97214", "paper": paper, "csrf_token": csrf, **details}  # fmt: skip
    response = client.post("/referrals/sheet.pdf", data=form)
    assert response.status_code == 200
    return response.data


@pytest.fixture(scope="module")
def handouts(handout_app):
    """Return {(listings, paper): (PDF bytes, names by id, notes by id)}."""
    goals = {f"goal_{dim}": goal for dim, goal in GOALS.items()}
    made = {}
    for ids in (SIX, TEN):
        notes = {rid: f"{n}. {NOTE_WORDS}"[:280].strip() for n, rid in enumerate(ids, 1)}
        for paper in ("letter", "a4"):
            pdf = handout(handout_app, ids, paper, notes, **goals)
            catalog = handout_app.extensions["directory"].catalog
            names = {rid: catalog.by_id(rid).name for rid in ids}
            made[(len(ids), paper)] = (pdf, names, notes)
    return made


def page_lines(pdf: bytes) -> list[list[str]]:
    """Return each page's lines of text, without the help lines and page number at its foot."""
    pages = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        lines = [" ".join(line.split()) for line in page.extract_text().splitlines()]
        pages.append([line for line in lines if line and not line.startswith("Help any time")])
    return pages


@pytest.mark.parametrize("paper", ["letter", "a4"])
@pytest.mark.parametrize(("listings", "most"), [(6, 2), (10, 3)])
def test_six_listings_fit_two_pages_and_ten_fit_three(handouts, listings, most, paper):
    pdf, names, notes = handouts[(listings, paper)]
    pages = [" ".join(lines) for lines in page_lines(pdf)]
    assert len(pages) <= most, (listings, paper, len(pages))
    for rid, name in names.items():  # every listing, its note whole, on the page of its details
        named = [n for n, text in enumerate(pages) if name in text]
        noted = [n for n, text in enumerate(pages) if notes[rid] in text]
        assert len(noted) == 1 and named[-1] == noted[0], (rid, named, noted)


@pytest.mark.parametrize("paper", ["letter", "a4"])
@pytest.mark.parametrize("listings", [6, 10])
def test_page_one_is_a_summary_read_at_a_glance(handouts, listings, paper):
    pdf, names, _ = handouts[(listings, paper)]
    first = " ".join(page_lines(pdf)[0])
    for expected in ("Robin's recovery resources", "When things get tough, call me first",
                     "Ana Morales", "503-555-0100", "Help right now, any time",
                     "call or text 988", "1-800-662-4357", "call 911", "This list on your phone",
                     "MY GOALS", "AT A GLANCE", "WHAT WHEN NEXT WHERE PHONE",
                     names["harbor-detox"], "Every day, open 24 hours",
                     "(503) 239-0610",
                     "not checked lately: call first"):  # fmt: skip
        assert expected in first, expected
    for goal in GOALS.values():
        assert " ".join(goal.split()[:8]) in first  # every goal begins on page 1
    assert first.index("MY GOALS") < first.index("AT A GLANCE")
    assert "BEFORE YOU GO" not in first or first.index("AT A GLANCE") < first.index("BEFORE YOU GO")


DIMENSION_HEADINGS = {
    "Health": ("harbor-detox", "health"),
    "Home": ("bridge-recovery-house", "home"),
    "Purpose": ("ged-classes", "purpose"),
    "Community": ("hawthorne-serenity-aa", "community"),
}


@pytest.mark.parametrize("paper", ["letter", "a4"])
@pytest.mark.parametrize("listings", [6, 10])
def test_no_heading_is_left_alone_at_the_foot_of_a_page(handouts, listings, paper):
    """A dimension's heading (goals, table or details) has what follows it on the same page."""
    pdf, names, _ = handouts[(listings, paper)]
    seen = 0
    for page, lines in enumerate(page_lines(pdf)):
        for n, line in enumerate(lines):
            title = line.split(" ")[0]
            if title not in DIMENSION_HEADINGS or not (line == title or _describes(line, title)):
                continue
            first_item, dimension = DIMENSION_HEADINGS[title]
            after = " ".join(lines[n + 1 :])
            goal_start = " ".join(GOALS[dimension].split()[:6])
            assert names[first_item] in after or goal_start in after, (page, line)
            seen += 1
        for section in ("MY GOALS", "AT A GLANCE", "BEFORE YOU GO"):
            if section in lines:
                assert any(h in " ".join(lines[lines.index(section) + 1 :]).split() for h
                           in DIMENSION_HEADINGS), (page, section)  # fmt: skip
    assert seen == 3 * 4  # each dimension's heading in the goals, the table and the details


def _describes(line: str, title: str) -> bool:
    """Return whether line is a table's dimension row: the title and its description."""
    from directory.core import vocabulary

    return line == f"{title} {vocabulary.DIMENSION_DESCRIPTIONS[title.lower()]}"


@needs_zbar
def test_qr_codes_scan_to_the_short_share_address_and_each_resource_page(handouts, tmp_path):
    pdf, names, _ = handouts[(10, "letter")]
    found = scan_pdf(pdf, tmp_path, dpi=200)
    shared = [code for code in found if "/resources/" not in code]
    assert sorted(c for c in found if "/resources/" in c) == sorted(
        f"http://localhost/resources/{rid}" for rid in names
    )
    assert len(shared) == 1 and re.fullmatch(r"http://localhost/r/[0-9a-z]{4,}(-[0-9a-z]{4,}){9}",
                                             shared[0])  # fmt: skip
    first = " ".join(page_lines(pdf)[0]).replace("- ", "-")
    assert shared[0] in first  # the address to type is printed beside its code


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_with_goals_and_notes_at_their_maximum_ten_listings_still_fit_three_pages(
    handout_app, paper
):
    # The worst case of what people write: 500 characters of goals in every dimension and 280
    # on every listing. (Six listings then take 3 Letter pages and 2 A4 ones; with every other
    # field at its limit too, a 60-character first name and a 200-character contact, ten
    # take 4 Letter pages.)
    notes = {rid: f"{n}. {NOTE_WORDS}"[:280].strip() for n, rid in enumerate(TEN, 1)}
    limit = referral.FIELD_LIMITS["goal"]
    goals = {f"goal_{dim}": (goal + " " + goal)[:limit] for dim, goal in GOALS.items()}
    assert len(page_lines(handout(handout_app, TEN, paper, notes, **goals))) <= 3
