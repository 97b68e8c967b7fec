"""What the importers share: their limits, errors, report of records left out, small parsers.

Every importer (Meeting Guide, BMLT, HSDS) reads untrusted input, so every one parses it with
`parse_json` (or reads CSV leniently) and passes each record through `check_record` before
looking at it: a record that is not text, nests deeper than a record can, or holds a value
longer than the data file allows is left out with its reason (or its free text cut, noted),
and the rest of the feed is imported.
"""

from __future__ import annotations

import copy
import json
import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pycountry

# --- limits --------------------------------------------------------------------------------------
# MAX_FIELD_CHARS must equal the data file's own limit (issue 12 adds it as MAX_FIELD_CHARS in
# directory/datafile/limits.py and DIRECTORY_DATA_MAX_FIELD_CHARS): an import must never write
# a value the file would then refuse or cut. Import it from there once that has landed.
MAX_FIELD_CHARS = 5_000  # a description is a few sentences; 5,000 characters is two pages
# The feed itself, which is not the data file: a region's BMLT answer or a large intergroup's
# Meeting Guide feed (100,000 meetings are about 80 MB of JSON).
MAX_FEED_BYTES = 128 * 1024 * 1024
# A record is flat: a mapping of scalars and lists (`types`, `regions`, `day`), one level of
# mappings at most. These bound the work one record can cause, not what real feeds use (about
# 40 fields, a dozen codes).
MAX_RECORD_DEPTH = 4
MAX_RECORD_ITEMS = 500  # fields of a record, or items of one of its lists

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
    # Entry id -> (position, key, key name) of the record it came from, to report it by.
    origins: dict[str, tuple[int, str | None, str]] = field(default_factory=dict)

    def take(self, record: dict[str, Any], index: int, key: str | None, key_name: str) -> None:
        """Add an entry made from the feed's record `index`."""
        self.records.append(record)
        self.origins[str(record["id"])] = (index, key, key_name)

    @property
    def skipped(self) -> list[RecordProblem]:
        return [p for p in self.problems if p.kind == "skipped"]

    @property
    def notes(self) -> list[RecordProblem]:
        return [p for p in self.problems if p.kind == "note"]


# --- untrusted input ---------------------------------------------------------------------------


def decode_leniently(data: bytes) -> str:
    """Return UTF-8 text; bytes that are not UTF-8 become lone surrogates, for `check_record`.

    A byte that is not UTF-8 inside one record's text must not stop the whole feed: it is kept
    apart (surrogateescape) so that the record carrying it can be named and left out.
    """
    return data.decode("utf-8-sig", errors="surrogateescape")


def parse_json(data: bytes, source: str) -> Any:
    """Return a JSON document, or raise FeedError saying plainly what is wrong with it."""
    try:
        return json.loads(decode_leniently(data))
    except json.JSONDecodeError as exc:
        where = f"at line {exc.lineno}, column {exc.colno}"
        bad = exc.doc[exc.pos : exc.pos + 1]
        if bad and 0xDC80 <= ord(bad) <= 0xDCFF:  # a byte that is not UTF-8, outside any text
            raise FeedError(
                f"{source}: not UTF-8 text {where} (byte 0x{ord(bad) - 0xDC00:02X}), outside any"
                " record's text"
            ) from exc
        raise FeedError(f"{source}: not valid JSON: {exc.msg} {where}") from exc
    except RecursionError:
        # The C parser stops at Python's recursion limit, long before memory runs short.
        raise FeedError(
            f"{source}: nested too deeply to be a feed (lists or objects inside each other"
            " about a thousand times)"
        ) from None
    except MemoryError:
        raise FeedError(f"{source}: too large to read into memory") from None


_SURROGATE = re.compile(r"[\ud800-\udfff]")
# C0 and C1 control characters, DEL; not tab, line feed or carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SUSPECT = re.compile(r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # either
MAX_NAME_CHARS = 100  # no format has a field name this long


def _not_text(value: str) -> str:
    """Say why a string with lone surrogates is not text, naming the bytes when it can."""
    found = _SURROGATE.findall(value)
    raw = [ord(c) - 0xDC00 for c in found if 0xDC80 <= ord(c) <= 0xDCFF]
    if raw:
        shown = ", ".join(f"0x{b:02X}" for b in dict.fromkeys(raw[:4]))
        return f"not UTF-8 text (byte{'s' if len(raw) > 1 else ''} {shown})"
    return f"not text (an unpaired surrogate \\u{ord(found[0]):04x})"


@dataclass
class CheckedRecord:
    """`check_record`'s answer: the record to read (None: left out, `reason` says why)."""

    record: Any
    reason: str | None = None
    notes: list[str] = field(default_factory=list)


def check_record(
    record: Any, free_text: Collection[str] = (), max_chars: int = MAX_FIELD_CHARS
) -> CheckedRecord:
    """Return a feed record fit to read, or the reason it cannot be, before anything reads it.

    Left out: text that is not UTF-8 (or not text at all), nesting past MAX_RECORD_DEPTH, more
    than MAX_RECORD_ITEMS fields or list items, a value longer than `max_chars` in a field that
    is not free text (a name, an address or a link that long is not one). Free text (`free_text`,
    top-level keys such as `notes`) longer than that is cut at the limit, which loses its end
    rather than the whole record; control characters are removed. Both are noted. A record
    that needs neither is returned as it is, not copied.
    """
    if not isinstance(record, Mapping):
        return CheckedRecord(None, "not a JSON object")
    if _plainly_fine(record, max_chars):
        return CheckedRecord(record, None, [])
    return _check_each(record, free_text, max_chars)


def _check_each(record: Mapping, free_text: Collection[str], max_chars: int) -> CheckedRecord:
    """`check_record` value by value: what it finds first, and every note and fix."""
    notes: list[str] = []
    fixes: list[tuple[list[Any], str]] = []  # (path, new text)
    # Iterative, so a hostile record cannot exhaust the stack: (value, its parent's path, its
    # key there, depth). A value's own path is made only when something needs it: most are
    # short clean texts, and building a path for each was a third of an import's checking.
    stack: list[tuple[Any, list[Any] | None, Any, int]] = [(record, None, None, 1)]
    while stack:
        value, parent, step, depth = stack.pop()
        if isinstance(value, str):
            text = value
            if _SUSPECT.search(text):
                where = _where([*parent, step])
                if _SURROGATE.search(text):
                    return CheckedRecord(None, f"{where}: {_not_text(text)}")
                text = _CONTROL.sub("", text)
                notes.append(f"{where}: control characters removed")
            if len(text) > max_chars:
                where = _where([*parent, step])
                if where not in free_text:
                    return CheckedRecord(
                        None,
                        f"{where}: {len(text):,} characters, more than the {max_chars:,} a field"
                        " of the data file may hold",
                    )
                notes.append(
                    f"{where}: {len(text):,} characters, cut to the {max_chars:,} a field of the"
                    " data file may hold"
                )
                text = text[:max_chars].rstrip()
            if text is not value:
                fixes.append(([*parent, step], text))
            continue
        if not isinstance(value, Mapping | list):
            continue
        path = [] if parent is None else [*parent, step]
        if depth > MAX_RECORD_DEPTH:
            return CheckedRecord(None, f"{_where(path)}: nested deeper than a record can be")
        if len(value) > MAX_RECORD_ITEMS:
            return CheckedRecord(None, f"{_where(path) or 'the record'}: {len(value):,} items")
        if isinstance(value, list):
            stack.extend((item, path, n, depth + 1) for n, item in enumerate(value))
            continue
        for key, item in value.items():
            name = str(key)
            if _SURROGATE.search(name):
                return CheckedRecord(None, f"a field's name is {_not_text(name)}")
            if len(name) > MAX_NAME_CHARS or _CONTROL.search(name):
                return CheckedRecord(None, f"a field's name is not a name: {name[:40]!r}")
            stack.append((item, path, key, depth + 1))
    if fixes:
        record = copy.deepcopy(record)  # bounded: the checks above passed
        for path, text in fixes:
            parent = record
            for step in path[:-1]:
                parent = parent[step]
            parent[path[-1]] = text
    return CheckedRecord(record, None, sorted(notes))


_dumps = json.JSONEncoder(ensure_ascii=False).encode
# What json.dumps writes for a control character check_record removes: \b, \f or \u00XX (tab,
# line feed and carriage return are written \t, \n, \r). A backslash before b or f matches too,
# which only sends the record the long way.
_ESCAPED_CONTROL = re.compile(r"\\[bf]|\\u00")


def _plainly_fine(record: Mapping, max_chars: int) -> bool:
    """True when `check_record` would find nothing to say or change (most records).

    One pass of the C encoder gives every key and text of the record in one string: no
    character `_SUSPECT` looks for, no escaped control character and a length within
    `max_chars` mean no text of it needs a word; the containers' shape is checked apart.
    Anything else goes through `check_record`'s own loop, which says what it found.
    """
    try:
        text = _dumps(record)
    except (TypeError, ValueError, RecursionError):
        return False
    if len(text) > max_chars or _SUSPECT.search(text) or _ESCAPED_CONTROL.search(text):
        return False
    return _shape_fine(record, 1)


def _shape_fine(value: Any, depth: int) -> bool:
    """No container nested past MAX_RECORD_DEPTH or past MAX_RECORD_ITEMS, no key over-long."""
    if depth > MAX_RECORD_DEPTH or len(value) > MAX_RECORD_ITEMS:
        return False
    if isinstance(value, list):
        items = value
    else:
        items = value.values()
        for key in value:
            if not isinstance(key, str) or len(key) > MAX_NAME_CHARS:
                return False
    for item in items:
        if type(item) in _SCALARS:
            continue  # most values: no need to ask the Mapping ABC
        if isinstance(item, Mapping | list) and not _shape_fine(item, depth + 1):
            return False
    return True


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _where(path: list[Any]) -> str:
    """Name a place in a record: `notes`, `types[2]`, `location.name`."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


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
    if "\n" not in value and "\r" not in value:  # one line, the usual case: only its ends
        if _CONTROL.search(value):
            value = _CONTROL.sub("", value)
        return value.strip() or None
    value = _CONTROL.sub("", value)  # check_record has said so; never into the file
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
