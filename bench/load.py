"""Load and fault test: gunicorn under wrk while the data file, the index and Redis misbehave.

    bench/load.sh                       # 60 s of steady load, then the faults under load
    bench/load.sh --duration 20 --resources 2000

Loopback only. The run writes a synthetic 10,000-resource directory (Portland metro, real ZIP
codes and points inside them) in four whole versions (the original, A, B, C: every name of a
version carries its marker word, and a few entries are withdrawn) to a temporary folder, starts
a real redis-server (the rate-limit store) and gunicorn with the shipped configuration and two
workers on free ports of 127.0.0.1, and drives it with wrk and `bench/search.lua`: result pages
(`/search?...`) for half the duration, API searches for the other half, then both for as long
as these faults take, in order, each checked on /readyz over new connections:

 1. a valid new file (A): switched to;
 2. a YAML error, 3. a validation error, 4. an alias bomb, 5. a file cut at 55%: each refused,
    A still served;
 6. the data file deleted: refused, A still served;
 7. the index folder read-only while B arrives: reported as such; writable again: B served;
 8. a slow non-atomic copy of C (in place, 20 pieces over 10 s): C served once it is whole;
 9. Redis stopped: /readyz says the store is degraded, searches go on; started again: ok;
10. `kill -9` of a worker: the master starts another.

All through the faults a prober asks fixed searches on new connections and compares every answer
with an in-process app's answers on each whole version: an answer that matches none is from
partial data, one from a version no longer in service is stale (both must be 0). It prints
requests per second, latency, 5xx and other non-2xx responses (must be 0), and checks that the
access log holds no query strings and the error log no traceback. Rate limits are raised
(DIRECTORY_RATE_LIMIT_SEARCH and DIRECTORY_RATE_LIMIT_API set to "1000000 per minute"): one
client address sending hundreds of searches a second is exactly what the limits exist to stop;
they are still counted, in Redis. Exit status: 0 when every check passed (the throughput targets
are reported, not enforced: the figures depend on the machine), 1 otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import math
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import factories as bench  # noqa: E402  # why: the script runs from bench/, not installed

# The search benchmark's vocabulary, with Portland's own words where this directory needs them.
CATEGORY_WEIGHTS = bench.CATEGORY_WEIGHTS
FELLOWSHIPS = bench.FELLOWSHIPS
PAYMENTS = bench.PAYMENTS
POPULATIONS = bench.POPULATIONS

LUA_SCRIPT = Path(__file__).resolve().parent / "search.lua"

SEED = 20241128
RESOURCES = 10_000
CENTER = (45.5152, -122.6784)  # downtown Portland, OR
METRO_MILES = 30  # ZIP codes whose centre is this close to CENTER are used
JITTER_MILES = 1.5  # a point lies this close to its ZIP's centre (the validator warns past 15)
MARKERS = ("Zephyrine", "Quillwort", "Marlowe")  # versions A, B and C of the directory
AT = "2026-12-02T19:00:00-08:00"  # probes ask about a fixed instant: deterministic answers
TARGETS = {"pages": {"rps": 300, "p99_ms": 150}, "api": {"rps": 600, "p99_ms": None}}

# --- the synthetic resource file -----------------------------------------------------------------

# Codes every one of the fellowships above uses (others are warned about for some of them).
MEETING_TYPES = ("D", "SP", "BE", "W", "M", "Y", "LGBTQ", "X", "S", "MED", "POA", "LIT")
MEETING_NAMES = bench.NAME_WORDS
MEETING_SUFFIXES = ("Group", "Meeting", "Fellowship", "Step Study", "Speaker Meeting")
MEETING_NOTES = (
    None,
    "Literature discussion; newcomers welcome.",
    "Meets in the church basement, side door.",
    "Speaker for twenty minutes, then sharing.",
    "Coffee is on fifteen minutes before the start.",
    "A small group that reads from the Big Book.",
)
PLACE_WORDS = bench.PLACE_WORDS + ("Columbia", "Willamette", "Cascade", "Rose City")
# "Celebrate Recovery" is a fellowship's name: a made-up faith group should not claim it.
CATEGORY_NOUNS = {
    **bench.CATEGORY_NOUNS,
    "faith": ("Church Recovery Ministry", "Faith Fellowship", "Recovery Chapel"),
}
SENTENCES = bench.SENTENCES
SERVICES = {
    "mat": ("outpatient", "telehealth", "assessment", "case-management", "counseling"),
    "treatment": ("detox", "outpatient", "intensive-outpatient", "residential", "co-occurring"),
    "counseling": ("counseling", "group-therapy", "family-therapy", "co-occurring"),
    "harm-reduction": ("naloxone", "syringe-services", "test-strips"),
    "crisis": ("crisis-line", "mobile-crisis", "walk-in"),
    "wellness": ("primary-care", "mental-health"),
    "housing": ("sober-living", "transitional-housing", "shelter", "case-management"),
    "food": ("food-pantry", "meals", "benefits-help"),
    "peer-support": ("peer-support", "recovery-coaching"),
    "employment": ("job-training", "education", "volunteering"),
    "legal": ("legal-aid", "id-documents", "benefits-help"),
    "transportation": ("transportation",),
}
ACCESSIBILITY = ("wheelchair", "accessible-restroom", "asl", "hearing-loop", "accessible-parking")
STREETS = (
    "Main St",
    "Broadway",
    "Division St",
    "Burnside St",
    "Sandy Blvd",
    "Foster Rd",
    "Powell Blvd",
    "Hawthorne Blvd",
    "Alberta St",
    "Killingsworth St",
    "Lombard St",
    "Stark St",
    "Glisan St",
    "Halsey St",
    "Belmont St",
    "Fremont St",
    "Market St",
    "Oak St",
    "Pine St",
    "1st Ave",
    "12th Ave",
    "82nd Ave",
    "122nd Ave",
    "Hall Blvd",
    "Canyon Rd",
)
HALL_KINDS = ("Fellowship Hall", "Parish Hall", "Community Center", "Grange Hall", "Clubhouse")
MEETING_STARTS = ("06:30", "07:00", "12:00", "12:15", "17:30", "18:00", "19:00", "19:30", "20:00")
MEETING_DAYS = (["mon"], ["tue"], ["wed"], ["thu"], ["fri"], ["sat"], ["sun"], "daily", "weekdays")


@dataclass(frozen=True)
class Zip:
    code: str
    city: str
    state: str
    lat: float
    lon: float


def metro_zips(center: tuple[float, float] = CENTER, miles: float = METRO_MILES) -> list[Zip]:
    """Return the standard (street-delivery) ZIP codes of OR and WA around a centre."""
    import zipcodes

    out = []
    for state in ("OR", "WA"):
        for row in zipcodes.filter_by(state=state):
            if row["zip_code_type"] != "STANDARD" or not row.get("active", True):
                continue
            lat, lon = float(row["lat"]), float(row["long"])
            if _miles(center[0], center[1], lat, lon) <= miles:
                out.append(Zip(row["zip_code"], row["city"].title(), state, lat, lon))
    return sorted(out, key=lambda z: z.code)


def _miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 7917.5226 * math.asin(math.sqrt(a))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _place(rng: random.Random, zips: Sequence[Zip], weights: Sequence[float]) -> dict:
    """Return a location mapping: a street address in a real ZIP, its point near the ZIP's."""
    z = rng.choices(zips, weights=weights)[0]
    distance = JITTER_MILES * math.sqrt(rng.random())
    bearing = rng.uniform(0, 2 * math.pi)
    lat = z.lat + distance * math.cos(bearing) / 69.0
    lon = z.lon + distance * math.sin(bearing) / (69.0 * math.cos(math.radians(z.lat)))
    return {
        "address": f"{rng.randint(100, 19999)} {rng.choice(('N', 'NE', 'SE', 'SW', 'NW'))} "
        f"{rng.choice(STREETS)}",
        "city": z.city,
        "state": z.state,
        "postal_code": z.code,
        "lat": round(lat, 5),
        "lon": round(lon, 5),
    } | ({"region": _quadrant(lat, lon)} if z.city == "Portland" else {})


def _quadrant(lat: float, lon: float) -> str:
    """Return Portland's quadrant for a point (its neighbourhood filter)."""
    return ("North" if lat >= CENTER[0] else "South") + ("east" if lon >= CENTER[1] else "west")


def _opening_hours(rng: random.Random) -> list[dict]:
    shape = rng.random()
    if shape < 0.1:
        return [{"days": "daily", "start": "00:00", "end": "24:00"}]
    if shape < 0.6:
        return [{"days": "weekdays", "start": rng.choice(("08:00", "09:00")), "end": "17:00"}]
    if shape < 0.85:
        return [
            {"days": ["mon", "wed", "fri"], "start": "09:00", "end": "16:30"},
            {"days": ["tue", "thu"], "start": "12:00", "end": "20:00"},
        ]
    return []


def resource_file(
    n: int = RESOURCES, seed: int = SEED, marker: str | None = None, withdrawn: float = 0.0
) -> dict:
    """Return a synthetic format-1 directory of n resources as plain data.

    `marker` is appended to every name (a new version of the same directory); a `withdrawn`
    share of entries is marked inactive in that version, so its totals differ too.
    """
    rng = random.Random(seed * 1_000_003 + n)
    zips = metro_zips()
    weights = [4.0 if z.city == "Portland" else 1.0 for z in zips]
    halls: dict[str, dict] = {}
    for i in range(max(1, n // 15)):
        place = _place(rng, zips, weights)
        name = f"{rng.choice(PLACE_WORDS)} {rng.choice(HALL_KINDS)}"
        halls[f"{_slug(name)}-{i}"] = {"name": name, **place}
    hall_ids = list(halls)
    resources = []
    for i in range(n):
        category = rng.choices(list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()))[0]
        entry: dict = {}
        if category == "meeting":
            fellowship = rng.choices(list(FELLOWSHIPS), weights=list(FELLOWSHIPS.values()))[0]
            name = f"{rng.choice(MEETING_NAMES)} {rng.choice(MEETING_SUFFIXES)}"
            entry = {"fellowship": fellowship}
            types = [rng.choice(("O", "C"))] + rng.sample(MEETING_TYPES, rng.randint(0, 3))
            entry["types"] = list(dict.fromkeys(types))
            note = rng.choice(MEETING_NOTES)
            if note:
                entry["description"] = note
            attend = rng.random()
            if attend >= 0.12:
                entry["location"] = rng.choice(hall_ids) if rng.random() < 0.7 else None
            if attend < 0.2:
                entry["online"] = {"url": f"https://meet.example.org/j/{100000 + i}"}
            schedule = [
                {"days": rng.choice(MEETING_DAYS), "start": rng.choice(MEETING_STARTS)}
                for _ in range(rng.choice((1, 1, 1, 2)))
            ]
            entry["schedule"] = schedule
        else:
            name = f"{rng.choice(PLACE_WORDS)} {rng.choice(CATEGORY_NOUNS[category])}"
            sentences = SENTENCES[category]
            entry["organization"] = f"{rng.choice(PLACE_WORDS)} Health Partners"
            entry["description"] = " ".join(
                rng.sample(sentences, min(len(sentences), rng.randint(1, 3)))
            )
            entry["location"] = None
            entry["phone"] = f"503-555-01{rng.randint(0, 99):02d}"
            entry["website"] = f"https://example.org/{_slug(name)}-{i}"
            hours = _opening_hours(rng)
            if hours:
                entry["schedule"] = hours
            else:
                entry["hours_notes"] = "By appointment"
            if category in SERVICES:
                choices = SERVICES[category]
                entry["services"] = rng.sample(choices, rng.randint(1, len(choices)))
            if category == "mat":
                entry["medications"] = rng.sample(
                    ("buprenorphine", "methadone", "naltrexone"), rng.randint(1, 3)
                )
            entry["payment"] = rng.sample(PAYMENTS, rng.randint(1, 3))
            if rng.random() < 0.3:
                entry["populations"] = rng.sample(POPULATIONS, rng.randint(1, 2))
        if "location" in entry and entry["location"] is None:
            entry["location"] = _place(rng, zips, weights)
        if rng.random() < 0.12:
            entry["languages"] = ["en", "es"]
        if rng.random() < 0.3:
            entry["accessibility"] = rng.sample(ACCESSIBILITY, rng.randint(1, 2))
        entry["last_verified"] = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 300))
        status = "temporarily-closed" if rng.random() < 0.01 else None
        if rng.random() < withdrawn:
            status = "inactive"
        head = {
            "id": f"{_slug(name)}-{i}",
            "name": f"{name} {marker}" if marker else name,
            "category": category,
        }
        if status:
            head["status"] = status
        resources.append({**head, **entry})
    return {
        "format": 1,
        "directory": {
            "name": "Load Test Metro Recovery Directory (synthetic)",
            "timezone": "America/Los_Angeles",
            "country": "US",
            "center": {"lat": CENTER[0], "lon": CENTER[1]},
            "crisis_lines": [
                {"name": "988 Suicide & Crisis Lifeline", "phone": "988", "text": "988"},
                {"name": "SAMHSA National Helpline", "phone": "1-800-662-4357"},
            ],
        },
        "locations": halls,
        "resources": resources,
    }


def break_file(data: dict) -> dict:
    """Return a copy of a directory with the mistakes a hurried hand edit makes."""
    broken = json.loads(json.dumps(data, default=str))  # deep copy; dates become strings
    first, second = broken["resources"][0], broken["resources"][1]
    first["phnoe"] = first.pop("phone", "503-555-0100")  # a typo'd key: an error, never dropped
    second["location"] = {"city": "Nowhere", "state": "OR", "lat": 145.2, "lon": -122.6}
    return broken


def to_yaml(data: dict) -> str:
    """Write a directory the way maintainers do: block mappings, short lists on one line."""
    lines = ["# SYNTHETIC load-test data written by bench/load.py: nothing in it is real."]
    _emit(data, 0, lines)
    return "\n".join(lines) + "\n"


def _emit(mapping: dict, indent: int, lines: list[str]) -> None:
    pad = " " * indent
    for key, value in mapping.items():
        if isinstance(value, dict) and value:
            lines.append(f"{pad}{key}:")
            _emit(value, indent + 2, lines)
        elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
            lines.append(f"{pad}{key}:")
            for item in value:
                if _small(item):
                    lines.append(f"{pad}  - {_flow(item)}")
                else:  # a resource: one key a line, nested mappings as blocks
                    body: list[str] = []
                    _emit(item, indent + 4, body)
                    lines.append(f"{pad}  - {body[0].lstrip()}")
                    lines.extend(body[1:])
        else:
            lines.append(f"{pad}{key}: {_flow(value)}")


# Characters YAML does not take as they are: not printable, or a line break YAML 1.1 folds.
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def _escape(match: re.Match) -> str:
    return f"\\u{ord(match.group()):04x}"


def _small(item: object) -> bool:
    """Return True for a mapping that reads well on one line (a schedule window, a line)."""
    return (
        isinstance(item, dict)
        and len(item) <= 4
        and not any(isinstance(v, dict) for v in item.values())
    )


def _flow(value: object) -> str:
    """Return a value in YAML flow style; strings double-quoted, which JSON's escapes suit."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, dt.date):
        return value.isoformat()  # a plain YAML date, as maintainers write it
    if isinstance(value, str):
        return _YAML_UNSAFE.sub(_escape, json.dumps(value, ensure_ascii=False))
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return repr(value)
    raise TypeError(f"cannot write {type(value).__name__} to the resource file")


def write_resource_file(path: str | Path, data: dict) -> None:
    """Write a directory as YAML, replacing any file at `path` in one step (rename)."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(to_yaml(data), encoding="utf-8")
    os.replace(temporary, path)  # a reader sees the old file or the new one, never half of one


# --- the requests --------------------------------------------------------------------------------

TEXTS = (
    "",
    "aa",
    "meeting",
    "suboxone",
    "methodone clinic",
    "sober living",
    "food pantry",
    "detox",
    "narcotics anonymous",
    "free meals",
    "job training",
    "naloxone",
    "counseling veterans",
    "alchoholics anonymous",
    "womens meeting",
    "housing",
    "recovery",
    "spanish",
)
PLACES = (
    "",
    "97214",
    "97232",
    "Portland, OR",
    "Gresham, OR",
    "Vancouver, WA",
    "Beaverton, OR",
    "45.5231,-122.6765",
    "Northeast",
)
FILTERS: tuple[tuple[tuple[str, str], ...], ...] = (
    (),
    (("category", "meeting"),),
    (("category", "meeting"), ("day", "mon"), ("time_of_day", "evening")),
    (("fellowship", "AA"), ("fellowship", "NA")),
    (("payment", "medicaid"),),
    (("category", "mat"), ("category", "treatment")),
    (("language", "es"),),
    (("attendance", "online"),),
    (("open_now", "true"),),
    (("category", "meeting"), ("starting_within", "120")),
)
RADII = ("", "5", "10", "25")


def search_paths(prefix: str, count: int = 600, seed: int = SEED) -> list[str]:
    """Return `count` varied search paths (words, places, filters, radius, page 2) under prefix."""
    rng = random.Random(f"{seed}-{prefix}")
    out = []
    for _ in range(count):
        params: list[tuple[str, str]] = []
        q, near = rng.choice(TEXTS), rng.choice(PLACES)
        if q:
            params.append(("q", q))
        if near:
            params.append(("near", near))
            radius = rng.choice(RADII)
            if radius:
                params.append(("radius", radius))
        params += rng.choice(FILTERS)
        if rng.random() < 0.1:
            params.append(("page", "2"))
        out.append(f"{prefix}?{urllib.parse.urlencode(params)}")
    return out


# Searches whose answers are compared with an in-process app on the same file.
PROBES = (
    "q=meeting&near=97214",
    "q=suboxone&near=Portland%2C+OR&radius=25",
    "category=meeting&fellowship=AA&day=wed&time_of_day=evening&near=97232",
    "q=food+pantry",
    "q=sober+living&near=Gresham%2C+OR",
    "category=mat&payment=medicaid",
    "near=45.5231%2C-122.6765&radius=5",
    "q=detox&language=es",
)
PROBE_PREFIX = {"pages": "/search", "api": "/api/v1/search"}

_RESULT_LINK = re.compile(r'<h([34])><a href="[^"]*/resources/([^"/]+)">([^<]*)</a></h\1>')
_RESULTS_HEADING = re.compile(r'<h2 id="results-heading">([\d,]+) results?')


def probe_path(kind: str, query: str) -> str:
    """Return the path of a probe: fixed instant, so the same data gives the same answer."""
    return f"{PROBE_PREFIX[kind]}?{query}&at={urllib.parse.quote(AT)}"


def answer_of(kind: str, body: bytes) -> dict:
    """Reduce a search response to what identifies the data behind it: total, ids, names."""
    import html

    if kind == "api":
        data = json.loads(body)
        results = [[r["id"], r["name"]] for r in data["results"]]
        return {"total": data["total"], "results": results}
    text = body.decode("utf-8")
    heading = _RESULTS_HEADING.search(text)
    results = [[rid, html.unescape(name)] for _, rid, name in _RESULT_LINK.findall(text)]
    total = int(heading.group(1).replace(",", "")) if heading else 0
    return {"total": total, "results": results}


def wrong_data(answer: dict, expected: dict, marker: str) -> list[str]:
    """Return why an answer does not come from the expected data (empty: it does)."""
    problems = []
    if answer["total"] != expected["total"]:
        problems.append(f"total {answer['total']}, expected {expected['total']}")
    unmarked = [name for _, name in answer["results"] if marker not in name.split()]
    if unmarked:
        problems.append(f"{len(unmarked)} result(s) without the marker {marker!r}: {unmarked[0]!r}")
    if answer["results"] != expected["results"]:
        got = [rid for rid, _ in answer["results"]][:3]
        want = [rid for rid, _ in expected["results"]][:3]
        problems.append(f"results {got}..., expected {want}...")
    return problems


def expected_answers(data_path: str, index_dir: str) -> dict:
    """Answer every probe with an in-process app on a data file: fingerprint, answers."""
    from directory import create_app

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "load-test",
            "DATA_PATH": data_path,
            "INDEX_DIR": index_dir,
            "RATE_LIMIT_SEARCH": "1000000 per minute",
            "RATE_LIMIT_API": "1000000 per minute",
        }
    )
    client = app.test_client()
    out: dict = {"fingerprint": None, "answers": {}}
    for kind in PROBE_PREFIX:
        for query in PROBES:
            path = probe_path(kind, query)
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code} in process")
            out["answers"][path] = answer_of(kind, response.data)
    with app.app_context():
        from directory.web.state import get_catalog

        out["fingerprint"] = get_catalog().fingerprint
    return out


# --- wrk -----------------------------------------------------------------------------------------


@dataclass
class WrkResult:
    requests: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)
    socket_errors: dict[str, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def non_2xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)


def parse_wrk(output: str) -> WrkResult:
    """Read the machine-readable line `bench/search.lua` prints when wrk is done."""
    for line in output.splitlines():
        if line.startswith("LOADTEST "):
            data = json.loads(line[len("LOADTEST ") :])
            return WrkResult(
                requests=data["requests"],
                seconds=data["duration_us"] / 1e6,
                p50_ms=data["p50_us"] / 1000,
                p90_ms=data["p90_us"] / 1000,
                p99_ms=data["p99_us"] / 1000,
                max_ms=data["max_us"] / 1000,
                statuses={int(k): v for k, v in data["statuses"].items()},
                socket_errors=data["errors"],
            )
    raise ValueError("wrk printed no LOADTEST line: was bench/search.lua used?")


def wrk_command(url: str, seconds: float, connections: int, timeout: str) -> list[str]:
    """Return the wrk command line for one phase (one thread: the server needs the cores)."""
    return [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={timeout}",
        "--latency",
        "-s",
        str(LUA_SCRIPT),
        url,
    ]


# --- the server ----------------------------------------------------------------------------------


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(port: int, path: str, timeout: float = 30.0) -> tuple[int, bytes]:
    """GET a path on a new connection (so that any worker may answer it)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Connection": "close"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class Server:
    """gunicorn with the project's gunicorn.conf.py, on loopback, logs in the work folder."""

    def __init__(
        self,
        work: Path,
        data_path: Path,
        workers: int,
        threads: int | None,
        config: Path = ROOT / "gunicorn.conf.py",
        redis=None,
    ):
        self.port = free_port()
        self.config = config
        self.access_log = work / "access.log"
        self.error_log = work / "error.log"
        self.env = dict(
            os.environ,
            BIND=f"127.0.0.1:{self.port}",
            WEB_CONCURRENCY=str(workers),
            DIRECTORY_DATA_PATH=str(data_path),
            DIRECTORY_INDEX_DIR=str(work / "index"),
            DIRECTORY_SECRET_KEY=f"load-test-{secrets.token_hex(24)}",
            DIRECTORY_BASE_URL="https://directory.example.org",
            DIRECTORY_REPORTS_DIR=str(work / "reports"),
            # One address sending hundreds of searches a second is what the limits stop.
            DIRECTORY_RATE_LIMIT_SEARCH="1000000 per minute",
            DIRECTORY_RATE_LIMIT_API="1000000 per minute",
            DIRECTORY_RATELIMIT_STORAGE_URI=(
                redis.uri if redis is not None else f"sqlite:///{work}/rate-limits.sqlite"
            ),
        )
        if threads:
            self.env["THREADS"] = str(threads)
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "gunicorn", "-c", str(self.config)]
        # gunicorn 27 opens a control socket at one path per user (~/.gunicorn/gunicorn.ctl):
        # this server must not take it over from another one running on the machine.
        command.append("--no-control-socket")
        with open(self.access_log, "wb") as out, open(self.error_log, "wb") as err:
            self.process = subprocess.Popen(
                [*command, "directory:create_app()"], cwd=ROOT, env=self.env, stdout=out, stderr=err
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def worker_pids(self) -> list[int]:
        """The master's children but a parse child or a catalog writer (gunicorn_conf.py)."""
        from tests.web.gunicorn_server import children_of, is_worker

        assert self.process is not None
        out = [pid for pid in children_of(self.process.pid) if is_worker(pid)]
        return out

    def kill(self, pids: list[int]) -> None:
        for pid in pids:
            os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        if not self.alive():
            return
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log(self) -> str:
        return self.error_log.read_text(errors="replace")

    def readyz(self) -> dict | None:
        try:
            status, body = fetch(self.port, "/readyz", timeout=60)
        except OSError:
            return None
        return json.loads(body) if status == 200 else None

    def rate_limit_status(self, status: str) -> Callable[[dict], bool]:
        return lambda state: state.get("rate_limits", {}).get("status") == status

    def wait_for(
        self, test: Callable[[dict], bool], deadline: float, in_a_row: int = 10
    ) -> dict | None:
        """Poll /readyz on new connections until `in_a_row` answers in a row pass `test`."""
        passed = 0
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"gunicorn exited; see {self.error_log}")
            state = self.readyz()
            passed = passed + 1 if state is not None and test(state) else 0
            if passed >= in_a_row:
                return state
            time.sleep(0.1)
        return None


# --- the faults --------------------------------------------------------------------------------


def yaml_error(text: str) -> str:
    """A file whose YAML no longer parses (an unclosed list at the end, as a bad merge leaves)."""
    return text + "resources_extra: [\n"


def alias_bomb(text: str) -> str:
    """A directory with a "billion laughs" (about 1 KB expanding to 9**9 values) at its top."""
    lines = ['x-lol: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"x-{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    head, body = text.split("\n", 1)
    return head + "\n" + "\n".join(lines) + "\n" + body


def truncated(text: str, share: float = 0.55) -> str:
    """The file as a copy interrupted at `share` of its bytes leaves it (at a line's end)."""
    return text[: text.index("\n", int(len(text) * share)) + 1]


def slow_copy(source: Path, target: Path, seconds: float, pieces: int = 20) -> None:
    """Copy over `target` in place, piece by piece (cp without a rename, a slow disk)."""
    data = source.read_bytes()
    with open(target, "wb") as out:
        for i in range(pieces):
            out.write(data[i * len(data) // pieces : (i + 1) * len(data) // pieces])
            out.flush()
            time.sleep(seconds / pieces)


def same_answer(answer: dict, expected: dict) -> bool:
    return answer["total"] == expected["total"] and answer["results"] == expected["results"]


def make_read_only(folder: Path) -> bool:
    """Make a folder refuse new files (chattr +i for root, chmod otherwise); False if not."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return True
    done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False)
    return done.returncode == 0


def make_writable(folder: Path) -> None:
    if os.geteuid() != 0:
        folder.chmod(0o755)
    else:
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True, check=False)


# --- the run -------------------------------------------------------------------------------------


@dataclass
class Watch:
    """Probes answered all through the fault phase, each checked against whole versions only.

    `allowed` names the versions a probe may come from right now (the one in service, and during
    a switch the next); an answer that matches none of the versions at all is from partial data.
    """

    port: int
    versions: dict[str, dict]  # version name -> expected answers (path -> answer)
    allowed: set[str] = field(default_factory=set)
    checked: int = 0
    partial: int = 0  # matches no whole version
    stale: int = 0  # a whole version, but not one allowed now
    failed: int = 0  # not a 200 (or no answer)
    reset_by_kill: int = 0  # in flight on the worker killed with -9: nothing can answer those
    killing: bool = False
    examples: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        paths = list(next(iter(self.versions.values())))
        rng = random.Random(SEED)
        while not self.stop.is_set():
            path = rng.choice(paths)
            allowed = set(self.allowed)
            killing = self.killing
            try:
                status, body = fetch(self.port, path)
            except OSError as exc:
                self._count("reset_by_kill" if killing else "failed", f"{path}: {exc}")
                continue
            self.checked += 1
            if status != 200:
                self._count("failed", f"{path}: status {status}")
                continue
            kind = "api" if path.startswith("/api/") else "pages"
            answer = answer_of(kind, body)
            matches = {
                n for n, answers in self.versions.items() if same_answer(answer, answers[path])
            }
            if not matches:
                self._count("partial", f"{path}: total {answer['total']} matches no whole version")
            elif not matches & (allowed | set(self.allowed)):
                self._count("stale", f"{path}: from {sorted(matches)}, allowed {sorted(allowed)}")

    def _count(self, what: str, example: str) -> None:
        setattr(self, what, getattr(self, what) + 1)
        if len(self.examples) < 8:
            self.examples.append(f"{what}: {example}")


@dataclass
class Step:
    name: str
    outcome: str = "not reached"  # what /readyz said once every connection agreed
    seconds: float | None = None  # from the fault until then
    ok: bool = False


@dataclass
class Report:
    phases: dict[str, WrkResult] = field(default_factory=dict)
    phase_seconds: dict[str, float] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    watch: Watch | None = None
    checker_can_fail: bool = False
    master_alive: bool = False
    access_lines: int = 0
    access_with_query: int = 0
    log_problems: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def failures(self) -> list[str]:
        """Return every check that did not pass."""
        out = []
        for name, result in self.phases.items():
            fives = sum(n for status, n in result.statuses.items() if status >= 500)
            if fives:
                out.append(f"{name}: {fives} 5xx responses {result.statuses}")
            if result.non_2xx - fives:
                out.append(f"{name}: {result.non_2xx - fives} other non-2xx {result.statuses}")
            # Through the faults, a worker is killed with -9: the requests it held are reset.
            if "faults" not in name and any(result.socket_errors.values()):
                out.append(f"{name}: socket errors {result.socket_errors}")
        if not self.checker_can_fail:
            out.append("the checker did not tell the old data from the new")
        out += [f"{step.name}: {step.outcome}" for step in self.steps if not step.ok]
        watch = self.watch
        if watch is not None:
            if not watch.checked:
                out.append("no probe was answered during the faults")
            if watch.partial or watch.stale or watch.failed:
                out.append(
                    f"probes during the faults: {watch.partial} from partial data, "
                    f"{watch.stale} from a version not in service, {watch.failed} failed"
                )
        if not self.master_alive:
            out.append("the gunicorn master died")
        if self.access_with_query or not self.access_lines:
            out.append(f"access log: {self.access_with_query} of {self.access_lines} with a query")
        out += [f"error log: {n} x {what}" for what, n in self.log_problems.items() if n]
        return out


def _run_wrk(server: Server, paths: list[str], seconds: float, options, work: Path, name: str):
    paths_file = work / f"{name}.paths"
    paths_file.write_text("\n".join(paths) + "\n")
    command = wrk_command(
        f"http://127.0.0.1:{server.port}", seconds, options.connections, options.timeout
    )
    env = dict(
        os.environ,
        SEARCH_PATHS=str(paths_file),
        NEW_CONNECTIONS="0" if options.keep_alive else "1",
    )
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _finish_wrk(process: subprocess.Popen, name: str, report: Report, started: float) -> None:
    output = process.communicate()[0].decode(errors="replace")
    report.phase_seconds[name] = time.monotonic() - started
    try:
        report.phases[name] = parse_wrk(output)
    except ValueError:
        report.notes.append(f"{name}: wrk said:\n{output}")
        report.phases[name] = WrkResult(socket_errors={"wrk failed": 1})


def _expect(path: Path, work: Path, name: str) -> subprocess.Popen:
    """The answers a version must give, from an app in another process (its own index)."""
    script = str(Path(__file__).resolve())
    index = str(work / f"expected-{name}")
    return subprocess.Popen([sys.executable, script, "expect", str(path), index],
                            stdout=subprocess.PIPE)  # fmt: skip


def run(options: argparse.Namespace) -> Report:
    """Run the whole test and return its report."""
    from tests.redis_server import RedisServer

    report = Report()
    work = Path(tempfile.mkdtemp(prefix="directory-load-"))
    say = options.say
    say(f"work folder {work} (kept when a check fails)")
    data_path = work / "resources.yaml"
    started = time.monotonic()
    n = options.resources
    versions = {
        "original": resource_file(n),
        "A": resource_file(n, marker=MARKERS[0], withdrawn=0.01),
        "B": resource_file(n, marker=MARKERS[1]),
        "C": resource_file(n, marker=MARKERS[2], withdrawn=0.02),
    }
    files = {}
    for name, data in versions.items():
        files[name] = work / f"{name}.yaml"
        write_resource_file(files[name], data)
    good_a = files["A"].read_text()
    faults = {
        "YAML error": yaml_error(good_a),
        "validation error": to_yaml(break_file(versions["A"])),
        "alias bomb": alias_bomb(good_a),
        "truncated file": truncated(good_a),
    }
    shutil.copyfile(files["original"], data_path)
    say(f"wrote {n:,} resources in four versions, and four broken files")
    expecting = {name: _expect(files[name], work, name) for name in versions}
    redis = RedisServer(work).start() if RedisServer.available() else None
    if redis is None:
        report.notes.append("redis-server is not installed: the Redis step was skipped")
    server = Server(work, data_path, options.workers, options.threads, options.config, redis)
    server.start()
    wrk: subprocess.Popen | None = None
    watch: Watch | None = None
    try:
        deadline = time.monotonic() + 600
        if not server.wait_for(lambda s: s["status"] == "ok", deadline, in_a_row=6):
            raise RuntimeError(f"gunicorn was not ready in 600 s; see {server.error_log}")
        expected = {}
        for name, process in expecting.items():
            out, _ = process.communicate()
            if process.returncode:
                raise RuntimeError(f"computing the expected answers of {name} failed")
            expected[name] = json.loads(out)
        say(f"ready after {time.monotonic() - started:.0f} s; port {server.port}")
        for path in list(expected["original"]["answers"]) * options.workers * 2:
            fetch(server.port, path)  # warm each worker (the gazetteer loads on first use)
        answers = {name: e["answers"] for name, e in expected.items()}
        report.checker_can_fail = all(
            not same_answer(answers["original"][p], answers["A"][p])
            for p in answers["A"]
            if answers["A"][p]["total"]
        )

        half = options.duration / 2  # each steady phase
        for kind in ("pages", "api"):
            name = f"{kind} (steady)"
            say(f"{name}: {half:.0f} s")
            t0 = time.monotonic()
            wrk = _run_wrk(server, search_paths(PROBE_PREFIX[kind]), half, options, work, kind)
            _finish_wrk(wrk, name, report, t0)
            wrk = None

        name = "pages+api through the faults"
        pages, api = (search_paths(prefix) for prefix in PROBE_PREFIX.values())
        mixed = [path for pair in zip(pages, api, strict=True) for path in pair]
        t0 = time.monotonic()
        wrk = _run_wrk(server, mixed, 3600, options, work, "mixed")
        watch = Watch(server.port, answers, {"original"})
        report.watch = watch
        prober = threading.Thread(target=watch.run, daemon=True)
        prober.start()
        time.sleep(min(5.0, half / 2))
        allowance = options.reload_allowance

        def step(name: str, act: Callable[[], None], passes: Callable[[dict], bool],
                 describe: Callable[[dict], str]) -> bool:  # fmt: skip
            say(name)
            current = Step(name)
            report.steps.append(current)
            act()
            t = time.monotonic()
            state = server.wait_for(passes, t + allowance, in_a_row=10)
            if state is None:
                current.outcome = f"not seen within {allowance:.0f} s: {server.readyz()}"
                return False
            current.seconds = time.monotonic() - t
            current.outcome = describe(state)
            current.ok = wrk.poll() is None and server.alive()
            say(f"  {current.outcome} after {current.seconds:.1f} s")
            return current.ok

        def switch_to(version: str) -> Callable[[dict], bool]:
            return lambda s: (
                s["fingerprint"] == expected[version]["fingerprint"]
                and (s["data_status"] == "serving")
            )

        def refused(words: str, version: str) -> Callable[[dict], bool]:
            before = (server.readyz() or {}).get("last_refused")  # a new refusal, not the last

            def passes(s: dict) -> bool:
                reason = s["last_refused"] or ""
                fresh = reason and reason != before
                return (
                    s["fingerprint"] == expected[version]["fingerprint"]
                    and fresh
                    and (words in reason)
                )

            return passes

        def served(s: dict) -> str:
            return f"serving {s['resources']:,} resources ({s['fingerprint'][:12]})"

        def refusal(s: dict) -> str:
            return f"refused, still serving {s['fingerprint'][:12]}: {s['last_refused'][:150]}"

        def replace_with(text_or_path) -> Callable[[], None]:
            def act():
                temporary = work / ".incoming.tmp"
                if isinstance(text_or_path, Path):
                    shutil.copyfile(text_or_path, temporary)
                else:
                    temporary.write_text(text_or_path, encoding="utf-8")
                os.replace(temporary, data_path)

            return act

        watch.allowed = {"original", "A"}
        step("a valid new file", replace_with(files["A"]), switch_to("A"), served)
        watch.allowed = {"A"}
        for fault, words in (("YAML error", "YAML syntax error"),
                             ("validation error", "unknown key 'phnoe'"),
                             ("alias bomb", "aliases (*name) here expand to"),
                             ("truncated file", "")):  # fmt: skip
            step(fault, replace_with(faults[fault]), refused(words, "A"), refusal)
        step("a deleted file", data_path.unlink, refused("No such file", "A"), refusal)
        index = work / "index"
        if make_read_only(index):
            try:
                watch.allowed = {"A"}
                step("a read-only index folder (valid new file B)", replace_with(files["B"]),
                     lambda s: s["data_status"] == "retrying", refusal)  # fmt: skip
            finally:
                make_writable(index)
            watch.allowed = {"A", "B"}
            step("the index folder writable again", lambda: None, switch_to("B"), served)
        else:
            report.notes.append("cannot make a folder read-only here: that step was skipped")
            watch.allowed = {"A", "B"}
            step("a valid new file B", replace_with(files["B"]), switch_to("B"), served)
        watch.allowed = {"B", "C"}
        step("a slow non-atomic copy (version C over 10 s)",
             lambda: slow_copy(files["C"], data_path, 10.0), switch_to("C"), served)  # fmt: skip
        watch.allowed = {"C"}
        if redis is not None:
            redis_down = server.rate_limit_status("degraded")
            step("Redis stopped", redis.stop, redis_down, lambda s: str(s["rate_limits"]))
            step("Redis started again", redis.start, server.rate_limit_status("ok"),
                 lambda s: str(s["rate_limits"]))  # fmt: skip
        victim = server.worker_pids()[:1]
        watch.killing = True
        step(f"kill -9 of worker {victim}", lambda: server.kill(victim),
             lambda s: len(server.worker_pids()) >= options.workers
             and not set(victim) & set(server.worker_pids()), served)  # fmt: skip
        watch.killing = False
        time.sleep(5)
        watch.stop.set()
        prober.join(timeout=60)
        report.master_alive = server.alive()
        wrk.send_signal(signal.SIGINT)  # wrk reports on SIGINT as at the end of its duration
        _finish_wrk(wrk, name, report, t0)
        wrk = None
    finally:
        if watch is not None:
            watch.stop.set()
        if wrk is not None and wrk.poll() is None:
            wrk.kill()
        for process in expecting.values():
            if process.poll() is None:
                process.kill()
        make_writable(work / "index")
        server.stop()
        if redis is not None:
            redis.stop()
    _read_logs(server, report)
    if not report.failures():
        shutil.rmtree(work, ignore_errors=True)
    return report


def _s(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:.1f} s"


def _read_logs(server: Server, report: Report) -> None:
    requests = re.findall(r'"GET ([^"]*)"', server.access_log.read_text(errors="replace"))
    report.access_lines = len(requests)
    report.access_with_query = sum("?" in path for path in requests)
    log = server.log()
    report.log_problems = {
        "Traceback": log.count("Traceback"),
        "WORKER TIMEOUT": log.count("WORKER TIMEOUT"),
        "Unhandled exception": log.count("Unhandled exception"),
    }
    report.notes.append(
        f"error log: {log.count('data reloaded')} 'data reloaded', "
        f"{log.count('resource file refused')} 'resource file refused', "
        f"{log.count('not in service yet')} 'not in service yet', "
        f"{log.count('Rate limit storage unreachable')} 'Rate limit storage unreachable', "
        f"{log.count('Booting worker')} workers booted"
    )


def summary(report: Report) -> str:
    """Return the report as a table and a list of checks."""
    lines = [
        f"{'phase':<30}{'seconds':>8}{'requests':>10}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'max ms':>9}{'5xx':>6}{'non-2xx':>8}{'sock err':>9}  target",
    ]
    for name, r in report.phases.items():
        kind = name.split()[0]
        target = TARGETS.get(kind)
        verdict = ""
        if target:
            met = r.rps >= target["rps"] and (
                target["p99_ms"] is None or r.p99_ms <= target["p99_ms"]
            )
            p99 = f", p99 <= {target['p99_ms']} ms" if target["p99_ms"] else ""
            verdict = f">= {target['rps']}/s{p99}: {'met' if met else 'MISSED'}"
        fives = sum(n for status, n in r.statuses.items() if status >= 500)
        lines.append(
            f"{name:<30}{report.phase_seconds.get(name, r.seconds):>8.0f}{r.requests:>10}"
            f"{r.rps:>8.0f}{r.p50_ms:>8.1f}{r.p99_ms:>8.1f}{r.max_ms:>9.0f}{fives:>6}"
            f"{r.non_2xx:>8}{sum(r.socket_errors.values()):>9}  {verdict}"
        )
    lines += ["", "faults, in order (seconds until every new connection agreed):"]
    for step in report.steps:
        lines.append(
            f"  {'ok ' if step.ok else 'NO '} {step.name}: {_s(step.seconds)}, {step.outcome}"
        )
    watch = report.watch
    if watch is not None:
        lines.append(
            f"probes all through the faults: {watch.checked} answered, {watch.partial} from "
            f"partial data, {watch.stale} from a version not in service, {watch.failed} failed"
            f" ({watch.reset_by_kill} in flight on the worker killed with -9)"
        )
        lines += [f"  e.g. {e}" for e in watch.examples]
    lines += [
        f"checker can fail (the old data differs from the new on every probe): "
        f"{report.checker_can_fail}",
        f"master alive at the end: {report.master_alive}",
        f"access log: {report.access_lines} requests, "
        f"{report.access_with_query} with a query string",
        *report.notes,
    ]
    failures = report.failures()
    lines.append("RESULT: " + ("PASS" if not failures else "FAIL\n  " + "\n  ".join(failures)))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Load-test gunicorn on loopback through bad files, a read-only index, Redis and kill -9."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["expect"]:  # internal: the expected answers, as JSON on stdout
        print(json.dumps(expected_answers(argv[1], argv[2])))
        return 0
    if argv[:1] == ["write"]:  # write a synthetic resource file, for trying things by hand
        parser = argparse.ArgumentParser(prog="bench/load.py write")
        parser.add_argument("path")
        parser.add_argument("--resources", type=int, default=RESOURCES)
        parser.add_argument("--marker")
        parser.add_argument("--broken", action="store_true")
        args = parser.parse_args(argv[1:])
        data = resource_file(args.resources, marker=args.marker)
        write_resource_file(args.path, break_file(data) if args.broken else data)
        return 0
    parser = argparse.ArgumentParser(prog="bench/load.sh", description=main.__doc__)
    parser.add_argument(
        "--duration", type=float, default=60,
        help="seconds of steady load, half for pages, half for the API (default 60); the faults "
        "then run under load for as long as they take",
    )  # fmt: skip
    parser.add_argument("--resources", type=int, default=RESOURCES, help="default 10000")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: the config's)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument(
        "--keep-alive", action="store_true",
        help="reuse wrk's connections (default: a new one per request, as from many visitors; "
        "kept-alive connections stay with the worker that accepted them, and sometimes all of "
        "them land on one worker)",
    )  # fmt: skip
    parser.add_argument("--timeout", default="10s", help="wrk's request timeout (default 10s)")
    parser.add_argument(
        "--reload-allowance", type=float, default=240,
        help="seconds each fault may take to show on every connection (default 240)",
    )  # fmt: skip
    parser.add_argument(
        "--config", type=Path, default=ROOT / "gunicorn.conf.py",
        help="gunicorn settings file, to try a change (default: the project's)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (apt-get install -y wrk)")
    args.say = lambda text: print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)
    report = run(args)
    print(summary(report))
    return 1 if report.failures() else 0


if __name__ == "__main__":
    raise SystemExit(main())
