"""BMLT semantic JSON (`client_interface/json/?switcher=GetSearchResults`) -> resource entries.

BMLT is the server most NA regions publish their meetings from. Its meeting records are flat
strings (bmlt-enabled/bmlt-server, api-docs-semantic.json): `weekday_tinyint` 1 = Sunday ...
7 = Saturday, `start_time` and `duration_time` as HH:MM:SS, `venue_type` 1 in person,
2 virtual, 3 hybrid, `formats` a comma list of the server's format keys, `latitude` and
`longitude` (or a "lat,lon" `coordinates`), `location_*` for the place. With
`get_used_formats=1` the answer is `{meetings, formats}`, and each format's `world_id` (NA's
shared code) says what a server's own key means; without it the keys of BMLT's default format
list are assumed. Decisions, as for Meeting Guide feeds (formats/meeting_guide/read.py):

- ids are `<slug of the name>-<id_bigint>` behind an optional prefix; a re-import matches on
  `extra.bmlt_id` first, so a renamed meeting keeps its id.
- The end is start + duration; past midnight it ends the next day. A duration of 00:00:00 is
  the server's default (60 minutes here); 24 hours or more is refused.
- Unpublished meetings (`published` "0") and the contact fields (`contact_*`, `email_contact`)
  are never imported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import available_timezones

from directory.core import vocabulary
from directory.formats.common import (
    DAY_NAMES,
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
from directory.formats.meeting_guide.read import feed_name, read_source

SOURCE_NAME = "bmlt"
OWNED_KEYS = frozenset(
    {
        "name", "category", "fellowship", "types", "description", "status", "location", "online",
        "schedule", "timezone", "languages", "extra",
    }
)  # fmt: skip
# NA world ids (BMLT's shared format codes) -> Meeting Guide codes as NA uses them.
WORLD_TYPES = {
    "OPEN": "O", "CLOSED": "C", "BEG": "BE", "DISC": "D", "SPK": "SP", "STEP": "ST",
    "TRAD": "TR", "W": "W", "M": "M", "Y": "Y", "GL": "LGBTQ", "WCHR": "X", "CAN": "CAN",
    "LIT": "LIT", "MED": "MED", "CW": "CF", "TC": "TC", "BT": "LIT", "JFT": "LIT", "IW": "LIT",
    "SWG": "LIT", "IP": "LIT", "LC": "LIT",
}  # fmt: skip
# BMLT's default English format keys -> world ids, for servers that send no format list.
DEFAULT_KEYS = {
    "B": "BEG", "BT": "BT", "C": "CLOSED", "CL": "CAN", "D": "DISC", "GL": "GL", "IP": "IP",
    "IW": "IW", "JT": "JFT", "M": "M", "O": "OPEN", "SD": "SPK", "So": "SPK", "SG": "SWG",
    "St": "STEP", "Tr": "TRAD", "TW": "TRAD", "W": "W", "WC": "WCHR", "YP": "Y", "BK": "LIT",
    "ME": "MED", "CW": "CW", "LC": "LC", "VM": "VM", "HY": "HY", "TC": "TC", "ES": "LANG",
}  # fmt: skip
LANGUAGE_KEYS = {"ES": "es", "FIN": "fi", "ENG": "en", "PER": "fa"}
DEFAULT_MINUTES = 60
# Fields of free text, cut to the data file's limit rather than the meeting left out.
FREE_TEXT = frozenset(
    {"comments", "location_info", "virtual_meeting_additional_info", "bus_lines", "train_lines"}
)
_ZONES = frozenset(available_timezones())
_HMS = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def parse_answer(data: bytes, source: str = "feed") -> tuple[list[Any], dict[str, dict]]:
    """Return the meetings of a GetSearchResults answer and its formats by key.

    As for Meeting Guide feeds, text that is not UTF-8 is kept apart for `convert`, which leaves
    out the meetings carrying it; a format that cannot be read is left out of the list.
    """
    answer = parse_json(data, source)
    formats: dict[str, dict] = {}
    if isinstance(answer, Mapping) and isinstance(answer.get("meetings"), list):
        for item in answer.get("formats") or []:
            item = check_record(item).record
            if isinstance(item, Mapping) and isinstance(item.get("key_string"), str):
                formats[item["key_string"]] = dict(item)
        answer = answer["meetings"]
    if not isinstance(answer, list):
        raise FeedError(f"{source}: a BMLT answer is a list of meetings or {{meetings, formats}}")
    return answer, formats


def _minutes(value: Any, what: str) -> int:
    match = _HMS.match(str(value or "").strip())
    if not match:
        raise RecordError(f"{what} {value!r} is not HH:MM:SS")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59:
        raise RecordError(f"{what} {value!r} is not HH:MM:SS")
    return hours * 60 + minutes


def _point(meeting: Mapping[str, Any]) -> tuple[float, float] | None:
    lat, lon = meeting.get("latitude"), meeting.get("longitude")
    if (lat in (None, "") or lon in (None, "")) and isinstance(meeting.get("coordinates"), str):
        parts = meeting["coordinates"].split(",")
        lat, lon = (parts[0], parts[1]) if len(parts) == 2 else (None, None)
    try:
        point = (float(lat), float(lon))
    except (TypeError, ValueError):
        return None
    if point == (0.0, 0.0) or not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180):
        return None
    return point


def convert_meeting(
    meeting: Mapping[str, Any], rid: str, fellowship: str, formats: dict[str, dict], country: str
) -> tuple[dict[str, Any], list[str]]:
    """Return one BMLT meeting as a resource entry, and notes on what was left out."""
    notes: list[str] = []
    name = clean_text(meeting.get("meeting_name"))
    if not name:
        raise RecordError("no meeting_name")
    day = str(meeting.get("weekday_tinyint", "")).strip()
    if not day.isdigit() or not 1 <= int(day) <= 7:
        raise RecordError(f"weekday_tinyint {meeting.get('weekday_tinyint')!r} is not 1-7")
    start = _minutes(meeting.get("start_time"), "start_time")
    if start >= 24 * 60:
        raise RecordError(f"start_time {meeting.get('start_time')!r} is not a time of day")
    length = _minutes(meeting.get("duration_time") or "00:00:00", "duration_time")
    if length == 0:
        length = DEFAULT_MINUTES
    if length >= 24 * 60:
        raise RecordError(f"duration_time {meeting.get('duration_time')!r} is 24 hours or more")
    window = {
        "days": [DAY_NAMES[int(day) - 1]],
        "start": f"{start // 60:02d}:{start % 60:02d}",
        "end": f"{(start + length) // 60 % 24:02d}:{(start + length) % 60:02d}",
    }
    record: dict[str, Any] = {"id": rid, "name": name, "category": "meeting"}
    record["fellowship"] = fellowship
    known = vocabulary.known_types(fellowship)
    codes, languages, unknown = [], [], []
    keys = [k.strip() for k in str(meeting.get("formats") or "").split(",") if k.strip()]
    for key in keys:
        world = (formats.get(key) or {}).get("world_id") or DEFAULT_KEYS.get(key)
        if world == "LANG" or key.upper() in LANGUAGE_KEYS:
            code = LANGUAGE_KEYS.get(key.upper())
            if code:
                languages.append(code)
            else:
                unknown.append(key)
        elif world in ("VM", "HY"):
            continue  # attendance: venue_type and the links say it
        elif world in WORLD_TYPES and WORLD_TYPES[world] in known:
            codes.append(WORLD_TYPES[world])
        else:
            unknown.append(key)
    if unknown:
        notes.append(f"format codes {', '.join(map(repr, unknown))} have no meeting type here; "
                     "kept under extra.unknown_formats")  # fmt: skip
    if codes:
        record["types"] = list(dict.fromkeys(codes))
    if languages and languages != ["en"]:
        record["languages"] = list(dict.fromkeys(languages))
    description = clean_text(meeting.get("comments"))
    if description:
        record["description"] = description
    venue = str(meeting.get("venue_type") or "1").strip()
    online: dict[str, Any] = {}
    link = clean_text(meeting.get("virtual_meeting_link"))
    if link and re.match(r"^https?://\S+$", link):
        online["url"] = link
    elif link:
        notes.append(f"virtual_meeting_link {link[:60]!r} is not a web address")
    phone = clean_text(meeting.get("phone_meeting_number"))
    if phone:
        online["phone"] = phone
    info = clean_text(meeting.get("virtual_meeting_additional_info"))
    if online and info:
        online["notes"] = info
    if online:
        record["online"] = online
    place = _place(meeting, country)
    if venue != "2" and place:
        record["location"] = place
    elif venue != "2":
        notes.append("no address or coordinates for an in-person meeting")
    if "TC" in codes and not online:
        record["status"] = "temporarily-closed"
    record["schedule"] = [window]
    timezone = clean_text(meeting.get("time_zone"))
    if timezone and timezone not in _ZONES:
        notes.append(f"time_zone {timezone[:40]!r} is not an IANA time zone; the feed's is used")
    elif timezone:
        record["timezone"] = timezone
    extra: dict[str, Any] = {"source": SOURCE_NAME, "bmlt_id": str(meeting.get("id_bigint"))}
    if unknown:
        extra["unknown_formats"] = unknown
    record["extra"] = extra
    return record, notes


def _place(meeting: Mapping[str, Any], country: str) -> dict[str, Any]:
    place: dict[str, Any] = {}
    for ours, theirs in (
        ("name", "location_text"),
        ("address", "location_street"),
        ("city", "location_municipality"),
        ("state", "location_province"),
        ("postal_code", "location_postal_code_1"),
    ):
        value = clean_text(meeting.get(theirs))
        if value:
            place[ours] = value
    region = clean_text(meeting.get("location_neighborhood")) or clean_text(
        meeting.get("location_city_subsection")
    )
    if region:
        place["region"] = region
    nation = clean_text(meeting.get("location_nation"))
    if nation and (country_code(nation) or nation) != country:
        place["country"] = country_code(nation) or nation
    how = [clean_text(meeting.get(k)) for k in ("location_info", "bus_lines", "train_lines")]
    how = [h for h in how if h]
    if how:
        place["notes"] = "\n".join(how)
    point = _point(meeting)
    if point:
        place["lat"], place["lon"] = point
    if not place.get("address"):
        place["approximate"] = True
    return place if set(place) - {"name", "notes", "approximate"} else {}


def convert(
    meetings: Sequence[Any],
    formats: dict[str, dict],
    fellowship: str = "NA",
    id_prefix: str = "",
    timezone: str | None = None,
    country: str = "US",
    feed: str | None = None,
    existing: Mapping[str, str] | None = None,
) -> ImportResult:
    """Turn a BMLT answer's meetings into resource entries; report each one left out."""
    prefix = f"{slugify(id_prefix)}-" if slugify(id_prefix) else ""
    existing = dict(existing or {})
    result = ImportResult(total=len(meetings))
    used: set[str] = set()
    for index, raw in enumerate(meetings, start=1):
        checked = check_record(raw, FREE_TEXT)
        meeting = checked.record
        if meeting is None:
            result.problems.append(RecordProblem(index, None, checked.reason, key_name="id"))
            continue
        key = str(meeting.get("id_bigint") or "") or None
        if key is None:
            result.problems.append(RecordProblem(index, None, "no id_bigint", key_name="id"))
            continue
        if str(meeting.get("published", "1")).strip() == "0":
            result.problems.append(RecordProblem(index, key, "not published", key_name="id"))
            continue
        stem = slugify(meeting.get("meeting_name") or "")
        rid = existing.get(key) or f"{prefix}{stem}-{slugify(key)}".replace("--", "-").strip("-")
        if rid in used:
            result.problems.append(RecordProblem(index, key, "id_bigint used twice", key_name="id"))
            continue
        try:
            record, notes = convert_meeting(meeting, rid, fellowship, formats, country)
        except RecordError as exc:
            result.problems.append(RecordProblem(index, key, str(exc), key_name="id"))
            continue
        if timezone is not None and record.get("timezone") == timezone:
            del record["timezone"]  # the directory's own zone goes without saying
        if feed:
            record["extra"]["feed"] = feed
        used.add(rid)
        result.take(record, index, key, "id")
        notes = checked.notes + notes
        result.problems.extend(RecordProblem(index, key, n, "note", key_name="id") for n in notes)
    return result


def existing_ids(entries: list[dict[str, Any]], feed: str) -> dict[str, str]:
    """Return BMLT id -> entry id for what an earlier import of `feed` made."""
    out = {}
    for entry in entries:
        extra = entry.get("extra")
        if isinstance(extra, dict) and extra.get("source") == SOURCE_NAME:
            if extra.get("feed") == feed and extra.get("bmlt_id"):
                out[str(extra["bmlt_id"])] = str(entry["id"])
    return out


def import_answer(
    source: str,
    fellowship: str = "NA",
    id_prefix: str = "",
    timezone: str | None = None,
    country: str = "US",
    existing_entries: list[dict[str, Any]] | None = None,
) -> ImportResult:
    """Read a GetSearchResults answer from a file or URL and convert it."""
    meetings, formats = parse_answer(read_source(source), source)
    feed = feed_name(source)
    existing = existing_ids(existing_entries or [], feed)
    return convert(meetings, formats, fellowship, id_prefix, timezone, country, feed, existing)
