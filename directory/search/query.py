"""Search: a SearchRequest in, a page of Hits with facet counts out.

Text (`q`) is never parsed as query syntax: `analysis.plan_query` cuts it into words and known
phrases, adds synonyms (`synonyms.yaml`), one-edit corrections of long unknown words and a prefix
reading of the last word; every word must match (in any field) unless nothing matches that way,
in which case any word may match and the result says so in `notice`.

Filters are combinable: values of one facet are ORed, facets are ANDed. Each facet's counts
are computed with every other active filter applied but not its own, so a person can see what
ticking another box would give. `day` and `time_of_day` are read together: `day=mon` with
`time_of_day=evening` means a window that starts on a Monday evening.

Near a place, located results come first (by distance, or by relevance when there is a text query
and `sort="relevance"`), each with `distance_miles`; resources with nothing to measure a distance
to (online only, or no address) follow with `distance_miles=None`, and a radius never hides them.
When nothing located lies within the radius, the nearest located results beyond it are returned
with `beyond_radius=True` and a `notice` saying so.

Time questions (`open_now`, `starting_within`, and each hit's `open_now`, `in_progress` and
`next_occurrences`) are asked at the instant `at` (aware; default now) in each resource's own
timezone. `starting_within=N` keeps resources with an occurrence starting in the next N minutes,
or that started at most `STARTED_GRACE_MINUTES` ago. `open_now` on a hit is None when the
resource has no schedule; `in_progress` is set for meetings only.

Snippets are plain text with match spans (`snippets.Snippet`); `Snippet.html()` gives escaped
HTML with `<mark>`.

A `Searcher` belongs to one index generation; its `search()` is safe to call from many threads.
Open one with `index.open_index` or `index.ensure_index`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from directory.core.model import Resource
from directory.core.schedule import Occurrence
from directory.core.translation import _, ngettext
from directory.search.analysis import QueryPlan, Synonyms, load_synonyms, plan_query
from directory.search.documents import keywords_text
from directory.search.engine import LANGUAGE_FIELDS, TextIndex
from directory.search.facets import read_filters
from directory.search.scoring import TextScorer
from directory.search.snippets import Snippet, make_snippet
from directory.search.table import ResourceTable

if TYPE_CHECKING:
    from directory.core.places import Place

# Relative weight of a match in each field: the name says most, then the labels a maintainer
# chose (fellowship, meeting types, services, medications, tags), then the free description.
FIELD_BOOSTS: dict[str, float] = {
    "name": 3.0, "keywords": 2.0, "description": 1.0,
    **{name: 1.0 for name in LANGUAGE_FIELDS.values()},  # a listing's text in another language
}  # fmt: skip
SORTS = ("relevance", "distance", "soonest")
SOONEST_NEAR_MILES = 25.0  # by time, the meetings within this of the place first; then the rest
STALE_PENALTY = 0.9  # a listing not checked recently ranks below a fresh one as relevant
MAX_PER_PAGE = 100
NEXT_OCCURRENCES = 3  # upcoming times shown with each scheduled result
MAX_STARTING_WITHIN = 7 * 24 * 60  # a week: every weekly occurrence is within it
_FAR = 1e9  # sorts after any real distance or score
DISTANCE_FADE_MILES = 10.0  # with words and a place, a match 10 miles away counts half


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    near: Place | None = None
    radius_miles: float | None = None  # None: no limit (distances still shown and sortable)
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # keys: facets.FACET_KEYS
    open_now: bool = False
    starting_within: int | None = None  # minutes
    # In progress, or starting within this many minutes ("meeting now": 60).
    happening_within: int | None = None
    # Meeting this many days after today, each in its own zone (today: not yet ended).
    day_offset: int | None = None
    # A town, region or sub-region (an area key, see core.places.area_key) whose resources
    # come first, before the rest by distance: "meetings campbell" is Campbell's first.
    area: str | None = None
    # Listings not checked for this many days rank below fresh ones of the same relevance.
    stale_after_days: int | None = None
    at: datetime | None = None  # aware; None means now
    # "distance"; "soonest" (a schedule: in progress, then by next start); "relevance" (with no
    # text, relevance means distance, or name).
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    # The language of the answer: a snippet quotes a listing's text in it when the file has it.
    language: str = "en"


@dataclass(frozen=True)
class Hit:
    resource: Resource
    score: float
    distance_miles: float | None
    beyond_radius: bool
    snippet: Snippet | None
    open_now: bool | None  # None: no schedule
    in_progress: bool  # a meeting happening at `at`
    next_occurrences: tuple[Occurrence, ...]
    current_occurrence: Occurrence | None = None


@dataclass(frozen=True)
class SearchResult:
    hits: tuple[Hit, ...]
    total: int
    page: int
    per_page: int
    facets: dict[str, list[tuple[str, int]]]
    near: Place | None
    notice: str | None
    online_count: int  # matching resources with no distance (online only or no address)
    at: datetime | None = None  # the instant time questions were asked at


class Searcher:
    """Answers searches over one index generation. Thread-safe; keep one per process."""

    def __init__(
        self,
        table: ResourceTable,
        scorer: TextScorer,
        *,
        fingerprint: str,
        generation: str = "",
        synonyms: Synonyms | None = None,
        text_index: TextIndex | None = None,
    ):
        if table.n != scorer.n:
            raise ValueError(f"table has {table.n} documents but the index {scorer.n}")
        self.table = table
        self.scorer = scorer
        self.fingerprint = fingerprint
        self.generation = generation
        self.resource_count = table.n
        self.synonyms = synonyms or load_synonyms()
        self._text_index = text_index
        self._keywords_cache: dict[int, str] = {}  # single dict operations: safe across threads

    def close(self) -> None:
        """Release the index files."""
        if self._text_index is not None:
            self._text_index.close()

    def facet_values(self, key: str) -> tuple[str, ...]:
        """Return every value a facet has in this index generation."""
        return self.table.facets[key].values

    def plan(self, q: str) -> QueryPlan:
        """Return how a text would be searched (for debugging and tests)."""
        return plan_query(q, self.scorer.vocabulary, self.synonyms)

    def search(self, request: SearchRequest) -> SearchResult:
        """Run a search; any text is accepted, bad filters or sorts raise ValueError."""
        at = _instant(request.at)
        filters = read_filters(request.filters)
        if request.sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {request.sort!r}")
        page = max(1, int(request.page))
        per_page = min(MAX_PER_PAGE, max(1, int(request.per_page)))
        plan = self.plan(request.q)
        run = self._run(request, plan, filters, at, require_all=True)
        notices = []
        if run.total == 0 and len(plan.concepts) > 1:
            loose = self._run(request, plan, filters, at, require_all=False)
            if loose.total:
                run = loose
                notices.append(
                    _("No resource matched all of your words; showing those that match some.")
                )
        if run.notice:
            notices.append(run.notice)
        hits = self._page(run, request, plan, at, page, per_page)
        return SearchResult(
            hits=hits,
            total=run.total,
            page=page,
            per_page=per_page,
            facets=run.facets,
            near=request.near,
            notice=" ".join(notices) or None,
            online_count=run.online_count,
            at=at,
        )

    # --- one pass ---------------------------------------------------------------------------

    def _run(
        self,
        request: SearchRequest,
        plan: QueryPlan,
        filters: dict[str, tuple[str, ...]],
        at: datetime,
        require_all: bool,
    ) -> _Run:
        table = self.table
        if plan:
            scores, base = self.scorer.score(plan, require_all, self._categories)
        else:
            scores, base = None, table.all.copy()
        masks = {
            k: table.facets[k].mask(v, table.n) for k, v in filters.items() if k in table.facets
        }
        days, buckets = filters.get("day", ()), filters.get("time_of_day", ())
        if days or buckets:
            masks["schedule"] = table.schedule_mask(days, buckets)
        every = _all_of(masks.values(), table.n)

        near, radius, notice, beyond = request.near, request.radius_miles, None, False
        geo = table.all
        if near is not None and radius is not None:
            within = table.within(near.lat, near.lon, float(radius), base)
            geo = within | table.remote  # a place with no point is never inside a radius
        # Time is asked last, and only of the documents still in question: it costs the most.
        text = base
        base = text & self._time_mask(request, at, text & geo)
        if geo is not table.all and not (base & geo & every & table.located).any():
            farther = text & table.located & ~geo
            wider = base | (farther & self._time_mask(request, at, farther))
            if (wider & every & table.located).any():
                # Nothing located inside the radius: the nearest beyond it, marked as such.
                base, geo, beyond = wider, table.all, True
                notice = ngettext(
                    "Nothing within %(miles)s mile of %(place)s; showing the nearest results"
                    " farther away.",
                    "Nothing within %(miles)s miles of %(place)s; showing the nearest results"
                    " farther away.",
                    math.ceil(float(radius)),
                    place=near.label,
                    miles=f"{float(radius):g}",
                )
        scope = base & geo
        final = scope & every
        docs = np.flatnonzero(final)
        return _Run(
            docs=docs,
            scores=scores,
            total=len(docs),
            facets=self._facets(scope, masks, filters),
            notice=notice,
            beyond=beyond,
            online_count=int(np.count_nonzero(table.online_only[docs])),
        )

    def _facets(
        self, scope: np.ndarray, masks: dict[str, np.ndarray], filters: dict[str, tuple[str, ...]]
    ) -> dict[str, list[tuple[str, int]]]:
        """Count each facet's values under every active filter except the facet's own."""
        table = self.table
        unfiltered = scope & _all_of(masks.values(), table.n)
        unfiltered_docs = np.flatnonzero(unfiltered)
        out: dict[str, list[tuple[str, int]]] = {}
        for key, facet in table.facets.items():
            if key in masks:
                others = scope & _all_of((m for k, m in masks.items() if k != key), table.n)
                counts = facet.counts(others, np.flatnonzero(others))
            else:
                counts = facet.counts(unfiltered, unfiltered_docs)
            selected = set(filters.get(key, ()))
            pairs = [
                (value, int(counts[i]))
                for i, value in enumerate(facet.values)
                if counts[i] or value in selected
            ]
            pairs += [(value, 0) for value in sorted(selected - set(facet.values))]
            out[key] = sorted(pairs, key=lambda p: (-p[1], p[0]))
        if "schedule" in masks:
            others = scope & _all_of((m for k, m in masks.items() if k != "schedule"), table.n)
        else:
            others = unfiltered
        by_day, by_bucket = table.schedule_counts(
            others, filters.get("day", ()), filters.get("time_of_day", ())
        )
        for key, pairs in (("day", by_day), ("time_of_day", by_bucket)):
            selected = set(filters.get(key, ()))
            out[key] = [(v, c) for v, c in pairs if c or v in selected]
        return out

    # --- ordering and the page ---------------------------------------------------------------

    def _page(
        self,
        run: _Run,
        request: SearchRequest,
        plan: QueryPlan,
        at: datetime,
        page: int,
        per_page: int,
    ) -> tuple[Hit, ...]:
        table, docs = self.table, run.docs
        first = (page - 1) * per_page
        if first >= len(docs):
            return ()
        near = request.near
        distance = (
            table.distances(near.lat, near.lon, docs)
            if near is not None
            else np.full(len(docs), np.nan)
        )
        score = run.scores[docs] if run.scores is not None else np.zeros(len(docs), np.float32)
        stale = (
            table.stale(at, int(request.stale_after_days), docs)
            if request.stale_after_days is not None
            else np.zeros(len(docs), dtype=bool)
        )
        score = np.where(stale, score * np.float32(STALE_PENALTY), score)
        group = table.online_only[docs].astype(np.float64) if near is not None else 0.0
        if request.area:
            # In the named town or area first (online groups based there too), then the rest.
            group = group + 2.0 * ~table.area_mask(request.area)[docs]
        known = np.where(np.isnan(distance), 0.0, distance)
        by_distance = near is not None and (request.sort == "distance" or not plan)
        if request.sort == "soonest":
            if near is not None:
                # By time, what is near (or joined from anywhere) first; far places after.
                far = table.located[docs] & (known > SOONEST_NEAR_MILES)
                unplaced = table.online_only[docs] & ~table.remote[docs]
                group = far * 1.0 + unplaced * 1.5
                if request.area:
                    group = group + 2.0 * ~table.area_mask(request.area)[docs]
            keys = [table.name_rank[docs], stale, known, table.soonest(at, docs)]
        elif by_distance:
            keys = [table.name_rank[docs], stale, -score, known]
        elif near is not None:
            # Words and a place: relevance fading with distance, so a close match wins over a
            # slightly better match far away, and a far one needs to be much better.
            fade = 1.0 + known / DISTANCE_FADE_MILES
            keys = [table.name_rank[docs], known, -(score / fade)]
        else:
            keys = [table.name_rank[docs], np.where(np.isnan(distance), _FAR, distance), -score]
        primary = group * (2 * _FAR) + keys[-1]
        wanted = first + per_page
        if len(docs) > 4 * wanted:
            # Only the first pages are needed: keep what can reach them (ties included).
            cut = np.partition(primary, wanted - 1)[wanted - 1]
            keep = primary <= cut
            docs, distance, score, primary = docs[keep], distance[keep], score[keep], primary[keep]
            keys = [k[keep] for k in keys]
        order = np.lexsort((*keys[:-1], primary))[first:wanted]
        hits = []
        for i in order:
            doc = int(docs[i])
            d = float(distance[i])
            hits.append(
                _hit(
                    table,
                    doc,
                    float(score[i]),
                    None if np.isnan(d) else d,
                    run.beyond and not np.isnan(d),
                    plan,
                    at,
                    self._keywords(doc),
                    request.language,
                )
            )
        return tuple(hits)

    def _time_mask(self, request: SearchRequest, at: datetime, candidates: np.ndarray):
        """Return the candidates passing the time filters (open now, starting soon, a day)."""
        table = self.table
        out = candidates
        if request.day_offset is not None:
            if not 0 <= int(request.day_offset) <= 6:
                raise ValueError("day_offset must be 0 to 6 days")
            buckets = tuple(request.filters.get("time_of_day", ()))
            out = table.relative_day_mask(at, int(request.day_offset), buckets, out)
        if request.open_now:
            out = table.open_at(at, out)
        if request.happening_within is not None:
            minutes = int(request.happening_within)
            if not 0 <= minutes <= MAX_STARTING_WITHIN:
                raise ValueError(f"happening_within must be 0 to {MAX_STARTING_WITHIN} minutes")
            out = table.open_at(at, out) | table.starting_within(at, minutes, out)
        if request.starting_within is not None:
            minutes = int(request.starting_within)
            if not 0 <= minutes <= MAX_STARTING_WITHIN:
                raise ValueError(f"starting_within must be 0 to {MAX_STARTING_WITHIN} minutes")
            out = table.starting_within(at, minutes, out)
        return out if out is not candidates else table.all

    def _categories(self, categories: tuple[str, ...]) -> np.ndarray:
        return self.table.facets["category"].mask(categories, self.table.n)

    def _keywords(self, doc: int) -> str:
        """Return a document's label text for snippets, computed once per generation."""
        text = self._keywords_cache.get(doc)
        if text is None:
            text = self._keywords_cache[doc] = keywords_text(self.table.resources[doc])
        return text


@dataclass(frozen=True)
class _Run:
    docs: np.ndarray
    scores: np.ndarray | None
    total: int
    facets: dict[str, list[tuple[str, int]]]
    notice: str | None
    beyond: bool
    online_count: int


def _hit(
    table: ResourceTable,
    doc: int,
    score: float,
    distance: float | None,
    beyond: bool,
    plan: QueryPlan,
    at: datetime,
    keywords: str,
    language: str,
) -> Hit:
    r = table.resources[doc]
    current, upcoming = table.schedule_answers(doc, at, NEXT_OCCURRENCES)
    return Hit(
        resource=r,
        score=score,
        distance_miles=distance,
        beyond_radius=beyond,
        snippet=make_snippet(r, plan.terms, keywords, language),
        open_now=(current is not None) if r.schedule is not None else None,  # closed: False
        in_progress=r.is_meeting and current is not None,
        next_occurrences=upcoming,
        current_occurrence=current,
    )


def _all_of(masks, n: int) -> np.ndarray:
    out = np.ones(n, dtype=bool)
    for mask in masks:
        out &= mask
    return out


def _instant(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("at must be a timezone-aware datetime")
    return at
