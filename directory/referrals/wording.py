"""Every word a referral sheet prints, behind one object, in the sheet's own language.

A specialist may print for a participant who reads another language than the page's, so the
sheet (its HTML, PDF and page footers) never uses the page's translation: it asks a `SheetWords`
for its language. English is the only language for now; a translation layer (gettext catalogs,
with Babel's date and time formats) replaces what the methods return, not their callers.

A translation is a `SheetWords` subclass registered in WORDS under its language code, with
its name in LANGUAGES (the sheet form offers those). For extraction, sheet text is marked by
calls to `text` (templates: `t`) and `plural` (templates: `tn`), with the English message as the
id: `pybabel extract -k t -k text -k tn:1,2 -k plural:1,2`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from directory.core import vocabulary
from directory.core.schedule import DAY_LABELS, Schedule, format_time

# language code -> its name in that language, as the sheet form offers it
LANGUAGES: dict[str, str] = {"en": "English"}
DEFAULT_LANGUAGE = "en"
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip


@dataclass(frozen=True)
class SheetWords:
    """The sheet's words in one language (English: the messages as written)."""

    language: str = DEFAULT_LANGUAGE

    def text(self, message: str, **values: object) -> str:
        """Return message in the sheet's language, with %(name)s placeholders filled in."""
        return message % values if values else message

    def plural(self, singular: str, plural: str, count: int, **values: object) -> str:
        """Return the form of a message for count, with %(count)s and placeholders filled in."""
        return self.text(singular if count == 1 else plural, count=count, **values)

    def join(self, parts: Sequence[str]) -> str:
        """Return parts as a list in words: "a", "a and b", "a, b and c"."""
        parts = list(parts)
        if len(parts) <= 1:
            return "".join(parts)
        return self.text("%(first)s and %(last)s", first=", ".join(parts[:-1]), last=parts[-1])

    def long_date(self, day: date) -> str:
        """Return "Monday, March 2, 2026"."""
        return f"{DAY_LABELS[day.isoweekday() % 7]}, {MONTHS[day.month - 1]} {day.day}, {day.year}"

    def short_day(self, moment: date | datetime) -> str:
        """Return "Mon Mar 2"."""
        weekday = DAY_LABELS[moment.isoweekday() % 7][:3]
        return f"{weekday} {MONTHS[moment.month - 1][:3]} {moment.day}"

    def weekday(self, moment: date | datetime) -> str:
        """Return "Mon"."""
        return DAY_LABELS[moment.isoweekday() % 7][:3]

    def short_date(self, moment: date | datetime) -> str:
        """Return "Mar 2"."""
        return f"{MONTHS[moment.month - 1][:3]} {moment.day}"

    def time(self, moment: datetime | time) -> str:
        """Return a wall-clock time: "7:00 pm", "noon"."""
        return format_time(moment)

    def hours(self, schedule: Schedule) -> list[str]:
        """Return a service's weekly hours, one line per group of days."""
        return schedule.describe()

    def miles(self, distance: float, approximate: bool = False) -> str:
        """Return "1.2 miles" or "about 1.2 miles"."""
        if approximate:
            return self.text("about %(miles).1f miles", miles=distance)
        return self.text("%(miles).1f miles", miles=distance)

    def dimension(self, dimension: str) -> str:
        return vocabulary.DIMENSIONS.get(dimension, dimension)

    def dimension_description(self, dimension: str) -> str:
        return vocabulary.DIMENSION_DESCRIPTIONS.get(dimension, "")

    def category(self, category: str) -> str:
        return vocabulary.category_label(category)

    def fellowship(self, fellowship: str) -> str:
        return vocabulary.fellowship_name(fellowship)

    def meeting_type(self, fellowship: str | None, code: str) -> str:
        return vocabulary.type_name(fellowship, code)


# language code -> the sheet's words in it
WORDS: dict[str, SheetWords] = {"en": SheetWords("en")}


def language_or_default(value: object) -> str:
    """Return value if it names a language the sheet can be printed in, else the default."""
    return value if isinstance(value, str) and value in WORDS else DEFAULT_LANGUAGE


def words_for(language: str) -> SheetWords:
    """Return the sheet's words in language (the default language when unknown)."""
    return WORDS[language_or_default(language)]
