"""Benchmark the search on a synthetic directory, against a SQLite FTS5 + R*Tree baseline.

    python bench/search.py                    # 10,000 and 100,000 resources
    python bench/search.py --sizes 10000 --queries 300

The directory is generated deterministically (same seed, same data): every category, meetings of
several fellowships with weekly schedules, opening hours, online and hybrid meetings, and points
clustered around real US cities in their own timezones. The run prints the index build time, its
size on disk and the time to open it, then p50/p95 latency (warm, in process, one thread) of four
kinds of query, each also run against SQLite in the same process, with the ratio of the two.

The SQLite baseline (`SqliteBaseline`) is what a capable engineer would write for the same work
(one page, the total, the online count and every facet's counts as the page shows them): FTS5
with bm25() and our field weights over our own analyzer's terms, the R*Tree as a bounding-box
subquery then the exact distance in SQL, facet counts over the matched rows only, LIMIT/OFFSET,
ANALYZE and PRAGMA optimize, mmap, a large cache and statements prepared once. Both sides get
the same query plan (synonyms, corrections and prefixes already expanded). After the timings,
a sample of requests is asked of both and their answers compared (`agreement`): the totals and
facet counts must be the same; the first pages too where both order by distance.
"""

from __future__ import annotations

import argparse
import math
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the script runs from the checkout, beside tests/

from directory.core.geo import EARTH_RADIUS_MILES, bounding_box  # noqa: E402  # why: path set
from directory.core.model import Resource  # noqa: E402
from directory.core.places import Place  # noqa: E402
from directory.core.schedule import (  # noqa: E402
    DAYS,
    MINUTES_PER_DAY,
    MINUTES_PER_WEEK,
    time_of_day,
)
from directory.search import SearchRequest, build_index, open_index  # noqa: E402
from directory.search.analysis import QueryPlan  # noqa: E402
from directory.search.documents import document_for  # noqa: E402
from directory.search.engine import LANGUAGE_FIELDS, TEXT_FIELDS  # noqa: E402
from directory.search.facets import VALUE_FACETS, read_filters  # noqa: E402
from directory.search.query import (  # noqa: E402
    DISTANCE_FADE_MILES,
    FIELD_BOOSTS,
    MAX_PER_PAGE,
    Searcher,
)
from directory.search.table import (  # noqa: E402
    BUCKETS,
    STARTED_GRACE_MINUTES,
    cell_bit,
    cell_mask,
)
from directory.search.text import analyze, analyze_as  # noqa: E402
from tests.factories import CITIES, SEED, generate  # noqa: E402

DEFAULT_SIZES = (10_000, 100_000)
DEFAULT_QUERIES = 200  # timed runs per query kind
PAGE = 20
WARM_UP = 40  # untimed requests before timing (the kinds cycle through 18 texts, 20 cities)


# --- the requests -------------------------------------------------------------------------------

TEXTS = (
    "suboxone",
    "aa",
    "methodone clinic",
    "sober living",
    "food pantry",
    "spanish",
    "womens meeting",
    "detox",
    "narcotics anonymous",
    "free meals",
    "job training",
    "meetin",
    "12 step",
    "naloxone",
    "counseling veterans",
    "alchoholics anonymous",
    "housing",
    "recovery",
)
FILTER_SETS = (
    {"category": ("meeting",), "day": ("mon",)},
    {"payment": ("medicaid",)},
    {"fellowship": ("AA", "NA"), "time_of_day": ("evening",)},
    {"language": ("es",)},
    {"attendance": ("online",)},
    {"category": ("mat", "treatment"), "payment": ("medicaid", "sliding-scale")},
)
RADII = (5.0, 10.0, 25.0)
MONDAY_EVENING = datetime(2025, 6, 2, 2, 0, tzinfo=UTC)


def requests(kind: str, count: int, seed: int = SEED) -> list[SearchRequest]:
    """Return a deterministic list of requests of one kind."""
    rng = random.Random(f"{seed}-{kind}")
    out = []
    for i in range(count):
        city = CITIES[i % len(CITIES)]
        place = Place(f"{city[0]}, {city[1]}", city[2], city[3], "city")
        at = MONDAY_EVENING + timedelta(minutes=97 * i)
        q = TEXTS[i % len(TEXTS)]
        filters = FILTER_SETS[i % len(FILTER_SETS)]
        if kind == "text":
            out.append(SearchRequest(q=q, at=at))
        elif kind == "text+filters":
            out.append(SearchRequest(q=q, filters=filters, at=at))
        elif kind == "geo":
            out.append(SearchRequest(near=place, radius_miles=rng.choice(RADII), at=at))
        else:
            time_filter = {"open_now": True} if i % 2 else {"starting_within": 90}
            out.append(
                SearchRequest(
                    q=q,
                    near=place,
                    radius_miles=rng.choice(RADII),
                    filters=filters,
                    at=at,
                    **time_filter,
                )
            )
    return out


KINDS = ("text", "text+filters", "geo", "text+geo+filters+time")


# --- the SQLite baseline ------------------------------------------------------------------------

MISS_FACET_BITS = {f.key: 1 << i for i, f in enumerate(VALUE_FACETS)}
MISS_SCHEDULE = 1 << len(VALUE_FACETS)  # the bit of the day / time-of-day filter
SHIFTS = (-MINUTES_PER_WEEK, 0, MINUTES_PER_WEEK)  # a window read in the week before and after
DISTANCE_SQL = (
    f"CASE WHEN d.located THEN 2 * {EARTH_RADIUS_MILES} * asin(sqrt(min(1.0, "
    "pow(sin((radians(d.lat) - radians(:lat)) / 2), 2) + "
    "cos(radians(:lat)) * cos(radians(d.lat)) * pow(sin(radians(d.lon - :lon) / 2), 2)))) END"
)


class SqliteBaseline:
    """The same requests answered the way a capable engineer would with SQLite alone.

    One file (or `:memory:`), loaded in one transaction, then indexed, `ANALYZE`d, FTS5-merged
    and `PRAGMA optimize`d, read through mmap with a large page cache and temporary tables in
    memory; statements are prepared once and reused (the module's statement cache, keyed by
    the SQL text, which is the same for the same shape of request).

    - Text: FTS5 over the same three fields, scored with bm25() and the same field weights.
      Each field holds our own analyzer's terms (Snowball stems, our stop words), tokenized by
      unicode61 only: porter would stem our stems a second time ("hous" -> "hou") and the two
      sides would no longer match the same documents, which is what this comparison checks.
    - Place: the R*Tree's bounding box as a subquery, then the exact haversine distance in SQL.
    - Filters: (document, facet, value) rows in a clustered WITHOUT ROWID table, one EXISTS
      probe per filter per matched row; the day and time-of-day filter as a bitmask column.
    - Times: a table of weekly windows, clustered by document, and each zone's minute of the
      week at the instant asked, in a small temporary table.

    Each request fills a temporary table with the matched rows (text, place and time), with one
    bit per filter a row misses; the page (ORDER BY ... LIMIT/OFFSET), the total and every
    facet's counts (each facet with every filter but its own, as the page shows them) are then
    queries over that set only. Snippets and upcoming times of the page's rows are not computed
    (our side computes both for its 20 hits), nor are the sorts and questions the benchmark
    does not ask ("soonest", day offsets, areas, stale listings).
    """

    def __init__(self, resources: Sequence[Resource], path: str | Path = ":memory:"):
        active = [r for r in resources if r.active]  # as the index: document n is the same
        self.ids = [r.id for r in active]
        db = self.db = sqlite3.connect(str(path), isolation_level=None, cached_statements=512)
        db.executescript(
            f"""
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            PRAGMA temp_store = MEMORY;
            PRAGMA cache_size = -262144;
            PRAGMA mmap_size = 1073741824;
            CREATE TABLE docs (doc INTEGER PRIMARY KEY, lat REAL, lon REAL,
                               located INTEGER NOT NULL, remote INTEGER NOT NULL,
                               closed INTEGER NOT NULL, zone INTEGER, cells INTEGER NOT NULL,
                               name_rank INTEGER NOT NULL);
            CREATE VIRTUAL TABLE fts USING fts5({", ".join(TEXT_FIELDS)}, content = '',
                                                tokenize = "unicode61 tokenchars '._'");
            CREATE VIRTUAL TABLE geo USING rtree(doc, min_lat, max_lat, min_lon, max_lon);
            CREATE TABLE facet_values (value INTEGER PRIMARY KEY, facet INTEGER NOT NULL,
                                       name TEXT NOT NULL);
            CREATE TABLE doc_values (doc INTEGER, facet INTEGER, value INTEGER,
                                     PRIMARY KEY (doc, facet, value)) WITHOUT ROWID;
            CREATE TABLE windows (doc INTEGER, start INTEGER, stop INTEGER,
                                  PRIMARY KEY (doc, start, stop)) WITHOUT ROWID;
            """
        )
        self.value_ids: dict[tuple[str, str], int] = {}
        self.value_names: dict[int, tuple[str, str]] = {}
        zones: dict[str, int] = {}
        names = sorted(range(len(active)), key=lambda i: active[i].name.casefold())
        name_rank = [0] * len(active)
        for rank, doc in enumerate(names):
            name_rank[doc] = rank
        db.execute("BEGIN")
        for doc, r in enumerate(active):
            self._insert(doc, r, zones, name_rank[doc])
        db.execute("COMMIT")
        db.executescript(
            """
            CREATE INDEX docs_by_value ON doc_values (value, doc);
            CREATE INDEX remote_docs ON docs (doc) WHERE remote;
            INSERT INTO fts (fts) VALUES ('optimize');
            ANALYZE;
            PRAGMA optimize;
            CREATE TEMP TABLE scope (doc INTEGER PRIMARY KEY, score REAL, dist REAL,
                                     online INTEGER, cells INTEGER, name_rank INTEGER,
                                     misses INTEGER);
            CREATE TEMP TABLE now_in (zone INTEGER PRIMARY KEY, minute REAL);
            """
        )
        self.zones = [ZoneInfo(name) for name in zones]
        self._now_at: datetime | None = None

    def _insert(self, doc: int, r: Resource, zones: dict[str, int], name_rank: int) -> None:
        db = self.db
        location, attendance = r.location, r.attendance
        point = r.point
        located = point is not None and attendance != "online"
        door = location is not None and location.is_place_to_go
        # Reached from anywhere (inside any radius), as ResourceTable.remote says.
        remote = attendance == "online" or (not located and (attendance == "hybrid" or not door))
        schedule = r.schedule
        zone, cells = None, 0
        if schedule is not None and schedule.windows:
            zone = zones.setdefault(schedule.timezone, len(zones))
            rows = []
            for w in schedule.windows:
                cells |= cell_bit(w.day, BUCKETS.index(time_of_day(w.start)))
                first = w.day * MINUTES_PER_DAY
                rows.append((doc, first + w.start, first + w.end))
            db.executemany("INSERT OR IGNORE INTO windows VALUES (?, ?, ?)", rows)
        db.execute(
            "INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (doc, point.lat if point else None, point.lon if point else None, located, remote,
             attendance == "inactive", zone, cells, name_rank),
        )  # fmt: skip
        text = document_for(r)
        db.execute(
            f"INSERT INTO fts (rowid, {', '.join(TEXT_FIELDS)})"
            f" VALUES (?{', ?' * len(TEXT_FIELDS)})",
            (doc, *(" ".join(_terms(f, text[f])) for f in TEXT_FIELDS)),
        )
        if located:
            db.execute("INSERT INTO geo VALUES (?, ?, ?, ?, ?)",
                       (doc, point.lat, point.lat, point.lon, point.lon))  # fmt: skip
        rows = []
        for number, facet in enumerate(VALUE_FACETS):
            for value in set(facet.values_of(r)):
                key = (facet.key, value)
                value_id = self.value_ids.get(key)
                if value_id is None:
                    value_id = self.value_ids[key] = len(self.value_ids)
                    self.value_names[value_id] = key
                    db.execute("INSERT INTO facet_values VALUES (?, ?, ?)",
                               (value_id, number, value))  # fmt: skip
                rows.append((doc, number, value_id))
        db.executemany("INSERT INTO doc_values VALUES (?, ?, ?)", rows)

    def close(self) -> None:
        self.db.close()

    def search(self, request: SearchRequest, plan: QueryPlan) -> BaselineResult:
        """Return the first page, the total and the facet counts of a request."""
        if request.sort != "relevance" or request.day_offset is not None or request.area:
            raise ValueError("the baseline answers relevance-sorted requests without areas")
        filters = read_filters(request.filters)
        run = self._run(request, plan, filters, require_all=True)
        if run[0] == 0 and len(plan.concepts) > 1:
            loose = self._run(request, plan, filters, require_all=False)
            # The facets are counted over `scope`: it must hold the answer's rows.
            run = loose if loose[0] else self._run(request, plan, filters, require_all=True)
        total, online, misses = run
        db = self.db
        # As our side orders: with a place, located rows first; then relevance (fading with
        # distance), or distance; ties by name.
        order = ["online"] if request.near is not None else []
        if plan:
            order.append("score / (1 + coalesce(dist, 0) / :fade)" if request.near else "score")
        if request.near is not None:
            order.append("coalesce(dist, 0)")
        order.append("name_rank")
        per_page = min(MAX_PER_PAGE, max(1, int(request.per_page)))
        page = db.execute(
            f"SELECT doc, score, dist FROM scope WHERE misses = 0 ORDER BY {', '.join(order)} "
            "LIMIT :limit OFFSET :offset",
            {"fade": DISTANCE_FADE_MILES, "limit": per_page,
             "offset": (max(1, int(request.page)) - 1) * per_page},
        ).fetchall()  # fmt: skip
        return BaselineResult(
            [(self.ids[doc], score, dist) for doc, score, dist in page],
            total,
            online,
            self._facets(filters, misses),
        )

    def _run(self, request: SearchRequest, plan: QueryPlan, filters, require_all: bool):
        """Fill `scope` with the matched rows; return (total, online count, filter bits)."""
        where, params, source = [], {}, "docs d"
        score = "0.0"
        if plan:
            source = "fts JOIN docs d ON d.doc = fts.rowid"
            weights = ", ".join(str(FIELD_BOOSTS[f]) for f in TEXT_FIELDS)
            score = f"bm25(fts, {weights})"
            where.append("fts MATCH :match")
            params["match"] = _fts_query(plan, require_all)
        misses, bits = [], 0
        for key, values in filters.items():
            if key in MISS_FACET_BITS:
                bit = MISS_FACET_BITS[key]
                ids = [self.value_ids[(key, v)] for v in values if (key, v) in self.value_ids]
                if ids:
                    test = (
                        "EXISTS (SELECT 1 FROM doc_values v WHERE v.doc = d.doc AND "
                        f"v.value IN ({', '.join(map(str, ids))}))"
                    )
                    misses.append(f"((NOT {test}) * {bit})")
                else:
                    misses.append(str(bit))
                bits |= bit
        days, buckets = filters.get("day", ()), filters.get("time_of_day", ())
        if days or buckets:
            misses.append(f"((d.cells & {cell_mask(days, buckets)} = 0) * {MISS_SCHEDULE})")
            bits |= MISS_SCHEDULE
        time_test = self._time_sql(request)
        if time_test:
            self._set_now(request.at or datetime.now(UTC))
        near, radius = request.near, request.radius_miles
        dist = "NULL"
        if near is not None:
            dist = DISTANCE_SQL
            params |= {"lat": near.lat, "lon": near.lon}
        columns = (
            f"d.doc, {score}, {dist}, NOT d.located, d.cells, d.name_rank, "
            f"{' | '.join(misses) or '0'}"
        )

        def fill(place: str | None) -> tuple[int, int]:
            self.db.execute("DELETE FROM scope")
            tests = [*where, *([place] if place else []), *([time_test] if time_test else [])]
            sql = (
                f"INSERT INTO scope SELECT {columns} FROM {source} "
                f"WHERE {' AND '.join(tests) or '1'}"
            )
            self.db.execute(sql, params)
            found = self.db.execute(
                "SELECT count(*), coalesce(sum(online), 0) FROM scope WHERE misses = 0"
            ).fetchone()
            return found[0], found[1]

        if near is None or radius is None:
            return (*fill(None), bits)
        box = bounding_box(near.lat, near.lon, float(radius))
        params |= {"south": box.south, "north": box.north, "west": box.west,
                   "east": box.east, "radius": float(radius)}  # fmt: skip
        # Overlap tests: the R*Tree rounds a point's box outward to 32-bit floats, so a
        # containment test could drop a point just inside an edge.
        lon_test = (
            "max_lon >= :west AND min_lon <= :east"
            if box.west <= box.east
            else "(max_lon >= :west OR min_lon <= :east)"  # across the antimeridian
        )
        in_box = (
            "d.doc IN (SELECT doc FROM geo WHERE max_lat >= :south AND min_lat <= :north "
            f"AND {lon_test})"
        )
        place = f"(d.remote OR ({in_box} AND {dist} <= :radius))"
        narrow = source
        if not plan:  # the place is the narrowest test: rows come from the R*Tree and the remote
            narrow = (
                f"(SELECT * FROM docs WHERE {in_box.replace('d.doc', 'doc')} UNION ALL "
                "SELECT * FROM docs WHERE remote) d"
            )
            place = f"(d.remote OR {dist} <= :radius)"
        source = narrow
        total, online = fill(place)
        if total == online:
            # Nothing located inside the radius: the nearest beyond it, as our side answers.
            source = "fts JOIN docs d ON d.doc = fts.rowid" if plan else "docs d"
            # Ours keeps a door with no point out of the wider answer only under a time
            # question (Searcher._run); the same here.
            wider = fill("(d.remote OR d.located)" if time_test else None)
            if wider[0] > wider[1]:
                return (*wider, bits)
            source = narrow
            total, online = fill(place)
        return total, online, bits

    def _time_sql(self, request: SearchRequest) -> str | None:
        """Return the test of the request's time questions on a row `d`, or None."""

        def windows(test: str) -> str:
            shifted = " OR ".join(
                "(" + test.format(s=f"(w.start + {s})", e=f"(w.stop + {s})") + ")" for s in SHIFTS
            )
            return (
                "EXISTS (SELECT 1 FROM windows w, now_in n WHERE w.doc = d.doc "
                f"AND n.zone = d.zone AND ({shifted}))"
            )

        opened = windows("{s} <= n.minute AND n.minute < {e}")

        def starting(minutes: int) -> str:
            grace = STARTED_GRACE_MINUTES
            return windows(f"{{s}} >= n.minute - {grace} AND {{s}} <= n.minute + {int(minutes)}")

        tests = []
        if request.open_now:
            tests.append(opened)
        if request.happening_within is not None:
            tests.append(f"({opened} OR {starting(request.happening_within)})")
        if request.starting_within is not None:
            tests.append(starting(request.starting_within))
        return " AND ".join(["NOT d.closed", *tests]) if tests else None

    def _set_now(self, at: datetime) -> None:
        """Write each zone's minute of the week (Sunday 00:00 = 0) at `at` into now_in."""
        if at == self._now_at:
            return
        rows = []
        for number, zone in enumerate(self.zones):
            local = at.astimezone(zone)
            day = (local.weekday() + 1) % 7
            minute = day * MINUTES_PER_DAY + local.hour * 60 + local.minute + local.second / 60
            rows.append((number, minute))
        self.db.execute("DELETE FROM now_in")
        self.db.executemany("INSERT INTO now_in VALUES (?, ?)", rows)
        self._now_at = at

    def _facets(self, filters, bits: int) -> dict[str, list[tuple[str, int]]]:
        """Count each facet's values over the matched rows, under every filter but its own."""
        db = self.db
        counts: dict[str, dict[str, int]] = {f.key: {} for f in VALUE_FACETS}
        names = self.value_names
        for value, count in db.execute(
            "SELECT v.value, count(*) FROM scope s CROSS JOIN doc_values v ON v.doc = s.doc "
            "WHERE s.misses = 0 GROUP BY v.value"
        ):
            key, name = names[value]
            if not bits & MISS_FACET_BITS[key]:
                counts[key][name] = count
        for number, facet in enumerate(VALUE_FACETS):
            bit = MISS_FACET_BITS[facet.key]
            if not bits & bit:
                continue
            for value, count in db.execute(
                "SELECT v.value, count(*) FROM scope s CROSS JOIN doc_values v "
                "ON v.doc = s.doc AND v.facet = ? WHERE s.misses | ? = ? GROUP BY v.value",
                (number, bit, bit),
            ):
                counts[facet.key][names[value][1]] = count
        out = {key: sorted(pairs.items(), key=lambda p: (-p[1], p[0])) for key, pairs in
               counts.items()}  # fmt: skip
        days, buckets = filters.get("day", ()), filters.get("time_of_day", ())
        masks = [cell_mask([day], buckets) for day in DAYS]
        masks += [cell_mask(days, [bucket]) for bucket in BUCKETS]
        sums = ", ".join(f"coalesce(sum(cells & {m} != 0), 0)" for m in masks)
        row = db.execute(
            f"SELECT {sums} FROM scope WHERE misses | ? = ?", (MISS_SCHEDULE, MISS_SCHEDULE)
        ).fetchone()
        out["day"] = list(zip(DAYS, row[: len(DAYS)], strict=True))
        out["time_of_day"] = list(zip(BUCKETS, row[len(DAYS) :], strict=True))
        return out


@dataclass(frozen=True)
class BaselineResult:
    page: list[tuple[str, float, float | None]]  # (resource id, bm25 score, miles)
    total: int
    online_count: int
    facets: dict[str, list[tuple[str, int]]]


_LANGUAGE_OF = {field: language for language, field in LANGUAGE_FIELDS.items()}


def _terms(field: str, text: str) -> tuple[str, ...]:
    """Return a field's terms as our index has them (a language's field in its stems)."""
    language = _LANGUAGE_OF.get(field)
    return analyze_as(language, text) if language else analyze(text)


def _fts_query(plan: QueryPlan, require_all: bool = True) -> str:
    """Write a plan as an FTS5 query: alternatives ORed, concepts ANDed (or ORed), terms quoted."""
    concepts = []
    for concept in plan.concepts:
        alternatives = []
        for alternative in concept.alternatives:
            quoted = [f'"{t}"' for t in alternative.terms]
            alternatives.append(quoted[0] if len(quoted) == 1 else "(" + " AND ".join(quoted) + ")")
        concepts.append("(" + " OR ".join(alternatives) + ")")
    return (" AND " if require_all else " OR ").join(concepts)


# --- running ------------------------------------------------------------------------------------


def _percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered) * 1000, p95 * 1000


def _timed(
    run: Callable[[SearchRequest], object], batch: list[SearchRequest]
) -> tuple[list[float], float]:
    """Return each request's wall time and the mean CPU time of one, in seconds."""
    for request in batch[:WARM_UP]:  # warm: caches, postings, page cache
        run(request)
    times = []
    cpu = time.thread_time()
    for request in batch:
        start = time.perf_counter()
        run(request)
        times.append(time.perf_counter() - start)
    return times, (time.thread_time() - cpu) / len(batch)


def _counted(facets: dict[str, list[tuple[str, int]]]) -> dict[str, list[tuple[str, int]]]:
    return {key: sorted((v, c) for v, c in pairs if c) for key, pairs in facets.items()}


def agreement(searcher: Searcher, baseline: SqliteBaseline, batch: list[SearchRequest]) -> dict:
    """Ask both sides each request; count the answers whose total and facet counts agree.

    The first pages are compared where both order the same way (no words: by distance, then
    name); with words the two rank by different BM25 variants, so only their overlap is told.
    """
    out = {"requests": len(batch), "totals": 0, "facets": 0, "pages": 0, "ordered": 0}
    overlap, shown, first_difference = 0, 0, None
    for request in batch:
        ours = searcher.search(request)
        theirs = baseline.search(request, searcher.plan(request.q))
        ids = [hit.resource.id for hit in ours.hits]
        their_ids = [row[0] for row in theirs.page]
        same_total = (ours.total, ours.online_count) == (theirs.total, theirs.online_count)
        same_facets = _counted(ours.facets) == _counted(theirs.facets)
        out["totals"] += same_total
        out["facets"] += same_facets
        if not searcher.plan(request.q):
            out["ordered"] += 1
            out["pages"] += ids == their_ids
        else:
            overlap += len(set(ids) & set(their_ids))
            shown += len(ids)
        if first_difference is None and not (same_total and same_facets):
            first_difference = (request, ours.total, theirs.total)
    out["overlap"] = overlap / shown if shown else 1.0
    out["first_difference"] = first_difference
    return out


def _folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


class _Catalog:
    def __init__(self, resources, fingerprint):
        self.resources = resources
        self.fingerprint = fingerprint


def bench_size(n: int, queries: int, check: int = 50, out=print) -> dict:
    """Run the benchmark on one directory size and print the figures."""
    started = time.perf_counter()
    resources = generate(n)
    out(f"\n== {n:,} resources (generated in {time.perf_counter() - started:.1f} s)")
    with tempfile.TemporaryDirectory(prefix="directory-bench-") as tmp:
        started = time.perf_counter()
        generation = build_index(resources, tmp, f"bench-{n}")
        build = time.perf_counter() - started
        size = _folder_size(generation)
        started = time.perf_counter()
        searcher: Searcher = open_index(tmp, _Catalog(resources, f"bench-{n}"))
        opened = time.perf_counter() - started
        started = time.perf_counter()
        sqlite_file = Path(tmp) / "baseline.sqlite"
        baseline = SqliteBaseline(resources, sqlite_file)
        sqlite_build = time.perf_counter() - started
        out(
            f"index build {build:.1f} s, size {size / 1e6:.1f} MB, open {opened:.2f} s "
            f"(SQLite build {sqlite_build:.1f} s, {sqlite_file.stat().st_size / 1e6:.1f} MB)"
        )
        out(
            f"{'query':<24}{'p50 ms':>8}{'p95 ms':>8}{'cpu ms':>8}{'sqlite p50':>12}"
            f"{'sqlite p95':>12}{'sqlite cpu':>12}{'p50 ratio':>11}{'p95 ratio':>11}"
        )
        figures = {"n": n, "build_s": build, "size_mb": size / 1e6, "open_s": opened,
                   "sqlite_build_s": sqlite_build}  # fmt: skip
        for kind in KINDS:
            batch = requests(kind, queries)
            times, cpu = _timed(searcher.search, batch)
            ours = _percentiles(times)
            times, sqlite_cpu = _timed(lambda r: baseline.search(r, searcher.plan(r.q)), batch)
            theirs = _percentiles(times)
            out(
                f"{kind:<24}{ours[0]:>8.2f}{ours[1]:>8.2f}{cpu * 1000:>8.2f}{theirs[0]:>12.2f}"
                f"{theirs[1]:>12.2f}{sqlite_cpu * 1000:>12.2f}"
                f"{ours[0] / theirs[0]:>10.2f}x{ours[1] / theirs[1]:>10.2f}x"
            )
            figures[kind] = {
                "p50": ours[0],
                "p95": ours[1],
                "cpu": cpu * 1000,
                "sqlite_p50": theirs[0],
                "sqlite_p95": theirs[1],
                "sqlite_cpu": sqlite_cpu * 1000,
            }
        if check:
            out(f"same answers on {check} requests of each kind (total and online count; facets;")
            out("first page where both order by distance, else the share of its ids in both):")
            for kind in KINDS:
                agreed = figures[kind]["agreement"] = agreement(
                    searcher, baseline, requests(kind, check, seed=SEED + 1)
                )
                pages = (
                    f"first page {agreed['pages']}/{agreed['ordered']}"
                    if agreed["ordered"]
                    else f"first-page ids in both {agreed['overlap']:.0%}"
                )
                out(
                    f"  {kind:<22} totals {agreed['totals']}/{agreed['requests']}, "
                    f"facets {agreed['facets']}/{agreed['requests']}, {pages}"
                )
                if agreed["first_difference"]:
                    request, total, their_total = agreed["first_difference"]
                    out(f"    first difference: {request} ours {total}, sqlite {their_total}")
        baseline.close()
        searcher.close()
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    """Benchmark index build and search latency on synthetic directories."""
    parser = argparse.ArgumentParser(prog="bench/search.py", description=main.__doc__)
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=list(DEFAULT_SIZES),
        help="directory sizes to generate (default: 10000 100000)",
    )
    parser.add_argument(
        "--queries",
        type=int,
        default=DEFAULT_QUERIES,
        help="timed requests per query kind (default: 200)",
    )
    parser.add_argument(
        "--check",
        type=int,
        default=50,
        help="requests per kind asked of both sides, to compare answers (default: 50; 0: none)",
    )
    args = parser.parse_args(argv)
    for n in args.sizes:
        bench_size(n, max(1, args.queries), max(0, args.check))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
