"""Benchmark the search on a synthetic directory, against a SQLite FTS5 + R*Tree baseline.

    python -m directory.bench                    # 10,000 and 100,000 resources
    python -m directory.bench --sizes 10000 --queries 300

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
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from .geo import bounding_box
from .model import Location, Online, Resource
from .places import Place
from .schedule import Schedule
from .search import SearchRequest, build_index, open_index
from .search.analysis import QueryPlan
from .search.documents import document_for
from .search.query import FIELD_BOOSTS, Searcher
from .search.table import FACETS, STARTED_GRACE_MINUTES
from .vocabulary import default_dimension

SEED = 20240601
DEFAULT_SIZES = (10_000, 100_000)
DEFAULT_QUERIES = 200  # timed runs per query kind
PAGE = 20
WARM_UP = 40  # untimed requests before timing (the kinds cycle through 18 texts, 20 cities)

# (city, state, lat, lon, timezone, weight)
CITIES = (
    ("Portland", "OR", 45.5152, -122.6784, "America/Los_Angeles", 3),
    ("Seattle", "WA", 47.6062, -122.3321, "America/Los_Angeles", 3),
    ("San Francisco", "CA", 37.7749, -122.4194, "America/Los_Angeles", 3),
    ("Los Angeles", "CA", 34.0522, -118.2437, "America/Los_Angeles", 5),
    ("Phoenix", "AZ", 33.4484, -112.0740, "America/Phoenix", 3),
    ("Denver", "CO", 39.7392, -104.9903, "America/Denver", 3),
    ("Albuquerque", "NM", 35.0844, -106.6504, "America/Denver", 2),
    ("Dallas", "TX", 32.7767, -96.7970, "America/Chicago", 4),
    ("Houston", "TX", 29.7604, -95.3698, "America/Chicago", 4),
    ("Chicago", "IL", 41.8781, -87.6298, "America/Chicago", 5),
    ("Minneapolis", "MN", 44.9778, -93.2650, "America/Chicago", 2),
    ("Nashville", "TN", 36.1627, -86.7816, "America/Chicago", 2),
    ("Atlanta", "GA", 33.7490, -84.3880, "America/New_York", 3),
    ("Miami", "FL", 25.7617, -80.1918, "America/New_York", 3),
    ("Detroit", "MI", 42.3314, -83.0458, "America/Detroit", 2),
    ("Philadelphia", "PA", 39.9526, -75.1652, "America/New_York", 3),
    ("New York", "NY", 40.7128, -74.0060, "America/New_York", 6),
    ("Boston", "MA", 42.3601, -71.0589, "America/New_York", 3),
    ("Baltimore", "MD", 39.2904, -76.6122, "America/New_York", 2),
    ("Anchorage", "AK", 61.2181, -149.9003, "America/Anchorage", 1),
)
REGIONS = ("Downtown", "Northside", "Eastside", "Westside", "Southside", "Midtown", "Riverside")
CATEGORY_WEIGHTS = {
    "meeting": 50,
    "mat": 5,
    "treatment": 6,
    "counseling": 6,
    "harm-reduction": 3,
    "crisis": 2,
    "wellness": 3,
    "housing": 6,
    "food": 5,
    "peer-support": 4,
    "faith": 3,
    "family": 2,
    "employment": 2,
    "legal": 2,
    "transportation": 1,
}
FELLOWSHIPS = {
    "AA": 50,
    "NA": 22,
    "Al-Anon": 8,
    "CA": 4,
    "SMART Recovery": 6,
    "Recovery Dharma": 5,
    "Celebrate Recovery": 5,
}
TYPE_CODES = ("D", "SP", "ST", "BE", "W", "M", "Y", "LGBTQ", "X", "S", "B", "MED", "POA", "LIT")
NAME_WORDS = (
    "Serenity",
    "Sunrise",
    "Hope",
    "New Beginnings",
    "Came to Believe",
    "Keep It Simple",
    "Happy Destiny",
    "Freedom",
    "Lifeline",
    "Promises",
    "Joy of Living",
    "Easy Does It",
    "One Day at a Time",
    "Grapevine",
    "Courage to Change",
    "Second Chance",
    "Harmony",
    "Miracles",
    "Back to Basics",
    "Spiritual Awakening",
    "Living Sober",
    "Just for Today",
)
PLACE_WORDS = (
    "Community",
    "Harbor",
    "Cedar",
    "Maple",
    "Lincoln",
    "Unity",
    "Bridge",
    "Summit",
    "Valley",
    "Pioneer",
    "Oak",
    "Lakeside",
    "Union",
    "Liberty",
    "Grace",
    "Mercy",
)
CATEGORY_NOUNS = {
    "mat": ("Recovery Clinic", "Opioid Treatment Program", "Addiction Medicine"),
    "treatment": ("Treatment Center", "Recovery Center", "Detox Center", "Outpatient Program"),
    "counseling": ("Counseling", "Behavioral Health", "Family Therapy"),
    "harm-reduction": ("Harm Reduction Project", "Syringe Services", "Outreach"),
    "crisis": ("Crisis Center", "Crisis Line", "Mobile Crisis Team"),
    "wellness": ("Health Center", "Community Clinic", "Wellness Center"),
    "housing": ("Recovery House", "Sober Living", "Oxford House", "Transitional Housing"),
    "food": ("Food Pantry", "Community Kitchen", "Food Bank", "Free Meals"),
    "peer-support": ("Recovery Community Center", "Peer Support", "Recovery Coaching"),
    "faith": ("Church Recovery Ministry", "Celebrate Recovery", "Faith Fellowship"),
    "family": ("Family Support", "Youth Services", "Parent Network"),
    "employment": ("Job Center", "Workforce Program", "GED Program"),
    "legal": ("Legal Aid", "Reentry Services", "ID Clinic"),
    "transportation": ("Ride Program", "Transit Help"),
}
SENTENCES = {
    "mat": (
        "Same-day buprenorphine starts, including Suboxone and Sublocade.",
        "Daily methadone dosing at a licensed opioid treatment program.",
        "Naltrexone (Vivitrol) injections for opioid and alcohol use disorder.",
        "Telehealth visits available for medication treatment.",
    ),
    "treatment": (
        "Medically monitored withdrawal management (detox).",
        "Intensive outpatient program three evenings a week.",
        "Residential treatment for adults, 28 to 90 days.",
        "Co-occurring mental health and substance use treatment.",
    ),
    "counseling": (
        "Individual, group and family therapy.",
        "Trauma-informed counseling.",
        "Counselors who speak Spanish.",
    ),
    "harm-reduction": (
        "Free naloxone (Narcan) and fentanyl test strips.",
        "Syringe services and wound care.",
        "Overdose prevention training.",
    ),
    "crisis": ("Call or text any time, day or night.", "Walk-in crisis stabilization."),
    "wellness": ("Primary care for people in recovery.", "Mental health care and nutrition."),
    "housing": (
        "Peer-run recovery housing, drug and alcohol free.",
        "Sober living with house meetings and curfew.",
        "Transitional housing for people leaving treatment.",
    ),
    "food": (
        "Food pantry open weekly, no ID needed.",
        "Hot meals served every weekday.",
        "Help applying for SNAP food benefits.",
    ),
    "peer-support": ("Peer recovery coaches who have been there.", "All pathways welcome."),
    "faith": ("Christ-centered recovery group.", "A church community supporting recovery."),
    "family": ("Support for families and friends.", "Youth and school programs."),
    "employment": ("Job training and resume help.", "GED classes and job search support."),
    "legal": ("Free legal aid for expungement.", "Help replacing ID documents."),
    "transportation": ("Free rides to treatment appointments.", "Bus passes for clients."),
}
FILLER = (
    "welcoming",
    "friendly",
    "confidential",
    "caring",
    "experienced",
    "licensed",
    "staff",
    "neighborhood",
    "downtown",
    "parking",
    "bus",
    "line",
    "near",
    "ramp",
    "entrance",
    "side",
    "door",
    "second",
    "floor",
    "basement",
    "room",
    "hall",
    "library",
    "center",
)
SERVICE_CHOICES = {
    "mat": ("outpatient", "telehealth", "assessment", "case-management", "counseling"),
    "treatment": ("detox", "outpatient", "intensive-outpatient", "residential", "co-occurring"),
    "counseling": ("counseling", "group-therapy", "family-therapy", "co-occurring"),
    "harm-reduction": ("naloxone", "syringe-services", "test-strips"),
    "housing": ("sober-living", "transitional-housing", "shelter", "case-management"),
    "food": ("food-pantry", "meals", "benefits-help"),
    "peer-support": ("peer-support", "recovery-coaching"),
    "employment": ("job-training", "education", "volunteering"),
    "legal": ("legal-aid", "id-documents", "benefits-help"),
}
PAYMENTS = ("free", "medicaid", "medicare", "private-insurance", "sliding-scale", "self-pay")
POPULATIONS = ("adults", "youth", "women", "men", "lgbtq", "veterans", "pregnant", "families")


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _time(minute: int) -> str:
    return f"{minute // 60 % 24:02d}:{minute % 60:02d}"


def _meeting_hours(rng: random.Random) -> list[dict]:
    items = []
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        start = rng.choice(
            (
                6 * 60 + 30,
                7 * 60,
                12 * 60,
                12 * 60 + 15,
                17 * 60 + 30,
                18 * 60,
                19 * 60,
                19 * 60 + 30,
                20 * 60,
                22 * 60,
                23 * 60 + 30,
            )
        )
        days = rng.choice(
            (
                ["mon"],
                ["tue"],
                ["wed"],
                ["thu"],
                ["fri"],
                ["sat"],
                ["sun"],
                "weekdays",
                "daily",
                ["mon", "wed", "fri"],
            )
        )
        items.append({"days": days, "start": _time(start), "end": _time(start + 60)})
    return items


def _opening_hours(rng: random.Random) -> list[dict] | None:
    kind = rng.random()
    if kind < 0.3:
        return None
    if kind < 0.4:
        return [{"days": "daily", "start": "00:00", "end": "24:00"}]
    if kind < 0.8:
        return [{"days": "weekdays", "start": "08:00", "end": rng.choice(("17:00", "18:00"))}]
    return [
        {"days": rng.choice((["sat"], ["tue", "thu"], ["fri"])), "start": "10:00", "end": "14:00"}
    ]


def generate(n: int, seed: int = SEED) -> list[Resource]:
    """Return n synthetic resources, the same ones for the same n and seed."""
    rng = random.Random(seed * 1_000_003 + n)
    weights = [c[5] for c in CITIES]
    out = []
    for i in range(n):
        city, state, clat, clon, tz, _ = rng.choices(CITIES, weights=weights)[0]
        category = _pick(rng, CATEGORY_WEIGHTS)
        lat = clat + rng.gauss(0, 0.09)
        lon = clon + rng.gauss(0, 0.09) / math.cos(math.radians(clat))
        location = Location(
            lat=round(lat, 5), lon=round(lon, 5), city=city, state=state, region=rng.choice(REGIONS)
        )
        online = None
        kw: dict = {}
        if category == "meeting":
            fellowship = _pick(rng, FELLOWSHIPS)
            types = [rng.choice(("O", "C"))] + rng.sample(TYPE_CODES, rng.choice((0, 1, 2, 3)))
            name = f"{rng.choice(NAME_WORDS)} {rng.choice(('Group', 'Meeting', 'Fellowship'))}"
            attend = rng.random()
            if attend < 0.12:
                location, online = None, Online(url=f"https://meet.example.org/{i}")
            elif attend < 0.2:
                online = Online(url=f"https://meet.example.org/{i}")
            hours = _meeting_hours(rng)
            description = rng.choice(
                (
                    "",
                    "Literature discussion.",
                    "Newcomers welcome.",
                    "Meets in the church basement.",
                    "Speaker then sharing.",
                )
            )
            kw.update(fellowship=fellowship, types=tuple(dict.fromkeys(types)))
        else:
            name = f"{rng.choice(PLACE_WORDS)} {rng.choice(CATEGORY_NOUNS[category])}"
            sentences = SENTENCES[category]
            description = " ".join(rng.sample(sentences, min(len(sentences), rng.randint(1, 3))))
            description += " " + " ".join(rng.sample(FILLER, 4)) + "."
            hours = _opening_hours(rng)
            services = SERVICE_CHOICES.get(category, ())
            if services:
                kw["services"] = tuple(rng.sample(services, rng.randint(1, len(services))))
            if category == "mat":
                kw["medications"] = tuple(
                    rng.sample(("buprenorphine", "methadone", "naltrexone"), rng.randint(1, 3))
                )
            kw["payment"] = tuple(rng.sample(PAYMENTS, rng.randint(1, 3)))
            if rng.random() < 0.3:
                kw["populations"] = tuple(rng.sample(POPULATIONS, rng.randint(1, 2)))
        if rng.random() < 0.12:
            kw["languages"] = ("en", "es")
        if rng.random() < 0.3:
            kw["accessibility"] = ("wheelchair",)
        out.append(
            Resource(
                id=f"r{i}",
                name=name,
                category=category,
                dimensions=(default_dimension(category),),
                timezone=tz,
                description=description or None,
                location=location,
                online=online,
                schedule=Schedule.from_items(hours, tz) if hours else None,
                **kw,
            )
        )
    return out


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
            rows = [(doc, key, value) for key, fn in FACETS.items() for value in set(fn(r))]
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
    parser = argparse.ArgumentParser(prog="python -m directory.bench", description=main.__doc__)
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
