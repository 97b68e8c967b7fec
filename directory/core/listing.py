"""Turn resources into the plain data that pages, the API and referral sheets show.

One function per thing shown, so HTML and JSON cannot drift apart. No Flask here: links to our
own pages come in as a `url` argument.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from directory.core import translation, vocabulary
from directory.core.availability import checked, describe_when
from directory.core.model import Resource
from directory.core.schedule import format_time

DEFAULT_STALE_DAYS = 365  # config.STALE_AFTER_DAYS; past it a listing says "call first"
DIRECTIONS_CACHE_SIZE = 4096  # directions links kept (about 100 bytes each)


def _destination(resource: Resource) -> tuple[str, tuple[float, float] | None] | None:
    """Return the address and the door's point a person can be sent to, or None."""
    location = resource.location
    if location is None or not location.is_place_to_go or not location.shows_address:
        return None
    address = location.one_line()
    point = None if location.approximate else location.point  # near is not the door
    if point is None and not address:
        return None
    return address, (point.lat, point.lon) if point is not None else None


@lru_cache(maxsize=DIRECTIONS_CACHE_SIZE)  # every result card asks; the same places recur
def _google(address: str, point: tuple[float, float] | None) -> str:
    destination = f"{point[0]},{point[1]}" if point else address
    return "https://www.google.com/maps/dir/?" + urlencode({"api": 1, "destination": destination})


def directions(resource: Resource) -> list[dict[str, str]]:
    """Return map links for a resource's place (followed only when a person clicks)."""
    found = _destination(resource)
    if found is None:
        return []
    address, point = found
    if point is not None:
        lat, lon = point
        osm = f"https://www.openstreetmap.org/?{urlencode({'mlat': lat, 'mlon': lon})}"
        osm += f"#map=17/{lat}/{lon}"
    else:
        osm = "https://www.openstreetmap.org/search?" + urlencode({"query": address})
    apple = "https://maps.apple.com/?" + urlencode({"daddr": address or f"{point[0]},{point[1]}"})
    return [
        {"name": "OpenStreetMap", "url": osm},
        {"name": "Google Maps", "url": _google(address, point)},
        {"name": "Apple Maps", "url": apple},
    ]


def meeting_types(resource: Resource) -> list[dict[str, str | None]]:
    """Return each meeting type code with its name and a plain explanation."""
    return [
        {
            "code": code,
            "name": vocabulary.type_name(resource.fellowship, code),
            "explanation": vocabulary.type_explanation(resource.fellowship, code),
        }
        for code in resource.types
    ]


def directions_url(resource: Resource) -> str | None:
    """Return the one link a card offers for directions (opens the phone's maps app)."""
    found = _destination(resource)
    return _google(*found) if found else None


def map_point(resource: Resource) -> dict[str, float] | None:
    """Return where a result goes on a map, or None when there is no door to go to.

    An online-only resource may name the town its group is based in, but a marker there would
    send someone to a place where nothing happens. An approximate point is kept (the card says
    "about"); it is the area the listing gives, never a private address.
    """
    if resource.online_only or resource.location is None or resource.point is None:
        return None
    return {"lat": resource.point.lat, "lon": resource.point.lon}


def summary(
    resource: Resource,
    at: datetime,
    home_timezone: str,
    url: str,
    when=None,
    stale_after_days: int = DEFAULT_STALE_DAYS,
    steady: tuple[dict, dict] | None = None,
) -> dict:
    """Return what a result list shows about a resource (`when`: a When already worked out).

    `steady`: `steady_summary(resource, url)` kept from an earlier call (same language).
    """
    when = when or describe_when(resource, at, home_timezone)
    head, tail = steady or steady_summary(resource, url)
    local_day = at.astimezone(ZoneInfo(resource.timezone)).date()
    return {
        **head,
        "when": {"text": when.text, "state": when.state, "zone": when.zone_note},
        **tail,
        "checked": checked(resource.last_verified, local_day, stale_after_days),
    }


def steady_summary(resource: Resource, url: str) -> tuple[dict, dict]:
    """Return the parts of a summary that depend only on the data and the page's language,
    before and after its "when" (the order the API has always given): a data version keeps
    them, the time of day is added to each request's copy."""
    location = resource.location
    head = {
        "id": resource.id,
        **_text("name", resource),
        "url": url,
        "category": resource.category,
        "category_label": vocabulary.category_label(resource.category),
        "dimensions": list(resource.dimensions),
        "fellowship": resource.fellowship,
        "attendance": resource.attendance,
        "attendance_label": vocabulary.attendance_label(resource.attendance),
        "status": resource.status,
    }
    tail = {
        "address": location.one_line() if location and location.shows_address else None,
        "area": _area(resource),
        "approximate": bool(location and location.approximate),
        "point": map_point(resource),
        "phone": resource.phone,
        "text": resource.text,
        "online_url": resource.online.url if resource.online else None,
        "online_phone": resource.online.phone if resource.online else None,
        "directions_url": directions_url(resource),
    }
    return head, tail


def detail(
    resource: Resource,
    at: datetime,
    home_timezone: str,
    url: str,
    stale_after_days: int = DEFAULT_STALE_DAYS,
) -> dict:
    """Return everything a resource page shows, computed fields included."""
    location = resource.location
    data = summary(resource, at, home_timezone, url, stale_after_days=stale_after_days)
    data.update(
        {
            **_text("description", resource),
            **_text("hours_notes", resource),
            "only_in": _only_in(resource),
            # Eligibility is written once, in the file's language.
            "eligibility_lang": resource.text_language
            if resource.text_language != translation.code()
            else None,
            "last_verified_text": translation.long_date(resource.last_verified)
            if resource.last_verified
            else None,
            "organization": resource.organization,
            "fellowship_name": vocabulary.fellowship_name(resource.fellowship)
            if resource.fellowship
            else None,
            "group": resource.group,
            "types": meeting_types(resource),
            "weekly": resource.schedule.describe() if resource.schedule else [],
            "next_times": next_times(resource, at),
            "timezone": resource.timezone,
            "location": None
            if location is None
            else {
                "name": location.name,
                "address": location.one_line() if location.shows_address else None,
                "city": location.city,
                "state": location.state,
                "postal_code": location.postal_code,
                "region": location.region,
                "approximate": location.approximate,
                "notes": location.notes,
                "lat": location.lat,
                "lon": location.lon,
            },
            "directions": directions(resource),
            "online": None
            if resource.online is None
            else {
                "url": resource.online.url,
                "phone": resource.online.phone,
                "notes": resource.online.notes,
            },
            "text": resource.text,
            "email": resource.email,
            "website": resource.website,
            "languages": [
                {"code": c, "name": vocabulary.language_name(c)} for c in resource.languages
            ],
            "accessibility": _labelled("accessibility", resource.accessibility),
            "payment": _labelled("payment", resource.payment),
            "populations": _labelled("population", resource.populations),
            "services": _labelled("service", resource.services),
            "medications": [
                {
                    "code": m,
                    "name": vocabulary.label("medication", m),
                    "explanation": vocabulary.medication_explanation(m),
                }
                for m in resource.medications
            ],
            "eligibility": resource.eligibility,
            "last_verified": resource.last_verified.isoformat() if resource.last_verified else None,
        }
    )
    return data


NEXT_TIMES = 3


def next_times(resource: Resource, at: datetime) -> list[str]:
    """Return the next few times a meeting meets, in plain words ("Tue Dec 8, 7:00 pm")."""
    schedule = resource.schedule
    if not resource.is_meeting or schedule is None or resource.attendance == "inactive":
        return []
    return [
        translation.capitalized(
            translation.gettext(
                "%(day)s, %(time)s",
                day=translation.weekday_month_day(o.start).replace(",", ""),
                time=format_time(o.start),
            )
        )
        for o in schedule.next_occurrences(at, NEXT_TIMES)
    ]


def _text(field_name: str, resource: Resource) -> dict:
    """Return a text in the page's language when the file gives it, and its language (`*_lang`)
    when that is not the page's, so the page marks it (`lang="en"` on a Spanish page)."""
    page = translation.code()
    text, language = resource.text_in(field_name, page)
    return {field_name: text, f"{field_name}_lang": language if language != page else None}


def _only_in(resource: Resource) -> str | None:
    """Return "Only in English" when the page's language has none of this listing's texts."""
    page = translation.code()
    if page == resource.text_language or page in resource.translations:
        return None
    if not (resource.description or resource.hours_notes):
        return None
    name = vocabulary.language_name(resource.text_language)
    return translation.gettext("This listing's description is only in %(language)s.",
                               language=name.lower() if page != "en" else name)  # fmt: skip


def _labelled(facet: str, values) -> list[dict[str, str]]:
    return [{"code": v, "name": vocabulary.label(facet, v)} for v in values]


def _area(resource: Resource) -> str | None:
    location = resource.location
    if location is None:
        return None
    parts = [p for p in (location.region, location.city) if p]
    if len(parts) == 2 and parts[0] == parts[1]:
        parts = parts[:1]
    return ", ".join(parts) or None
