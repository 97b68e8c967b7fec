"""Referral sheet data -> what the page shows, a PDF, QR codes and a calendar file.

No Flask here: the web layer renders the HTML with its template; the PDF is drawn from the same
data by referrals/pdf.py (no HTML engine: see its docstring), so making one fetches nothing.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterable
from datetime import datetime

import segno

from directory.core.model import Resource
from directory.formats.icalendar import calendar_for
from directory.referrals.wording import SheetWords

PAPER_SIZES = {"letter": "letter", "a4": "A4"}
QR_ERROR_LEVEL = "m"  # survives a crease or a smudge on a printed sheet
SCREEN_ERROR_LEVEL = "l"  # a screen has no creases; fewer modules, a smaller page


QR_CACHE_SIZE = 512  # codes kept per process: a listing's address is the same on every sheet


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


def help_line(sheet: dict, words: SheetWords) -> str:
    """Return the line at the foot of every page: the help lines' numbers, and 911."""
    numbers = [line["phone"] for line in sheet["crisis_lines"] if line["phone"]]
    if not sheet.get("has_911"):
        numbers.append(words.text("911 in an emergency"))
    return words.text("Help any time: %(numbers)s", numbers=" · ".join(numbers))


def page_css(sheet: dict, words: SheetWords, paper: str | None = None) -> str:
    """Return the sheet's @page rule for the browser's Print: the help lines and page numbers
    at the foot of every page (in the sheet's language), and the paper when given."""
    page, of = words.text("Page %(page)s of %(pages)s", page="\0", pages="\0").split("\0")[:2]
    rules = [
        f"@bottom-left {{ content: {_css_string(help_line(sheet, words))}; }}",
        f"@bottom-right {{ content: {_css_string(page)} counter(page) {_css_string(of)}"
        " counter(pages); }",
    ]
    if paper:
        rules.insert(0, f"size: {PAPER_SIZES.get(paper, 'letter')};")
    return "@page { " + " ".join(rules) + " }"


def _css_string(text: str) -> str:
    """Quote text as a CSS string that cannot end the string or the <style> element."""
    escaped = "".join(c if c.isalnum() or c in " -·:,.&()+'" else f"\\{ord(c):x} " for c in text)
    return f'"{escaped}"'


def pdf_filename(sheet: dict) -> str:
    """Return a download name that carries no names: only the date."""
    return f"referral-sheet-{sheet['date']}.pdf"


def render_pdf(sheet: dict, words: SheetWords) -> bytes:
    """Return the PDF of a sheet context (sheet_context's), in the sheet's language."""
    from directory.referrals.pdf import sheet_pdf  # ReportLab: imported by the processes using it

    title = f"{words.text('Recovery resources')} · {sheet['date_text']}"
    return sheet_pdf(sheet, words, title)


def sheet_calendar(
    resources: Iterable[Resource], url_for: Callable[[Resource], str], now: datetime
) -> bytes:
    """Return an .ics file with every meeting time of the sheet's resources."""
    return calendar_for(resources, url_for, now)
