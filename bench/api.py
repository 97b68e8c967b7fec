"""Time result pages and API searches end to end, on this checkout and on an earlier commit.

    python bench/api.py                          # this checkout only
    python bench/api.py --before d89b15c         # and the same requests on that commit
    python bench/api.py --directories real --requests 300

Each code version runs in its own child process over the same data files: the shipped sample, a
10,000-entry synthetic directory (tests/factories.py) and a directory built from the real
Meeting Guide feeds in tests/fixtures/real with our own importer. The child builds the app the
way the tests do, warms it, then times every request through Flask's test client (routing,
search, templates and JSON: everything but the socket), one thread, in turn. The same URLs go to
both versions, so the ratio is the cost of the code, not of the requests. An earlier commit is
checked out with `git worktree` into a temporary folder and run with this checkout's venv (its
dependencies are a subset).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the script runs from the checkout, beside tests/

# What people type, the same mix for every directory: words, places, times, types, nothing.
QUERIES = {
    "sample": (
        "na meeting tonight", "suboxone near 97214", "food pantry open now", "aa", "",
        "womens meeting sunday", "methadone", "online meeting now", "sober living",
        "spanish aa meeting", "naloxone", "al-anon saturday morning",
    ),
    "synthetic": (
        "suboxone", "aa meeting tonight", "food pantry", "methadone clinic near 97214",
        "sober living", "", "na", "online meeting now", "counseling", "smart recovery",
    ),
    "real": (
        "aa meetings campbell", "meeting now", "online meeting now", "spanish speaking meeting",
        "womens meeting sunday morning", "", "aa meeting tonight near 95128", "big book study",
        "edmonton tonight", "kansas city saturday", "lgbtq meeting", "step study sunday",
    ),
}  # fmt: skip

CHILD = r"""
import json, sys, time
from directory.app import create_app
args = json.loads(sys.argv[1])
app = create_app({
    "SECRET_KEY": "bench-" + "s" * 40, "ENV_NAME": "development",
    "DATA_PATH": args["data"], "INDEX_DIR": args["index"],
    "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://",
})
client = app.test_client()
figures = {}
for kind, urls in args["urls"].items():
    for url in urls * 2:  # warm: the first requests open the index and fill caches
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(args["rounds"]):
        for url in urls:
            start = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - start)
            assert response.status_code == 200, url
    figures[kind] = sorted(times)
print(json.dumps(figures))
"""


def directories(wanted: list[str], folder: Path) -> dict[str, Path]:
    """Write the data files the versions share; return them by name."""
    out: dict[str, Path] = {}
    if "sample" in wanted:
        out["sample"] = ROOT / "data" / "resources.yaml"
    if "synthetic" in wanted:
        from bench.load import resource_file, write_resource_file

        out["synthetic"] = folder / "synthetic.yaml"
        write_resource_file(out["synthetic"], resource_file(10_000))
    if "real" in wanted:
        from tests.search.real_data import build

        (folder / "real").mkdir()
        out["real"], _ = build(folder / "real")
    return out


def urls_for(name: str) -> dict[str, list[str]]:
    queries = QUERIES[name]
    return {
        "result page": [f"/search?{urlencode({'q': q})}" for q in queries],
        "API search": [f"/api/v1/search?{urlencode({'q': q})}" for q in queries],
    }


def run(tree: Path, data: Path, name: str, rounds: int, scratch: Path) -> dict[str, list[float]]:
    index = Path(tempfile.mkdtemp(dir=scratch))
    args = json.dumps({"data": str(data), "index": str(index), "urls": urls_for(name),
                       "rounds": rounds})  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, args],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:  # an older version may not read a newer file: no figures from it
        print(f"  ({name} on {tree.name}: {done.stderr.strip().splitlines()[-1:]})", flush=True)
        return {}
    return json.loads(done.stdout.strip().splitlines()[-1])


def percentile(times: list[float], p: float) -> float:
    return times[min(len(times) - 1, int(p * len(times)))] * 1000


def main(argv: list[str] | None = None) -> int:
    """Time result pages and API searches, now and (with --before) on an earlier commit."""
    parser = argparse.ArgumentParser(prog="bench/api.py", description=main.__doc__)
    parser.add_argument("--before", help="an earlier commit to run the same requests on")
    parser.add_argument("--directories", nargs="+", default=list(QUERIES), choices=list(QUERIES))
    parser.add_argument("--rounds", type=int, default=20, help="times each URL is timed")
    parser.add_argument("--repeats", type=int, default=3, help="turns each version takes")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        trees = {"now": ROOT}
        if args.before:
            trees["before"] = scratch / "before"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach",
                            str(trees["before"]), args.before], check=True)  # fmt: skip
        try:
            data = directories(args.directories, scratch)
            print(f"{'directory':10} {'kind':12} " + "  ".join(f"{v:>16}" for v in trees)
                  + ("   ratio p50/p95" if args.before else ""))  # fmt: skip
            for name, path in data.items():
                # Versions take turns, `--repeats` times; each figure is the best of its turns,
                # so a burst of other work on the machine cannot land on one version only.
                figures: dict[str, dict[str, list[float]]] = {v: {} for v in trees}
                for _ in range(args.repeats):
                    for version, tree in trees.items():
                        for kind, t in run(tree, path, name, args.rounds, scratch).items():
                            best = figures[version].get(kind)
                            if best is None or percentile(t, 0.5) < percentile(best, 0.5):
                                figures[version][kind] = t
                for kind in figures["now"]:
                    cells = []
                    for version in trees:
                        t = figures[version].get(kind)
                        cells.append(f"{percentile(t, 0.5):6.1f} / {percentile(t, 0.95):6.1f} ms"
                                     if t else f"{'none':>16}")  # fmt: skip
                    line = f"{name:10} {kind:12} " + "  ".join(cells)
                    if args.before and figures["before"].get(kind):
                        now, before = figures["now"][kind], figures["before"][kind]
                        p50 = percentile(now, 0.5) / percentile(before, 0.5)
                        p95 = percentile(now, 0.95) / percentile(before, 0.95)
                        line += f"   {p50:.2f} / {p95:.2f}"
                    print(line, flush=True)
        finally:
            if args.before:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                str(trees["before"])], check=False)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
