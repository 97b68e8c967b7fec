"""The sheet a referral list becomes, grouped by dimension of recovery.

Pure functions on plain data: names, goals and notes arrive with one request and are never
stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from directory.core import vocabulary
from directory.core.geo import haversine_miles
from directory.core.model import Catalog, CrisisLine, Resource
from directory.core.places import Gazetteer, Place, PlaceNotFound
from directory.core.schedule import DAY_LABELS, Occurrence, format_time
from directory.referrals.lists import ListItem, clean_text

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
        entry = sheet_item(resource, item.note, at, home, details.origin, url_for(resource))
        entries[entry["dimension"]].append(entry)
    groups = [
        {
            "dimension": dim,
            "title": title,
            "description": vocabulary.DIMENSION_DESCRIPTIONS[dim],
            "goal": details.goals.get(dim, ""),
            "items": entries[dim],
        }
        for dim, title in vocabulary.DIMENSIONS.items()
        if entries[dim] or details.goals.get(dim)
    ]
    return {
        "directory_name": catalog.directory.name,
        "participant": details.participant,
        "specialist": details.specialist,
        "contact": details.contact,
        "date": details.date.isoformat(),
        "date_text": f"{details.date:%A, %B} {details.date.day}, {details.date.year}",
        "week_text": _week_text(at),
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
) -> dict:
    """Return what the sheet says about one resource."""
    location = resource.location
    kind = vocabulary.category_label(resource.category)
    if resource.fellowship:
        kind = f"{kind}: {vocabulary.fellowship_name(resource.fellowship)}"
    types = [vocabulary.type_name(resource.fellowship, code) for code in resource.types]
    distance = None
    if origin is not None and not resource.online_only:
        distance = round(haversine_miles(origin.lat, origin.lon, *_lat_lon(resource)), 1)
    local = at.astimezone(ZoneInfo(resource.timezone))
    other_zone = resource.timezone != home_timezone and (
        local.utcoffset() != at.astimezone(ZoneInfo(home_timezone)).utcoffset()
    )
    return {
        "id": resource.id,
        "name": resource.name,
        "url": url,
        "dimension": resource.dimensions[0] if resource.dimensions else "community",
        "kind": kind,
        "types": ", ".join(t for t in types if t),
        "description": resource.description,
        "status": _status_text(resource),
        "place": location.name if location else None,
        "address": location.one_line() if location and location.shows_address else None,
        "area": _area(resource) if location and not location.shows_address else None,
        "place_notes": location.notes if location else None,
        "distance_miles": distance,
        "approximate": bool(location and location.approximate),
        "phone": resource.phone,
        "text": resource.text,
        "website": resource.website,
        "times": _meeting_times(resource, at) if resource.is_meeting else [],
        "hours": _hours(resource),
        "hours_notes": resource.hours_notes,
        "zone": f"{local.tzname()}, {_zone_city(resource.timezone)} time" if other_zone else None,
        "online": _online(resource),
        "note": note,
    }


def _starting_moment(day: date, now: datetime, home_timezone: str) -> datetime:
    """Return when "the next 7 days" start: now, or the sheet's date if that is later."""
    start = datetime.combine(day, time(), tzinfo=ZoneInfo(home_timezone))
    return max(start, now)


def _week_text(at: datetime) -> str:
    return f"{at:%b} {at.day}"


def _lat_lon(resource: Resource) -> tuple[float, float]:
    point = resource.point
    assert point is not None  # online_only is False only for resources with a point
    return point.lat, point.lon


def _status_text(resource: Resource) -> str | None:
    if resource.status != "temporarily-closed" and "TC" not in resource.types:
        return None
    if resource.attendance == "online":
        return "The place is closed for now; it still meets online."
    return "Temporarily closed: call before you go."


def _area(resource: Resource) -> str:
    location = resource.location
    parts = [p for p in (location.region, location.city) if p] if location else []
    return ", ".join(dict.fromkeys(parts)) or "Area not listed"


def _online(resource: Resource) -> dict | None:
    online = resource.online
    if online is None or not (online.url or online.phone):
        return None
    return {"url": online.url, "phone": online.phone, "notes": online.notes}


def _hours(resource: Resource) -> list[str]:
    if resource.is_meeting or resource.schedule is None:
        return []
    return resource.schedule.describe()


def _meeting_times(resource: Resource, at: datetime) -> list[str]:
    """Return the meeting's times over the next 7 days, one line per start and end time."""
    by_time: dict[tuple[str, str], list[Occurrence]] = {}
    for occurrence in next_week(resource, at):
        key = (format_time(occurrence.start), format_time(occurrence.end))
        by_time.setdefault(key, []).append(occurrence)
    lines = []
    for (start, end), occurrences in by_time.items():
        if len(occurrences) >= 7:
            days = "Every day"
        else:
            days = _join([_day_text(o.start) for o in occurrences])
        lines.append(f"{days}: {start} to {end}")
    return lines


def _day_text(moment: datetime) -> str:
    return f"{DAY_LABELS[moment.isoweekday() % 7][:3]} {moment:%b} {moment.day}"


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


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
