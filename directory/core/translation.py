"""The words people read, in their language: one gettext seam for the core, the web and the sheet.

Text shown to people is marked where it is written: `_()` translates now, `N_()` marks a
constant (a label in a table) that is translated where it is shown, `ngettext()` chooses a
plural. They all speak the language *in force*, a context variable: the web layer sets it for
each request (the page's language, chosen by `web/languages.py`), and `speaking(code)` sets it
for a block (a referral sheet in the participant's language, whatever the page's). Outside
both, and for English, messages read as written, so the CLI, the importers and the tests of
the core see English without setting anything up.

Why a context variable and not a `locale` argument on every function: the words are chosen
deep inside (a category label in a result summary, a day name in a weekly schedule), and
threading a translator through every signature and caller would touch all of them for no
gain. A context variable is per thread and per request, set at the boundary, and undone on
leaving it. No Flask here: a language is a gettext catalog under `directory/translations/`
and a Babel locale for its dates, times and numbers.
"""

from __future__ import annotations

import contextvars
import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton
from babel.dates import format_time as babel_format_time
from babel.support import Translations

SOURCE_LANGUAGE = "en"  # the language messages are written in
DOMAIN = "messages"
CATALOGS = Path(__file__).resolve().parent.parent / "translations"
# The country whose conventions dates and times follow (the directory is American: "7:00 p. m."
# and a 12-hour clock in Spanish too, as Spanish speakers in the US read them).
COUNTRY = "US"


@dataclass(frozen=True)
class Language:
    """A language people can read the site in: its code, catalog and Babel locale."""

    code: str
    translations: _gettext.NullTranslations
    locale: Locale
    folder: str  # where its catalog was found (a language named in it speaks from there too)

    @property
    def name(self) -> str:
        """Return the language's name in itself ("English", "Español")."""
        name = Locale.parse(self.code).get_display_name(self.code) or self.code
        return name[:1].upper() + name[1:]


def _locale_of(code: str) -> Locale:
    try:
        return Locale.parse(f"{code}_{COUNTRY}")
    except (UnknownLocaleError, ValueError):
        return Locale.parse(code)


@cache
def _load(code: str, folder: str) -> Language:
    if code == SOURCE_LANGUAGE:
        translations: _gettext.NullTranslations = _gettext.NullTranslations()
    else:
        translations = Translations.load(folder, [code], DOMAIN)
    return Language(code, translations, _locale_of(code), folder)


@cache
def _codes(folder: str) -> tuple[str, ...]:
    found = sorted(p.parent.parent.name for p in Path(folder).glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))
    return (SOURCE_LANGUAGE, *(code for code in found if code != SOURCE_LANGUAGE))


def available(folder: Path | str = CATALOGS) -> tuple[str, ...]:
    """Return the codes of the languages with a compiled catalog, English first."""
    return _codes(str(folder))


def language(code: str, folder: Path | str = CATALOGS) -> Language:
    """Return a language by its code; an unknown code is English."""
    if code not in available(folder):
        code = SOURCE_LANGUAGE
    return _load(code, str(folder))


_in_force: contextvars.ContextVar[Language | None] = contextvars.ContextVar(
    "directory_language", default=None
)


def current() -> Language:
    """Return the language in force (English outside any request or `speaking` block)."""
    return _in_force.get() or _load(SOURCE_LANGUAGE, str(CATALOGS))


def activate(chosen: Language) -> contextvars.Token:
    """Put a language in force until `deactivate(token)` (the web layer, per request)."""
    return _in_force.set(chosen)


def deactivate(token: contextvars.Token) -> None:
    _in_force.reset(token)


@contextmanager
def speaking(code: str, folder: Path | str | None = None) -> Iterator[Language]:
    """Speak the language `code` inside the block (a catalog folder, else the one in force)."""
    base = folder or _folder_in_force()
    token = _in_force.set(language(code, base))
    try:
        yield _in_force.get()
    finally:
        _in_force.reset(token)


def _folder_in_force() -> str:
    chosen = _in_force.get()
    return chosen.folder if chosen else str(CATALOGS)


def code() -> str:
    """Return the code of the language in force ("en", "es")."""
    return current().code


def gettext(message: str, **values: object) -> str:
    """Return message in the language in force, with %(name)s placeholders filled in."""
    text = current().translations.gettext(message)
    return text % values if values else text


_ = gettext


def ngettext(singular: str, plural: str, count: int, **values: object) -> str:
    """Return the form of a message for count, with %(count)s and placeholders filled in."""
    text = current().translations.ngettext(singular, plural, count)
    return text % {"count": count, **values}


def pgettext(context: str, message: str, **values: object) -> str:
    """Return message as meant in context (one English word, two meanings elsewhere)."""
    text = current().translations.pgettext(context, message)
    return text % values if values else text


def N_(message: str) -> str:
    """Mark a constant for translation; `_()` translates it where it is shown."""
    return message


def capitalized(text: str) -> str:
    """Return text with its first letter a capital ("lunes" -> "Lunes"), the rest as it is."""
    return text[:1].upper() + text[1:]


# Dates and times, by the language's own conventions (Babel's CLDR data).

_ENGLISH_STYLE = SOURCE_LANGUAGE  # "7:00 pm", "noon": the house style, kept as it was


def clock(minute: int) -> str:
    """Return a minute of the day as a wall-clock time: "7:00 pm", "noon", "7:00 p.m.".

    "noon" and "midnight" are the English house style only: in other languages a time stands
    in phrases ("a las %(time)s") that a word would not fit, so Babel's clock says it.
    """
    minute %= 1440
    hours, minutes = divmod(minute, 60)
    chosen = current()
    if chosen.code == _ENGLISH_STYLE:
        if minute == 0:
            return "midnight"
        if minute == 12 * 60:
            return "noon"
        return f"{hours % 12 or 12}:{minutes:02d} {'am' if hours < 12 else 'pm'}"
    return babel_format_time(time(hours, minutes), "short", locale=chosen.locale)


def day_name(day: int, width: str = "wide") -> str:
    """Return the name of a day (0 = Sunday): "Monday", "lunes"; width "abbreviated": "Mon"."""
    return current().locale.days["format"][width][(day - 1) % 7]


def month_day(moment: date | datetime) -> str:
    """Return a short date without the year: "Dec 8", "8 dic"."""
    return _skeleton("MMMd", _date(moment), current().locale)


def weekday_month_day(moment: date | datetime) -> str:
    """Return "Tue, Dec 8", "mar, 8 de dic"."""
    return _skeleton("MMMEd", _date(moment), current().locale)


@lru_cache(maxsize=2048)  # every result card's heading asks; a few dates recur all day
def _skeleton(pattern: str, day: date, locale: Locale) -> str:
    return format_skeleton(pattern, day, locale=locale)


def long_date(moment: date | datetime) -> str:
    """Return "Tuesday, December 8, 2026", "martes, 8 de diciembre de 2026"."""
    return format_date(_date(moment), "full", locale=current().locale)


def _date(moment: date | datetime) -> date:
    return moment.date() if isinstance(moment, datetime) else moment
