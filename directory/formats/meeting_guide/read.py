"""Meeting Guide JSON feeds -> resource-file entries, with a reason for every record left out.

The Meeting Guide format (code4recovery/spec) is how AA intergroups, Al-Anon, NA and other
fellowships publish their meeting lists. Real feeds bend it: `day` as a string, a name or a list,
12-hour times, `types` as a comma string or as words, lowercase or legacy codes, integer slugs
and postal codes, no coordinates, one-line addresses. Each record either becomes a plain dict in
the resource-file format (the validator judges it like any hand-written entry) or is reported
as "record N (slug 'x'): reason"; nothing is guessed silently.

Decisions, so a maintainer can predict the result:

- ids are the feed's slug, slugified, behind an optional prefix, so re-importing changes nothing.
  A slug used twice in one feed keeps the first record; later ones get `-2`, `-3` (reported).
- One meeting's weekly times, written as one record each by our own feed (and by other
  directories built like it), come back as one entry: records that share a `url` whose last
  part is `<id>`, with slugs `<id>-<day>-<HHMM>` matching their own day and time, and that are
  the same in every other field, become entry `<id>` with one schedule.
- No `day` (or an empty list): kept, with no schedule and `hours_notes: By appointment`.
  A `day` without a `time` cannot be placed in the week and is left out. `day` is 0 = Sunday ...
  6 = Saturday; a feed that uses 7 and never 0 numbers its days the ISO way (7 = Sunday, as
  TSML UI reads it; 1-6 mean the same in both), which is said in a note. A feed that uses both
  0 and 7 cannot be read either way: its records with a 7 are left out.
- An end past midnight: `end_time_next_day` (our extension) or an `end_time` before the start.
- `types`: codes are matched case-insensitively against the codes known for the fellowship
  (`directory.core.vocabulary.known_types`), then against their English names ("Open" -> `O`).
  A record's own `fellowship` (a feed of several) is used instead of the one given, with its
  `fellowship_types` when it has them. `ONL` (the legacy "online" code) is dropped: attendance
  follows from `online`. Unknown codes are left out of `types`, kept under
  `extra.unknown_types`, and reported. Codes that name a language (`S`, `RUS`) or an
  accessibility (`X`, `XB`, `ASL`, `FF`, `BA`) stay in `types` and also fill `languages` and
  `accessibility`, with the `languages`, `accessibility` and `populations` extensions.
- Attendance: a conference URL or phone becomes `online`. An address with no street (only a
  city, "approximate") is not a place to go to; with a way to join online the meeting is
  online-only and keeps only its town. `TC` (temporarily closed): a meeting that still meets
  online keeps `TC` in `types` and its closed place; one with no way to join is
  `status: temporarily-closed` (which says the same, so `TC` leaves `types`). A town marked
  `stand_in_place` is only the area the meeting is listed in, not a location of its own.
- `updated` becomes `last_verified` (a later date already in the file is kept); slashed dates
  are read the one way the feed writes them all (`slash_date_order`), else left out. A place equal
  to a shared venue under `locations:` refers to it by its id.
- Anonymity: the feed's personal `phone` and `email` fields are never imported.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

import phonenumbers

from directory.core import vocabulary
from directory.core.geo import haversine_miles
from directory.core.places import STATES, town_point, zip_point
from directory.formats.common import (
    COUNTRY_ALIASES,
    DAY_NAMES,
    MAX_FEED_BYTES,
    FeedError,
    ImportResult,
    RecordError,
    RecordProblem,
    check_record,
    clean_text,
    country_code,
    parse_json,
    slugify,
)
from directory.formats.meeting_guide.codes import (
    CLOSED_TYPE,
    LEGACY_ONLINE_TYPE,
    type_accessibility,
    type_language,
)
from directory.formats.meeting_guide.write import STAND_IN_PLACE

FETCH_TIMEOUT_SECONDS = 30
SOURCE_NAME = "meeting-guide"
BY_APPOINTMENT = "By appointment"

# Every key a Meeting Guide import may write; keys outside this set are a maintainer's own.
OWNED_KEYS = frozenset(
    {
        "name",
        "category",
        "fellowship",
        "group",
        "types",
        "description",
        "status",
        "location",
        "online",
        "website",
        "schedule",
        "hours_notes",
        "timezone",
        "languages",
        "accessibility",
        "populations",
        "extra",
    }
)
# `last_verified` is written from `updated` but not owned: a feed without it, or with an
# older date, leaves a maintainer's own date as it is.

_DAY_WORDS = {
    **{name: i for i, name in enumerate(DAY_NAMES)},
    **{
        full: i
        for i, full in enumerate(
            ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
        )
    },
    "tues": 2,
    "wednes": 3,
    "thur": 4,
    "thurs": 4,
}
_TIME_24 = re.compile(r"^(\d{1,2}):(\d{2})(?::\d{2})?$")
_TIME_12 = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s*m\.?$", re.IGNORECASE)
_US_STATE_ZIP = re.compile(r"^([A-Za-z]{2})\s+(\d{5}(?:-\d{4})?)$")
_CA_PROVINCE_POSTAL = re.compile(r"^([A-Za-z .]+?)\s+([A-Za-z]\d[A-Za-z]\s?\d[A-Za-z]\d)$")
_POSTAL_ONLY = re.compile(r"^(\d{5}(?:-\d{4})?|[A-Za-z]\d[A-Za-z]\s?\d[A-Za-z]\d)$")
_STATE_CODE = re.compile(r"^[A-Z]{2}$")
# States and provinces by name, as one-line addresses write them ("Edmonton, Alberta, Canada").
_REGION_NAMES = frozenset(name.lower() for name in STATES.values()) | frozenset(
    {"alberta", "british columbia", "manitoba", "new brunswick", "newfoundland and labrador",
     "nova scotia", "ontario", "prince edward island", "quebec", "québec", "saskatchewan",
     "northwest territories", "nunavut", "yukon"}
)  # fmt: skip
_DIAL_EXTRAS = re.compile(r"[,;#pwx]", re.IGNORECASE)
_WORD = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")  # an accessibility or population word
_UPDATED = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_UPDATED_SLASHES = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})\b")  # "8/28/2021 3:04:05 PM"
# The rest of a slug our feed gives each weekly time of a meeting: `-<day>-<HHMM>[-<HHMM>]`.
_WINDOW_SLUG = re.compile(r"^-(sun|mon|tue|wed|thu|fri|sat)-(\d{4})(?:-\d{4})?$")
# Fields of free text, cut to the data file's limit rather than the record left out.
FREE_TEXT = frozenset(
    {"notes", "location_notes", "conference_url_notes", "conference_phone_notes", "group_notes"}
)
# Fields that differ between the records of one meeting's weekly times.
WINDOW_KEYS = frozenset({"slug", "day", "time", "end_time", "end_time_next_day"})


# --- reading the feed ----------------------------------------------------------------------------


def read_source(
    source: str, max_bytes: int = MAX_FEED_BYTES, timeout: float = FETCH_TIMEOUT_SECONDS
) -> bytes:
    """Return the bytes of a feed from a file path or an http(s) URL, refusing huge ones."""
    scheme = urllib.parse.urlsplit(source).scheme.lower()
    if scheme in ("http", "https"):
        request = urllib.request.Request(source, headers={"User-Agent": "recovery-directory"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # why: scheme checked above
                data = response.read(max_bytes + 1)
        except OSError as exc:  # URLError, HTTPError and timeouts are all OSErrors
            raise FeedError(f"{source}: could not fetch the feed: {exc}") from exc
    elif scheme in ("", "file") or len(scheme) == 1:  # a one-letter scheme is a Windows drive
        path = Path(urllib.parse.urlsplit(source).path if scheme == "file" else source)
        try:
            with path.open("rb") as handle:
                data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise FeedError(f"{source}: cannot read the feed: {exc.strerror or exc}") from exc
    else:
        raise FeedError(f"{source}: only files and http(s) URLs can be imported")
    if len(data) > max_bytes:
        raise FeedError(f"{source}: larger than {max_bytes // (1024 * 1024)} MB; not imported")
    return data


def parse_feed(data: bytes, source: str = "feed") -> list[Any]:
    """Return the list of meeting records in a Meeting Guide JSON feed.

    Text that is not UTF-8 is kept apart for `convert`, which leaves out the records carrying
    it (common.check_record); the feed as a whole must be JSON and not absurdly nested.
    """
    feed = parse_json(data, source)
    if isinstance(feed, Mapping) and isinstance(feed.get("meetings"), list):
        feed = feed["meetings"]  # some servers wrap the list
    if not isinstance(feed, list):
        raise FeedError(f"{source}: a Meeting Guide feed is a JSON list of meetings")
    return feed


def feed_name(source: str) -> str:
    """Return a short, machine-independent name for a feed: a URL's host or a file's stem."""
    parts = urllib.parse.urlsplit(source)
    if parts.scheme.lower() in ("http", "https"):
        return parts.netloc.lower()
    return Path(parts.path if parts.scheme == "file" else source).stem


# --- small parsers -------------------------------------------------------------------------------


def parse_time(value: Any) -> str:
    """Return a feed's time ("19:00", "7:00 PM", "7pm", "Noon") as "HH:MM"."""
    if not isinstance(value, str) or not value.strip():
        raise RecordError(f"time {value!r} is not a time")
    text = value.strip()
    if text.lower() in ("noon", "12 noon"):
        return "12:00"
    if text.lower() == "midnight":
        return "00:00"
    match = _TIME_24.match(text)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour == 24 and minute == 0:
            return "24:00"
        if hour < 24 and minute < 60:
            return f"{hour:02d}:{minute:02d}"
    match = _TIME_12.match(text)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if 1 <= hour <= 12 and minute < 60:
            hour = hour % 12 + (12 if match.group(3).lower() == "p" else 0)
            return f"{hour:02d}:{minute:02d}"
    raise RecordError(f"time '{text}' is not a time")


def parse_days(value: Any, iso: bool = False) -> list[str]:
    """Return a feed's `day` (0-6, "1", "Monday", or a list of those) as day names.

    With `iso`, 7 is Sunday too (ISO weekdays, 1 = Monday ... 7 = Sunday).
    """
    items = value if isinstance(value, list) else [value]
    last = 7 if iso else 6
    days = []
    for item in items:
        if isinstance(item, bool):
            raise RecordError(f"day {item!r} is not a day")
        if isinstance(item, int) and 0 <= item <= last:
            day = item % 7
        elif isinstance(item, str) and item.strip().isdigit() and 0 <= int(item) <= last:
            day = int(item) % 7
        elif isinstance(item, str) and item.strip().lower().rstrip(".") in _DAY_WORDS:
            day = _DAY_WORDS[item.strip().lower().rstrip(".")]
        else:
            raise RecordError(f"day {item!r} is not a day (0 = Sunday ... 6 = Saturday)")
        if DAY_NAMES[day] not in days:
            days.append(DAY_NAMES[day])
    return sorted(days, key=DAY_NAMES.index)


def _day_numbers(value: Any) -> set[int]:
    """Return the day numbers a record's `day` uses (ints and digit strings), to tell numberings."""
    items = value if isinstance(value, list) else [value]
    out = set()
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool):
            out.add(item)
        elif isinstance(item, str) and item.strip().isdigit():
            out.add(int(item))
    return out


def iso_days(meetings: Sequence[Any]) -> bool | None:
    """Return True when a feed numbers days 1-7 (uses 7, never 0); None when it uses both."""
    used: set[int] = set()
    for meeting in meetings:
        if isinstance(meeting, Mapping):
            used |= _day_numbers(meeting.get("day"))
    if 7 not in used:
        return False
    return None if 0 in used else True


def split_address(text: str) -> dict[str, str]:
    """Split a one-line address ("9636 CA-9, Ben Lomond, CA 95005, USA") into its parts."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    out: dict[str, str] = {}
    if len(parts) == 1 and (parts[0].lower() in COUNTRY_ALIASES or _is_country_name(parts[0])):
        return {"country": country_code(parts[0]) or parts[0]}
    if len(parts) > 1 and country_code(parts[-1]) and not _STATE_CODE.match(parts[-1]):
        out["country"] = country_code(parts.pop())
    elif len(parts) > 1 and parts[-1].lower() in COUNTRY_ALIASES:
        out["country"] = COUNTRY_ALIASES[parts.pop().lower()]
    if len(parts) > 1:
        last = parts[-1]
        us = _US_STATE_ZIP.match(last)
        ca = _CA_PROVINCE_POSTAL.match(last)
        if us:
            out["state"], out["postal_code"] = us.group(1).upper(), us.group(2)
            parts.pop()
        elif _POSTAL_ONLY.match(last):
            out["postal_code"] = last.upper()
            parts.pop()
        elif ca and len(parts) > 2:
            out["state"], out["postal_code"] = ca.group(1).strip(), ca.group(2).upper()
            parts.pop()
    if "state" not in out and len(parts) > 1 and not any(c.isdigit() for c in parts[-1]):
        # "City, ST" or "street, City, Province": the last word-only part is the state when a
        # city is still left before it, or when it is a state or province by name.
        if _STATE_CODE.match(parts[-1]) or len(parts) > 2 or parts[-1].lower() in _REGION_NAMES:
            out["state"] = parts.pop()
    if len(parts) == 1:
        out["address" if parts[0][:1].isdigit() else "city"] = parts[0]
    elif len(parts) > 1:
        out["address"] = parts[0]
        if len(parts) > 2:
            out["address_2"] = ", ".join(parts[1:-1])
        out["city"] = parts[-1]
    return out


def _is_country_name(text: str) -> bool:
    """True for a country's name ("Canada"), not a two-letter code a state could share."""
    return len(text.strip()) > 3 and country_code(text) is not None


# --- one meeting ---------------------------------------------------------------------------------


@dataclass
class _Context:
    fellowship: str
    id_prefix: str
    timezone: str | None
    country: str
    feed: str | None
    feed_timezone: str | None  # for meetings that do not name their own
    known: dict[str, str]  # upper-cased code -> code as the fellowship spells it
    by_name: dict[str, str]  # lower-cased English name -> code
    shared: Mapping[frozenset | None, str]  # a shared venue's fields -> its id
    date_order: str | None = None  # how the feed writes `updated` with slashes


def _context(
    fellowship: str,
    id_prefix: str,
    timezone: str | None,
    country: str,
    feed: str | None,
    feed_timezone: str | None,
    shared: Mapping[frozenset | None, str] | None = None,
) -> _Context:
    known = {code.upper(): code for code in vocabulary.known_types(fellowship)}
    by_name = {}
    for code in known.values():
        name = vocabulary.type_name(fellowship, code, "en")
        by_name.setdefault(name.lower(), code)
    return _Context(
        fellowship, id_prefix, timezone, country, feed, feed_timezone, known, by_name, shared or {}
    )


def _types(value: Any, ctx: _Context) -> tuple[list[str], list[str]]:
    """Return (codes known for the fellowship, codes not known) from a feed's `types`."""
    if value is None:
        return [], []
    if isinstance(value, str):
        tokens = value.strip().strip("[]").split(",")
    elif isinstance(value, list):
        tokens = value
    else:
        raise RecordError(f"types {value!r} is not a list of codes")
    known, unknown = [], []
    for token in tokens:
        if not isinstance(token, str | int) or isinstance(token, bool):
            unknown.append(repr(token))
            continue
        text = str(token).strip().strip("'\"").strip()
        if not text:
            continue  # an empty code says nothing
        code = ctx.known.get(text.upper()) or ctx.by_name.get(text.lower())
        alias = vocabulary.type_alias(ctx.fellowship, text) if code is None else None
        if alias in ctx.known.values():
            code = alias
        if code is None and text.upper() == "ONL":
            code = "ONL"
        if code is None:
            unknown.append(text)
        elif code not in known:
            known.append(code)
    return known, unknown


def _phone(value: Any, country: str) -> tuple[str | None, bool]:
    """Return (the dialable number of a conference phone, whether dial codes were cut off)."""
    text = clean_text(value)
    if not text:
        return None, False
    number = _DIAL_EXTRAS.split(text, maxsplit=1)[0].strip()
    try:
        parsed = phonenumbers.parse(number, country)
    except phonenumbers.NumberParseException:
        return None, False
    if not phonenumbers.is_valid_number(parsed):
        return None, False
    return number, number != text


def _url(value: Any) -> str | None:
    text = clean_text(value)
    if not text:
        return None
    parts = urllib.parse.urlsplit(text)
    if parts.scheme.lower() in ("http", "https") and parts.netloc and " " not in text:
        return text
    return None


def _coordinate(value: Any, limit: float) -> float | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RecordError(f"coordinate {value!r} is not a number") from None
    if not -limit <= number <= limit:
        raise RecordError(f"coordinate {number} is out of range")
    return number


AREA_KEYS = ("city", "state", "postal_code", "country", "region", "sub_region")
FAR_FROM_TOWN_MILES = 50  # a feed's point this far from its own town or ZIP code is a mistake
# Words a feed uses for a meeting that has no room to go to.
_NO_ROOM = re.compile(
    r"^\s*(?:online|virtual|zoom|remote|phone)(?:[ -]only)?(?: meetings?)?\s*$"
    r"|\b(?:virtual|online|zoom)[ -]only\b|\btemporarily (?:online|virtual)\b",
    re.IGNORECASE,
)


# The fields of a stand-in place (write.Area): the area a meeting is listed in, not its own.
_STAND_IN_KEYS = ("city", "state", "country", "formatted_address", "approximate")


def _location(meeting: Mapping[str, Any], ctx: _Context, notes: list[str]) -> dict[str, Any]:
    """Return every place field the feed gives, with a point that can be trusted (or none)."""
    if str(meeting.get(STAND_IN_PLACE, "")).strip().lower() == "yes":
        meeting = {k: v for k, v in meeting.items() if k not in _STAND_IN_KEYS}
    place: dict[str, Any] = {}
    name = clean_text(meeting.get("location"))
    if name:
        place["name"] = name
    fields = {k: clean_text(meeting.get(k)) for k in ("address", "city", "state", "country")}
    postal = meeting.get("postal_code")
    fields["postal_code"] = clean_text(postal) if not isinstance(postal, bool) else None
    one_line = clean_text(meeting.get("formatted_address"))
    address = fields["address"]
    if address and "," in address and not fields["city"]:
        one_line, address = address, None  # a whole address in the `address` field
    if one_line and not address:
        place.update(split_address(one_line))
    elif one_line and address:
        # The street alone in `address`, all of it in the one line (as our feed writes it):
        # the part between the street and the town is the second address line.
        parts = split_address(one_line)
        if parts.get("address") == address and parts.get("city") == fields["city"]:
            if parts.get("address_2"):
                place["address_2"] = parts["address_2"]
    for key in ("address", "city", "state", "postal_code"):
        if fields[key] and not (key == "address" and "," in fields[key] and not fields["city"]):
            place[key] = fields[key]
    country = fields["country"]
    if country:
        place["country"] = country_code(country) or country
    regions = meeting.get("regions")
    region = regions[-1] if isinstance(regions, list) and regions else meeting.get("region")
    if clean_text(region) and not _is_country_name(str(region)):
        place["region"] = clean_text(region)
    sub_region = clean_text(meeting.get("sub_region"))
    if sub_region and sub_region != place.get("region"):
        place["sub_region"] = sub_region
    location_notes = clean_text(meeting.get("location_notes"))
    if location_notes:
        place["notes"] = location_notes
    point = _trusted_point(meeting, place, ctx, notes)
    if point is not None:
        place["lat"], place["lon"] = point
    if str(meeting.get("approximate", "")).lower() == "yes":
        place["approximate"] = True
    if place.get("country") == ctx.country:
        del place["country"]  # the directory's default
    return place


def _trusted_point(
    meeting: Mapping[str, Any], place: dict[str, Any], ctx: _Context, notes: list[str]
) -> tuple[float, float] | None:
    """Return the feed's point if it is a real place near its own town, else None (noted).

    A missing or impossible point (0, out of range, far from the stated town) is replaced by
    the best point the offline gazetteer has for the address (its ZIP code, else its town),
    marked approximate; a place with neither is noted as one that cannot be placed.
    """
    point = _coordinates(meeting, notes)
    country = place.get("country") or ctx.country
    town = _town_point(place, country)
    if point is not None and town is not None:
        miles = haversine_miles(*point, *town[0])
        if miles > FAR_FROM_TOWN_MILES:
            notes.append(
                f"coordinates {point[0]}, {point[1]} are {miles:,.0f} miles from {town[1]};"
                " left out"
            )
            point = None
    if point is not None:
        return point
    if not place.get("address") and not place.get("city") and not place.get("postal_code"):
        return None  # nothing to place; an online meeting's area is handled by the caller
    if town is None:
        notes.append("no usable coordinates and no known town or ZIP code: cannot be placed")
        return None
    place["approximate"] = True
    notes.append(f"no usable coordinates; placed at the centre of {town[1]} (approximate)")
    return town[0]


def _coordinates(meeting: Mapping[str, Any], notes: list[str]) -> tuple[float, float] | None:
    raw = meeting.get("latitude"), meeting.get("longitude")
    given = meeting.get("coordinates")
    if all(v in (None, "") for v in raw) and isinstance(given, str) and given.strip():
        # "lat,lon", as TSML UI reads it; four numbers are a box around an area, not a point.
        parts = given.split(",")
        if len(parts) == 4:
            notes.append(f"coordinates {given[:60]!r} are an area, not a point; left out")
            return None
        if len(parts) != 2:
            notes.append(f'coordinates {given[:60]!r} are not "lat,lon"; left out')
            return None
        raw = (parts[0].strip(), parts[1].strip())
    if all(v in (None, "") for v in raw):
        return None
    try:
        lat, lon = _coordinate(raw[0], 90), _coordinate(raw[1], 180)
    except RecordError as exc:
        notes.append(f"{exc}; coordinates left out")
        return None
    if lat is None or lon is None:
        notes.append("only one of latitude and longitude; coordinates left out")
        return None
    if lat == 0 or lon == 0:
        notes.append(f"coordinates {lat}, {lon} are not a place (a zero); left out")
        return None
    return lat, lon


def _town_point(place: dict[str, Any], country: str) -> tuple[tuple[float, float], str] | None:
    """Return the gazetteer's point for a place's ZIP code or town, with what it is."""
    postal = place.get("postal_code")
    if postal and country == "US":
        found = zip_point(postal, place.get("state"))
        if found:
            return found, f"ZIP code {postal}"
    city = place.get("city")
    if city:
        found = town_point(city, place.get("state") if country == "US" else None, country)
        if found:
            where = ", ".join(p for p in (city, place.get("state")) if p)
            return found, where
    return None


def _area(place: dict[str, Any]) -> dict[str, Any]:
    """Return the town fields of a place: where a meeting with no room to go to is based."""
    return {k: place[k] for k in AREA_KEYS if k in place}


def _has_no_room(meeting: Mapping[str, Any]) -> bool:
    """True when the feed says the meeting has no room ("Online Meeting", "Zoom only")."""
    texts = (meeting.get("location"), meeting.get("address"), meeting.get("location_notes"))
    return any(isinstance(t, str) and _NO_ROOM.search(t) for t in texts)


def _fellowship(value: Any, default: str) -> str:
    """Return a record's own fellowship, spelt as the directory spells it, or the feed's."""
    text = clean_text(value)
    if not text:
        return default
    for known in vocabulary.KNOWN_FELLOWSHIPS:
        if text.casefold() in (
            known.casefold(),
            vocabulary.fellowship_name(known, "en").casefold(),
        ):
            return known
    return text


def _window(
    meeting: Mapping[str, Any], iso: bool | None, notes: list[str]
) -> dict[str, Any] | None:
    """Return the weekly window of one record (None: by appointment), or raise RecordError.

    `iso`: the feed numbers days 1-7 (see `iso_days`); None when it uses both 0 and 7.
    """
    day, time = meeting.get("day"), meeting.get("time")
    if day is None or day == "" or day == []:
        if time not in (None, ""):
            notes.append(f"time {time!r} given without a day; listed as by appointment")
        return None
    if time in (None, ""):
        raise RecordError(f"day {day!r} given without a time")
    if iso is None and 7 in _day_numbers(day):
        raise RecordError(
            "day 7 is not a day (0 = Sunday ... 6 = Saturday; this feed uses 0 too,"
            " so its 7 cannot be Sunday)"
        )
    window: dict[str, Any] = {"days": parse_days(day, bool(iso)), "start": parse_time(time)}
    start = window["start"]
    if start == "24:00":  # only an end can be 24:00; a start is reported, not guessed
        raise RecordError("time '24:00' is not a start time; write 00:00")
    end, next_day = meeting.get("end_time"), meeting.get("end_time_next_day")
    if next_day not in (None, ""):
        if end not in (None, ""):
            notes.append("both end_time and end_time_next_day; end_time_next_day is used")
        try:
            after = parse_time(next_day)
        except RecordError as exc:
            notes.append(f"end_time_next_day: {exc}; left out (a meeting lasts 60 minutes)")
        else:
            if after == "24:00" or after >= start:
                notes.append(
                    f"end_time_next_day {after} is not before the start, so not within a day;"
                    " left out (a meeting lasts 60 minutes)"
                )
            else:
                window["end"] = after  # earlier than the start: past midnight, in the file
    elif end not in (None, ""):
        try:
            window["end"] = parse_time(end)
        except RecordError as exc:
            notes.append(f"end {exc}; left out (a meeting lasts 60 minutes)")
    if window.get("end") == window["start"]:
        del window["end"]
        notes.append("end time is the start time; left out (a meeting lasts 60 minutes)")
    return window


def _schedule(windows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return windows as schedule items, one per start and end with all its days."""
    items: dict[tuple[str, str | None], list[str]] = {}
    for window in windows:
        days = items.setdefault((window["start"], window.get("end")), [])
        days.extend(d for d in window["days"] if d not in days)
    out = []
    for (start, end), days in items.items():
        item: dict[str, Any] = {"days": sorted(days, key=DAY_NAMES.index), "start": start}
        if end is not None:
            item["end"] = end
        out.append(item)
    return out


def _words(value: Any, what: str, valid, notes: list[str]) -> list[str]:
    """Return the valid items of a list extension field (`languages`, `accessibility`...)."""
    if value is None:
        return []
    if not isinstance(value, list):
        notes.append(f"{what} {str(value)[:60]!r} is not a list; left out")
        return []
    out = []
    for item in value:
        text = clean_text(item) if isinstance(item, str) else None
        word = text.lower() if text else None
        if word and valid(word):
            out.append(word)
        else:
            notes.append(f"{what}: {str(item)[:60]!r} is not one; left out")
    return out


def slash_date_order(meetings: Sequence[Any]) -> str | None:
    """Return how a feed writes `updated` dates with slashes: "mdy", "dmy" or None (cannot tell).

    A feed writes all its dates one way: a first number over 12 says day/month/year, a second
    one over 12 says month/day/year; with neither (or both) the dates are not read.
    """
    first = second = False
    for meeting in meetings:
        match = (
            _UPDATED_SLASHES.match(str(meeting.get("updated") or "").strip())
            if isinstance(meeting, Mapping)
            else None
        )
        if match:
            first |= int(match.group(1)) > 12
            second |= int(match.group(2)) > 12
    if first == second:
        return None
    return "dmy" if first else "mdy"


def _last_verified(value: Any, notes: list[str], order: str | None = None) -> date | None:
    """Return the date of a feed's `updated` ("2026-09-01 00:00:00"), if it is a past date.

    `order` reads dates with slashes (`slash_date_order`).
    """
    text = clean_text(value)
    if not text:
        return None
    match = _UPDATED.match(text)
    slashes = _UPDATED_SLASHES.match(text)
    try:
        if match:
            day = date.fromisoformat(match.group(1))
        elif slashes and order:
            a, b, year = (int(g) for g in slashes.groups())
            day = date(year, a, b) if order == "mdy" else date(year, b, a)
        else:
            day = None
    except ValueError:
        day = None
    if day is None and slashes and not order:
        notes.append(
            f"updated {text[:40]!r}: the feed's dates could be month/day or day/month;"
            " last_verified left out"
        )
    elif day is None:
        notes.append(f"updated {text[:40]!r} is not a date; last_verified left out")
    elif day > date.today():
        notes.append(f"updated {day.isoformat()} is in the future; last_verified left out")
        day = None
    return day


def convert_meeting(
    meeting: Mapping[str, Any],
    rid: str,
    ctx: _Context,
    windows: Sequence[dict[str, Any]] | None = None,
    iso: bool | None = False,
) -> tuple[dict[str, Any], list[str]]:
    """Return one meeting as a resource entry, and notes on what was dropped or changed.

    `windows`: the weekly times of a meeting written as several records (`meeting_groups`);
    None reads the record's own.
    """
    notes: list[str] = []
    name = clean_text(meeting.get("name"))
    if not name:
        raise RecordError("no name")
    record: dict[str, Any] = {"id": rid, "name": name, "category": "meeting"}
    record["fellowship"] = ctx.fellowship
    group = clean_text(meeting.get("group"))
    if group and group != name:
        record["group"] = group

    own = meeting.get("fellowship_types")
    codes, unknown = _types(own if own is not None else meeting.get("types"), ctx)
    if unknown:
        notes.append(
            f"type code{'s' if len(unknown) > 1 else ''} {', '.join(repr(c) for c in unknown)} "
            f"not known for {ctx.fellowship}; kept under extra.unknown_types"
        )

    # Schedule first: a record that cannot be placed in the week is left out whole.
    if windows is None:
        window = _window(meeting, iso, notes)
        windows = [window] if window is not None else []
    schedule = _schedule(list(windows)) if windows else None

    url = _url(meeting.get("conference_url"))
    if meeting.get("conference_url") and not url:
        notes.append(f"conference_url {meeting.get('conference_url')!r} is not a web address")
    phone, cut = _phone(meeting.get("conference_phone"), ctx.country)
    if clean_text(meeting.get("conference_phone")) and not phone:
        notes.append(f"conference_phone {meeting.get('conference_phone')!r} is not a phone number")
    online_notes = [clean_text(meeting.get(k)) for k in ("conference_url_notes",)]
    phone_notes = clean_text(meeting.get("conference_phone_notes"))
    if phone and cut and not phone_notes:
        phone_notes = f"Dial {clean_text(meeting.get('conference_phone'))}"
    online_notes.append(phone_notes)
    online: dict[str, Any] = {}
    if url:
        online["url"] = url
    if phone:
        online["phone"] = phone
    joined = "\n".join(dict.fromkeys(n for n in online_notes if n))
    if online and joined:
        online["notes"] = joined
    if LEGACY_ONLINE_TYPE in codes:
        codes.remove(LEGACY_ONLINE_TYPE)
        if not online:
            notes.append("type ONL (online) but no conference_url or conference_phone to join by")

    place_notes: list[str] = []
    place = _location(meeting, ctx, place_notes)
    attendance = clean_text(meeting.get("attendance_option"))
    closed_place = CLOSED_TYPE in codes
    # A temporarily closed place is still the meeting's place while it meets online.
    no_room = _has_no_room(meeting) or (attendance == "online" and not closed_place)
    if online and (no_room or "address" not in place):
        # Only a town or an area: an online meeting, not a place to go to. The town stays,
        # so the meeting is found by place name.
        place = _area(place)
    elif no_room:
        place = _area(place)
        notes.append("says it meets online but gives no link or phone number to join by")
    else:
        notes.extend(place_notes)
    if (closed_place or attendance == "inactive") and not online:
        # Nowhere to meet: the meeting itself is closed for now, which the status says.
        record["status"] = "temporarily-closed"
        if closed_place:
            codes.remove(CLOSED_TYPE)
    if codes:
        record["types"] = codes
    description = clean_text(meeting.get("notes"))
    if description:
        record["description"] = description
    if place and set(place) - {"approximate", "country"}:
        record["location"] = ctx.shared.get(_place_key(place), place)
    if online:
        record["online"] = online
    website = _url(meeting.get("url")) or _url(meeting.get("website"))
    if website:
        record["website"] = website
    if schedule:
        record["schedule"] = schedule
    else:
        record["hours_notes"] = BY_APPOINTMENT
    timezone = clean_text(meeting.get("timezone"))
    if timezone and timezone not in _timezones():
        notes.append(f"timezone '{timezone}' is not an IANA time zone; the feed's is used")
        timezone = None
    timezone = timezone or ctx.feed_timezone
    if timezone and timezone != ctx.timezone:
        record["timezone"] = timezone
    languages = _words(meeting.get("languages"), "languages", vocabulary.is_language_code, notes)
    languages += [type_language(ctx.fellowship, c) for c in codes]
    languages = [c for c in dict.fromkeys(languages) if c]
    if languages and languages != ["en"]:
        record["languages"] = languages
    accessibility = _words(meeting.get("accessibility"), "accessibility", _WORD.match, notes)
    accessibility += [type_accessibility(ctx.fellowship, c) for c in codes]
    accessibility = [w for w in dict.fromkeys(accessibility) if w]
    if accessibility:
        record["accessibility"] = accessibility
    populations = _words(meeting.get("populations"), "populations", _WORD.match, notes)
    if populations:
        record["populations"] = list(dict.fromkeys(populations))
    verified = _last_verified(meeting.get("updated"), notes, ctx.date_order)
    if verified is not None:
        record["last_verified"] = verified
    extra: dict[str, Any] = {"source": SOURCE_NAME}
    if ctx.feed:
        extra["feed"] = ctx.feed
    slug = meeting.get("slug")
    source_id = window_stem(meeting) or str(slug)
    if source_id != rid:
        extra["slug"] = source_id
    if unknown:
        extra["unknown_types"] = unknown
    record["extra"] = extra
    return record, notes


def _place_key(place: Mapping[str, Any]) -> frozenset | None:
    """Return a place's fields as a key for finding the same shared venue, if they can be one."""
    try:
        return frozenset(place.items())
    except TypeError:  # a value that cannot be compared this way (none of ours): no venue
        return None


def _timezones() -> frozenset[str]:
    return _TIMEZONES


_TIMEZONES = frozenset(available_timezones())


# --- a whole feed --------------------------------------------------------------------------------


def window_stem(meeting: Mapping[str, Any]) -> str | None:
    """Return the id of the meeting a record is one weekly time of, as our feed writes them.

    That is `hawthorne-aa` for slug `hawthorne-aa-mon-1900` with a `url` ending in
    `/hawthorne-aa`, when the slug's day and time are the record's own. TSML sites end `url`
    with the record's whole slug, so their records are never taken for windows.
    """
    url, slug = meeting.get("url"), meeting.get("slug")
    if not isinstance(url, str) or not isinstance(slug, str):
        return None
    last = urllib.parse.urlsplit(url.strip()).path.rstrip("/").rsplit("/", 1)[-1]
    if not last or not slug.startswith(f"{last}-"):
        return None
    match = _WINDOW_SLUG.match(slug[len(last) :])
    day, time = meeting.get("day"), meeting.get("time")
    if not match or isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
        return None
    if DAY_NAMES[day] != match.group(1) or not isinstance(time, str):
        return None
    return last if time.replace(":", "") == match.group(2) else None


def meeting_groups(meetings: Sequence[Any]) -> list[list[tuple[int, Any]]]:
    """Return the feed's records (1-based index, record) grouped by the meeting they belong to.

    Records of one meeting's weekly times (`window_stem`) that agree on every other field are
    one group, at the place of the first; every other record is a group of its own.
    """
    groups: list[list[tuple[int, Any]]] = []
    by_key: dict[tuple[str, str, bytes], list[tuple[int, Any]]] = {}
    for index, meeting in enumerate(meetings, start=1):
        stem = window_stem(meeting) if isinstance(meeting, Mapping) else None
        if stem is None:
            groups.append([(index, meeting)])
            continue
        rest = {k: v for k, v in meeting.items() if k not in WINDOW_KEYS}
        digest = hashlib.sha256(
            json.dumps(rest, sort_keys=True, default=str).encode("utf-8", "surrogatepass")
        ).digest()
        key = (str(meeting["url"]), stem, digest)
        if key in by_key:
            by_key[key].append((index, meeting))
        else:
            by_key[key] = [(index, meeting)]
            groups.append(by_key[key])
    return groups


def shared_venues(locations: Mapping[str, Any] | None) -> dict[frozenset | None, str]:
    """Return the shared venues under `locations:` by their fields, for `convert`."""
    out: dict[frozenset | None, str] = {}
    for venue_id, fields in (locations or {}).items():
        if isinstance(fields, Mapping):
            key = _place_key({k: v for k, v in fields.items() if v is not None})
            if key is not None:
                out.setdefault(key, str(venue_id))
    return out


def convert(
    meetings: Sequence[Any],
    fellowship: str,
    id_prefix: str = "",
    timezone: str | None = None,
    country: str = "US",
    feed: str | None = None,
    feed_timezone: str | None = None,
    existing_entries: Sequence[Mapping[str, Any]] | None = None,
    locations: Mapping[str, Any] | None = None,
    release: bool = False,
) -> ImportResult:
    """Turn a feed's records into resource entries; report each one that cannot be taken.

    `fellowship` reads the records that do not name their own. `timezone` is the directory's:
    a meeting in another zone (its own `timezone`, or else `feed_timezone`) gets a `timezone`
    key. `feed` names the feed in `extra.feed`, which is what `--prune` goes by.
    `existing_entries` (the file's) keep a later `last_verified`; `locations` (the file's
    shared venues) are referred to by id when a meeting's place is exactly one of them.
    With `release` (a list the caller no longer needs), each record is dropped from `meetings`
    once read, so a large feed holds either its records or its entries, not both at once.
    """
    if feed_timezone and feed_timezone not in _timezones():
        raise FeedError(f"'{feed_timezone}' is not an IANA time zone (like America/Chicago)")
    prefix = slugify(id_prefix)
    shared = shared_venues(locations)
    contexts: dict[str, _Context] = {}

    def context_of(name: str) -> _Context:
        if name not in contexts:
            contexts[name] = _context(
                name, f"{prefix}-" if prefix else "", timezone, country, feed, feed_timezone, shared
            )
            contexts[name].date_order = order
        return contexts[name]

    verified = _verified_dates(existing_entries)
    result = ImportResult(total=len(meetings))
    # Each record checked before anything reads it; one that cannot be read is left out alone.
    checks = [check_record(m, FREE_TEXT) for m in meetings]
    raw, meetings = meetings, [c.record for c in checks]
    iso = iso_days(meetings)
    if iso:
        result.problems.append(
            RecordProblem(0, None, "the feed numbers days 1 to 7: 7 is read as Sunday", "note")
        )
    order = slash_date_order(meetings)
    if order:
        way = "month/day/year" if order == "mdy" else "day/month/year"
        result.problems.append(RecordProblem(0, None, f"the feed writes dates {way}", "note"))
    taken: dict[str, int] = {}
    slugs = {slugify(m.get("slug")) for m in meetings if isinstance(m, Mapping) and m.get("slug")}
    id_prefix = f"{prefix}-" if prefix else ""
    groups = meeting_groups(meetings)
    done: list[tuple[int, Any]] = []
    for n in range(len(groups)):
        members, groups[n] = groups[n], None
        if release:
            for i, _ in done:  # the group before this one has been read
                raw[i - 1] = meetings[i - 1] = checks[i - 1] = None  # type: ignore[index]
            done = members
        index, meeting = members[0]
        checked = checks[index - 1]
        if meeting is None:
            result.problems.append(RecordProblem(index, _key_of(raw[index - 1]), checked.reason))
            continue
        raw_slug = meeting.get("slug")
        key = None if raw_slug is None else str(raw_slug)
        stem = window_stem(meeting)
        slug = slugify(stem or raw_slug) if raw_slug not in (None, "") else ""
        if not slug:
            reason = "no slug" if not key else f"slug '{key}' has no letters or digits"
            result.problems.append(RecordProblem(index, key, f"{reason}; an id cannot be made"))
            continue
        rid = id_prefix + slug
        if rid in taken:
            n = 2
            while f"{slug}-{n}" in slugs or id_prefix + f"{slug}-{n}" in taken:
                n += 1
            new = id_prefix + f"{slug}-{n}"
            result.problems.append(
                RecordProblem(
                    index,
                    key,
                    f"slug also used by record {taken[rid]}; imported as '{new}'",
                    "note",
                )
            )
            rid = new
        ctx = context_of(_fellowship(meeting.get("fellowship"), fellowship))
        windows = None
        if len(members) > 1:
            windows = []
            for member_index, member in members:
                member_notes: list[str] = []
                member_key = str(member.get("slug"))
                try:
                    window = _window(member, iso, member_notes)
                except RecordError as exc:
                    result.problems.append(RecordProblem(member_index, member_key, str(exc)))
                    continue
                if window is not None:
                    windows.append(window)
                result.problems.extend(
                    RecordProblem(member_index, member_key, n, "note") for n in member_notes
                )
            if not windows:
                continue  # every weekly time was left out, each with its reason
        try:
            record, notes = convert_meeting(meeting, rid, ctx, windows, iso)
        except RecordError as exc:
            result.problems.append(RecordProblem(index, key, str(exc)))
            result.problems.extend(
                RecordProblem(i, str(m.get("slug")), f"a time of record {index}, left out")
                for i, m in members[1:]
            )
            continue
        for member_index, _ in members:
            result.problems.extend(
                RecordProblem(member_index, key, note, "note")
                for note in checks[member_index - 1].notes
            )
        later = verified.get(rid)
        if later is not None and record.get("last_verified") and later > record["last_verified"]:
            del record["last_verified"]  # the maintainer's own, later date stays
        taken[rid] = index
        result.take(record, index, key, "slug")
        result.problems.extend(RecordProblem(index, key, note, "note") for note in notes)
    result.problems.sort(key=lambda p: p.index)
    return result


def _key_of(meeting: Any) -> str | None:
    """Return a left-out record's slug to name it by, when the slug itself is readable."""
    slug = meeting.get("slug") if isinstance(meeting, Mapping) else None
    if isinstance(slug, int) and not isinstance(slug, bool):
        return str(slug)
    if isinstance(slug, str) and slug.isprintable() and len(slug) <= 100:
        return slug
    return None  # its slug may be what is wrong with it: the position names it


def _verified_dates(entries: Sequence[Mapping[str, Any]] | None) -> dict[str, date]:
    out = {}
    for entry in entries or ():
        day = entry.get("last_verified")
        if isinstance(day, str):
            try:
                day = date.fromisoformat(day)
            except ValueError:
                continue
        if isinstance(day, date):
            out[str(entry.get("id"))] = day
    return out


def import_feed(
    source: str,
    fellowship: str,
    id_prefix: str = "",
    timezone: str | None = None,
    country: str = "US",
    feed_timezone: str | None = None,
    existing_entries: Sequence[Mapping[str, Any]] | None = None,
    locations: Mapping[str, Any] | None = None,
) -> ImportResult:
    """Read a feed from a file or URL and convert it (FeedError when it cannot be read)."""
    meetings = parse_feed(read_source(source), source)
    name = feed_name(source)
    return convert(
        meetings,
        fellowship,
        id_prefix,
        timezone,
        country,
        name,
        feed_timezone,
        existing_entries=existing_entries,
        locations=locations,
        release=True,  # nothing else holds the parsed feed
    )
