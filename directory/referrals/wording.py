"""Every word a referral sheet prints, behind one object, in the sheet's own language.

A specialist may print for a participant who reads another language than the page's, so the
sheet (its HTML, PDF and page footers) never uses the page's language: it asks a `SheetWords`
for its language, which speaks through the same gettext catalogs as the pages
(`core/translation.py`), with Babel's dates and times for that language.

A language the sheet can be printed in is any language with a compiled catalog
(`translation.available()`); the sheet form offers each under its own name. Sheet text is
marked by calls to `text` (templates: `t`) and `plural` (templates: `tn`), with the English
message as the id; `babel.cfg` lists those keywords for `pybabel extract`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from directory.core import translation, vocabulary
from directory.core.schedule import Schedule, format_time

DEFAULT_LANGUAGE = translation.SOURCE_LANGUAGE


def languages() -> dict[str, str]:
    """Return the languages a sheet can be printed in: code -> its name in that language."""
    folder = translation.current().folder
    found = {
        code: translation.language(code, folder).name for code in translation.available(folder)
    }
    return found | {code: words.name for code, words in WORDS.items()}


@dataclass(frozen=True)
class SheetWords:
    """The sheet's words in one language (English: the messages as written)."""

    language: str = DEFAULT_LANGUAGE

    @property
    def name(self) -> str:
        """Return the language's name in itself, as the sheet form offers it."""
        return translation.language(self.language).name

    def _speaking(self):
        return translation.speaking(self.language)

    def text(self, message: str, **values: object) -> str:
        """Return message in the sheet's language, with %(name)s placeholders filled in."""
        with self._speaking():
            return translation.gettext(message, **values)

    def plural(self, singular: str, plural: str, count: int, **values: object) -> str:
        """Return the form of a message for count, with %(count)s and placeholders filled in."""
        with self._speaking():
            return translation.ngettext(singular, plural, count, **values)

    def join(self, parts: Sequence[str]) -> str:
        """Return parts as a list in words: "a", "a and b", "a, b and c"."""
        parts = list(parts)
        if len(parts) <= 1:
            return "".join(parts)
        return self.text("%(first)s and %(last)s", first=", ".join(parts[:-1]), last=parts[-1])

    def long_date(self, day: date) -> str:
        """Return "Monday, March 2, 2026"."""
        with self._speaking():
            return translation.capitalized(translation.long_date(day))

    def short_day(self, moment: date | datetime) -> str:
        """Return "Mon Mar 2"."""
        with self._speaking():
            day = translation.day_name(moment.isoweekday() % 7, "abbreviated")
            return self.text("%(day)s %(date)s", day=day, date=translation.month_day(moment))

    def weekday(self, moment: date | datetime) -> str:
        """Return "Mon"."""
        with self._speaking():
            return translation.day_name(moment.isoweekday() % 7, "abbreviated")

    def short_date(self, moment: date | datetime) -> str:
        """Return "Mar 2"."""
        with self._speaking():
            return translation.month_day(moment)

    def time(self, moment: datetime | time) -> str:
        """Return a wall-clock time: "7:00 pm", "noon"."""
        with self._speaking():
            return format_time(moment)

    def hours(self, schedule: Schedule) -> list[str]:
        """Return a service's weekly hours, one line per group of days."""
        with self._speaking():
            return schedule.describe()

    def miles(self, distance: float, approximate: bool = False) -> str:
        """Return "1.2 miles" or "about 1.2 miles"."""
        if approximate:
            return self.text("about %(miles).1f miles", miles=distance)
        return self.text("%(miles).1f miles", miles=distance)

    def dimension(self, dimension: str) -> str:
        return vocabulary.dimension_label(dimension, self.language)

    def dimension_description(self, dimension: str) -> str:
        with self._speaking():
            return vocabulary.dimension_description(dimension)

    def category(self, category: str) -> str:
        return vocabulary.category_label(category, self.language)

    def fellowship(self, fellowship: str) -> str:
        return vocabulary.fellowship_name(fellowship, self.language)

    def meeting_type(self, fellowship: str | None, code: str) -> str:
        return vocabulary.type_name(fellowship, code, self.language)


def language_or_default(value: object) -> str:
    """Return value if it names a language the sheet can be printed in, else the default."""
    return value if isinstance(value, str) and value in languages() else DEFAULT_LANGUAGE


def words_for(language: str) -> SheetWords:
    """Return the sheet's words in language (the default language when unknown)."""
    code = language_or_default(language)
    return WORDS.get(code) or SheetWords(code)


# Words that are not only a catalog's, by language code: a language is a catalog, so this is
# empty; the tests register a pseudo-language here that marks every word it prints.
WORDS: dict[str, SheetWords] = {}
