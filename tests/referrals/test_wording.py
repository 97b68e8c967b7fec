"""The sheet's words: English as written, and every printed word behind the one seam."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from directory.core.schedule import Schedule
from directory.referrals import wording


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
