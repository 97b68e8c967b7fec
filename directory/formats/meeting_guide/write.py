"""The Meeting Guide JSON feed (code4recovery/spec) of a Catalog's meetings.

Meeting Guide is how meeting finders exchange weekly meetings; the Meeting Guide app and TSML UI
are its main readers. Decisions, each checked against what those readers do:

- One record per weekly window, because the format has one time per record. A meeting with one
  window keeps its id as `slug`; one with several gets `<id>-<day>-<HHMM>`
  (`hawthorne-aa-mon-1900`), so slugs stay unique and stable while its other times do not
  change. Every record of a meeting has the same `url` (its page here), which is how our own
  importer puts the windows back together. A meeting with no schedule is one record with no day
  or time ("by appointment").
- Every record has geographic information (the format requires it; TSML UI drops a record
  without it). A meeting with no place to go to (online only) gets an approximate place: the
  town of its own location if it has one, else the city its group meets in elsewhere in the
  directory, else the directory's own area, with `approximate: "yes"`, no street and no
  coordinates, and `attendance_option: "online"`, so no reader sends anyone to an address.
  A town that is not the meeting's own (its group's, the directory's) is marked
  `stand_in_place: "yes"`, so our importer does not give the meeting a location it never had.
- Attendance is said the way the current spec says it: a place is an address, online is a
  `conference_url` or `conference_phone`, and `TC` marks a temporarily closed place. The legacy
  `ONL` code is never written (readers infer online from the conference fields).
- Past midnight: TSML UI builds the end from `end_time` on the start's weekday, so a 23:00 to
  00:30 meeting would end 22.5 hours before it starts. Such a window has no `end_time` (readers
  then assume 60 minutes, TSML UI's and the Meeting Guide app's default) and carries its real
  end in `end_time_next_day`, which readers ignore.
- Fellowships: the codes of the format are A.A.'s. A feed of one fellowship uses that
  fellowship's codes (Al-Anon's `POA` is Parents of Alcoholics); the feed of every fellowship
  is read as A.A.'s, so a code that means something else in the record's fellowship is left out
  of `types` (or replaced by the A.A. code of the same meaning) and the fellowship's own codes
  are kept in `fellowship_types`. Every record names its `fellowship`.
- Extension fields, ignored by readers that do not know them (TSML UI and the Meeting Guide
  importer ignore unknown keys): `fellowship`, `fellowship_types`, `end_time_next_day`,
  `attendance_option` (TSML's own), `languages`, `accessibility` and `populations` (our words,
  for what no type code says), `stand_in_place`. With them an export imported back is the
  same directory (formats/meeting_guide/read.py; tests/formats/test_meeting_guide_round_trip.py
  says exactly what differs).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from directory.core import vocabulary
from directory.core.model import Catalog, Location, Resource
from directory.core.schedule import DAYS, MINUTES_PER_DAY, Window, hh_mm
from directory.formats.common import slugify
from directory.formats.meeting_guide.codes import (
    ACCESSIBILITY_TYPES,
    CLOSED_TYPE,
    LEGACY_ONLINE_TYPE,
    language_type,
)

ResourceUrl = Callable[[Resource], str]

# How the spec names attendance in TSML's `attendance_option`; the same words as our model's.
ATTENDANCE_OPTIONS = ("in_person", "online", "hybrid", "inactive")
# Says that a record's town is only the area it is listed in (its group's city or the
# directory's), for a meeting with no place of its own; see the module's docstring.
STAND_IN_PLACE = "stand_in_place"


@dataclass(frozen=True)
class Area:
    """An approximate place for meetings with no place of their own: a city or the directory's."""

    city: str | None
    state: str | None
    country: str

    def fields(self) -> dict[str, str]:
        place = {"city": self.city, "state": self.state, "country": self.country}
        place = {k: v for k, v in place.items() if v}
        place["formatted_address"] = ", ".join(
            p for p in (self.city, self.state, self.country) if p
        )
        place["approximate"] = "yes"
        return place


def fellowship_slug(fellowship: str) -> str:
    """Return the path name of a fellowship's feed ("Al-Anon" -> "al-anon")."""
    return slugify(fellowship)


def fellowships(catalog: Catalog) -> list[str]:
    """Return the fellowships with at least one active meeting, in a stable order."""
    found = {r.fellowship for r in catalog.active() if r.is_meeting and r.fellowship}
    return sorted(found, key=lambda f: (slugify(f), f))


def find_fellowship(catalog: Catalog, name: str) -> str | None:
    """Return the fellowship a feed name stands for ("aa", "AA", "al-anon"), if the file has it."""
    wanted = slugify(name)
    for fellowship in fellowships(catalog):
        if fellowship_slug(fellowship) == wanted:
            return fellowship
    return None


def meeting_guide_feed(
    catalog: Catalog, url_of: ResourceUrl, fellowship: str | None = None
) -> list[dict[str, Any]]:
    """Return the active meetings (of one fellowship, or all) as Meeting Guide records."""
    return list(meeting_guide_records(catalog, url_of, fellowship))


def meeting_guide_records(
    catalog: Catalog, url_of: ResourceUrl, fellowship: str | None = None
) -> Iterator[dict[str, Any]]:
    """Yield the feed's records in its order, one meeting's at a time (a national feed is
    half a million fields: its writer never holds them all)."""
    area = directory_area(catalog)
    group_places = _group_places(catalog)
    for resource in catalog.active():
        if not resource.is_meeting:
            continue
        if fellowship is not None and resource.fellowship != fellowship:
            continue
        place = group_places.get(_group_key(resource), area)
        yield from meeting_records(
            resource,
            url_of(resource),
            catalog.directory.country,
            own_codes=fellowship is not None,
            area=place,
        )


def directory_area(catalog: Catalog) -> Area:
    """Return the directory's area: the city most of its located entries are in."""
    towns = Counter(
        (r.location.city, r.location.state)
        for r in catalog.active()
        if r.location is not None and r.location.city
    )
    country = catalog.directory.country
    if not towns:
        return Area(None, None, country)
    (city, state), _ = max(towns.items(), key=lambda kv: (kv[1], kv[0][0], kv[0][1] or ""))
    return Area(city, state, country)


def _group_key(resource: Resource) -> tuple[str | None, str] | None:
    if not resource.group:
        return None
    return (resource.fellowship, resource.group.strip().casefold())


def _group_places(catalog: Catalog) -> dict[tuple[str | None, str], Area]:
    """Return the city each group meets in, for its online meetings."""
    places: dict[tuple[str | None, str], Area] = {}
    for resource in catalog.active():
        key = _group_key(resource)
        location = resource.location
        if key is None or location is None or not location.city or key in places:
            continue
        places[key] = Area(location.city, location.state, location.country or "")
    country = catalog.directory.country
    return {k: Area(a.city, a.state, a.country or country) for k, a in places.items()}


def meeting_records(
    resource: Resource,
    url: str,
    country: str = "US",
    own_codes: bool = True,
    area: Area | None = None,
) -> list[dict[str, Any]]:
    """Return the Meeting Guide records of one meeting.

    `own_codes`: type codes as the meeting's fellowship uses them (a feed of that fellowship);
    otherwise as the Meeting Guide spec reads them (a feed of every fellowship).
    """
    base = _meeting_base(resource, url, country, own_codes, area or Area(None, None, country))
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
        records.append({"slug": slug, **base, **window_fields(window)})
    return records


def window_fields(window: Window) -> dict[str, Any]:
    """Return `day`, `time` and the end of one weekly window, as readers compute times."""
    fields: dict[str, Any] = {"day": window.day, "time": hh_mm(window.start)}
    if window.end < MINUTES_PER_DAY:
        fields["end_time"] = hh_mm(window.end)
    else:
        fields["end_time_next_day"] = hh_mm(window.end)
    return fields


def window_slug(resource_id: str, window: Window) -> str:
    """Return the slug of one weekly time of a meeting that meets more than once a week."""
    return f"{resource_id}-{DAYS[window.day]}-{hh_mm(window.start).replace(':', '')}"


def _meeting_base(
    resource: Resource, url: str, country: str, own_codes: bool, area: Area
) -> dict[str, Any]:
    own = meeting_types(resource)
    types = own if own_codes else spec_types(resource.fellowship, own)
    record: dict[str, Any] = {
        "name": resource.name,
        "timezone": resource.timezone,
        "types": types,
    }
    if resource.fellowship:
        record["fellowship"] = resource.fellowship
    if types != own:
        record["fellowship_types"] = own
    place = {}
    if resource.location is not None and (resource.attendance != "online" or _closed(resource)):
        place = _meeting_place(resource.location, country)
    elif resource.location is not None:
        place = _meeting_area(resource.location, country)  # online: only the town it is in
    if "formatted_address" not in place:
        # The area stands in (a point of its own is kept), and says so: an importer must not
        # take the town of its group or of the directory for the meeting's own.
        place.update(area.fields())
        place[STAND_IN_PLACE] = "yes"
    record.update(place)
    record["attendance_option"] = resource.attendance
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
        "languages": list(resource.languages) if resource.languages != ("en",) else None,
        "accessibility": list(resource.accessibility),
        "populations": list(resource.populations),
    }
    record.update({k: v for k, v in optional.items() if v})
    return record


def _closed(resource: Resource) -> bool:
    """True when the meeting has a place that is temporarily closed (shown with TC)."""
    return resource.location is not None and CLOSED_TYPE in meeting_types(resource)


def _meeting_place(location: Location, country: str) -> dict[str, Any]:
    street = location.address  # a private place has none: its point is only approximate
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
    # The street alone in `address` (geocoders stumble on "Room 4"); all of it in the one line.
    second = location.address_2 if street else None
    town = " ".join(p for p in (location.state, location.postal_code) if p)
    parts = (street, second, location.city, town) if (street or location.city) else ()
    formatted = ", ".join(p for p in (*parts, place["country"]) if p) if parts else None
    place["formatted_address"] = formatted
    if location.approximate or not street:
        place["approximate"] = "yes"
    if location.lat is not None and location.lon is not None:
        place["latitude"], place["longitude"] = location.lat, location.lon
    return {k: v for k, v in place.items() if v is not None and v != ""}


def _meeting_area(location: Location, country: str) -> dict[str, Any]:
    """Return the town fields of an online meeting's own location (no street, no point)."""
    if not location.city:
        return {}
    place = {
        "city": location.city,
        "state": location.state,
        "postal_code": location.postal_code,
        "country": location.country or country,
        "region": location.region,
        "sub_region": location.sub_region,
    }
    town = " ".join(p for p in (location.state, location.postal_code) if p)
    place["formatted_address"] = ", ".join(p for p in (location.city, town, place["country"]) if p)
    place["approximate"] = "yes"
    return {k: v for k, v in place.items() if v}


def meeting_types(resource: Resource) -> list[str]:
    """Return a meeting's type codes as its fellowship uses them, with what other fields say.

    Attendance (`TC`), languages (`S`, `RUS`...) and accessibility (`X`, `BA`...) are added
    from their own fields when the fellowship has a code for them.
    """
    codes = [c for c in resource.types if c != LEGACY_ONLINE_TYPE]
    if resource.status == "temporarily-closed" and resource.location is not None:
        codes.append(CLOSED_TYPE)
    known = vocabulary.known_types(resource.fellowship)
    for language in resource.languages:
        code = language_type(language, resource.fellowship, known)
        if code:
            codes.append(code)
    for word in resource.accessibility:
        code = ACCESSIBILITY_TYPES.get(word)
        if code in known:
            codes.append(code)
    return list(dict.fromkeys(codes))


def spec_types(fellowship: str | None, codes: Iterable[str]) -> list[str]:
    """Return a fellowship's codes as the Meeting Guide spec (A.A.'s reading) has them.

    A code that means the same is kept; one that means something else in the fellowship is
    replaced by the spec's code of that meaning, or left out when the spec has none.
    """
    out = (_spec_code(fellowship, code) for code in codes)
    return list(dict.fromkeys(code for code in out if code is not None))


@cache
def _spec_code(fellowship: str | None, code: str) -> str | None:
    """The spec's code for what `code` means in `fellowship` (the vocabulary never changes, and
    a national feed asks this half a million times)."""
    meaning = vocabulary.type_name(fellowship, code, "en")
    if meaning == vocabulary.type_name(None, code, "en"):
        return code
    return _spec_codes_by_name().get(meaning.casefold())


@cache
def _spec_codes_by_name() -> dict[str, str]:
    return {
        vocabulary.type_name(None, c, "en").casefold(): c for c in vocabulary.meeting_guide_types()
    }
