"""Benchmark the search on a synthetic directory, against a SQLite FTS5 + R*Tree baseline.

    python bench/search.py                    # 10,000 and 100,000 resources
    python bench/search.py --sizes 10000 --queries 300

The directory is generated deterministically (same seed, same data): every category, meetings of
several fellowships with weekly schedules, opening hours, online and hybrid meetings, and points
clustered around real US cities in their own timezones. The run prints the index build time, its
size on disk and the time to open it, then p50/p95 latency (warm, in process, one thread) of four
kinds of query, each also run against SQLite in the same process, with the ratio of the two.

The SQLite baseline answers the same requests with FTS5 (porter stemming, bm25 with the same
field weights, the query's synonyms and corrections already expanded), an R*Tree bounding box
plus a haversine expression for distance, a table of facet values and a table of weekly windows.
It returns the first page, the total and counts for every facet (without our "each facet ignores
its own filter" refinement, snippets or upcoming times), so it does a little less work than the
real search.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the script runs from the checkout, beside tests/

from directory.core.geo import bounding_box  # noqa: E402  # why: after the path is set
from directory.core.model import Resource  # noqa: E402
from directory.core.places import Place  # noqa: E402
from directory.search import SearchRequest, build_index, open_index  # noqa: E402
from directory.search.analysis import QueryPlan  # noqa: E402
from directory.search.documents import document_for  # noqa: E402
from directory.search.facets import VALUE_FACETS  # noqa: E402
from directory.search.query import FIELD_BOOSTS, Searcher  # noqa: E402
from directory.search.table import STARTED_GRACE_MINUTES  # noqa: E402
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


class SqliteBaseline:
    """The same requests answered with SQLite FTS5, an R*Tree and plain tables."""

    def __init__(self, resources: Sequence[Resource]):
        db = self.db = sqlite3.connect(":memory:")
        db.executescript(
            """
            CREATE TABLE docs (doc INTEGER PRIMARY KEY, lat REAL, lon REAL, online INTEGER,
                               zone INTEGER, name TEXT);
            CREATE VIRTUAL TABLE fts USING fts5(
                name, keywords, description, tokenize = 'porter unicode61 remove_diacritics 2');
            CREATE VIRTUAL TABLE geo USING rtree(doc, min_lat, max_lat, min_lon, max_lon);
            CREATE TABLE facets (doc INTEGER, key TEXT, value TEXT);
            CREATE TABLE windows (doc INTEGER, zone INTEGER, start REAL, stop REAL);
            CREATE TEMP TABLE now_in (zone INTEGER PRIMARY KEY, minute REAL);
            CREATE TEMP TABLE found (doc INTEGER PRIMARY KEY, score REAL, dist REAL);
            """
        )
        zones: dict[str, int] = {}
        for doc, r in enumerate(resources):
            point = r.point
            online = r.online_only
            zone = zones.setdefault(r.timezone, len(zones))
            db.execute(
                "INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?)",
                (
                    doc,
                    point.lat if point else None,
                    point.lon if point else None,
                    online,
                    zone,
                    r.name.casefold(),
                ),
            )
            text = document_for(r)
            db.execute(
                "INSERT INTO fts (rowid, name, keywords, description) VALUES (?, ?, ?, ?)",
                (doc, text["name"], text["keywords"], text["description"]),
            )
            if point and not online:
                db.execute(
                    "INSERT INTO geo VALUES (?, ?, ?, ?, ?)",
                    (doc, point.lat, point.lat, point.lon, point.lon),
                )
            rows = [
                (doc, key, value)
                for key, fn in ((f.key, f.values_of) for f in VALUE_FACETS)
                for value in set(fn(r))
            ]
            db.executemany("INSERT INTO facets VALUES (?, ?, ?)", rows)
            if r.schedule:
                db.executemany(
                    "INSERT INTO windows VALUES (?, ?, ?, ?)",
                    [(doc, zone, s, e) for s, e in r.schedule.weekly_minutes()],
                )
        db.executescript(
            """
            CREATE INDEX facets_by_value ON facets (key, value, doc);
            CREATE INDEX facets_by_doc ON facets (doc);
            CREATE INDEX windows_by_doc ON windows (doc);
            """
        )
        db.commit()
        self.zones = [ZoneInfo(name) for name in zones]

    def search(self, request: SearchRequest, plan: QueryPlan) -> tuple[list, int, list]:
        """Return (first page, total, facet counts)."""
        db = self.db
        where, params = ["1"], []
        score = "0.0"
        source = "docs d"
        if plan:
            source = "fts JOIN docs d ON d.doc = fts.rowid"
            weights = ", ".join(str(FIELD_BOOSTS[f]) for f in ("name", "keywords", "description"))
            score = f"bm25(fts, {weights})"
            where.append("fts MATCH ?")
            params.append(_fts_query(plan))
        for key, values in request.filters.items():
            if key == "day" or key == "time_of_day":
                where.append(f"d.doc IN (SELECT doc FROM windows WHERE {_cells_sql(request)})")
                continue
            marks = ", ".join("?" * len(values))
            where.append(f"d.doc IN (SELECT doc FROM facets WHERE key = ? AND value IN ({marks}))")
            params += [key, *values]
        if request.open_now or request.starting_within is not None:
            db.execute("DELETE FROM now_in")
            db.executemany("INSERT INTO now_in VALUES (?, ?)", self._minutes(request.at))
            if request.open_now:
                test = "(w.start <= m + k AND m + k < w.stop)"
            else:
                lo, hi = -STARTED_GRACE_MINUTES, request.starting_within
                test = f"(w.start >= m + k + {lo} AND w.start <= m + k + {hi})"
            where.append(
                "EXISTS (SELECT 1 FROM windows w JOIN now_in n ON n.zone = w.zone, "
                "(SELECT -10080 AS k UNION ALL SELECT 0 UNION ALL SELECT 10080) "
                f"WHERE w.doc = d.doc AND {test.replace('m +', 'n.minute +')})"
            )
        dist = "NULL"
        near = request.near
        if near is not None:
            dist = (
                "CASE WHEN d.online THEN NULL ELSE 7917.5226 * asin(sqrt("
                "pow(sin(radians(d.lat - ?) / 2), 2) + cos(radians(?)) * cos(radians(d.lat)) * "
                "pow(sin(radians(d.lon - ?) / 2), 2))) END"
            )
            params = [near.lat, near.lat, near.lon, *params]
            if request.radius_miles is not None:
                box = bounding_box(near.lat, near.lon, request.radius_miles)
                where.append(
                    "(d.online OR d.doc IN (SELECT doc FROM geo WHERE min_lat >= ? AND "
                    "max_lat <= ? AND min_lon >= ? AND max_lon <= ?))"
                )
                params += [box.south, box.north, box.west, box.east]
        db.execute("DELETE FROM found")
        db.execute(
            f"INSERT INTO found SELECT d.doc, {score}, {dist} FROM {source} "
            f"WHERE {' AND '.join(where)}",
            params,
        )
        if near is not None and request.radius_miles is not None:
            db.execute("DELETE FROM found WHERE dist > ?", (request.radius_miles,))
        order = "score, dist" if plan else "dist IS NULL, dist, doc"
        page = db.execute(f"SELECT doc, score, dist FROM found ORDER BY {order} LIMIT ?", (PAGE,))
        page = page.fetchall()
        total = db.execute("SELECT count(*) FROM found").fetchone()[0]
        facets = db.execute(
            "SELECT key, value, count(*) FROM facets JOIN found USING (doc) GROUP BY key, value"
        ).fetchall()
        return page, total, facets

    def _minutes(self, at: datetime | None) -> list[tuple[int, float]]:
        at = at or datetime.now(UTC)
        out = []
        for i, zone in enumerate(self.zones):
            local = at.astimezone(zone)
            out.append((i, ((local.weekday() + 1) % 7) * 1440 + local.hour * 60 + local.minute))
        return out


def _cells_sql(request: SearchRequest) -> str:
    days = request.filters.get("day", ())
    buckets = request.filters.get("time_of_day", ())
    names = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
    parts = []
    if days:
        parts.append(
            "CAST(start / 1440 AS INTEGER) IN ("
            + ", ".join(str(names.index(d)) for d in days)
            + ")"
        )
    ranges = {"morning": (240, 720), "midday": (720, 1020), "evening": (1020, 1260)}
    if buckets:
        tests = []
        for b in buckets:
            if b == "night":
                tests.append("(start % 1440 >= 1260 OR start % 1440 < 240)")
            else:
                lo, hi = ranges[b]
                tests.append(f"(start % 1440 >= {lo} AND start % 1440 < {hi})")
        parts.append("(" + " OR ".join(tests) + ")")
    return " AND ".join(parts) or "1"


def _fts_query(plan: QueryPlan) -> str:
    """Write a plan as an FTS5 query: alternatives ORed, concepts ANDed, terms quoted."""
    concepts = []
    for concept in plan.concepts:
        alternatives = []
        for alternative in concept.alternatives:
            quoted = [f'"{t}"' for t in alternative.terms]
            alternatives.append(quoted[0] if len(quoted) == 1 else "(" + " AND ".join(quoted) + ")")
        concepts.append("(" + " OR ".join(alternatives) + ")")
    return " AND ".join(concepts)


# --- running ------------------------------------------------------------------------------------


def _percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered) * 1000, p95 * 1000


def _timed(run: Callable[[SearchRequest], object], batch: list[SearchRequest]) -> list[float]:
    for request in batch[:WARM_UP]:  # warm: caches, postings, page cache
        run(request)
    times = []
    for request in batch:
        start = time.perf_counter()
        run(request)
        times.append(time.perf_counter() - start)
    return times


def _folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


class _Catalog:
    def __init__(self, resources, fingerprint):
        self.resources = resources
        self.fingerprint = fingerprint


def bench_size(n: int, queries: int, out=print) -> dict:
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
        baseline = SqliteBaseline(resources)
        sqlite_build = time.perf_counter() - started
        out(
            f"index build {build:.1f} s, size {size / 1e6:.1f} MB, open {opened:.2f} s "
            f"(SQLite build {sqlite_build:.1f} s)"
        )
        out(
            f"{'query':<24}{'p50 ms':>9}{'p95 ms':>9}{'sqlite p50':>12}{'sqlite p95':>12}"
            f"{'p95 ratio':>11}"
        )
        figures = {"n": n, "build_s": build, "size_mb": size / 1e6, "open_s": opened}
        for kind in KINDS:
            batch = requests(kind, queries)
            ours = _percentiles(_timed(searcher.search, batch))
            theirs = _percentiles(_timed(lambda r: baseline.search(r, searcher.plan(r.q)), batch))
            ratio = ours[1] / theirs[1] if theirs[1] else float("inf")
            out(
                f"{kind:<24}{ours[0]:>9.2f}{ours[1]:>9.2f}{theirs[0]:>12.2f}{theirs[1]:>12.2f}"
                f"{ratio:>10.2f}x"
            )
            figures[kind] = {
                "p50": ours[0],
                "p95": ours[1],
                "sqlite_p50": theirs[0],
                "sqlite_p95": theirs[1],
            }
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
    args = parser.parse_args(argv)
    for n in args.sizes:
        bench_size(n, max(1, args.queries))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
