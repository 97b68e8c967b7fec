"""Domain objects for the directory: what the resource file means once it is validated.

These are plain, immutable values. Nothing here knows about YAML, Flask or Whoosh.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from directory.core.schedule import Schedule
from directory.core.sharing import share_fields


@dataclass(frozen=True)
class Point:
    lat: float
    lon: float


@dataclass(frozen=True)
class CrisisLine:
    name: str
    phone: str | None = None
    text: str | None = None
    url: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class DirectoryInfo:
    name: str
    timezone: str
    country: str = "US"
    center: Point | None = None
    crisis_lines: tuple[CrisisLine, ...] = ()
    maintainers_email: str | None = None


# Fields whose values repeat across a directory, kept once each (core/sharing.py).
LOCATION_SHARED_FIELDS = ("city", "state", "postal_code", "country", "region", "sub_region")


@dataclass(frozen=True)
class Location:
    id: str | None = None  # the key under `locations:` when shared, else None
    line: int = 0  # line of a shared location's key in the resource file
    name: str | None = None
    address: str | None = None
    address_2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    lat: float | None = None
    lon: float | None = None
    approximate: bool = False
    region: str | None = None
    sub_region: str | None = None
    notes: str | None = None

    def __post_init__(self) -> None:
        share_fields(self, LOCATION_SHARED_FIELDS)

    @property
    def is_place_to_go(self) -> bool:
        """True when there is a door to go to: a street address or a point on the map.

        A location with only a town or an area says where an online group is based.
        """
        return bool(self.address) or self.point is not None

    @property
    def point(self) -> Point | None:
        if self.lat is None or self.lon is None:
            return None
        return Point(self.lat, self.lon)

    @property
    def shows_address(self) -> bool:
        """False for a private place: only near a point, with no street address published."""
        return bool(self.address) or not self.approximate

    def one_line(self) -> str:
        """Return the address on one line, as a person would write it."""
        street = ", ".join(p for p in (self.address, self.address_2) if p)
        town = " ".join(p for p in (self.state, self.postal_code) if p)
        return ", ".join(p for p in (street, self.city, town) if p)


@dataclass(frozen=True)
class Online:
    url: str | None = None
    phone: str | None = None
    notes: str | None = None


# The texts of a resource that may be given in more than one language (`translations:`).
TRANSLATED_FIELDS = ("name", "description", "hours_notes")
# Fields whose values repeat across a directory, kept once each (core/sharing.py).
RESOURCE_SHARED_FIELDS = (
    "category", "dimensions", "timezone", "status", "schedule", "languages", "accessibility",
    "payment", "populations", "services", "medications", "tags", "last_verified", "fellowship",
    "types", "group", "text_language",
)  # fmt: skip
NO_TRANSLATIONS: dict = {}  # shared by every resource without any (never modified)


@dataclass(frozen=True)
class Resource:
    id: str
    name: str
    category: str
    dimensions: tuple[str, ...]
    timezone: str
    line: int = 0  # line of the entry in the resource file, for messages
    description: str | None = None
    organization: str | None = None
    status: str = "active"
    location: Location | None = None
    online: Online | None = None
    phone: str | None = None
    text: str | None = None
    email: str | None = None
    website: str | None = None
    schedule: Schedule | None = None
    hours_notes: str | None = None
    languages: tuple[str, ...] = ("en",)
    accessibility: tuple[str, ...] = ()
    payment: tuple[str, ...] = ()
    populations: tuple[str, ...] = ()
    eligibility: str | None = None
    services: tuple[str, ...] = ()
    medications: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    last_verified: date | None = None
    fellowship: str | None = None
    types: tuple[str, ...] = ()
    group: str | None = None
    # The language the file's own text is written in, and the same text in other languages:
    # {"es": {"name": ..., "description": ..., "hours_notes": ...}} (TRANSLATED_FIELDS).
    text_language: str = "en"
    translations: dict = field(default_factory=dict, compare=False, repr=False)
    # The entry as in the file, as compact JSON (UTF-8): one object instead of a tree of them,
    # read only when the API gives a record (`raw`).
    source: bytes = field(default=b"", compare=False, repr=False)

    def __post_init__(self) -> None:
        share_fields(self, RESOURCE_SHARED_FIELDS)
        if not self.translations:
            object.__setattr__(self, "translations", NO_TRANSLATIONS)

    @property
    def raw(self) -> dict[str, Any]:
        """Return the entry as written in the file (plain JSON values), or {} if not kept."""
        return json.loads(self.source) if self.source else {}

    def text_in(self, field_name: str, language: str) -> tuple[str | None, str]:
        """Return a text field in `language` when the file has it, else as written: (text, its
        language)."""
        translated = (self.translations.get(language) or {}).get(field_name)
        if translated:
            return translated, language
        return getattr(self, field_name), self.text_language

    @property
    def is_meeting(self) -> bool:
        return self.category == "meeting"

    @property
    def active(self) -> bool:
        return self.status != "inactive"

    @property
    def point(self) -> Point | None:
        return self.location.point if self.location else None

    @property
    def attendance(self) -> str:
        """Return `in_person`, `online`, `hybrid` or `inactive` (Meeting Guide's words).

        `online` covers anything reached remotely (a video link or a phone line) with no place
        to go to. A temporarily closed place that still meets online counts as online.
        """
        has_place = self.location is not None and self.location.is_place_to_go
        has_online = self.online is not None and bool(self.online.url or self.online.phone)
        closed = self.status == "temporarily-closed" or "TC" in self.types
        if closed:
            return "online" if has_online else "inactive"
        if has_place and has_online:
            return "hybrid"
        if has_online:
            return "online"
        return "in_person"

    @property
    def online_only(self) -> bool:
        """True when the resource has no place to measure a distance to."""
        return self.point is None or self.attendance == "online"


@dataclass(frozen=True)
class Feed:
    """An imported feed the resource file declares: fetched by `sync` into feeds/<name>.yaml."""

    name: str
    source: str  # an http(s) URL, or a path relative to the resource file's folder
    fellowship: str
    prefix: str  # every id the feed brings starts with `<prefix>-`
    timezone: str | None = None
    format: str = "meeting-guide"


@dataclass(frozen=True)
class Catalog:
    directory: DirectoryInfo
    resources: tuple[Resource, ...]
    locations: dict[str, Location]
    fingerprint: str
    path: str = ""
    warnings: tuple = ()  # datafile.load.Problem: what loading warned about
    feeds: tuple[Feed, ...] = ()  # the imported feeds the file declares, merged in
    # Where the resources were read, in order: (file, how many), the resource file's own first,
    # then each feed file's; line numbers are those of that file. Empty: all from `path`.
    files: tuple[tuple[str, int], ...] = ()
    _by_id: dict[str, Resource] = field(default_factory=dict, repr=False, compare=False)
    # towns() and regions(), computed once: they walk every resource, and kept in the catalog
    # cache with it so that a restart does not walk them again.
    _places: dict[str, dict] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        self._by_id.update({r.id: r for r in self.resources})

    def by_id(self, resource_id: str) -> Resource | None:
        return self._by_id.get(resource_id)

    def by_file(self) -> Iterator[tuple[str, Resource]]:
        """Yield each resource with the file it was read from (its `line` is in that file)."""
        runs = self.files or ((self.path, len(self.resources)),)
        resources = iter(self.resources)
        for path, count in runs:
            for resource in itertools.islice(resources, count):
                yield path, resource

    def active(self) -> tuple[Resource, ...]:
        """Return the resources shown to people (temporarily closed ones included)."""
        return tuple(r for r in self.resources if r.active)

    def towns(self) -> dict[tuple[str, str | None], tuple[float, float, str]]:
        """Return each (town, state) and sub-region with the centre of its located resources
        and the time zone most of them keep."""
        found = self._places.get("towns")
        if found is None:
            found = self._places["towns"] = self._towns()
        return found

    def _towns(self) -> dict[tuple[str, str | None], tuple[float, float, str]]:
        return self._place_centres()[0]

    def regions(self) -> dict[str, tuple[float, float]]:
        """Return each region name with the centre of its located resources."""
        found = self._places.get("regions")
        if found is None:
            found = self._places["regions"] = self._regions()
        return found

    def _regions(self) -> dict[str, tuple[float, float]]:
        return self._place_centres()[1]

    def _place_centres(self) -> tuple[dict, dict]:
        """Return (towns, regions) from one pass over the located active resources.

        Each centre is the plain `sum` of its resources' coordinates in file order divided by
        their number, and a town's zone the one most of them keep, as always; every reload
        builds the gazetteer of its version, so this reads the fields instead of making Points.
        """
        towns: dict[tuple[str, str | None], tuple[list, list, list]] = {}
        regions: dict[str, tuple[list, list]] = {}
        for resource in self.resources:
            loc = resource.location
            if loc is None or loc.lat is None or loc.lon is None or not resource.active:
                continue
            lat, lon = loc.lat, loc.lon
            for name in (loc.city, loc.sub_region):
                if name:
                    lists = towns.get((name, loc.state))
                    if lists is None:
                        lists = towns[(name, loc.state)] = ([], [], [])
                    lists[0].append(lat)
                    lists[1].append(lon)
                    lists[2].append(resource.timezone)
            if loc.region:
                pair = regions.get(loc.region)
                if pair is None:
                    pair = regions[loc.region] = ([], [])
                pair[0].append(lat)
                pair[1].append(lon)
        town_centres = {}
        for key, (lats, lons, zones) in towns.items():
            zone = max(set(zones), key=zones.count)
            town_centres[key] = (sum(lats) / len(lats), sum(lons) / len(lons), zone)
        region_centres = {
            name: (sum(lats) / len(lats), sum(lons) / len(lons))
            for name, (lats, lons) in regions.items()
        }
        self._places.setdefault("towns", town_centres)  # both from the one pass
        self._places.setdefault("regions", region_centres)
        return town_centres, region_centres
