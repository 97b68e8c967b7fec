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
- No `day` (or an empty list): kept, with no schedule and `hours_notes: By appointment`.
  A `day` without a `time` cannot be placed in the week and is left out.
- `types`: codes are matched case-insensitively against the codes known for the fellowship
  (`directory.core.vocabulary.known_types`), then against their English names ("Open" -> `O`).
  `ONL` (the legacy "online" code) is dropped: attendance follows from `online`. Unknown codes
  are left out of `types`, kept under `extra.unknown_types`, and reported.
- Attendance: a conference URL or phone becomes `online`. An address with no street (only a
  city, "approximate") is not a place to go to; with a way to join online the meeting is
  online-only and gets no `location`. `TC` (temporarily closed) stays in `types`; with no
  way to join online the entry's status is `temporarily-closed`.
- Anonymity: the feed's personal `phone` and `email` fields are never imported.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
    FeedError,
    ImportResult,
    RecordError,
    RecordProblem,
    clean_text,
    country_code,
    slugify,
)

MAX_FEED_BYTES = 32 * 1024 * 1024  # the largest real feeds are a few MB
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
        "extra",
    }
)

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
# Language type codes that are not the ISO 639-1 code of their language.
_LANGUAGE_CODES = {"S": "es"}


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
    """Return the list of meeting records in a Meeting Guide JSON feed."""
    try:
        feed = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise FeedError(f"{source}: not UTF-8 text (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise FeedError(
            f"{source}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from exc
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


def parse_days(value: Any) -> list[str]:
    """Return a feed's `day` (0-6, "1", "Monday", or a list of those) as day names."""
    items = value if isinstance(value, list) else [value]
    days = []
    for item in items:
        if isinstance(item, bool):
            raise RecordError(f"day {item!r} is not a day")
        if isinstance(item, int) and 0 <= item <= 6:
            day = item
        elif isinstance(item, str) and item.strip().isdigit() and 0 <= int(item) <= 6:
            day = int(item)
        elif isinstance(item, str) and item.strip().lower().rstrip(".") in _DAY_WORDS:
            day = _DAY_WORDS[item.strip().lower().rstrip(".")]
        else:
            raise RecordError(f"day {item!r} is not a day (0 = Sunday ... 6 = Saturday)")
        if DAY_NAMES[day] not in days:
            days.append(DAY_NAMES[day])
    return sorted(days, key=DAY_NAMES.index)


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


def _context(
    fellowship: str,
    id_prefix: str,
    timezone: str | None,
    country: str,
    feed: str | None,
    feed_timezone: str | None,
) -> _Context:
    known = {code.upper(): code for code in vocabulary.known_types(fellowship)}
    by_name = {}
    for code in known.values():
        name = vocabulary.type_name(fellowship, code)
        by_name.setdefault(name.lower(), code)
    return _Context(fellowship, id_prefix, timezone, country, feed, feed_timezone, known, by_name)


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


def _location(meeting: Mapping[str, Any], ctx: _Context, notes: list[str]) -> dict[str, Any]:
    """Return every place field the feed gives, with a point that can be trusted (or none)."""
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
    if all(v in (None, "") for v in raw) and isinstance(meeting.get("coordinates"), str):
        raw = tuple(meeting["coordinates"].split(",", 1)) if "," in meeting["coordinates"] else raw
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


def convert_meeting(
    meeting: Mapping[str, Any], rid: str, ctx: _Context
) -> tuple[dict[str, Any], list[str]]:
    """Return one meeting as a resource entry, and notes on what was dropped or changed."""
    notes: list[str] = []
    name = clean_text(meeting.get("name"))
    if not name:
        raise RecordError("no name")
    record: dict[str, Any] = {"id": rid, "name": name, "category": "meeting"}
    record["fellowship"] = ctx.fellowship
    group = clean_text(meeting.get("group"))
    if group and group != name:
        record["group"] = group

    codes, unknown = _types(meeting.get("types"), ctx)
    if unknown:
        notes.append(
            f"type code{'s' if len(unknown) > 1 else ''} {', '.join(repr(c) for c in unknown)} "
            f"not known for {ctx.fellowship}; kept under extra.unknown_types"
        )

    # Schedule first: a record that cannot be placed in the week is left out whole.
    day, time = meeting.get("day"), meeting.get("time")
    no_day = day is None or day == "" or day == []
    schedule = None
    if no_day:
        if time not in (None, ""):
            notes.append(f"time {time!r} given without a day; listed as by appointment")
    else:
        if time in (None, ""):
            raise RecordError(f"day {day!r} given without a time")
        days = parse_days(day)
        start = parse_time(time)
        if start == "24:00":  # only an end can be 24:00; a start is reported, not guessed
            raise RecordError("time '24:00' is not a start time; write 00:00")
        window: dict[str, Any] = {"days": days, "start": start}
        end = meeting.get("end_time")
        if end not in (None, ""):
            try:
                window["end"] = parse_time(end)
            except RecordError as exc:
                notes.append(f"end {exc}; left out (a meeting lasts 60 minutes)")
        if window.get("end") == window["start"]:
            del window["end"]
            notes.append("end time is the start time; left out (a meeting lasts 60 minutes)")
        schedule = [window]

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
    if "ONL" in codes:
        codes.remove("ONL")
        if not online:
            notes.append("type ONL (online) but no conference_url or conference_phone to join by")

    place_notes: list[str] = []
    place = _location(meeting, ctx, place_notes)
    attendance = clean_text(meeting.get("attendance_option"))
    no_room = _has_no_room(meeting) or attendance == "online"
    if online and (no_room or "address" not in place):
        # Only a town or an area: an online meeting, not a place to go to. The town stays,
        # so the meeting is found by place name.
        place = _area(place)
    elif no_room:
        place = _area(place)
        notes.append("says it meets online but gives no link or phone number to join by")
    else:
        notes.extend(place_notes)
    if codes:
        record["types"] = codes
    closed = "TC" in codes or attendance == "inactive"
    if closed and not online:
        record["status"] = "temporarily-closed"
    description = clean_text(meeting.get("notes"))
    if description:
        record["description"] = description
    if place and set(place) - {"approximate", "country"}:
        record["location"] = place
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
    languages = [
        _LANGUAGE_CODES.get(c) or c.lower()
        for c in codes
        if c in _LANGUAGE_CODES or (len(c) == 2 and _is_language_type(ctx.fellowship, c))
    ]
    if languages and languages != ["en"]:
        record["languages"] = list(dict.fromkeys(languages))
    extra: dict[str, Any] = {"source": SOURCE_NAME}
    if ctx.feed:
        extra["feed"] = ctx.feed
    slug = meeting.get("slug")
    if str(slug) != rid:
        extra["slug"] = str(slug)
    if unknown:
        extra["unknown_types"] = unknown
    record["extra"] = extra
    return record, notes


def _is_language_type(fellowship: str, code: str) -> bool:
    """True when a two-letter type code names the language the meeting is held in."""
    if not vocabulary.is_language_code(code.lower()):
        return False
    language = vocabulary.language_name(code.lower()).lower()
    return vocabulary.type_name(fellowship, code).lower() == language


def _timezones() -> frozenset[str]:
    return _TIMEZONES


_TIMEZONES = frozenset(available_timezones())


# --- a whole feed --------------------------------------------------------------------------------


def convert(
    meetings: Sequence[Any],
    fellowship: str,
    id_prefix: str = "",
    timezone: str | None = None,
    country: str = "US",
    feed: str | None = None,
    feed_timezone: str | None = None,
) -> ImportResult:
    """Turn a feed's records into resource entries; report each one that cannot be taken.

    `timezone` is the directory's: a meeting in another zone (its own `timezone`, or else
    `feed_timezone`) gets a `timezone` key. `feed` names the feed in `extra.feed`, which is
    what `--prune` goes by.
    """
    if feed_timezone and feed_timezone not in _timezones():
        raise FeedError(f"'{feed_timezone}' is not an IANA time zone (like America/Chicago)")
    prefix = slugify(id_prefix)
    ctx = _context(
        fellowship, f"{prefix}-" if prefix else "", timezone, country, feed, feed_timezone
    )
    result = ImportResult(total=len(meetings))
    taken: dict[str, int] = {}
    slugs = {slugify(m.get("slug")) for m in meetings if isinstance(m, Mapping) and m.get("slug")}
    for index, meeting in enumerate(meetings, start=1):
        if not isinstance(meeting, Mapping):
            result.problems.append(RecordProblem(index, None, "not a JSON object"))
            continue
        raw_slug = meeting.get("slug")
        key = None if raw_slug is None else str(raw_slug)
        slug = slugify(raw_slug) if raw_slug not in (None, "") else ""
        if not slug:
            reason = "no slug" if not key else f"slug '{key}' has no letters or digits"
            result.problems.append(RecordProblem(index, key, f"{reason}; an id cannot be made"))
            continue
        rid = ctx.id_prefix + slug
        if rid in taken:
            n = 2
            while f"{slug}-{n}" in slugs or ctx.id_prefix + f"{slug}-{n}" in taken:
                n += 1
            new = ctx.id_prefix + f"{slug}-{n}"
            result.problems.append(
                RecordProblem(
                    index,
                    key,
                    f"slug also used by record {taken[rid]}; imported as '{new}'",
                    "note",
                )
            )
            rid = new
        try:
            record, notes = convert_meeting(meeting, rid, ctx)
        except RecordError as exc:
            result.problems.append(RecordProblem(index, key, str(exc)))
            continue
        taken[rid] = index
        result.records.append(record)
        result.problems.extend(RecordProblem(index, key, note, "note") for note in notes)
    return result


def import_feed(
    source: str,
    fellowship: str,
    id_prefix: str = "",
    timezone: str | None = None,
    country: str = "US",
    feed_timezone: str | None = None,
) -> ImportResult:
    """Read a feed from a file or URL and convert it (FeedError when it cannot be read)."""
    meetings = parse_feed(read_source(source), source)
    name = feed_name(source)
    return convert(meetings, fellowship, id_prefix, timezone, country, name, feed_timezone)
