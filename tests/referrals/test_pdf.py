"""The sheet's PDF, drawn from its data: read back with a real PDF parser (pypdf)."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from directory.referrals import lists, wording
from tests.referrals.test_wording import Pseudo, sheet_data
from tests.web.referral_flow import build_list, make_app, referral_ids

IDS = ["harbor-detox", "bridge-recovery-house", "ged-classes", "hawthorne-serenity-aa"]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return make_app(tmp_path_factory.mktemp("pdf"))


def post_pdf(app, ids, notes=None, **details) -> bytes:
    client = app.test_client()
    csrf = build_list(client, ids, notes)
    response = client.post("/referrals/sheet.pdf", data={"csrf_token": csrf, **details})
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    return response.data


def flat(reader: PdfReader) -> str:
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def outline_titles(entries) -> list[str]:
    found = []
    for entry in entries:
        found += outline_titles(entry) if isinstance(entry, list) else [entry.title]
    return found


def test_the_pdf_carries_its_title_language_headings_and_places(app):
    reader = PdfReader(io.BytesIO(post_pdf(app, IDS, participant="Robin", goal_home="A room")))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en"
    assert reader.metadata.title.startswith("Recovery resources · ")
    titles = outline_titles(reader.outline)
    assert titles[:1] == ["Robin's recovery resources"]
    headings = (
        "This list on your phone",
        "Help right now, any time",
        "My goals",
        "At a glance",
        "Before you go",
        "Health",
        "Home",
        "Purpose",
        "Community",
    )
    for heading in headings:
        assert heading in titles, heading
    catalog = app.extensions["directory"].catalog
    assert {catalog.by_id(rid).name for rid in IDS} <= set(titles)


def test_every_font_is_embedded(app):
    reader = PdfReader(io.BytesIO(post_pdf(app, IDS)))
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            name = font["/BaseFont"]
            assert name.endswith(("DejaVuSans", "DejaVuSans-Bold", "DejaVuSansMono-Bold")), name
            assert "/FontFile2" in font["/FontDescriptor"]  # embedded: prints the same anywhere


def test_a_spanish_sheet_speaks_spanish_with_its_accents(app):
    words = wording.words_for("es")
    note = "Pregunte por la señora Núñez; ¿mañana a las diez? Él sabrá qué hacer."
    pdf = post_pdf(app, IDS, {"ged-classes": note}, language="es", participant="Rosa",
                   specialist="Inés", contact="503-555-0100")  # fmt: skip
    reader = PdfReader(io.BytesIO(pdf))
    text = flat(reader)
    assert reader.trailer["/Root"]["/Lang"] == "es"
    first_page = words.text("Page %(page)s of %(pages)s", page=1, pages=len(reader.pages))
    for expected in (words.text("%(name)s's recovery resources", name="Rosa"), note, "Inés",
                     words.text("At a glance").upper(), words.dimension("health"),
                     words.dimension("community"), first_page):  # fmt: skip
        assert expected in text, expected
    assert "Recursos de recuperación de Rosa" in text  # the catalog's words, accents and all
    assert "recovery resources" not in text and "Before you go" not in text


HOSTILE = {
    "harbor-detox": "x" * 2_000,  # one word, longer than any line (the list keeps 280)
    "bridge-recovery-house": "שלום, בבקשה תתקשר לפני. مرحبا، اتصل قبل أن تأتي.",  # RTL
    "ged-classes": "Bring ID 🙂👍🏽 and the 🧾 ✅ — ok",  # emoji no font here draws
    "hawthorne-serenity-aa": ("Long note. " * 200).strip(),  # 2,200 characters
}


def test_hostile_notes_never_break_a_sheet(app):
    contact = "<script>alert(1)</script>\n" + "y" * 300
    pdf = post_pdf(app, list(HOSTILE), HOSTILE, participant="Ro🙂bin <b>&amp;",
                   specialist="مرحبا", contact=contact)  # fmt: skip
    reader = PdfReader(io.BytesIO(pdf))
    text = re.sub(r"\W", "", flat(reader))
    for rid in ("harbor-detox", "ged-classes", "hawthorne-serenity-aa"):
        kept = lists.clean_text(HOSTILE[rid], lists.MAX_NOTE)
        assert re.sub(r"\W", "", kept) in text, rid  # emoji no font here has are left out
    # Right-to-left words are drawn right to left: a parser reads them in either order.
    for word in re.findall(r"\w+", HOSTILE["bridge-recovery-house"]):
        assert word in text or word[::-1] in text, word
    assert "scriptalert1script" in text and "y" * 150 in text and "Robinbamp" in text


def test_a_list_at_its_limit_fits_every_listing_whole(app):
    client = app.test_client()
    ids = referral_ids(client)[: lists.MAX_ITEMS]
    notes = {rid: f"Note for {rid}: " + "ask at the desk " * 15 for rid in ids}
    reader = PdfReader(io.BytesIO(post_pdf(app, ids, notes)))
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    for rid in ids:
        note = " ".join(lists.clean_text(notes[rid], lists.MAX_NOTE).split())
        assert sum(note in page for page in pages) == 1, rid  # whole, on one page
    assert all(f"Page {n} of {len(pages)}" in page for n, page in enumerate(pages, 1))


def test_every_word_the_pdf_prints_comes_through_the_seam(app, monkeypatch):
    """The PDF in a pseudo-language: all that is left unmarked is data, not words."""
    monkeypatch.setitem(wording.WORDS, "xx", Pseudo("xx"))
    ids = ["harbor-detox", "bridge-recovery-house", "ged-classes", "hawthorne-serenity-aa",
           "east-coast-aa", "closed-hall-ca", "willow-counseling", "dawn-patrol-na"]  # fmt: skip
    pdf = post_pdf(app, ids, {"harbor-detox": "Bring ID"}, language="xx", participant="Robin",
                   specialist="Ana", contact="503-555-0100", near="97214",
                   goal_home="A room of my own")  # fmt: skip
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "⟦" in text  # the marks survive the PDF's fonts
    data = sheet_data(app.extensions["directory"].catalog, ids)
    left = " ".join(text.split())
    left = re.sub(r"http://localhost/r/[0-9a-z\- ]+", "", left)  # the address to type
    while True:  # marked words, innermost first
        shorter = re.sub(r"⟦[^⟦⟧]*⟧", "", left)
        if shorter == left:
            break
        left = shorter
    for value in sorted(filter(None, data), key=len, reverse=True):
        left = left.replace(" ".join(value.split()), "")
    # Data wrapped over two lines is no longer one piece: what is left must be data's words.
    words_of_data = set(" ".join(data).split())
    assert {w for w in left.split() if w not in words_of_data} <= set("·:;,.()-•"), left


FALLBACK = """
import io, sys, tempfile
from pathlib import Path
from pypdf import PdfReader
from directory.referrals import pdf
pdf.FONT_FOLDERS = ("/nonexistent-fonts",)
from tests.web.referral_flow import build_list, make_app
app = make_app(Path(tempfile.mkdtemp()))
client = app.test_client()
csrf = build_list(client, ["harbor-detox"], {"harbor-detox": "Llame mañana, שלום"})
answer = client.post("/referrals/sheet.pdf", data={"csrf_token": csrf, "participant": "Ana"})
print(answer.status_code)
text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.data)).pages)
print("Llame mañana" in text, "Ana" in text)
"""


def test_without_the_dejavu_fonts_a_sheet_still_comes_out_in_pdf_fonts(tmp_path):
    """A machine without fonts-dejavu-core gets a sheet (Western letters) and a warning."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", FALLBACK], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["200", "True", "True"], done.stdout + done.stderr[-2000:]
    assert "the DejaVu fonts are not in /nonexistent-fonts" in done.stderr
