"""The sheet's words: English as written, and every printed word behind the one seam."""

from __future__ import annotations

import re
from datetime import date, datetime
from html.parser import HTMLParser

import pytest

from directory.core.schedule import Schedule
from directory.referrals import render as sheets
from directory.referrals import wording
from directory.referrals.sheet import first_sentences
from directory.referrals.wording import SheetWords
from tests.web.referral_flow import build_list, make_app


def test_english_dates_times_lists_and_plurals():
    words = wording.words_for("en")
    assert words.long_date(date(2026, 3, 2)) == "Monday, March 2, 2026"
    assert words.short_day(datetime(2026, 3, 8, 9)) == "Sun Mar 8"
    assert (
        words.short_date(date(2026, 12, 1)) == "Dec 1" and words.weekday(date(2026, 3, 2)) == "Mon"
    )
    assert words.time(datetime(2026, 3, 2, 19, 0)) == "7:00 pm"
    assert words.join(["a"]) == "a" and words.join(["a", "b", "c"]) == "a, b and c"
    assert words.plural("%(count)s place", "%(count)s places", 1) == "1 place"
    assert words.plural("%(count)s place", "%(count)s places", 3) == "3 places"
    assert (
        words.miles(1.25) == "1.2 miles" and words.miles(3, approximate=True) == "about 3.0 miles"
    )
    assert words.text("%(name)s's sheet", name="Robin") == "Robin's sheet"
    assert words.dimension("home") == "Home" and words.category("food") == "Food"
    hours = Schedule.from_items([{"days": "weekdays", "start": "08:00", "end": "17:00"}], "UTC")
    assert words.hours(hours) == ["Weekdays, 8:00 am to 5:00 pm"]


@pytest.mark.parametrize("value", [None, "", "xx", "EN", ["en"], "en-US"])
def test_an_unknown_language_falls_back_to_english(value):
    assert wording.language_or_default(value) == "en"
    assert wording.words_for(value).language == "en"


class Pseudo(SheetWords):
    """A pseudo-language that marks every word it is asked for: ⟦like this⟧."""

    name = "Pseudo"

    def text(self, message, **values):
        return f"⟦{super().text(message, **values)}⟧"

    def plural(self, singular, plural, count, **values):
        return f"⟦{super().plural(singular, plural, count, **values)}⟧"

    def long_date(self, day):
        return f"⟦{super().long_date(day)}⟧"

    def short_day(self, moment):
        return f"⟦{super().short_day(moment)}⟧"

    def short_date(self, moment):
        return f"⟦{super().short_date(moment)}⟧"

    def weekday(self, moment):
        return f"⟦{super().weekday(moment)}⟧"

    def time(self, moment):
        return f"⟦{super().time(moment)}⟧"

    def hours(self, schedule):
        return [f"⟦{line}⟧" for line in super().hours(schedule)]

    def dimension(self, dimension):
        return f"⟦{super().dimension(dimension)}⟧"

    def dimension_description(self, dimension):
        return f"⟦{super().dimension_description(dimension)}⟧"

    def category(self, category):
        return f"⟦{super().category(category)}⟧"

    def fellowship(self, fellowship):
        return f"⟦{super().fellowship(fellowship)}⟧"

    def meeting_type(self, fellowship, code):
        return f"⟦{super().meeting_type(fellowship, code)}⟧"


class _Text(HTMLParser):
    """Collect the sheet's text and labels: the <title>, and everything in the <article>."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.depth = 0
        self.in_title = False

    def handle_starttag(self, tag, attrs):
        if tag == "article":
            self.depth += 1
        self.in_title = tag == "title"
        if self.depth:
            self.parts += [v for k, v in attrs if k in ("aria-label", "alt", "title") and v]

    def handle_endtag(self, tag):
        if tag == "article":
            self.depth -= 1
        self.in_title = False

    def handle_data(self, data):
        if (self.depth or self.in_title) and data.strip():
            self.parts.append(data)


def test_every_word_the_sheet_prints_comes_through_the_seam(tmp_path, monkeypatch):
    """Print the sheet in a pseudo-language: all that is left unmarked is data, not words."""
    monkeypatch.setitem(wording.WORDS, "xx", Pseudo("xx"))
    app = make_app(tmp_path)
    client = app.test_client()
    ids = ["harbor-detox", "bridge-recovery-house", "ged-classes", "hawthorne-serenity-aa",
           "east-coast-aa", "closed-hall-ca", "willow-counseling", "dawn-patrol-na"]  # fmt: skip
    csrf = build_list(client, ids, {"harbor-detox": "Bring ID"})
    form = {"language": "xx", "participant": "Robin", "specialist": "Ana",
            "contact": "503-555-0100", "near": "97214", "goal_home": "A room of my own",
            "csrf_token": csrf}  # fmt: skip
    response = client.post("/referrals/sheet", data=form)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="xx">' in page and "/referrals/sheet-xx.css" in page
    parser = _Text()
    parser.feed(page)
    text = "\n".join(parser.parts)
    data = sheet_data(app.extensions["directory"].catalog, ids)
    data += [f"http://localhost/resources/{rid}" for rid in ids]
    share = re.search(r"http://localhost/r/[0-9a-z-]+", page).group(0)
    left = text.replace(share, "")
    for value in sorted(filter(None, data), key=len, reverse=True):
        left = left.replace(value, "")
    while True:  # marked words, innermost first
        shorter = re.sub(r"⟦[^⟦⟧]*⟧", "", left)
        if shorter == left:
            break
        left = shorter
    assert set(left) <= set(" \n·:;,.()-"), left
    # The page's footers (help lines and page numbers) come through the seam too.
    css = sheets.page_css(
        {"crisis_lines": [{"phone": "988"}], "has_911": False}, wording.words_for("xx")
    )
    assert "\\27e6 Help any time" in css and "\\27e6 Page" in css
    assert client.get("/referrals/sheet-xx.css").status_code == 200
    assert client.get("/referrals/sheet-zz.css").status_code == 404


def sheet_data(catalog, ids) -> list[str]:
    """Return what the pseudo-language sheets print that is data, not words: the details typed
    (Robin, Ana...), the help lines and each listing's own text."""
    data = ["Robin", "Ana", "503-555-0100", "Bring ID", "A room of my own", "97214 (Portland, OR)",
            catalog.directory.name]  # fmt: skip
    for line in catalog.directory.crisis_lines:
        data += [line.name, line.phone or "", line.text or "", line.notes or ""]
    for rid in ids:
        r = catalog.by_id(rid)
        data += [r.name, first_sentences(r.description or ""), r.phone or "", r.text or "",
                 r.hours_notes or ""]  # fmt: skip
        if r.location:
            loc = r.location
            data += [loc.one_line(), loc.name or "", loc.notes or "", loc.address or "",
                     loc.city or "", loc.region or ""]  # fmt: skip
        if r.online:
            data += [r.online.url or "", r.online.phone or "", r.online.notes or ""]
    return data
