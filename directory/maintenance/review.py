"""What in the resource file needs a maintainer's attention: a pure review of a Catalog.

Only resources people can see are reviewed (inactive ones are hidden and left alone). Each
finding names the file line of the resource and its id, so `check` reads like `validate`.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from directory.core import geo, places
from directory.core.model import Catalog, Resource
from directory.core.schedule import format_time

DEFAULT_STALE_DAYS = 180
DUPLICATE_RADIUS_MILES = 0.2  # two entries with similar names this close are probably one place
SAME_VENUE_MILES = 0.05  # ~80 m: the same building, for meetings at the same time
NAME_SIMILARITY = 0.85  # difflib ratio of folded names
FAR_FROM_ZIP_MILES = 3.0
DAY_NAMES = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
# Words that make two names look different without telling two places apart.
NAME_NOISE = frozenset({"the", "a", "an", "of", "and", "group", "meeting", "inc", "llc"})

KINDS = (
    "never-verified",
    "stale",
    "duplicate",
    "same-time",
    "no-times",
    "unreachable",
    "cannot-be-placed",
    "far-from-zip",
)


@dataclass(frozen=True)
class Finding:
    kind: str  # one of KINDS
    path: str
    line: int
    resource_id: str
    message: str
    related: tuple[str, ...] = ()  # other resource ids involved (duplicates)

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.kind}: resource '{self.resource_id}': {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "line": self.line,
            "resource_id": self.resource_id,
            "message": self.message,
            "related": list(self.related),
        }


def review(catalog: Catalog, today: date, days: int = DEFAULT_STALE_DAYS) -> list[Finding]:
    """Return everything that needs attention, by file (the resource file first) and line."""
    shown = [(path, r) for path, r in catalog.by_file() if r.active]
    findings: list[Finding] = []
    for path, resource in shown:
        findings.extend(_verification(path, resource, today, days))
        if resource.is_meeting and resource.schedule is None:
            findings.append(_finding("no-times", path, resource, "a meeting with no schedule"))
        if not _reachable(resource):
            findings.append(
                _finding(
                    "unreachable",
                    path,
                    resource,
                    "no address, phone, text, email, website or online link: nobody can reach it",
                )
            )
        if _unplaced(resource):
            findings.append(
                _finding(
                    "cannot-be-placed",
                    path,
                    resource,
                    "met in person but has no point: it is never found by distance; add lat and"
                    " lon (flask geocode) or a postal code",
                )
            )
        far = _far_from_zip(resource)
        if far:
            findings.append(_finding("far-from-zip", path, resource, far))
    duplicates = _duplicates(shown)
    findings.extend(duplicates)
    reported = {(f.related[0], f.resource_id) for f in duplicates}
    findings.extend(_same_time(shown, reported))
    order = {path: n for n, (path, _) in enumerate(catalog.files)}
    return sorted(
        findings, key=lambda f: (order.get(f.path, 0), f.line, KINDS.index(f.kind), f.resource_id)
    )


def _finding(kind: str, path: str, resource: Resource, message: str, related=()) -> Finding:
    return Finding(kind, path, resource.line, resource.id, message, tuple(related))


def _verification(path: str, resource: Resource, today: date, days: int) -> Iterable[Finding]:
    verified = resource.last_verified
    if verified is None:
        yield _finding("never-verified", path, resource, "never verified (no last_verified)")
    elif (today - verified).days > days:
        age = (today - verified).days
        yield _finding(
            "stale",
            path,
            resource,
            f"last verified {verified.isoformat()}, {age} days ago (more than {days})",
        )


def _unplaced(resource: Resource) -> bool:
    """True for a place people go to (not online only) that has no point on the map."""
    location = resource.location
    in_person = resource.attendance in ("in_person", "hybrid")
    return in_person and location is not None and location.point is None


def _reachable(resource: Resource) -> bool:
    loc = resource.location
    online = resource.online
    return bool(
        (loc is not None and loc.address)
        or resource.phone
        or resource.text
        or resource.email
        or resource.website
        or (online is not None and (online.url or online.phone))
    )


def _far_from_zip(resource: Resource) -> str | None:
    loc = resource.location
    if loc is None or loc.point is None or not loc.postal_code or loc.approximate:
        return None
    centre = places.zip_point(loc.postal_code)
    if centre is None:
        return None
    miles = geo.haversine_miles(centre[0], centre[1], loc.lat, loc.lon)
    if miles <= FAR_FROM_ZIP_MILES:
        return None
    where = f"shared location '{loc.id}'" if loc.id else "its location"
    return (
        f"{where} at {loc.lat}, {loc.lon} is {miles:.1f} miles from the centre of ZIP code"
        f" {loc.postal_code}; check the coordinates or the ZIP code, or mark it approximate"
    )


def fold_name(name: str) -> str:
    """Return a name reduced to its telling words, for comparing names."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    text = text.replace("&", " and ")
    words = [w for w in re.split(r"[^a-z0-9]+", text) if w and w not in NAME_NOISE]
    return " ".join(words)


def similar_names(a: str, b: str) -> bool:
    """Return True when two names probably mean the same thing."""
    fa, fb = fold_name(a), fold_name(b)
    if not fa or not fb:
        return a.strip().casefold() == b.strip().casefold()
    return fa == fb or difflib.SequenceMatcher(None, fa, fb).ratio() >= NAME_SIMILARITY


def _nearby_pairs(resources: list[Resource], miles: float) -> Iterable[tuple[Resource, Resource]]:
    """Yield each pair of located resources within `miles`, through geohash cells (not n^2)."""
    precision = geo.choose_precision(miles)
    cells: dict[str, list[Resource]] = defaultdict(list)
    located = [r for r in resources if r.point is not None]
    for resource in located:
        cells[geo.geohash_encode(resource.point.lat, resource.point.lon, precision)].append(
            resource
        )
    order = {r.id: i for i, r in enumerate(located)}
    for resource in located:
        p = resource.point
        for cell in geo.geohash_cells_covering(p.lat, p.lon, miles, precision):
            for other in cells.get(cell, ()):
                if order[other.id] <= order[resource.id]:
                    continue  # each pair once
                q = other.point
                if geo.haversine_miles(p.lat, p.lon, q.lat, q.lon) <= miles:
                    yield resource, other


def _other(files: dict[str, str], other: Resource, path: str) -> str:
    """Name where `other` is, for a finding in `path`: its line, with its file if another."""
    where = files[other.id]
    return f"line {other.line}" if where == path else f"{where}:{other.line}"


def _duplicates(shown: list[tuple[str, Resource]]) -> list[Finding]:
    files = {r.id: path for path, r in shown}
    findings = []
    for a, b in _nearby_pairs([r for _, r in shown], DUPLICATE_RADIUS_MILES):
        if not similar_names(a.name, b.name):
            continue
        if a.is_meeting and b.is_meeting and a.schedule and b.schedule:
            if not _slots(a) & _slots(b):
                continue  # one group's meetings on different days: one entry per meeting
        miles = geo.haversine_miles(a.point.lat, a.point.lon, b.point.lat, b.point.lon)
        path = files[b.id]
        findings.append(
            _finding(
                "duplicate",
                path,
                b,
                f"looks like a duplicate of '{a.id}' ({_other(files, a, path)}): similar name,"
                f" {miles:.2f} miles apart",
                [a.id],
            )
        )
    return findings


def _slots(resource: Resource) -> set[tuple[int, int]]:
    if resource.schedule is None:
        return set()
    return {(w.day, w.start) for w in resource.schedule.windows}


def _same_time(shown: list[tuple[str, Resource]], reported: set[tuple[str, str]]) -> list[Finding]:
    """Find meetings at the same venue (place or online link) starting at the same time."""
    files = {r.id: path for path, r in shown}
    resources = [r for _, r in shown]
    meetings = [r for r in resources if r.is_meeting and r.schedule is not None]
    pairs = set(reported)  # pairs already reported as duplicates are not reported twice
    by_venue: dict[str, list[Resource]] = defaultdict(list)
    for meeting in meetings:
        for venue in _venues(meeting):
            by_venue[venue].append(meeting)
    candidates = [
        (a, b) for group in by_venue.values() for i, a in enumerate(group) for b in group[i + 1 :]
    ]
    candidates += list(_nearby_pairs([m for m in meetings if m.location], SAME_VENUE_MILES))
    order = {r.id: i for i, r in enumerate(resources)}
    findings = []
    for a, b in candidates:
        if order[a.id] > order[b.id]:
            a, b = b, a
        if a.id == b.id or (a.id, b.id) in pairs:
            continue
        shared = sorted(_slots(a) & _slots(b))
        if not shared:
            continue
        pairs.add((a.id, b.id))
        day, start = shared[0]
        path = files[b.id]
        findings.append(
            _finding(
                "same-time",
                path,
                b,
                f"meets at the same place and time as '{a.id}' ({_other(files, a, path)}):"
                f" {DAY_NAMES[day]} {format_time(start)}",
                [a.id],
            )
        )
    return findings


def _venues(resource: Resource) -> list[str]:
    """Return keys that identify where a meeting happens (place id, address, online link)."""
    venues = []
    loc = resource.location
    if loc is not None:
        if loc.id:
            venues.append(f"location:{loc.id}")
        if loc.address:
            venues.append(f"address:{fold_name(loc.address)}|{fold_name(loc.city or '')}")
    online = resource.online
    if online is not None and online.url:
        venues.append(f"url:{online.url.strip().rstrip('/').casefold()}")
    return venues
