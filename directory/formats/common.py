"""What the importers share: their errors, their report of records left out, small parsers."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pycountry

DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
COUNTRY_ALIASES = {
    "usa": "US",
    "us": "US",
    "u.s.a.": "US",
    "united states": "US",
    "united states of america": "US",
    "uk": "GB",
    "united kingdom": "GB",
    "england": "GB",
    "canada": "CA",
}


class FeedError(Exception):
    """The feed cannot be read at all (missing, too large, not JSON, not a list)."""


class RecordError(ValueError):
    """One record (a meeting, a service) cannot be imported; the message says why."""


@dataclass(frozen=True)
class RecordProblem:
    """A record left out (`skipped`) or taken with something dropped (`note`)."""

    index: int  # 1-based position in the feed
    key: str | None  # the feed's own key for it (slug, or HSDS id)
    message: str
    kind: str = "skipped"  # or "note"
    key_name: str = "slug"

    def __str__(self) -> str:
        if self.index == 0:
            return self.message  # about the whole feed, not one record
        where = f"record {self.index}"
        if self.key is not None:
            where += f" ({self.key_name} '{self.key}')"
        return f"{where}: {self.message}"


@dataclass
class ImportResult:
    """The entries made from a feed, and what could not be taken."""

    records: list[dict[str, Any]] = field(default_factory=list)
    problems: list[RecordProblem] = field(default_factory=list)
    total: int = 0  # records in the feed

    @property
    def skipped(self) -> list[RecordProblem]:
        return [p for p in self.problems if p.kind == "skipped"]

    @property
    def notes(self) -> list[RecordProblem]:
        return [p for p in self.problems if p.kind == "note"]


def slugify(value: Any) -> str:
    """Return `value` as a slug: lowercase ASCII letters and digits joined by single hyphens."""
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def clean_text(value: Any) -> str | None:
    """Return feed text with Windows line ends, trailing spaces and blank runs tidied."""
    if value is None or isinstance(value, bool):
        return None
    if not isinstance(value, str):
        value = str(value)
    lines = [line.rstrip() for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text or None


@lru_cache(maxsize=4096)  # bounded; a feed names a handful of countries many times over
def country_code(name: str) -> str | None:
    """Return the ISO 3166-1 alpha-2 code for a country name or code, if it is one."""
    key = name.strip().lower()
    if key in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[key]
    try:
        return pycountry.countries.lookup(name.strip()).alpha_2
    except LookupError:
        return None
