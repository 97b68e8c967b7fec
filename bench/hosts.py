"""Many hosts: a rolling data update behind nginx under load, with the figures it takes.

    .venv/bin/python bench/hosts.py                         # the shipped sample directory
    .venv/bin/python bench/hosts.py --resources 10000 --threads 16 --steady 20

The stack of tests/test_deploy.py (tests/deploy_stack.py): a real redis-server, two gunicorn
"hosts" with the shipped gunicorn.conf.py on free loopback ports reading one artifact folder
(each through its own pointer, CURRENT.a and CURRENT.b), and Debian's nginx in front with
deploy/nginx.conf as shipped. Client threads send varied result pages and API searches through
nginx (each thread on its own keep-alive connection) for `--steady` seconds; then, still under
load, `flask index --out` builds the new version once (in its own process), host a is switched
and waited for, then host b; then `--steady` seconds more. Every answer is checked: a status
other than 200 or no answer is a failure; its X-Data-Version must be the old or the new
version's, and every listing it names must carry that version's marker word (each version's
names carry their own). Prints requests/s, p50/p95 of each phase, the build and switch times,
and exits 1 on any failure or mixed answer. Loopback only; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the script runs from the checkout, beside tests/
sys.path.insert(0, str(ROOT / "bench"))

import load as synthetic  # noqa: E402  # why: the generator of bench/load.py

from directory.search.artifact import pointed_name  # noqa: E402  # why: after the path
from tests.conftest import SAMPLE  # noqa: E402  # why: after the path
from tests.deploy_stack import (  # noqa: E402  # why: after the path
    Hosts,
    Load,
    check_consistency,
    flask_command,
    percentile,
)

OLD_WORD, NEW_WORD = "wombat", "quokka"
WARM_UP_SECONDS = 5.0


def write_versions(work: Path, n: int) -> dict[str, Path]:
    """Two versions of one directory; every name (the sample: one name) carries its word."""
    paths = {}
    for word in (OLD_WORD, NEW_WORD):
        path = work / word / "resources.yaml"
        path.parent.mkdir()
        if n:
            synthetic.write_resource_file(path, synthetic.resource_file(n, marker=word))
        else:
            name = "    name: Early Birds\n"
            path.write_text(SAMPLE.read_text().replace(name, name[:-1] + f" {word}\n"))
        paths[word] = path
    return paths


def load_paths(n: int) -> list[str]:
    if n:
        pages = synthetic.search_paths("/search", 200)
        api = synthetic.search_paths("/api/v1/search", 200)
        return [p for pair in zip(pages, api, strict=True) for p in pair]
    return [
        f"/search?q={OLD_WORD}", f"/api/v1/search?q={NEW_WORD}", "/search?q=early+birds",
        "/api/v1/search?q=meeting&near=97214", "/search?q=suboxone", "/api/v1/search?q=food",
        f"/api/v1/search?q={OLD_WORD}", f"/search?q={NEW_WORD}", "/search?near=97214",
    ]  # fmt: skip


def phase(answers, start: float, end: float, kind: str | None = None) -> dict:
    chosen = [a for a in answers if start <= a.started < end]
    if kind:
        chosen = [a for a in chosen if a.path.startswith(kind)]
    seconds = [a.seconds * 1000 for a in chosen]
    failed = sum(1 for a in chosen if a.status != 200)
    span = max(end - start, 1e-9)
    return {
        "requests": len(chosen),
        "per_second": round(len(chosen) / span, 1),
        "p50_ms": round(percentile(seconds, 0.5), 1),
        "p95_ms": round(percentile(seconds, 0.95), 1),
        "failed": failed,
    }


def _version_of(folder: Path, name: str) -> str:
    return json.loads((folder / name / "manifest.json").read_text())["fingerprint"][:12]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=0, help="synthetic size (0: the sample)")
    parser.add_argument("--threads", type=int, default=16, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per host")
    parser.add_argument("--steady", type=float, default=15.0, help="seconds before and after")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-hosts-"))
    versions = write_versions(work, args.resources)
    folder, build_index = work / "artifact", work / "build-index"

    def flask(*command, data=versions[OLD_WORD], separate=False):
        return flask_command(*command, data_path=data, index_dir=build_index, separate=separate)

    flask("index", "--out", str(folder), separate=True)
    for host in ("a", "b"):
        flask("switch", str(folder), "--pointer", f"CURRENT.{host}")
    first = pointed_name(folder)
    stack = Hosts(work, folder, workers=args.workers)
    figures: dict = {"resources": args.resources or "sample", "threads": args.threads}
    try:
        stack.start()
        load = Load(stack.nginx.port, load_paths(args.resources), (OLD_WORD, NEW_WORD),
                    threads=args.threads).start()  # fmt: skip
        time.sleep(WARM_UP_SECONDS)  # each worker's first requests load templates and tables
        began = time.monotonic()
        time.sleep(args.steady)
        rolling = time.monotonic()
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
        flask("index", "--out", str(folder), data=versions[NEW_WORD], separate=True)
        built = time.monotonic()
        figures["build_seconds"] = round(built - rolling, 1)
        figures["build_cpu_seconds"] = round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - cpu, 1
        )
        second = pointed_name(folder)
        for host in ("a", "b"):
            started = time.monotonic()
            flask("switch", str(folder), "--pointer", f"CURRENT.{host}")
            stack.wait_serving(host, second, timeout=600)
            figures[f"switch_{host}_seconds"] = round(time.monotonic() - started, 1)
        rolled = time.monotonic()
        time.sleep(args.steady)
        ended = time.monotonic()
        answers = load.stop()
    finally:
        stack.stop()
    marker_of = {_version_of(folder, first): OLD_WORD, _version_of(folder, second): NEW_WORD}
    wrong = check_consistency(answers, marker_of)
    figures["steady_before"] = phase(answers, began, rolling)
    figures["rolling_update"] = phase(answers, rolling, rolled)
    figures["steady_after"] = phase(answers, rolled, ended)
    for kind, prefix in (("pages", "/search"), ("api", "/api/")):
        figures[f"{kind}_whole_run"] = phase(answers, began, ended, prefix)
    figures["answers"] = len(answers)
    figures["wrong"] = len(wrong)
    figures["versions_seen"] = sorted({a.version for a in answers})
    figures["load_average"] = os.getloadavg()
    print(json.dumps(figures, indent=1))
    for line in wrong[:20]:
        print("WRONG", line)
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
