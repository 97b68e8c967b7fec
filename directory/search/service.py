"""The search service: query arguments in, one plain dictionary out, for pages, API and sheets.

What a person typed is read here: time, place and "meeting" words become filters the page shows
(`intent.py`), a bare meeting-type code is read in every fellowship that uses it, and an empty
radius search also says what lies a little farther away. The web layer only parses HTTP and
renders; links to our own pages come in as `url_of`.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from marshmallow import ValidationError

from directory.core import listing, translation, vocabulary
from directory.core.availability import day_heading, describe_when
from directory.core.bounded import BoundedCache
from directory.core.model import Catalog, Resource
from directory.core.places import STATES, Gazetteer, Place, PlaceNotFound, area_key
from directory.core.schedule import DAYS
from directory.core.translation import N_, _, capitalized, ngettext
from directory.search import facets
from directory.search.arguments import parse_search_args
from directory.search.intent import Intent, Words, load_words, read_intent
from directory.search.query import Searcher, SearchRequest

UrlOf = Callable[[Resource], str]
HAPPENING_MINUTES = 60  # "meeting now": in progress, or starting within the hour
ZIP_ONLY = re.compile(r"\d{5}(?:-\d{4})?")
# A place written with its state or province at the end: "kansas city mo", "Edmonton, Alberta".
STATE_AT_END = re.compile(
    r"[\s,](?:"
    + "|".join(sorted({*STATES, *(n.lower() for n in STATES.values())}, key=len, reverse=True))
    + r"|alberta|ontario|british columbia|quebec)$",
    re.IGNORECASE,
)
WIDER = 3  # an empty radius search also counts what lies within three times the distance
# Result summaries kept per version (by listing, language and link): about 1 KB each.
SUMMARIES_KEPT = 8192


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
    return Gazetteer(catalog.regions(), default_state=main_state, towns=catalog.towns())


@dataclass(frozen=True)
class SearchService:
    """Searches over one version of the data: its catalog, index and places. Thread-safe."""

    catalog: Catalog
    searcher: Searcher
    gazetteer: Gazetteer
    stale_after_days: int = 365  # a listing not checked for longer says "call first"
    # What a result shows that depends on the data and the language only, made once.
    summaries: BoundedCache = field(
        default_factory=lambda: BoundedCache(SUMMARIES_KEPT), compare=False, repr=False
    )

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
        typed = " ".join(parsed["q"].split())
        filters = {key: tuple(parsed[key]) for key in facets.FACET_KEYS if parsed.get(key)}
        given = {"filters": dict(filters), **{k: parsed.get(k) for k in GIVEN_ARGS}}
        intent = self._understand(parsed, filters, at)
        near = None
        if parsed.get("near", "").strip():
            try:
                near = self.resolve(parsed["near"])
            except PlaceNotFound as exc:
                raise BadSearch("near", str(exc)) from None
        elif "radius" in parsed:
            raise BadSearch(
                "radius", _("a radius needs a place: add near (a ZIP code, city or lat,lon)")
            )
        if "type" in filters:
            filters["type"] = self._types_with_fellowship(filters["type"])
        elif parsed.get("_type_words"):
            filters["type"] = self._types_of_words(parsed["_type_words"], filters)
        day_offset = parsed.get("_day_offset", parsed.get("day_offset"))
        if day_offset is not None:
            zone = self._zone_for(near, parsed)
            if zone:
                # One zone for the question: its weekday is the visible Day filter.
                local = at.astimezone(ZoneInfo(zone))
                filters["day"] = (DAYS[(local.isoweekday() + day_offset) % 7],)
                day_offset = None
        area = None
        if near is not None and parsed.get("_area_from_words") and near.kind in ("region", "city"):
            area = area_key(near.label.split(",")[0])
        about_meetings = filters.get("category") == ("meeting",) or bool(
            {"fellowship", "type"} & set(filters)
        )
        timed = bool(
            {"day", "time_of_day"} & set(filters)
            or day_offset is not None
            or parsed["open_now"]
            or parsed.get("starting_within")
            or parsed.get("happening_within")
        )
        sort = parsed.get("sort") or default_sort(
            about_meetings, timed, near is not None, bool(parsed["q"].strip())
        )
        request = SearchRequest(
            q=parsed["q"],
            near=near,
            radius_miles=parsed.get("radius"),
            filters=filters,
            open_now=parsed["open_now"],
            starting_within=parsed.get("starting_within"),
            happening_within=parsed.get("happening_within"),
            day_offset=day_offset,
            area=area,
            stale_after_days=self.stale_after_days,
            at=at,
            sort=sort,
            language=translation.code(),
            page=parsed["page"],
            per_page=parsed["per_page"],
        )
        result = self.searcher.search(request)
        wider = None
        if result.total == result.online_count and near is not None and request.radius_miles:
            wider = self._wider(request)
        fallbacks = []
        if result.total == 0 and about_meetings and timed:
            fallbacks = self._fallbacks(request, url_of)
        at = result.at or at
        return {
            "query": {
                "q": parsed["q"],
                "typed": typed,
                "near": parsed.get("near", ""),
                "radius": parsed.get("radius"),
                "filters": {k: list(v) for k, v in filters.items()},
                "open_now": parsed["open_now"],
                "starting_within": parsed.get("starting_within"),
                "happening_within": parsed.get("happening_within"),
                "day_offset": day_offset,
                "at": at.isoformat(),
                "sort": sort,
            },
            "results": [self._result(hit, at, url_of) for hit in result.hits],
            "total": result.total,
            "page": result.page,
            "per_page": result.per_page,
            "pages": max(1, -(-result.total // result.per_page)),
            "facets": facets.panel(result.facets, filters),
            "near": None
            if near is None
            else {"label": near.label, "lat": near.lat, "lon": near.lon, "kind": near.kind},
            "understood": _said_back(intent, near),
            "notice": result.notice,
            "online_count": result.online_count,
            "wider": wider,
            "chips": _chips(typed, intent, near, given, about_meetings),
            "sorts": _sorts(sort, near is not None, bool(parsed["q"].strip()), about_meetings),
            "fallbacks": fallbacks,
        }

    def _result(self, hit, at: datetime, url_of: UrlOf) -> dict:
        resource = hit.resource
        home = self.catalog.directory.timezone
        when = describe_when(resource, at, home, hit.current_occurrence, hit.next_occurrences)
        url = url_of(resource)
        steady = self.summaries.get(
            (resource.id, translation.code(), url), lambda: listing.steady_summary(resource, url)
        )
        data = listing.summary(resource, at, home, url, when, self.stale_after_days, steady)
        upcoming = hit.next_occurrences[0] if hit.next_occurrences else None
        shown = hit.current_occurrence or upcoming
        group = day_heading(shown, at, hit.current_occurrence is not None) if shown else None
        data.update(
            {
                "distance_miles": None
                if hit.distance_miles is None
                else round(float(hit.distance_miles), 2),
                "beyond_radius": hit.beyond_radius,
                "open_now": hit.open_now,
                "in_progress": hit.in_progress,
                "next_occurrences": [o.start.isoformat() for o in hit.next_occurrences],
                "schedule_group": {"key": group[0], "label": group[1]} if group else None,
                "snippet": hit.snippet.text if hit.snippet else None,
                "snippet_html": hit.snippet.html() if hit.snippet else None,
                # The snippet quotes the file's text: its language, when not the page's.
                "snippet_lang": hit.snippet.language
                if hit.snippet and hit.snippet.language != translation.code()
                else None,
            }
        )
        return data

    def _fallbacks(self, request: SearchRequest, url_of: UrlOf) -> list[dict]:
        """Never a dead end: the next online meeting, and the nearest in person later today."""
        keep = {k: v for k, v in request.filters.items() if k in ("fellowship", "category")}
        asks = [
            (N_("The next online meeting"), {**keep, "attendance": ("online",)}, None, None),
        ]
        if request.near is not None:
            asks.append(
                (N_("The nearest in person, later today"), {**keep, "attendance": ("in_person",)},
                 0, request.near)
            )  # fmt: skip
        out = []
        for label, filters, day_offset, near in asks:
            tries = [(_(label), filters)]
            if "fellowship" in filters:  # none of theirs: any fellowship's, said so
                wider = {k: v for k, v in filters.items() if k != "fellowship"}
                tries.append((_("%(label)s (any fellowship)", label=_(label)), wider))
            for shown, wanted in tries:
                found = self.searcher.search(
                    SearchRequest(
                        filters=wanted, day_offset=day_offset, near=near, at=request.at,
                        sort="soonest", per_page=1, stale_after_days=self.stale_after_days,
                    )
                )  # fmt: skip
                hit = found.hits[0] if found.hits else None
                if hit is not None and (hit.next_occurrences or hit.in_progress):
                    out.append({"label": shown, "result": self._result(hit, found.at, url_of)})
                    break
        return out

    @functools.cached_property
    def words(self) -> Words:
        """The plain words of a search, with the names of this directory's fellowships."""
        named = {r.fellowship for r in self.catalog.active() if r.fellowship}
        return load_words().extended(sorted(named))

    def _understand(self, parsed: dict, filters: dict, at: datetime) -> Intent | None:
        """Turn the words that describe filters into those filters (never over explicit ones).

        `parsed` and `filters` are updated, so the page shows each as a filter one can undo.
        """
        if not parsed["q"].strip():
            return None
        intent = read_intent(parsed["q"], self._is_place, self.words)
        parsed["q"] = intent.q
        if intent.near and not parsed.get("near", "").strip():
            parsed["near"] = intent.near
            parsed["_area_from_words"] = True
        about_meetings = intent.meetings or intent.fellowships or intent.types
        if about_meetings and "category" not in filters:
            filters["category"] = ("meeting",)
        for key, values in (
            ("fellowship", intent.fellowships),
            ("attendance", intent.attendance),
            ("language", intent.languages),
            ("time_of_day", intent.times_of_day),
            ("day", intent.days),
        ):
            if values and key not in filters:
                filters[key] = values
        if intent.types and "type" not in filters:
            parsed["_type_words"] = intent.types
        if intent.day_offset is not None and "day" not in filters:
            parsed["_day_offset"] = intent.day_offset
        if intent.now:
            meetings = about_meetings or filters.get("category") == ("meeting",)
            if meetings and parsed.get("happening_within") is None:
                parsed["happening_within"] = HAPPENING_MINUTES
            elif not meetings:
                parsed["open_now"] = True
        return intent

    def _is_place(self, text: str, explicit: bool) -> bool:
        """True when words name a place: any place after "near" or "in"; otherwise a ZIP code,
        a town with its state, or a town, area or region of this directory."""
        if not explicit and not (
            ZIP_ONLY.fullmatch(text.strip())
            or self.gazetteer.names_local_area(text)
            or STATE_AT_END.search(text)
        ):
            return False
        try:
            place = self.resolve(text)
        except PlaceNotFound:
            return False
        return explicit or place.kind in ("zip", "region", "city")

    def _zone_for(self, near: Place | None, parsed: dict) -> str | None:
        """Return the zone "today" is read in: the place's, else the searcher's browser's."""
        if near is not None and near.timezone:
            return near.timezone
        return parsed.get("tz")

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

    def _types_of_words(self, codes: tuple[str, ...], filters: dict) -> tuple[str, ...]:
        """Read type codes said in words in every fellowship (of the filter, if one is set)
        that gives the code that meaning: "proof of attendance" is not Al-Anon's POA."""
        wanted = set(filters.get("fellowship", ()))
        out: list[str] = []
        for value in self.searcher.facet_values("type"):
            fellowship, _sep, code = value.rpartition(":")
            if code not in codes or (wanted and fellowship not in wanted):
                continue
            if code in vocabulary.TYPE_OVERRIDES.get(fellowship, {}):
                continue  # the code means something else in this fellowship
            out.append(value)
        out += [f":{code}" for code in codes]  # keeps each one visible as a selected filter
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
            happening_within=request.happening_within,
            day_offset=request.day_offset,
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


SAID_ORDER = ("fellowship", "type", "meetings", "attendance", "language", "place", "day",
              "relative_day", "time", "now")  # fmt: skip
RELATIVE_DAYS = {0: N_("today"), 1: N_("tomorrow")}


def said_back(understood, near: Place | None, about_meetings: bool) -> list[str]:
    """Return what was read from the words, each in plain words, in the order a person says it."""
    parts: list[str] = []
    for u in sorted(understood, key=lambda u: SAID_ORDER.index(u.kind) if u.kind in SAID_ORDER
                    else len(SAID_ORDER)):  # fmt: skip
        text = _said(u, near, about_meetings)
        if text and text not in parts:
            parts.append(text)
    return parts


def _said(u, near: Place | None, about_meetings: bool) -> str | None:
    """Return one thing read from the words, in plain words."""
    if u.kind == "place":
        return _("near %(place)s", place=near.label) if near else None
    if u.kind == "near_me":
        return _("near you") if near else None
    if u.kind == "fellowship":
        return str(u.value)
    if u.kind == "type":
        return _or([vocabulary.type_name(None, code) for code in u.value]).lower()
    if u.kind == "meetings":
        return _("meetings")
    if u.kind == "attendance":
        return vocabulary.attendance_label(str(u.value)).lower()
    if u.kind == "language":
        name = vocabulary.language_name(str(u.value))
        if translation.code() != translation.SOURCE_LANGUAGE:
            name = name.lower()  # a language's name is a common noun in most other languages
        return _("in %(language)s", language=name)
    if u.kind == "day":
        return _or([capitalized(translation.day_name(DAYS.index(d))) for d in u.value])
    if u.kind == "relative_day":
        if u.words.lower() in ("tonight", "tonite", "esta noche"):
            return _("tonight")
        if int(u.value) in RELATIVE_DAYS:
            return _(RELATIVE_DAYS[int(u.value)])
        return u.words.lower()
    if u.kind == "time":
        return u.words.lower()
    if u.kind == "now":
        return _("now or within the hour") if about_meetings else _("open now")
    return None


def _or(parts: list[str]) -> str:
    """Return "a or b or c" in the language in force."""
    text = parts[0] if parts else ""
    for part in parts[1:]:
        text = _("%(either)s or %(other)s", either=text, other=part)
    return text


GIVEN_ARGS = ("near", "radius", "open_now", "starting_within", "happening_within", "day_offset")
SORT_LABELS = {"soonest": N_("Soonest"), "distance": N_("Nearest"), "relevance": N_("Best match")}


def default_sort(about_meetings: bool, timed: bool, near: bool, words: bool) -> str:
    """Meetings asked at a time, or with no words and no place, read as a schedule.

    A place and no time ("aa meetings near 95008") asks where: nearest first, with "Soonest"
    one tap away; a place and a time ("tonight near 95008") is the schedule of what is near.
    """
    if about_meetings and (timed or not (words or near)):
        return "soonest"
    return "distance" if near and not words else "relevance"


def _sorts(sort: str, near: bool, words: bool, about_meetings: bool) -> list[dict]:
    offered = [s for s, ok in (("soonest", about_meetings or sort == "soonest"),
                               ("distance", near), ("relevance", words or sort == "relevance"))
               if ok]  # fmt: skip
    return [{"value": s, "label": _(SORT_LABELS[s]), "selected": s == sort} for s in offered]


def _chips(typed: str, intent: Intent | None, near, given: dict, about_meetings: bool):
    """Return every filter in force as a chip a person can remove with one tap.

    A chip says what to change: `q` (the words without those that asked for it) or `drop`
    (the query-string parameter and value to take away).
    """
    chips = []
    for u in intent.understood if intent else ():
        label = _said(u, near, about_meetings)
        if label:
            label = capitalized(label)
            start, end = u.span
            chips.append({"label": label, "q": " ".join((typed[:start] + typed[end:]).split()),
                          "drop": None})  # fmt: skip
    for key, values in given["filters"].items():
        facet = facets.BY_KEY[key]
        for value in values:
            chips.append({"label": facet.label(value), "q": None, "drop": [key, value]})
    if given.get("near"):
        label = _("Near %(place)s", place=near.label) if near else given["near"]
        chips.append({"label": label, "q": None, "drop": ["near", None]})
    if given.get("radius"):
        label = _("Within %(miles)s miles", miles=f"{given['radius']:g}")
        chips.append({"label": label, "q": None, "drop": ["radius", None]})
    if given.get("open_now"):
        chips.append({"label": _("Open now"), "q": None, "drop": ["open_now", None]})
    if given.get("starting_within"):
        label = _("Starting within %(minutes)s min", minutes=given["starting_within"])
        chips.append({"label": label, "q": None, "drop": ["starting_within", None]})
    if given.get("happening_within"):
        chips.append({"label": _("Happening now"), "q": None, "drop": ["happening_within", None]})
    if given.get("day_offset") is not None:
        offset = given["day_offset"]
        if offset in RELATIVE_DAYS:
            label = _(RELATIVE_DAYS[offset])
        else:
            label = ngettext("In %(count)s day", "In %(count)s days", offset)
        chips.append({"label": capitalized(label), "q": None, "drop": ["day_offset", None]})
    return chips


def _said_back(intent: Intent | None, near) -> str | None:
    if intent is None:
        return None
    about_meetings = bool(intent.meetings or intent.fellowships or intent.types)
    parts = said_back(intent.understood, near, about_meetings)
    text = _("Showing %(what)s.", what=", ".join(parts)) if parts else ""
    if intent.near_me and near is None:
        text += " " + _("To sort by distance, type your ZIP code or town in the Near box.")
    return text.strip() or None


def _first_error(exc: ValidationError) -> tuple[str, str]:
    messages = exc.messages if isinstance(exc.messages, dict) else {"q": exc.messages}
    name, problem = next(iter(messages.items()))
    while isinstance(problem, dict):
        problem = next(iter(problem.values()))
    if isinstance(problem, list):
        problem = problem[0]
    return str(name), str(problem)
