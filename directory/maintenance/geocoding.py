"""Fill in missing coordinates from addresses through a geopy geocoder, politely and once.

Decisions, so a maintainer can predict the result:

- Targets are shared `locations:` entries and the inline locations of resources that are not
  inactive, when they have no `lat`/`lon`. The query is street, city, state and postal code
  (`address_2` is left out: a suite number only confuses a geocoder), limited to the country.
- Every answer, "not found" included, is cached in a JSON file, keyed by provider, country and
  the folded query, so an address is never sent twice. Failures (timeouts, HTTP errors) are not
  answers and are not cached.
- A match that is only a street or a place (Nominatim's `place_rank` below 28, or its
  `addresstype`/`class`/`type` saying so) is marked `approximate: true`.
- Public services' usage policies are kept: a real user agent is required (geopy's default is
  refused) and requests are at least `MIN_PUBLIC_DELAY_SECONDS` apart on a public host.
- HTTP 429, 403, an unreachable server, or `MAX_CONSECUTIVE_FAILURES` failures in a row stop
  the run; any other failure is reported for its address and the run goes on.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from geopy import exc as geopy_exc
from geopy.adapters import URLLibAdapter
from geopy.geocoders import Nominatim, Photon
from geopy.geocoders.base import Geocoder

from directory.core.model import Catalog, Location
from directory.datafile import editing

CACHE_VERSION = 1
DEFAULT_TIMEOUT_SECONDS = 10.0
MIN_PUBLIC_DELAY_SECONDS = 1.0  # Nominatim's usage policy: an absolute maximum of 1 request/s
MAX_CONSECUTIVE_FAILURES = 3  # a service failing this often in a row is down, not unlucky
PUBLIC_HOSTS = {"nominatim": "nominatim.openstreetmap.org", "photon": "photon.komoot.io"}
PROVIDERS = ("nominatim", "photon")
EXACT = "address"  # a precision good enough to stand at the door

# Nominatim place_rank (search rank): 26-27 streets, 28 and above house numbers, buildings, POIs.
NOMINATIM_EXACT_RANK = 28
NOMINATIM_STREET_RANK = 26
STREET_ADDRESSTYPES = frozenset({"road", "street", "highway", "path", "footway", "cycleway"})
EXACT_ADDRESSTYPES = frozenset({"house", "building", "amenity", "shop", "office"})
PHOTON_EXACT_TYPES = frozenset({"house"})
PHOTON_STREET_TYPES = frozenset({"street"})


class GeocodingRefused(ValueError):
    """The geocoder cannot be used as configured (user agent, delay, provider, URL)."""


@dataclass(frozen=True)
class Target:
    """A location without coordinates, and the address to look it up by."""

    kind: str  # "location" (an entry under `locations:`) or "resource" (an inline location)
    id: str
    line: int
    query: str
    country: str
    location: Location

    @property
    def label(self) -> str:
        return f"{self.kind} '{self.id}'"


@dataclass(frozen=True)
class Answer:
    """What the geocoder said about one address; this is what the cache keeps."""

    found: bool
    lat: float | None = None
    lon: float | None = None
    precision: str | None = None  # "address", "street", "area" or "unknown"
    display_name: str | None = None

    @property
    def approximate(self) -> bool:
        return self.found and self.precision != EXACT

    def as_dict(self) -> dict[str, Any]:
        return {
            "found": self.found,
            "lat": self.lat,
            "lon": self.lon,
            "precision": self.precision,
            "display_name": self.display_name,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Answer:
        found = data.get("found") is True
        lat, lon = data.get("lat"), data.get("lon")
        if found and not (isinstance(lat, int | float) and isinstance(lon, int | float)):
            raise ValueError("a found answer needs numeric lat and lon")
        return cls(
            found=found,
            lat=float(lat) if found else None,
            lon=float(lon) if found else None,
            precision=str(data.get("precision") or "unknown") if found else None,
            display_name=data.get("display_name") if found else None,
        )


@dataclass(frozen=True)
class Outcome:
    """One target's result in a run: an answer (maybe from the cache) or an error."""

    target: Target
    answer: Answer | None = None
    cached: bool = False
    error: str | None = None

    @property
    def status(self) -> str:
        if self.error is not None:
            return "error"
        if self.answer is None:
            return "skipped"  # nothing to look up
        return "found" if self.answer.found else "not-found"

    def as_dict(self) -> dict[str, Any]:
        answer = self.answer
        return {
            "kind": self.target.kind,
            "id": self.target.id,
            "line": self.target.line,
            "query": self.target.query,
            "status": self.status,
            "cached": self.cached,
            "lat": answer.lat if answer else None,
            "lon": answer.lon if answer else None,
            "approximate": answer.approximate if answer else None,
            "precision": answer.precision if answer else None,
            "display_name": answer.display_name if answer else None,
            "error": self.error,
        }


@dataclass
class Run:
    """The outcome of every target looked at, and why the run stopped early, if it did."""

    outcomes: list[Outcome] = field(default_factory=list)
    stopped: str | None = None
    requests: int = 0
    not_reached: list[Target] = field(default_factory=list)  # left when the run stopped

    def with_status(self, status: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]


# --- targets -------------------------------------------------------------------------------------


def query_for(location: Location) -> str:
    """Return the one-line address a geocoder is asked for (no suite or floor)."""
    town = " ".join(p for p in (location.state, location.postal_code) if p)
    return ", ".join(p.strip() for p in (location.address, location.city, town) if p and p.strip())


def find_targets(catalog: Catalog) -> list[Target]:
    """Return the resource file's locations that have no coordinates, shared ones first.

    Only the curated file's: a feed file is written by `sync`, which would drop coordinates
    written into it (see `feed_entries_without_coordinates`).
    """
    default_country = catalog.directory.country
    targets = []
    for loc_id, loc in catalog.locations.items():
        if loc.point is None:
            country = loc.country or default_country
            targets.append(Target("location", loc_id, loc.line, query_for(loc), country, loc))
    for path, resource in catalog.by_file():
        if path == catalog.path and _needs_point(resource):
            loc = resource.location
            query, country = query_for(loc), loc.country or default_country
            targets.append(Target("resource", resource.id, resource.line, query, country, loc))
    return targets


def feed_entries_without_coordinates(catalog: Catalog) -> dict[str, int]:
    """Return, by feed file, how many shown entries have an address but no coordinates."""
    counts: dict[str, int] = {}
    for path, resource in catalog.by_file():
        if path != catalog.path and _needs_point(resource):
            counts[path] = counts.get(path, 0) + 1
    return counts


def _needs_point(resource) -> bool:
    loc = resource.location
    return loc is not None and loc.id is None and loc.point is None and resource.active


# --- the geocoder -------------------------------------------------------------------------------


def _default_user_agents() -> set[str]:
    from geopy.geocoders import options
    from geopy.geocoders.base import _DEFAULT_USER_AGENT  # the one geopy sends if told nothing

    return {_DEFAULT_USER_AGENT, str(options.default_user_agent), "my-application", "my_app/1"}


def check_user_agent(user_agent: str | None) -> str:
    """Return the user agent, or refuse one that does not identify this directory."""
    ua = (user_agent or "").strip()
    if not ua:
        raise GeocodingRefused(
            "a user agent that identifies your directory is required (the geocoding services'"
            " usage policies ask for one), e.g. --user-agent 'sample-county-recovery-directory/1.0"
            " (maintainers@example.org)' or DIRECTORY_GEOCODER_USER_AGENT"
        )
    if ua in _default_user_agents() or ua.lower().startswith(("geopy/", "python-urllib")):
        raise GeocodingRefused(
            f"'{ua}' is a library's default user agent; the usage policy of public geocoders"
            " forbids it. Name your directory and a contact address instead."
        )
    if any(c in ua for c in "\r\n"):
        raise GeocodingRefused("the user agent must be one line")
    return ua


def parse_server(url: str | None, domain: str | None) -> tuple[str | None, str | None]:
    """Return (scheme, host[:port]) from --url or --domain; None, None for the public service."""
    if url and domain:
        raise GeocodingRefused("give --url or --domain, not both")
    if domain:
        if "/" in domain or not domain.strip():
            raise GeocodingRefused(f"--domain '{domain}' should be a host name, like example.org")
        return "https", domain.strip()
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise GeocodingRefused(f"--url '{url}' should look like https://nominatim.example.org")
        return parts.scheme, parts.netloc + parts.path.rstrip("/")
    return None, None


def make_geocoder(
    provider: str,
    user_agent: str | None,
    *,
    scheme: str | None = None,
    domain: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    min_delay_seconds: float = MIN_PUBLIC_DELAY_SECONDS,
) -> Geocoder:
    """Return a geopy geocoder, refusing settings that break the service's usage policy."""
    if provider not in PROVIDERS:
        raise GeocodingRefused(f"unknown provider '{provider}'; use one of {', '.join(PROVIDERS)}")
    ua = check_user_agent(user_agent)
    host = domain or PUBLIC_HOSTS[provider]
    if host == PUBLIC_HOSTS[provider] and min_delay_seconds < MIN_PUBLIC_DELAY_SECONDS:
        raise GeocodingRefused(
            f"{host} allows at most one request per second; --min-delay-seconds must be at"
            f" least {MIN_PUBLIC_DELAY_SECONDS:g}"
        )
    kwargs: dict[str, Any] = {
        "user_agent": ua,
        "timeout": timeout,
        "domain": host,
        # urllib makes exactly one request per call: no hidden retries behind the rate limit.
        "adapter_factory": URLLibAdapter,
    }
    if scheme:
        kwargs["scheme"] = scheme
    cls = Nominatim if provider == "nominatim" else Photon
    try:
        return cls(**kwargs)
    except geopy_exc.ConfigurationError as exc:
        raise GeocodingRefused(str(exc)) from None


def nominatim_precision(raw: Mapping[str, Any]) -> str:
    """Return how precise a Nominatim result is: address, street, area or unknown."""
    rank = raw.get("place_rank")
    try:
        rank = int(rank) if rank is not None else None
    except (TypeError, ValueError):
        rank = None
    cls = raw.get("class") or raw.get("category")  # "category" in format=jsonv2
    kind = raw.get("type")
    addresstype = raw.get("addresstype")
    if cls == "highway" and kind not in ("bus_stop", "platform"):
        return "street"  # a road, whatever its rank says
    if addresstype in STREET_ADDRESSTYPES:
        return "street"
    if rank is not None:
        if rank >= NOMINATIM_EXACT_RANK:
            return EXACT
        return "street" if rank >= NOMINATIM_STREET_RANK else "area"
    if cls == "place" and kind in ("house", "houses"):
        return EXACT
    if cls in ("place", "boundary") or addresstype in ("city", "town", "village", "postcode"):
        return "area"
    if cls == "building" or addresstype in EXACT_ADDRESSTYPES:
        return EXACT
    return "unknown"


def photon_precision(raw: Mapping[str, Any]) -> str:
    """Return how precise a Photon (GeoJSON feature) result is."""
    props = raw.get("properties") or {}
    kind = props.get("type")
    if kind in PHOTON_EXACT_TYPES or props.get("housenumber"):
        return EXACT
    if kind in PHOTON_STREET_TYPES:
        return "street"
    return "area" if kind else "unknown"


def ask(geocoder: Geocoder, target: Target) -> Answer:
    """Send one query; raise geopy's exceptions on failure."""
    if isinstance(geocoder, Nominatim):
        found = geocoder.geocode(
            target.query, exactly_one=True, country_codes=target.country.lower() or None
        )
        classify: Callable[[Mapping[str, Any]], str] = nominatim_precision
    else:
        found = geocoder.geocode(target.query, exactly_one=True)
        classify = photon_precision
    if found is None:
        return Answer(found=False)
    raw = found.raw if isinstance(found.raw, Mapping) else {}
    return Answer(
        found=True,
        lat=round(float(found.latitude), 6),  # ~10 cm; more digits are noise in a diff
        lon=round(float(found.longitude), 6),
        precision=classify(raw),
        display_name=str(found.address) if found.address else None,
    )


# --- the cache ----------------------------------------------------------------------------------


class GeocodeCache:
    """Every answer a geocoder gave, in a JSON file, saved atomically after each new answer."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self.entries: dict[str, dict[str, Any]] = {}
        if self.path.exists():
            self._read()

    def _read(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise GeocodingRefused(
                f"{self.path}: the geocode cache cannot be read ({exc}); move it aside"
            ) from None
        if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
            raise GeocodingRefused(f"{self.path}: not a version {CACHE_VERSION} geocode cache")
        entries = data.get("entries")
        self.entries = dict(entries) if isinstance(entries, dict) else {}

    @staticmethod
    def key(provider: str, target: Target) -> str:
        return f"{provider}|{target.country.lower()}|{' '.join(target.query.casefold().split())}"

    def get(self, key: str) -> Answer | None:
        entry = self.entries.get(key)
        if not isinstance(entry, dict):
            return None
        try:
            return Answer.from_dict(entry)
        except ValueError:
            return None  # a damaged entry is asked again rather than trusted

    def put(self, key: str, answer: Answer, now: datetime | None = None) -> None:
        stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
        self.entries[key] = {**answer.as_dict(), "at": stamp}
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"version": CACHE_VERSION, "entries": self.entries}, indent=1)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".geocode-cache.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text + "\n")
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


# --- the run ------------------------------------------------------------------------------------


def _failure(exc: Exception) -> tuple[str, bool]:
    """Return a message for a failed request and whether the run must stop."""
    if isinstance(exc, geopy_exc.GeocoderRateLimited):
        wait = f"; the server asks to wait {exc.retry_after:g} s" if exc.retry_after else ""
        return f"the geocoder refused: too many requests (HTTP 429){wait}", True
    if isinstance(exc, geopy_exc.GeocoderQuotaExceeded):
        return "the geocoder's quota is used up", True
    if isinstance(
        exc, geopy_exc.GeocoderInsufficientPrivileges | geopy_exc.GeocoderAuthenticationFailure
    ):
        return f"the geocoder refused access (is the user agent blocked?): {exc}", True
    unreachable = ("connection refused", "name or service not known", "no route to host")
    if isinstance(exc, geopy_exc.GeocoderUnavailable) or any(
        words in str(exc).lower() for words in unreachable
    ):
        return f"the geocoder cannot be reached: {exc}", True
    if isinstance(exc, geopy_exc.GeocoderTimedOut):
        return f"no answer in time ({exc})", False
    return f"the geocoder failed: {exc}", False


def geocode_targets(
    targets: Sequence[Target],
    geocoder: Geocoder,
    cache: GeocodeCache,
    provider: str,
    min_delay_seconds: float = MIN_PUBLIC_DELAY_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    progress: Callable[[Outcome], None] | None = None,
) -> Run:
    """Look up each target (cache first), at most one request per `min_delay_seconds`."""
    run = Run()
    last_request: float | None = None
    failures_in_a_row = 0
    for index, target in enumerate(targets):
        if run.stopped:
            run.not_reached = list(targets[index:])
            break
        if not target.query:
            outcome = Outcome(target, error="no address, city or postal code to look up")
        else:
            key = GeocodeCache.key(provider, target)
            answer = cache.get(key)
            if answer is not None:
                outcome = Outcome(target, answer, cached=True)
            else:
                if last_request is not None:
                    wait = last_request + min_delay_seconds - clock()
                    if wait > 0:
                        sleep(wait)
                last_request = clock()
                run.requests += 1
                try:
                    answer = ask(geocoder, target)
                except geopy_exc.GeopyError as exc:
                    message, stop = _failure(exc)
                    failures_in_a_row += 1
                    if failures_in_a_row >= MAX_CONSECUTIVE_FAILURES and not stop:
                        stop = True
                        message += f" ({failures_in_a_row} failures in a row)"
                    outcome = Outcome(target, error=message)
                    if stop:
                        run.stopped = message
                else:
                    failures_in_a_row = 0
                    cache.put(key, answer)
                    outcome = Outcome(target, answer)
        run.outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return run


# --- writing ------------------------------------------------------------------------------------


def _with_point(entry: Mapping[str, Any], answer: Answer) -> dict[str, Any]:
    updated = dict(entry)
    updated["lat"] = answer.lat
    updated["lon"] = answer.lon
    if answer.approximate:
        updated["approximate"] = True
    return updated


def apply_run(doc: editing.Document, run: Run) -> editing.Changes:
    """Write the coordinates found in `run` into the document (in memory)."""
    found = [o for o in run.outcomes if o.status == "found" and o.answer is not None]
    shared = editing.location_entries(doc)
    locations = {
        o.target.id: _with_point(shared[o.target.id], o.answer)
        for o in found
        if o.target.kind == "location" and o.target.id in shared
    }
    entries = {e.get("id"): e for e in editing.resource_entries(doc)}
    records = []
    for o in found:
        entry = entries.get(o.target.id) if o.target.kind == "resource" else None
        if entry is not None and isinstance(entry.get("location"), Mapping):
            records.append(
                {"id": o.target.id, "location": _with_point(entry["location"], o.answer)}
            )
    changes = editing.Changes()
    if locations:
        changes = changes.merge(editing.upsert_locations(doc, locations))
    if records:
        changes = changes.merge(editing.upsert_resources(doc, records, owned_keys={"location"}))
    return changes
