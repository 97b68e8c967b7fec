"""Load and fault test: gunicorn under wrk while the data file is replaced, valid then broken.

    bench/load.sh                       # 60 s: result pages, then API searches
    bench/load.sh --duration 20 --resources 2000

Loopback only. The run writes a synthetic 10,000-resource directory (Portland metro, real ZIP
codes and points inside them) to a temporary folder, starts gunicorn with two workers on a free
port of 127.0.0.1, and drives it with wrk and `bench/search.lua` in two phases of half the
duration each: result pages (`/search?...`), then API searches (`/api/v1/search?...`). In each
phase the data file is replaced twice, each time followed by `kill -HUP` on the master:

1. with a valid new version (every name carries a marker word, a few entries are withdrawn):
   the run polls /readyz until the new fingerprint answers on every connection, then checks
   that searches answer from the new data only (same result ids as an in-process app on that
   file, every name marked);
2. with a broken version (an unknown key, a point in the ocean): /readyz must keep the good
   fingerprint and report the refusal, and searches must still answer from the good data.

It prints requests per second, p50/p99 latency, non-2xx responses (must be 0) and results served
from the wrong data (must be 0), and checks that the access log holds no query strings. The
server runs with rate limits raised (DIRECTORY_RATE_LIMIT_SEARCH and DIRECTORY_RATE_LIMIT_API set
to "1000000 per minute"): one client address sending hundreds of searches a second is exactly
what the limits exist to stop. Exit status: 0 when every check passed (the throughput targets are
reported, not enforced: the figures depend on the machine), 1 otherwise.
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
MARKERS = ("Zephyrine", "Quillwort")  # the valid new version, then the broken one
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
            # One address sending hundreds of searches a second is what the limits stop.
            DIRECTORY_RATE_LIMIT_SEARCH="1000000 per minute",
            DIRECTORY_RATE_LIMIT_API="1000000 per minute",
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

    def hup(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGHUP)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

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

    def wait_for(self, test: Callable[[dict], bool], deadline: float, in_a_row: int = 10) -> bool:
        """Poll /readyz on new connections until `in_a_row` answers in a row pass `test`."""
        passed = 0
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"gunicorn exited; see {self.error_log}")
            state = self.readyz()
            passed = passed + 1 if state is not None and test(state) else 0
            if passed >= in_a_row:
                return True
            time.sleep(0.1)
        return False


# --- the run -------------------------------------------------------------------------------------


@dataclass
class Probes:
    """Probe answers checked against the expected data."""

    checked: int = 0
    wrong: int = 0
    failed: int = 0  # not a 200, or no answer
    examples: list[str] = field(default_factory=list)

    def check(self, port: int, expected: dict, marker: str) -> None:
        for path, want in expected["answers"].items():
            kind = "api" if path.startswith("/api/") else "pages"
            self.checked += 1
            try:
                status, body = fetch(port, path)
            except OSError as exc:
                self.failed += 1
                self._note(f"{path}: {exc}")
                continue
            if status != 200:
                self.failed += 1
                self._note(f"{path}: status {status}")
                continue
            problems = wrong_data(answer_of(kind, body), want, marker)
            if problems:
                self.wrong += 1
                self._note(f"{path}: {'; '.join(problems)}")

    def _note(self, text: str) -> None:
        if len(self.examples) < 5:
            self.examples.append(text)


@dataclass
class Report:
    phases: dict[str, WrkResult] = field(default_factory=dict)
    phase_seconds: dict[str, float] = field(default_factory=dict)
    before: Probes = field(default_factory=Probes)  # old data, compared with the new: must differ
    after_valid: Probes = field(default_factory=Probes)
    after_broken: Probes = field(default_factory=Probes)
    valid_master: float | None = None  # seconds from HUP to the master's log line
    switch_seconds: float | None = None  # ... to the new workers serving on every connection
    broken_master: float | None = None
    refuse_seconds: float | None = None
    refused_logged: bool = False
    last_refused: str | None = None
    under_load: list[str] = field(default_factory=list)
    access_lines: int = 0
    access_with_query: int = 0
    log_problems: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def failures(self) -> list[str]:
        """Return every check that did not pass."""
        out = []
        for name, result in self.phases.items():
            if result.non_2xx:
                out.append(f"{name}: {result.non_2xx} non-2xx responses {result.statuses}")
            if any(result.socket_errors.values()):
                out.append(f"{name}: socket errors {result.socket_errors}")
        if self.before.checked and self.before.wrong < self.before.checked:
            out.append("the wrong-data check did not tell the old data from the new")
        for name, probes in (("valid switch", self.after_valid), ("broken", self.after_broken)):
            if not probes.checked:
                out.append(f"after the {name} file: nothing checked")
            if probes.wrong or probes.failed:
                out.append(f"after the {name} file: {probes.wrong} wrong, {probes.failed} failed")
        if self.switch_seconds is None:
            out.append("the valid file never showed on every connection")
        if self.refuse_seconds is None or not self.refused_logged:
            out.append("the broken file was not seen refused")
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


def run(options: argparse.Namespace) -> Report:
    """Run the whole test and return its report."""
    report = Report()
    work = Path(tempfile.mkdtemp(prefix="directory-load-"))
    say = options.say
    say(f"work folder {work} (kept when a check fails)")
    data_path = work / "resources.yaml"
    started = time.monotonic()
    write_resource_file(data_path, resource_file(options.resources))
    new_version = work / "new.yaml"
    write_resource_file(
        new_version, resource_file(options.resources, marker=MARKERS[0], withdrawn=0.01)
    )
    broken = work / "broken.yaml"
    write_resource_file(broken, break_file(resource_file(options.resources, marker=MARKERS[1])))
    say(f"wrote {options.resources:,} resources, a new version and a broken one")
    # The answers the new version must give, from an app in another process (its own index).
    expect = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "expect",
            str(new_version),
            str(work / "expected-index"),
        ],
        stdout=subprocess.PIPE,
    )
    server = Server(work, data_path, options.workers, options.threads, options.config)
    server.start()
    wrk: subprocess.Popen | None = None
    try:
        deadline = time.monotonic() + 300
        if not server.wait_for(lambda s: s["status"] == "ok", deadline, in_a_row=6):
            raise RuntimeError(f"gunicorn was not ready in 300 s; see {server.error_log}")
        out, _ = expect.communicate()
        if expect.returncode:
            raise RuntimeError("computing the expected answers failed")
        expected = json.loads(out)
        say(f"ready after {time.monotonic() - started:.0f} s; port {server.port}")

        quarter = options.duration / 4
        for kind in ("pages", "api"):
            name = f"{kind} (steady)"
            say(f"{name}: {quarter:.0f} s")
            t0 = time.monotonic()
            wrk = _run_wrk(server, search_paths(PROBE_PREFIX[kind]), quarter, options, work, kind)
            _finish_wrk(wrk, name, report, t0)
            wrk = None

        # Both reloads under mixed traffic; the phase lasts until both are checked.
        name = "pages+api, 2 reloads"
        pages, api = (search_paths(prefix) for prefix in PROBE_PREFIX.values())
        mixed = [path for pair in zip(pages, api, strict=True) for path in pair]
        cap = 2 * quarter + options.reload_allowance
        t0 = time.monotonic()
        wrk = _run_wrk(server, mixed, cap, options, work, "mixed")
        time.sleep(min(5.0, quarter / 2))
        report.before.check(server.port, expected, MARKERS[0])  # old data: every probe differs

        say("valid new file + HUP")
        fresh = expected["fingerprint"]
        report.valid_master, report.switch_seconds = _switch(
            server, new_version, data_path, options.workers, "data reloaded",
            lambda s: s["fingerprint"] == fresh and not s["last_refused"],
        )  # fmt: skip
        report.under_load.append(f"valid switch: {'yes' if wrk.poll() is None else 'NO'}")
        say(f"master reloaded after {_s(report.valid_master)}, new workers serving the new data "
            f"on every connection after {_s(report.switch_seconds)}")  # fmt: skip
        if report.switch_seconds is not None:
            for _ in range(options.rounds):
                report.after_valid.check(server.port, expected, MARKERS[0])

        say("broken file + HUP")
        report.broken_master, report.refuse_seconds = _switch(
            server, broken, data_path, options.workers, "data file refused",
            lambda s: s["fingerprint"] == fresh and bool(s["last_refused"]),
        )  # fmt: skip
        report.refused_logged = report.broken_master is not None
        report.last_refused = (server.readyz() or {}).get("last_refused")
        report.under_load.append(f"broken file: {'yes' if wrk.poll() is None else 'NO'}")
        say(f"master refused it after {_s(report.broken_master)}, new workers serving the good "
            f"data on every connection after {_s(report.refuse_seconds)}")  # fmt: skip
        if report.refuse_seconds is not None:
            until = max(time.monotonic() + 5, t0 + 2 * quarter)
            while time.monotonic() < until or report.after_broken.checked < options.rounds * 16:
                report.after_broken.check(server.port, expected, MARKERS[0])
        wrk.send_signal(signal.SIGINT)  # wrk reports on SIGINT as at the end of its duration
        _finish_wrk(wrk, name, report, t0)
        wrk = None
    finally:
        if wrk is not None and wrk.poll() is None:
            wrk.kill()
        if expect.poll() is None:
            expect.kill()
        server.stop()
    _read_logs(server, report)
    if not report.failures():
        shutil.rmtree(work, ignore_errors=True)
    return report


def _switch(
    server: Server,
    source: Path,
    data_path: Path,
    workers: int,
    master_line: str,
    passes: Callable[[dict], bool],
    allowance: float = 240,
) -> tuple[float | None, float | None]:
    """Replace the data file and HUP; return seconds until the master logged, until served.

    Served means: the master logged `master_line`, it booted the new workers, and then /readyz
    passed on ten new connections in a row (old workers stop accepting once told to go).
    """
    log = server.log()
    logged, booted = log.count(master_line), log.count("Booting worker")
    os.replace(source, data_path)
    hup = time.monotonic()
    server.hup()
    deadline = hup + allowance
    master = None
    while time.monotonic() < deadline:
        log = server.log()
        if master is None and log.count(master_line) > logged:
            master = time.monotonic() - hup
        if master is not None and log.count("Booting worker") >= booted + workers:
            break
        time.sleep(0.1)
    else:
        return master, None
    if not server.wait_for(passes, deadline):
        return master, None
    return master, time.monotonic() - hup


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
    }
    report.notes.append(
        f"error log: {log.count('data reloaded')} 'data reloaded', "
        f"{log.count('data file refused')} 'data file refused' (master), "
        f"{log.count('worker keeps inherited data')} 'worker keeps inherited data', "
        f"{log.count('Booting worker')} workers booted"
    )


def summary(report: Report) -> str:
    """Return the report as a table and a list of checks."""
    lines = [
        f"{'phase':<22}{'seconds':>8}{'requests':>10}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'max ms':>9}{'non-2xx':>8}{'sock err':>9}  target",
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
        lines.append(
            f"{name:<22}{report.phase_seconds.get(name, r.seconds):>8.0f}{r.requests:>10}"
            f"{r.rps:>8.0f}{r.p50_ms:>8.1f}{r.p99_ms:>8.1f}{r.max_ms:>9.0f}{r.non_2xx:>8}"
            f"{sum(r.socket_errors.values()):>9}  {verdict}"
        )

    lines += [
        "",
        f"checker can fail: {report.before.wrong} of {report.before.checked} probes on the old "
        "data flagged as not the new data (must be all)",
        f"valid file + HUP: master reloaded after {_s(report.valid_master)}, new workers "
        f"serving it on every connection after {_s(report.switch_seconds)}; wrong-data "
        f"answers after that: {report.after_valid.wrong} of {report.after_valid.checked} "
        f"(failed: {report.after_valid.failed})",
        f"broken file + HUP: master refused it after {_s(report.broken_master)}, new workers "
        f"serving the good data after {_s(report.refuse_seconds)}; wrong-data answers after "
        f"that: {report.after_broken.wrong} of {report.after_broken.checked} "
        f"(failed: {report.after_broken.failed})",
        f"/readyz last_refused: {report.last_refused}",
        f"under load during: {', '.join(report.under_load) or '-'}",
        f"access log: {report.access_lines} requests, "
        f"{report.access_with_query} with a query string",
        *report.notes,
    ]
    for probes in (report.after_valid, report.after_broken):
        lines += [f"  e.g. {e}" for e in probes.examples]
    failures = report.failures()
    lines.append("RESULT: " + ("PASS" if not failures else "FAIL\n  " + "\n  ".join(failures)))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Load-test gunicorn on loopback while the data file is replaced, valid then broken."""
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
        help="seconds of load: a quarter each for pages and API alone, half (or more: until "
        "both reloads are checked) for both during the reloads (default 60)",
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
        "--reload-allowance", type=float, default=120,
        help="seconds the reload phase may run past its half of --duration (default 120)",
    )  # fmt: skip
    parser.add_argument(
        "--config", type=Path, default=ROOT / "gunicorn.conf.py",
        help="gunicorn settings file, to try a change (default: the project's)",
    )  # fmt: skip
    parser.add_argument("--rounds", type=int, default=3, help="probe rounds after each reload")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (apt-get install -y wrk)")
    args.say = lambda text: print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)
    report = run(args)
    print(summary(report))
    return 1 if report.failures() else 0


if __name__ == "__main__":
    raise SystemExit(main())
