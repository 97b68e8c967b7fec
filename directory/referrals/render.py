"""Referral sheet data -> what the page shows, a PDF, QR codes and a calendar file.

No Flask here: the web layer renders the HTML with its template and hands it back for the PDF.
The PDF is drawn from that same HTML with its stylesheets given beside it (parsed once per
process, not once per PDF), and WeasyPrint is given a URL fetcher that refuses everything, so
making a PDF never touches the network.
"""

from __future__ import annotations

import copy
import functools
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

import segno

from directory.core.model import Resource
from directory.formats.icalendar import calendar_for
from directory.referrals.wording import SheetWords

PAPER_SIZES = {"letter": "letter", "a4": "A4"}
QR_ERROR_LEVEL = "m"  # survives a crease or a smudge on a printed sheet
SCREEN_ERROR_LEVEL = "l"  # a screen has no creases; fewer modules, a smaller page


QR_CACHE_SIZE = 512  # codes kept per process: a listing's address is the same on every sheet
STYLESHEET_CACHE_SIZE = 16  # parsed stylesheets kept: sheet.css and the footers of each language


@functools.lru_cache(maxsize=QR_CACHE_SIZE)
def qr_svg(data: str, error: str = QR_ERROR_LEVEL) -> str:
    """Return an inline SVG QR code for data, sized by CSS (no style attributes)."""
    # Kept: encoding one takes a few milliseconds (mask scoring), and a sheet has one per item.
    return segno.make(data, error=error, micro=False).svg_inline(omitsize=True)


def sheet_context(sheet: dict, share_url: str | None = None) -> dict:
    """Return the sheet data with a QR code for every item and for the share link."""
    context = copy.deepcopy(sheet)
    for group in context["groups"]:
        for item in group["items"]:
            item["qr"] = qr_svg(item["url"])
    context["share_url"] = share_url
    context["share_qr"] = qr_svg(share_url) if share_url else None
    return context


def page_css(sheet: dict, words: SheetWords, paper: str | None = None) -> str:
    """Return the sheet's @page rule: the help lines and page numbers at the foot of every page
    (in the sheet's language), and the paper when given (the PDF's; a browser asks its own)."""
    numbers = [line["phone"] for line in sheet["crisis_lines"] if line["phone"]]
    if not sheet.get("has_911"):
        numbers.append(words.text("911 in an emergency"))
    help_text = words.text("Help any time: %(numbers)s", numbers=" · ".join(numbers))
    page, of = words.text("Page %(page)s of %(pages)s", page="\0", pages="\0").split("\0")[:2]
    rules = [
        f"@bottom-left {{ content: {_css_string(help_text)}; }}",
        f"@bottom-right {{ content: {_css_string(page)} counter(page) {_css_string(of)}"
        " counter(pages); }",
    ]
    if paper:
        rules.insert(0, f"size: {PAPER_SIZES.get(paper, 'letter')};")
    return "@page { " + " ".join(rules) + " }"


# WeasyPrint balances columns by laying them out again and again: a 10-listing sheet took 12 s
# instead of 2. Filled in order, the PDF's pages are the same; only the last page's two columns
# share what is left differently from the browser's Print, which balances them.
PDF_ONLY_CSS = ".sheet-details { column-fill: auto; }"


def pdf_page_css(sheet: dict, words: SheetWords) -> str:
    """Return the PDF's own rules: its paper, the help lines and the page numbers."""
    return page_css(sheet, words, sheet.get("paper", "letter")) + "\n" + PDF_ONLY_CSS


def _css_string(text: str) -> str:
    """Quote text as a CSS string that cannot end the string or the <style> element."""
    escaped = "".join(c if c.isalnum() or c in " -·:,.&()+'" else f"\\{ord(c):x} " for c in text)
    return f'"{escaped}"'


def pdf_filename(sheet: dict) -> str:
    """Return a download name that carries no names: only the date."""
    return f"referral-sheet-{sheet['date']}.pdf"


def render_pdf(html: str, stylesheets: Sequence[str] = ()) -> bytes:
    """Return the PDF of html with `stylesheets` (CSS text, paper size included) applied.

    They are applied in order as WeasyPrint's user stylesheets, parsed once per process. For
    the sheet that draws the same as inlining them: it has no author styles of its own (the
    CSP allows none inline), and tests/referrals compares the pages drawn both ways.
    """
    # Imported here: the import costs about 0.4 s, and most processes never make a PDF.
    import weasyprint

    # WeasyPrint logs each character its fonts cannot draw: that would put a participant's
    # name or goals into the logs, one letter at a time. Its messages stay inside it.
    for name in ("weasyprint", "fontTools"):
        logging.getLogger(name).propagate = False

    document = weasyprint.HTML(
        string=html, base_url="about:blank", url_fetcher=_refusing_fetcher(weasyprint)
    )
    return document.write_pdf(stylesheets=[_parsed_css(text) for text in stylesheets])


@functools.lru_cache(maxsize=STYLESHEET_CACHE_SIZE)
def _parsed_css(text: str):
    """Return WeasyPrint's parsed form of a stylesheet, kept: parsing and preparing sheet.css
    took a tenth of each PDF. The parsed form is only read while a PDF is drawn."""
    import weasyprint

    return weasyprint.CSS(
        string=text, base_url="about:blank", url_fetcher=_refusing_fetcher(weasyprint)
    )


def _refusing_fetcher(weasyprint) -> Callable | object:
    """Return a URL fetcher that fetches nothing (the HTML and CSS arrive complete)."""
    base = getattr(weasyprint, "URLFetcher", None)
    if base is None:  # older WeasyPrint takes a plain function

        def refuse(url: str, *args, **kwargs):
            raise ValueError(f"referral sheets fetch nothing: {url[:80]}")

        return refuse

    class Refusing(base):
        def fetch(self, url, headers=None):
            raise ValueError(f"referral sheets fetch nothing: {url[:80]}")

    return Refusing()


def sheet_calendar(
    resources: Iterable[Resource], url_for: Callable[[Resource], str], now: datetime
) -> bytes:
    """Return an .ics file with every meeting time of the sheet's resources."""
    return calendar_for(resources, url_for, now)
