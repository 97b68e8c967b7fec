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
from tests.conftest import FIXTURES
from tests.web.referral_flow import build_list, make_app, referral_ids

FIXTURE = FIXTURES / "referrals.yaml"
needs_zbar = pytest.mark.skipif(
    not (shutil.which("zbarimg") and shutil.which("pdftoppm")),
    reason="zbarimg (zbar-tools) and pdftoppm (poppler-utils) decode the printed QR codes",
)


def scan_pdf(pdf: bytes, tmp_path: Path) -> list[str]:
    """Return every QR code's text on every page of pdf, as a phone would read the print."""
    source = tmp_path / "scan.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "110", "-png", str(source), str(tmp_path / "page")],
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


@needs_zbar
def test_qr_code_in_a_pdf_scans_to_its_url(tmp_path):
    url = "https://directory.example/resources/harbor-detox"
    html = f"<html><body><div style='width:40mm;height:40mm'>{sheets.qr_svg(url)}</div></body>"
    assert scan_pdf(sheets.render_pdf(html), tmp_path) == [url]


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
    css = sheets.pdf_page_css(sheet)
    assert css.startswith("@page { size: A4;")
    assert "<" not in css and css.count('"') == 2 and "}</style>" not in css
    html = f"<html><head><style>{css}</style></head><body><p>Body</p></body></html>"
    footer = PdfReader(io.BytesIO(sheets.render_pdf(html))).pages[0].extract_text()
    assert 'Help any time: 988"}</style> · 911 in an emergency' in footer
    assert sheets.pdf_page_css({**sheet, "paper": "tabloid"}).startswith("@page { size: letter;")


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


def test_making_a_pdf_fetches_nothing():
    server = HTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    html = (
        f'<html><head><link rel="stylesheet" href="{base}/site.css">'
        f"<style>@import url({base}/more.css); p {{ background: url({base}/bg.png) }}</style>"
        f'</head><body><img src="{base}/img.png" alt="x"><img src="file:///etc/hostname" alt="y">'
        "<p>Still a PDF</p></body></html>"
    )
    try:
        pdf = sheets.render_pdf(html)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert _Counter.hits == []
    assert "Still a PDF" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


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
    assert 4 <= len(pages) <= 9, len(pages)
    for rid in ids:
        first = [n for n, text in enumerate(pages) if names[rid] in text]
        last = [n for n, text in enumerate(pages) if f"/resources/{rid}" in text]
        note = [n for n, text in enumerate(pages) if notes[rid] in text]
        assert first and first == last == note, (rid, first, note, last)
    # Each page ends with the help lines, never with half a listing.
    assert all(re.search(r"Help any time: 988 · 1-800-662-4357", text) for text in pages)


@needs_zbar
def test_every_qr_code_on_the_long_sheet_scans(long_sheet, tmp_path):
    ids, _, _, pdf = long_sheet
    found = scan_pdf(pdf, tmp_path)
    expected = {f"http://localhost/resources/{rid}" for rid in ids}
    expected.add("http://localhost/referrals/shared?ids=" + ",".join(ids))
    assert set(found) == expected
