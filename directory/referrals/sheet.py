"""The sheet a referral list becomes, grouped by dimension of recovery.

Pure functions on plain data: names, goals and notes arrive with one request and are never
stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from directory.core import vocabulary
from directory.core.availability import checked
from directory.core.geo import haversine_miles
from directory.core.listing import DEFAULT_STALE_DAYS as STALE_AFTER_DAYS
from directory.core.model import Catalog, CrisisLine, Resource
from directory.core.places import Gazetteer, Place, PlaceNotFound
from directory.core.schedule import Occurrence
from directory.referrals.lists import ListItem, clean_text
from directory.referrals.wording import SheetWords, language_or_default, words_for

SUMMARY_LENGTH = 60  # characters of a description the details print, whole sentences
_SENTENCE_ENDS = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")
FIELD_LIMITS = {"participant": 60, "specialist": 80, "contact": 200, "near": 120, "goal": 500}
PAPERS = ("letter", "a4")
LETTER_COUNTRIES = frozenset({"US", "CA", "MX", "PH", "CL", "CO", "VE", "GT", "CR", "PA"})


@dataclass(frozen=True)
class SheetDetails:
    """What a participant and specialist type for one sheet; never stored."""

    date: date
    participant: str = ""
    goals: Mapping[str, str] = field(default_factory=dict)  # dimension -> their own words
    specialist: str = ""
    contact: str = ""
    near: str = ""  # as typed
    origin: Place | None = None
    paper: str = "letter"
    language: str = "en"  # the sheet's, independent of the page's


# The sheet details, parsed once at the edge.


def default_paper(country: str | None) -> str:
    """Return the paper most printers use in country."""
    return "letter" if (country or "US").upper() in LETTER_COUNTRIES else "a4"


def parse_details(
    form: Mapping[str, str], gazetteer: Gazetteer, today: date, paper: str = "letter"
) -> tuple[SheetDetails, dict[str, str]]:
    """Read the sheet form; return the details and a message per field that cannot be used."""
    errors: dict[str, str] = {}
    goals = {
        dim: clean_text(form.get(f"goal_{dim}", ""), FIELD_LIMITS["goal"], multiline=True)
        for dim in vocabulary.DIMENSIONS
    }
    near = clean_text(form.get("near", ""), 10 * FIELD_LIMITS["near"])
    origin = None
    if near:
        try:
            origin = gazetteer.resolve(near)
        except PlaceNotFound as exc:
            errors["near"] = str(exc)
    sheet_date = today
    raw_date = clean_text(form.get("date", ""), 20)
    if raw_date:
        try:
            typed = date.fromisoformat(raw_date)
        except ValueError:
            errors["date"] = "Use a date like 2026-03-14 (year, month, day)."
        else:
            if abs((typed - today).days) > 366:
                errors["date"] = "Choose a date within a year of today."
            else:
                sheet_date = typed
    chosen_paper = form.get("paper", paper)
    details = SheetDetails(
        date=sheet_date,
        participant=clean_text(form.get("participant", ""), FIELD_LIMITS["participant"]),
        goals={dim: text for dim, text in goals.items() if text},
        specialist=clean_text(form.get("specialist", ""), FIELD_LIMITS["specialist"]),
        contact=clean_text(form.get("contact", ""), FIELD_LIMITS["contact"], multiline=True),
        near=near[: FIELD_LIMITS["near"]],
        origin=origin,
        paper=chosen_paper if chosen_paper in PAPERS else paper,
        language=language_or_default(form.get("language")),
    )
    return details, errors


# The sheet.


def build_sheet(
    items: list[ListItem],
    details: SheetDetails,
    catalog: Catalog,
    now: datetime,
    url_for: Callable[[Resource], str],
) -> dict:
    """Return the sheet's data: items grouped by first dimension, with goals and help lines."""
    words = words_for(details.language)
    home = catalog.directory.timezone
    at = _starting_moment(details.date, now, home)
    entries: dict[str, list[dict]] = {dim: [] for dim in vocabulary.DIMENSIONS}
    resources: list[Resource] = []
    missing = []
    for item in items:
        resource = catalog.by_id(item.id)
        if resource is None or not resource.active:
            missing.append(item.id)
            continue
        resources.append(resource)
        entry = sheet_item(resource, item.note, at, home, details.origin, url_for(resource), words)
        entries[entry["dimension"]].append(entry)
    groups = [
        {
            "dimension": dim,
            "title": words.dimension(dim),
            "description": words.dimension_description(dim),
            "goal": details.goals.get(dim, ""),
            "items": entries[dim],
        }
        for dim in vocabulary.DIMENSIONS
        if entries[dim] or details.goals.get(dim)
    ]
    return {
        "directory_name": catalog.directory.name,
        "language": words.language,
        "participant": details.participant,
        "specialist": details.specialist,
        "contact": details.contact,
        "date": details.date.isoformat(),
        "date_text": words.long_date(details.date),
        "week_text": words.short_date(at),
        "origin": details.origin.label if details.origin else None,
        "paper": details.paper,
        "groups": groups,
        "count": len(resources),
        "ids": [r.id for r in resources],
        "missing": missing,
        "meetings": sum(1 for r in resources if r.is_meeting and r.schedule),
        "crisis_lines": [_crisis_line(line) for line in catalog.directory.crisis_lines],
        "has_911": any(line.phone == "911" for line in catalog.directory.crisis_lines),
    }


def dimension_of(resource: Resource) -> str:
    """Return the dimension a resource is listed under on the list and the sheet."""
    return resource.dimensions[0] if resource.dimensions else "community"


def sheet_resources(items: list[ListItem], catalog: Catalog) -> list[Resource]:
    """Return the active resources on the list, in the list's order."""
    found = (catalog.by_id(item.id) for item in items)
    return [r for r in found if r is not None and r.active]


def sheet_item(
    resource: Resource,
    note: str,
    at: datetime,
    home_timezone: str,
    origin: Place | None,
    url: str,
    words: SheetWords | None = None,
) -> dict:
    """Return what the sheet says about one resource."""
    words = words or words_for("en")
    location = resource.location
    kind = words.category(resource.category)
    if resource.fellowship:
        kind = f"{kind}: {words.fellowship(resource.fellowship)}"
    types = [words.meeting_type(resource.fellowship, code) for code in resource.types]
    distance = None
    if origin is not None and not resource.online_only:
        distance = round(haversine_miles(origin.lat, origin.lon, *_lat_lon(resource)), 1)
    local = at.astimezone(ZoneInfo(resource.timezone))
    other_zone = resource.timezone != home_timezone and (
        local.utcoffset() != at.astimezone(ZoneInfo(home_timezone)).utcoffset()
    )
    shows_address = bool(location and location.shows_address)
    online = _online(resource)
    times = _meeting_times(resource, at, words) if resource.is_meeting else []
    hours = words.hours(resource.schedule) if resource.schedule and not resource.is_meeting else []
    return {
        "id": resource.id,
        "name": resource.text_in("name", words.language)[0],
        "name_lang": _lang_of(resource, "name", words.language),
        "url": url,
        # How fresh the listing is, and "call first" when it was not checked for a year.
        "checked": checked(resource.last_verified, local.date(), STALE_AFTER_DAYS, words),
        "dimension": dimension_of(resource),
        "kind": kind,
        "types": ", ".join(t for t in types if t),
        "description": resource.text_in("description", words.language)[0],
        "summary": first_sentences(resource.text_in("description", words.language)[0] or ""),
        "summary_lang": _lang_of(resource, "description", words.language),
        "status": _status_text(resource, words),
        "place": location.name if location else None,
        "address": location.one_line() if location and shows_address else None,
        "area": _area(resource, words) if location and not shows_address else None,
        "place_notes": location.notes if location else None,
        "distance_miles": distance,
        "distance_text": (
            words.miles(distance, bool(location and location.approximate))
            if distance is not None
            else None
        ),
        "approximate": bool(location and location.approximate),
        "phone": resource.phone,
        "text": resource.text,
        "website": resource.website,
        "times": times,
        "hours": hours,
        "hours_notes": resource.hours_notes,
        "when": _when_next(resource, at, words, hours, local.tzname() if other_zone else None),
        "where": _where_short(resource, online, words),
        "zone": (
            words.text(
                "%(zone)s, %(city)s time", zone=local.tzname(), city=_zone_city(resource.timezone)
            )
            if other_zone
            else None
        ),
        "online": online,
        "note": note,
    }


def _lang_of(resource: Resource, field_name: str, language: str) -> str | None:
    """Return the language of a text the sheet prints when it is not the sheet's."""
    found = resource.text_in(field_name, language)[1]
    return found if found != language else None


def first_sentences(text: str, enough: int = SUMMARY_LENGTH) -> str:
    """Return text's opening sentences, as few as make `enough` characters: a printed sheet
    says what a place is in a line or two, and its QR code opens the whole listing."""
    taken = ""
    for sentence in _SENTENCE_ENDS.split(text.strip()):
        taken = f"{taken} {sentence}".strip()
        if len(taken) >= enough:
            break
    return taken


def _starting_moment(day: date, now: datetime, home_timezone: str) -> datetime:
    """Return when "the next 7 days" start: now, or the sheet's date if that is later."""
    start = datetime.combine(day, time(), tzinfo=ZoneInfo(home_timezone))
    return max(start, now)


def _lat_lon(resource: Resource) -> tuple[float, float]:
    point = resource.point
    assert point is not None  # online_only is False only for resources with a point
    return point.lat, point.lon


def _status_text(resource: Resource, words: SheetWords) -> str | None:
    if resource.status != "temporarily-closed" and "TC" not in resource.types:
        return None
    if resource.attendance == "online":
        return words.text("The place is closed for now; it still meets online.")
    return words.text("Temporarily closed: call before you go.")


def _area(resource: Resource, words: SheetWords) -> str:
    location = resource.location
    parts = [p for p in (location.region, location.city) if p] if location else []
    return ", ".join(dict.fromkeys(parts)) or words.text("Area not listed")


def _online(resource: Resource) -> dict | None:
    online = resource.online
    if online is None or not (online.url or online.phone):
        return None
    return {"url": online.url, "phone": online.phone, "notes": online.notes}


def _when_next(
    resource: Resource, at: datetime, words: SheetWords, hours: list[str], zone: str | None
) -> str:
    """Return the summary's "when": the next meeting (and its other days), or the hours, with
    the time zone when it is not the directory's."""
    when = _when_text(resource, at, words, hours)
    return words.text("%(when)s (%(zone)s)", when=when, zone=zone) if zone else when


def _when_text(resource: Resource, at: datetime, words: SheetWords, hours: list[str]) -> str:
    closed = resource.attendance == "inactive" or resource.status == "temporarily-closed"
    if resource.is_meeting:
        coming = next_week(resource, at)
        if not coming:
            return words.text("Closed for now") if closed else words.text("Call for times")
        first = coming[0].start
        when = words.text("%(day)s, %(time)s", day=words.short_day(first), time=words.time(first))
        others = list(dict.fromkeys(words.weekday(o.start) for o in coming[1:]))
        others = [day for day in others if day != words.weekday(first)]
        if len(others) >= 5:
            return words.text("%(when)s, and every day", when=when)
        if others:
            return words.text("%(when)s; also %(days)s", when=when, days=words.join(others))
        return when
    if closed:
        return words.text("Closed for now")
    if hours:
        return "; ".join(hours)
    return resource.hours_notes or words.text("Call for hours")


def _where_short(resource: Resource, online: dict | None, words: SheetWords) -> str:
    """Return the summary's "where": a street and town, an area, or online."""
    location = resource.location
    if resource.attendance == "online":
        location = None  # a closed room, or only the town a group is based in
    if location and location.shows_address and location.address:
        place = ", ".join(p for p in (location.address, location.city) if p)
    elif location and location.is_place_to_go:
        place = words.text("%(area)s (address when you call)", area=_area(resource, words))
    else:
        place = ""
    if place and online and resource.attendance == "hybrid":
        return words.text("%(place)s, or online", place=place)
    if place:
        return place
    if online:
        return words.text("Online or by phone") if online["phone"] else words.text("Online")
    return _area(resource, words) if resource.location else words.text("Call to ask")


def _meeting_times(resource: Resource, at: datetime, words: SheetWords) -> list[str]:
    """Return the meeting's times over the next 7 days, one line per start and end time."""
    by_time: dict[tuple[str, str], list[Occurrence]] = {}
    for occurrence in next_week(resource, at):
        key = (words.time(occurrence.start), words.time(occurrence.end))
        by_time.setdefault(key, []).append(occurrence)
    lines = []
    for (start, end), occurrences in by_time.items():
        if len(occurrences) >= 7:
            days = words.text("Every day")
        else:
            days = words.join([words.short_day(o.start) for o in occurrences])
        lines.append(words.text("%(days)s: %(start)s to %(end)s", days=days, start=start, end=end))
    return lines


def _zone_city(zone: str) -> str:
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def _crisis_line(line: CrisisLine) -> dict:
    return {
        "name": line.name,
        "phone": line.phone,
        "text": line.text,
        "url": line.url,
        "notes": line.notes,
    }


def next_week(resource: Resource, at: datetime) -> list[Occurrence]:
    """Return the resource's occurrences over the next 7 days."""
    if resource.schedule is None or resource.attendance == "inactive":
        return []  # temporarily closed: no times to go to
    return resource.schedule.occurrences_between(at, at + timedelta(days=7))
