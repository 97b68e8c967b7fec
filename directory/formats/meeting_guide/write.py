"""The Meeting Guide JSON feed (code4recovery/spec) of a Catalog's meetings.

Meeting Guide is how meeting finders exchange weekly meetings. Decisions:

- One record per weekly window, because the format has one time per record. A meeting with one
  window keeps its id as `slug`; one with several gets `<id>-<day>-<HHMM>`
  (`hawthorne-aa-mon-1900`), so slugs stay unique and stable while its other times do not
  change. A meeting with no schedule is one record with no day or time ("by appointment").
- Attendance is said the way the current spec says it: a place is an address, online is a
  `conference_url` or `conference_phone`, and `TC` marks a temporarily closed place. The legacy
  `ONL` code is never written (readers infer online from the conference fields).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from directory.core import vocabulary
from directory.core.model import Catalog, Location, Resource
from directory.core.schedule import DAYS, Window, hh_mm

ResourceUrl = Callable[[Resource], str]

LEGACY_ONLINE_TYPE = "ONL"
CLOSED_TYPE = "TC"


def meeting_guide_feed(catalog: Catalog, url_of: ResourceUrl) -> list[dict[str, Any]]:
    """Return every active meeting as Meeting Guide records, one per weekly window."""
    records: list[dict[str, Any]] = []
    for resource in catalog.active():
        if resource.is_meeting:
            records.extend(meeting_records(resource, url_of(resource), catalog.directory.country))
    return records


def meeting_records(resource: Resource, url: str, country: str = "US") -> list[dict[str, Any]]:
    """Return the Meeting Guide records of one meeting."""
    base = _meeting_base(resource, url, country)
    windows = resource.schedule.windows if resource.schedule else ()
    if not windows:
        return [{"slug": resource.id, **base}]
    records = []
    slugs: set[str] = set()
    for window in windows:
        slug = resource.id if len(windows) == 1 else window_slug(resource.id, window)
        if slug in slugs:  # two windows starting together on one day: tell them apart by end
            slug = f"{slug}-{hh_mm(window.end).replace(':', '')}"
        slugs.add(slug)
        records.append(
            {
                "slug": slug,
                **base,
                "day": window.day,
                "time": hh_mm(window.start),
                "end_time": hh_mm(window.end),
            }
        )
    return records


def window_slug(resource_id: str, window: Window) -> str:
    """Return the slug of one weekly time of a meeting that meets more than once a week."""
    return f"{resource_id}-{DAYS[window.day]}-{hh_mm(window.start).replace(':', '')}"


def _meeting_base(resource: Resource, url: str, country: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        "name": resource.name,
        "timezone": resource.timezone,
        "types": meeting_types(resource),
    }
    location = resource.location
    if location is not None and (resource.attendance != "online" or _closed_place(resource)):
        record.update(_meeting_place(location, country))
    online = resource.online
    if online is not None:
        if online.url:
            record["conference_url"] = online.url
            if online.notes:
                record["conference_url_notes"] = online.notes
        if online.phone:
            record["conference_phone"] = online.phone
            if online.notes and not online.url:
                record["conference_phone_notes"] = online.notes
    optional = {
        "notes": resource.description,
        "group": resource.group,
        "updated": f"{resource.last_verified.isoformat()} 00:00:00"
        if isinstance(resource.last_verified, date)
        else None,
        "url": url,
    }
    record.update({k: v for k, v in optional.items() if v})
    return record


def _closed_place(resource: Resource) -> bool:
    """True when the meeting has a place that is temporarily closed (shown with TC)."""
    return resource.location is not None and CLOSED_TYPE in meeting_types(resource)


def _meeting_place(location: Location | None, country: str) -> dict[str, Any]:
    if location is None:
        return {}
    street = location.address  # a private place has none: its point is only approximate
    if street and location.address_2:
        street = f"{street}, {location.address_2}"
    place = {
        "location": location.name,
        "address": street,
        "city": location.city,
        "state": location.state,
        "postal_code": location.postal_code,
        "country": location.country or country,
        "region": location.region,
        "sub_region": location.sub_region,
        "location_notes": location.notes,
    }
    town = " ".join(p for p in (location.state, location.postal_code) if p)
    formatted = ", ".join(p for p in (street, location.city, town, place["country"]) if p)
    place["formatted_address"] = formatted
    if location.approximate:
        place["approximate"] = "yes"
    if location.lat is not None and location.lon is not None:
        place["latitude"], place["longitude"] = location.lat, location.lon
    return {k: v for k, v in place.items() if v is not None and v != ""}


def meeting_types(resource: Resource) -> list[str]:
    """Return the Meeting Guide type codes of a meeting, attendance and language included."""
    codes = [c for c in resource.types if c != LEGACY_ONLINE_TYPE]
    if resource.status == "temporarily-closed" and resource.location is not None:
        codes.append(CLOSED_TYPE)
    known = vocabulary.known_types(resource.fellowship)
    for language in resource.languages:
        code = _language_type(language, resource.fellowship, known)
        if code:
            codes.append(code)
    return list(dict.fromkeys(codes))


def _language_type(language: str, fellowship: str | None, known: frozenset[str]) -> str | None:
    """Return the type code naming a language the meeting is held in ("es" -> "S"), if any."""
    if language == "en":
        return None  # the default; Meeting Guide readers assume it
    name = vocabulary.language_name(language).lower()
    for code in sorted(known):
        if vocabulary.type_name(fellowship, code).lower() == name:
            return code
    return None
