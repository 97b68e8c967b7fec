"""How long `flask sync` takes: the first sync of many feeds, a quiet re-sync, then a load.

    .venv/bin/python bench/sync.py                          # 6 feeds of 1,000 meetings
    .venv/bin/python bench/sync.py --feeds 20 --meetings 5000   # 100,000 meetings

The feeds are bench/import_feed.py's synthetic Meeting Guide feeds, served with an ETag by
HTTP servers on 127.0.0.1, one a feed (never the internet). The curated file is the shipped
sample with a `feeds:` section naming them. Reported: the first sync (fetch, convert,
validate, write each feed file), a re-sync with nothing changed (every feed answers 304: no
file written), and the cold load of the merged directory (curated file and feed files, no
catalog cache). CPU seconds (this process's, the local servers' threads included, and the
sync's worker processes') are less noisy on a shared machine; feeds are synced two at a time
on two cores.

With `--no-validators` the server sends no ETag (as many feed servers, WordPress's among them):
each re-sync gets the whole feed again. The first re-sync converts and validates it, finds the
same file and keeps the answer's digest; from the second on, the same answer costs its fetch.
With `--latency 2` the server takes 2 s to answer each feed (a large WordPress feed does), so
what the sync does while it waits shows.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import shutil
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from import_feed import generate_feed  # noqa: E402  # why: the generator of bench/import_feed.py

from directory import create_app  # noqa: E402
from directory.datafile.feeds import read_feed_files  # noqa: E402
from directory.datafile.limits import DataLimits  # noqa: E402
from directory.datafile.load import parse_bytes  # noqa: E402

LIMITS = DataLimits(max_bytes=2_000_000_000, max_resources=10_000_000)


def _server(
    bodies: dict[str, bytes], validators: bool = True, latency: float = 0.0
) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802  # why: http.server's name
            time.sleep(latency)
            body = bodies[self.path]
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if validators and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            if validators:
                self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the sync's workers)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=6)
    parser.add_argument("--meetings", type=int, default=1000, help="Meetings per feed.")
    parser.add_argument("--jobs", type=int, default=None, help="Feeds synced at once.")
    parser.add_argument("--no-validators", action="store_true", help="Serve feeds without ETag.")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="Seconds the server takes to answer each feed."
    )
    options = parser.parse_args(argv)
    bodies = {
        f"/feed-{i}.json": json.dumps(generate_feed(options.meetings, seed=1000 + i)).encode()
        for i in range(options.feeds)
    }
    # One server for each feed, as each intergroup has its own site (the sync asks one server
    # at most twice at once).
    servers = [_server(bodies, not options.no_validators, options.latency) for _ in bodies]
    urls = [f"http://127.0.0.1:{httpd.server_address[1]}" for httpd in servers]
    work = Path(tempfile.mkdtemp(prefix="directory-sync-"))
    try:
        curated = work / "resources.yaml"
        lines = [(ROOT / "data" / "resources.yaml").read_text(), "feeds:"]
        for i in range(options.feeds):
            lines.append(f"  - {{name: feed-{i}, url: '{urls[i]}/feed-{i}.json', fellowship: AA,"
                         f" timezone: America/Chicago, prefix: f{i}}}")  # fmt: skip
        curated.write_text("\n".join(lines) + "\n")
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "x",
                "DATA_PATH": str(curated),
                "INDEX_DIR": str(work / "index"),
                "DATA_MAX_RESOURCES": 10_000_000,
            }  # fmt: skip
        )
        runner = app.test_cli_runner()
        total = options.feeds * options.meetings
        labels = ["first sync", "re-sync, nothing changed"]
        if options.no_validators:
            labels.append("re-sync, the answer known")
        for label in labels:
            started, cpu = time.perf_counter(), _cpu()
            jobs = ["--jobs", str(options.jobs)] if options.jobs else []
            result = runner.invoke(args=["sync", *jobs])
            seconds, cpu = time.perf_counter() - started, _cpu() - cpu
            if result.exit_code != 0:
                print(result.output)
                return 1
            print(f"{label:<26} {total:>8,} meetings in {options.feeds} feeds: {seconds:6.1f} s"
                  f" ({cpu:.1f} s CPU)")  # fmt: skip
        started = time.perf_counter()
        catalog, problems = parse_bytes(
            curated.read_bytes(), str(curated), LIMITS, read_feed_files(curated, LIMITS.max_bytes)
        )
        seconds = time.perf_counter() - started
        if catalog is None:
            print("\n".join(str(p) for p in problems if p.severity == "error")[:3000])
            return 1
        label = "cold load of the merge"
        print(f"{label:<26} {len(catalog.resources):>8,} resources: {seconds:9.1f} s")
    finally:
        for httpd in servers:
            httpd.shutdown()
            httpd.server_close()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
