"""Time and memory of a Meeting Guide import of a large synthetic feed, stage by stage.

    python bench/import_feed.py                       # 100,000 meetings, into a new file
    python bench/import_feed.py --meetings 20000 --write

The feed is generated deterministically, shaped like the real feeds TSML sites publish (one
record per meeting, a slug and a `url` ending in it, an address, coordinates, types, notes,
an online link on some). The import runs in a child process, as `flask import meeting-guide`
would run it: read the file, parse it, convert the records, put them into a new resource file,
validate the result (what a dry run does; `--no-validate` skips it) and, with `--write`,
write it. The child reports the
time of each stage and its peak resident memory so far (`ru_maxrss`, which only grows).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the script runs from the checkout, beside tests/

from tests.factories import CITIES, NAME_WORDS, PLACE_WORDS, SEED  # noqa: E402  # why: path

DEFAULT_MEETINGS = 100_000
ZONE = "America/Chicago"
TYPES = ("O", "C", "D", "SP", "ST", "BE", "W", "M", "Y", "X", "S", "B", "MED", "LIT", "TC")
STREETS = ("Main St", "Oak Ave", "Elm St", "Broadway", "Park Ave", "1st Ave", "Maple Dr")


def generate_feed(n: int, seed: int = SEED) -> list[dict]:
    """Return `n` Meeting Guide records, the same for the same seed."""
    rng = random.Random(seed)
    meetings = []
    for i in range(n):
        city, state, lat, lon, zone, _ = CITIES[i % len(CITIES)]
        name = f"{rng.choice(NAME_WORDS)} {rng.choice(('Group', 'Meeting', 'Step Study'))}"
        slug = f"{name.lower().replace(' ', '-')}-{i}"
        hour, minute = rng.choice((6, 7, 12, 17, 18, 19, 20, 21)), rng.choice((0, 15, 30))
        meeting = {
            "name": name,
            "slug": slug,
            "day": rng.randrange(7) if rng.random() < 0.9 else sorted(rng.sample(range(7), 3)),
            "time": f"{hour:02d}:{minute:02d}",
            "end_time": f"{hour + 1:02d}:{minute:02d}",
            "timezone": zone,
            "types": rng.sample(TYPES, rng.randint(1, 4)),
            "location": f"{rng.choice(PLACE_WORDS)} Church",
            "address": f"{rng.randint(1, 9999)} {rng.choice(STREETS)}",
            "city": city,
            "state": state,
            "postal_code": f"{rng.randint(10000, 99999)}",
            "country": "US",
            "latitude": round(lat + rng.uniform(-0.2, 0.2), 5),
            "longitude": round(lon + rng.uniform(-0.2, 0.2), 5),
            "region": rng.choice(("Downtown", "Northside", "Eastside", "Westside")),
            "notes": " ".join(rng.choice(NAME_WORDS) for _ in range(rng.randint(0, 30))),
            "location_notes": "Use the side door; the meeting room is downstairs.",
            "group": f"{rng.choice(NAME_WORDS)} Group",
            "updated": "2026-06-01 12:00:00",
            "url": f"https://intergroup.example/meetings/{slug}",
        }
        if rng.random() < 0.2:
            meeting["conference_url"] = f"https://zoom.us/j/{rng.randint(10**9, 10**10)}"
            meeting["conference_url_notes"] = "Passcode: serenity"
        meetings.append(meeting)
    return meetings


def _peak_mb() -> float:
    """Peak resident memory of this process so far, in MB.

    /proc's VmHWM starts afresh at exec; ru_maxrss would keep the parent's peak (the parent
    held the generated feed) across fork and exec on Linux.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def run_import(
    feed: Path, into: Path, validate: bool, write: bool
) -> list[tuple[str, float, float]]:
    """Import `feed` into a new file `into`, in this process; return (stage, seconds, peak MB)."""
    from directory.datafile import editing  # noqa: PLC0415  # why: imports are timed as a stage
    from directory.datafile.load import validate_text  # noqa: PLC0415
    from directory.formats.meeting_guide import read  # noqa: PLC0415

    stages: list[tuple[str, float, float]] = []
    started = time.perf_counter()

    def stage(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        stages.append((name, now - started, _peak_mb()))
        started = now

    stage("start (imports)")
    data = read.read_source(str(feed))
    stage("read the file")
    meetings = read.parse_feed(data, str(feed))
    del data
    stage("parse the JSON")
    feed_id = read.feed_name(str(feed))
    result = read.convert(
        meetings, "AA", timezone=ZONE, feed=feed_id, release=True
    )  # as import_feed
    del meetings
    stage(f"convert ({len(result.records):,} taken, {len(result.skipped)} skipped)")
    doc = editing.new_document("Bench", ZONE)
    editing.sync_resources(doc, result.records, read.OWNED_KEYS)
    stage(f"into a new resource file ({len(doc.text) / 2**20:.0f} MB, checked)")
    del result
    if validate:
        problems = [p for p in validate_text(doc.text, str(into)) if p.severity == "error"]
        stage(f"validated by datafile.load ({len(problems)} errors)")
    if write:
        editing.write_document(doc, into, validate=False)  # as the command does, once validated
        stage("written")
    return stages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--meetings", type=int, default=DEFAULT_MEETINGS)
    parser.add_argument("--write", action="store_true", help="also write the resource file")
    parser.add_argument(
        "--no-validate", action="store_true", help="skip the validation of the whole file"
    )
    parser.add_argument("--child", nargs=2, metavar=("FEED", "INTO"), help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        stages = run_import(
            Path(options.child[0]), Path(options.child[1]), not options.no_validate, options.write
        )
        print(json.dumps(stages))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        feed = Path(folder) / "feed.json"
        feed.write_text(json.dumps(generate_feed(options.meetings)), encoding="utf-8")
        size = feed.stat().st_size
        command = [sys.executable, __file__, "--child", str(feed), str(Path(folder) / "out.yaml")]
        command += ["--write"] if options.write else []
        command += ["--no-validate"] if options.no_validate else []
        begun = time.perf_counter()
        answer = subprocess.run(command, capture_output=True, text=True, check=False)
        total = time.perf_counter() - begun
        if answer.returncode != 0:
            print(answer.stderr, file=sys.stderr)
            return answer.returncode
        stages = json.loads(answer.stdout.splitlines()[-1])
    print(f"{options.meetings:,} meetings, a feed of {size / 2**20:.1f} MB")
    for name, seconds, peak in stages:
        print(f"  {name:<44} {seconds:7.1f} s   peak {peak:7.0f} MB")
    print(f"  {'whole run (child process)':<44} {total:7.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
