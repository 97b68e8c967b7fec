"""The search service: query arguments in, one plain dictionary out, for pages, API and sheets.

What a person typed is read here: time, place and "meeting" words become filters the page shows
(`intent.py`), a bare meeting-type code is read in every fellowship that uses it, and an empty
radius search also says what lies a little farther away. The web layer only parses HTTP and
renders; links to our own pages come in as `url_of`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from marshmallow import ValidationError

from directory.core import listing
from directory.core.availability import describe_when
from directory.core.model import Catalog, Resource
from directory.core.places import Gazetteer, Place, PlaceNotFound
from directory.core.schedule import DAYS
from directory.search import facets
from directory.search.arguments import parse_search_args
from directory.search.intent import Intent, read_intent
from directory.search.query import Searcher, SearchRequest

UrlOf = Callable[[Resource], str]
STARTING_SOON_MINUTES = 60  # "meeting now": starting within the hour, or just started
WIDER = 3  # an empty radius search also counts what lies within three times the distance


class BadSearch(ValueError):
    """A parameter a person or program sent cannot be used; names the parameter."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


def gazetteer_for(catalog: Catalog) -> Gazetteer:
    """Return the place resolver of a catalog: its regions, and its main state for bare towns."""
    states = Counter(r.location.state for r in catalog.active() if r.location and r.location.state)
    main_state = states.most_common(1)[0][0] if states else None
    return Gazetteer(catalog.regions(), default_state=main_state)


@dataclass(frozen=True)
class SearchService:
    """Searches over one version of the data: its catalog, index and places. Thread-safe."""

    catalog: Catalog
    searcher: Searcher
    gazetteer: Gazetteer

    def resolve(self, text: str) -> Place:
        """Return the place text names; raise PlaceNotFound with a message for a person."""
        return self.gazetteer.resolve(text)

    def search(self, args, url_of: UrlOf) -> dict:
        """Run the search `args` (a MultiDict) describe; raise BadSearch for a bad parameter."""
        try:
            parsed = parse_search_args(args)
        except ValidationError as exc:
            name, message = _first_error(exc)
            raise BadSearch(name, message) from None
        at = parsed.get("at") or datetime.now(UTC)
        filters = {key: tuple(parsed[key]) for key in facets.FACET_KEYS if parsed.get(key)}
        intent = self._understand(parsed, filters, at)
        near = None
        if parsed.get("near", "").strip():
            try:
                near = self.resolve(parsed["near"])
            except PlaceNotFound as exc:
                raise BadSearch("near", str(exc)) from None
        elif "radius" in parsed:
            raise BadSearch(
                "radius", "a radius needs a place: add near (a ZIP code, city or lat,lon)"
            )
        if "type" in filters:
            filters["type"] = self._types_with_fellowship(filters["type"])
        # Near a place, nearest first: every result already matches all the words.
        sort = parsed.get("sort") or ("distance" if near else "relevance")
        request = SearchRequest(
            q=parsed["q"],
            near=near,
            radius_miles=parsed.get("radius"),
            filters=filters,
            open_now=parsed["open_now"],
            starting_within=parsed.get("starting_within"),
            at=at,
            sort=sort,
            page=parsed["page"],
            per_page=parsed["per_page"],
        )
        result = self.searcher.search(request)
        home = self.catalog.directory.timezone
        wider = None
        if result.total == result.online_count and near is not None and request.radius_miles:
            wider = self._wider(request)
        return {
            "query": {
                "q": parsed["q"],
                "near": parsed.get("near", ""),
                "radius": parsed.get("radius"),
                "filters": {k: list(v) for k, v in filters.items()},
                "open_now": parsed["open_now"],
                "starting_within": parsed.get("starting_within"),
                "at": at.isoformat(),
                "sort": sort,
            },
            "results": [_result(hit, result.at or at, home, url_of) for hit in result.hits],
            "total": result.total,
            "page": result.page,
            "per_page": result.per_page,
            "pages": max(1, -(-result.total // result.per_page)),
            "facets": facets.panel(result.facets, filters),
            "near": None
            if near is None
            else {"label": near.label, "lat": near.lat, "lon": near.lon, "kind": near.kind},
            "notice": " ".join(n for n in (_said_back(intent, near), result.notice) if n) or None,
            "online_count": result.online_count,
            "wider": wider,
        }

    def _understand(self, parsed: dict, filters: dict, at: datetime) -> Intent | None:
        """Turn time, place and "meeting" words into filters (never over explicit ones).

        `parsed` and `filters` are updated, so the page shows each as a filter one can undo.
        """
        if not parsed["q"].strip():
            return None
        intent = read_intent(parsed["q"], self._is_place)
        parsed["q"] = intent.q
        if intent.near and not parsed.get("near", "").strip():
            parsed["near"] = intent.near
        if intent.meetings and "category" not in filters:
            filters["category"] = ("meeting",)
        if intent.day_offset is not None and "day" not in filters:
            local = at.astimezone(ZoneInfo(self.catalog.directory.timezone))
            filters["day"] = (DAYS[(local.isoweekday() + intent.day_offset) % 7],)
        if intent.times_of_day and "time_of_day" not in filters:
            filters["time_of_day"] = intent.times_of_day
        if intent.open_now:
            parsed["open_now"] = True
        if intent.starting_soon and parsed.get("starting_within") is None:
            parsed["starting_within"] = STARTING_SOON_MINUTES
        return intent

    def _is_place(self, text: str) -> bool:
        try:
            self.resolve(text)
        except PlaceNotFound:
            return False
        return True

    def _types_with_fellowship(self, values: tuple[str, ...]) -> tuple[str, ...]:
        """Read a bare code ("C") as that code in every fellowship using it ("AA:C", "NA:C")."""
        known = self.searcher.facet_values("type")
        out: list[str] = []
        for value in values:
            if ":" in value:
                out.append(value)
            else:
                out.extend(v for v in known if v.rpartition(":")[2] == value)
                out.append(f":{value}")  # keeps an unknown code visible as a selected filter
        return tuple(dict.fromkeys(out))

    def _wider(self, request: SearchRequest) -> dict:
        """Count what lies a little farther away, for an honest empty state."""
        radius = request.radius_miles * WIDER
        wider = SearchRequest(
            q=request.q,
            near=request.near,
            radius_miles=radius,
            filters=request.filters,
            open_now=request.open_now,
            starting_within=request.starting_within,
            at=request.at,
            per_page=1,
        )
        result = self.searcher.search(wider)
        located = (
            0
            if result.hits and result.hits[0].beyond_radius
            else result.total - result.online_count
        )
        return {"radius": radius, "count": located}


def _said_back(intent: Intent | None, near) -> str | None:
    if intent is None:
        return None
    parts = [
        f"near {near.label}" if p.startswith("near ") and near else p for p in intent.understood
    ]
    text = f"Showing {', '.join(parts)}." if parts else ""
    if intent.near_me and near is None:
        text += " To sort by distance, type your ZIP code or town in the Near box."
    return text.strip() or None


def _result(hit, at: datetime, home: str, url_of: UrlOf) -> dict:
    resource = hit.resource
    when = describe_when(resource, at, home, hit.current_occurrence, hit.next_occurrences)
    data = listing.summary(resource, at, home, url_of(resource), when)
    data.update(
        {
            "distance_miles": None
            if hit.distance_miles is None
            else round(float(hit.distance_miles), 2),
            "beyond_radius": hit.beyond_radius,
            "open_now": hit.open_now,
            "in_progress": hit.in_progress,
            "next_occurrences": [o.start.isoformat() for o in hit.next_occurrences],
            "snippet": hit.snippet.text if hit.snippet else None,
            "snippet_html": hit.snippet.html() if hit.snippet else None,
        }
    )
    return data


def _first_error(exc: ValidationError) -> tuple[str, str]:
    messages = exc.messages if isinstance(exc.messages, dict) else {"q": exc.messages}
    name, problem = next(iter(messages.items()))
    while isinstance(problem, dict):
        problem = next(iter(problem.values()))
    if isinstance(problem, list):
        problem = problem[0]
    return str(name), str(problem)
