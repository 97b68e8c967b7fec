"""schema.org JSON-LD of a listing, for search engines and other readers of pages.

A meeting is an `Event` with an `eventSchedule` (a weekly `Schedule` per window, in the
meeting's own time zone), its next start as `startDate`, and a `Place` or, online, a
`VirtualLocation` (the TSML WordPress plugin writes meetings the same way). A service with a
place is a `MedicalClinic` (medication, treatment, counseling, wellness, harm reduction) or a
`LocalBusiness`, with `openingHoursSpecification`; one with no place is an `Organization`.
A place whose street is not published gives only its town. The JSON goes into the page in a
`<script type="application/ld+json">`, which browsers treat as data, not a script, so the
Content-Security-Policy (`script-src 'self'`) allows it; `<` is escaped so no text can end it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from directory.core import vocabulary
from directory.core.model import Resource
from directory.core.schedule import MINUTES_PER_DAY, hh_mm

DAY_URIS = tuple(
    f"https://schema.org/{d}"
    for d in ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
)
HEALTH_CATEGORIES = frozenset({"mat", "treatment", "counseling", "wellness", "harm-reduction"})
ATTENDANCE_MODES = {
    "in_person": "https://schema.org/OfflineEventAttendanceMode",
    "online": "https://schema.org/OnlineEventAttendanceMode",
    "hybrid": "https://schema.org/MixedEventAttendanceMode",
    "inactive": "https://schema.org/OfflineEventAttendanceMode",
}


def structured_data(resource: Resource, url: str, now: datetime) -> dict:
    """Return the schema.org description of one listing."""
    if resource.is_meeting:
        return _event(resource, url, now)
    return _service(resource, url)


def script_text(data: dict) -> str:
    """Return JSON-LD safe inside a <script> element (no "</script>" can appear in it)."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _address(resource: Resource) -> dict | None:
    location = resource.location
    if location is None:
        return None
    address = {
        "@type": "PostalAddress",
        "streetAddress": None if location.approximate else location.address,
        "addressLocality": location.city,
        "addressRegion": location.state,
        "postalCode": location.postal_code,
        "addressCountry": location.country,
    }
    return {k: v for k, v in address.items() if v}


def _place(resource: Resource) -> dict | None:
    location = resource.location
    if location is None:
        return None
    place: dict = {"@type": "Place", "address": _address(resource)}
    if location.name:
        place["name"] = location.name
    if location.point is not None and not location.approximate:
        place["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": location.lat,
            "longitude": location.lon,
        }
    return place


def _event(resource: Resource, url: str, now: datetime) -> dict:
    event: dict = {
        "@context": "https://schema.org",
        "@type": "Event",
        "@id": url,
        "name": resource.name,
        "url": url,
        "eventAttendanceMode": ATTENDANCE_MODES[resource.attendance],
        "eventStatus": "https://schema.org/EventScheduled",
        "isAccessibleForFree": True,
        "inLanguage": list(resource.languages),
    }
    if resource.description:
        event["description"] = resource.description
    if resource.fellowship:
        event["organizer"] = {
            "@type": "Organization",
            "name": resource.group or vocabulary.fellowship_name(resource.fellowship, "en"),
        }
    if resource.status == "temporarily-closed" and resource.attendance == "online":
        event["eventStatus"] = "https://schema.org/EventMovedOnline"
    locations = []
    place = _place(resource)
    if place is not None and resource.attendance != "online":
        locations.append(place)
    if resource.online is not None and resource.online.url:
        locations.append({"@type": "VirtualLocation", "url": resource.online.url})
    if not locations and resource.online is not None and resource.online.phone:
        dial = "".join(c for c in resource.online.phone if c.isdigit() or c == "+")
        locations.append({"@type": "VirtualLocation", "name": "By phone", "url": f"tel:{dial}"})
    event["location"] = locations[0] if len(locations) == 1 else locations
    if resource.schedule is not None:
        event["eventSchedule"] = [
            {
                "@type": "Schedule",
                "repeatFrequency": "P1W",
                "byDay": DAY_URIS[w.day],
                "startTime": f"{hh_mm(w.start)}:00",
                "endTime": f"{hh_mm(w.end)}:00",
                "duration": f"PT{w.minutes // 60}H{w.minutes % 60}M",
                "scheduleTimezone": resource.timezone,
            }
            for w in resource.schedule.windows
        ]
        upcoming = resource.schedule.occurrences_between(now, now + timedelta(days=8))
        if upcoming:
            event["startDate"] = upcoming[0].start.isoformat()
            event["endDate"] = upcoming[0].end.isoformat()
    return event


def _service(resource: Resource, url: str) -> dict:
    if resource.location is None:
        kind = "Organization"
    elif resource.category in HEALTH_CATEGORIES:
        kind = "MedicalClinic"
    else:
        kind = "LocalBusiness"
    service: dict = {
        "@context": "https://schema.org",
        "@type": kind,
        "@id": url,
        "name": resource.name,
        "url": url,
    }
    optional = {
        "description": resource.description,
        "telephone": resource.phone,
        "email": resource.email,
        "sameAs": resource.website,
        "knowsLanguage": list(resource.languages),
    }
    service.update({k: v for k, v in optional.items() if v})
    if resource.organization and resource.organization != resource.name:
        service["parentOrganization"] = {"@type": "Organization", "name": resource.organization}
    if kind != "Organization":
        service["address"] = _address(resource)
        place = _place(resource)
        if "geo" in place:
            service["geo"] = place["geo"]
        if resource.schedule is not None:
            service["openingHoursSpecification"] = [
                {
                    "@type": "OpeningHoursSpecification",
                    "dayOfWeek": DAY_URIS[w.day],
                    "opens": f"{hh_mm(w.start)}:00",
                    # schema.org: closing past midnight is a closes earlier than opens.
                    "closes": "23:59:59" if w.end == MINUTES_PER_DAY else f"{hh_mm(w.end)}:00",
                }
                for w in resource.schedule.windows
            ]
    return service
