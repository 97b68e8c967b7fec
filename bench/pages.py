"""Result pages, the Meeting Guide feed and sheet PDFs under gunicorn, beside a minimal Flask app.

    python bench/pages.py                       # 10,000 resources, 10 s per turn, 2 turns
    python bench/pages.py --resources 2000 --seconds 5 --turns 1
    python bench/pages.py --only-pdf            # only the sheet PDFs (no minimal app, no pages)

Loopback only. Two servers run side by side under the same gunicorn settings (those of
directory/web/gunicorn_conf.py: workers, threads, gthread, keep-alive, the access log): ours on
a synthetic directory (bench/load.py's, Portland metro), and a minimal Flask app that answers
every path with a small HTML page. wrk (`bench/search.lua`, one thread, 8 connections) sends
both the same varied searches (words, places, filters, page 2), the servers taking turns so a
burst of other work on the machine cannot land on one only; the best turn of each is reported,
with the ratio ours / minimal (the issue's target: at least 0.30) and the servers' CPU seconds
per request (the machine is shared: CPU time says what wall time cannot).

Then, on our server: the whole Meeting Guide feed (gzip, then plain; built once per data
version, so a fetch should cost milliseconds) and referral sheet PDFs of five listings posted
by 8 concurrent clients (the target: at least 20/s on 2 cores), each with its p50.
Rate limits are raised (one address sending hundreds of requests a second is what they stop).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import (  # noqa: E402  # why: the script runs from bench/, not installed
    fetch,
    free_port,
    resource_file,
    search_paths,
    write_resource_file,
)
from tests.web.gunicorn_server import children_of  # noqa: E402

MINIMAL_APP = """\
from flask import Flask

app = Flask(__name__)
PAGE = "<!doctype html><html lang=en><title>Results</title><h1>Results</h1>" + "<p>x</p>" * 40


@app.get("/", defaults={"path": ""})
@app.get("/<path:path>")
def page(path):
    return PAGE
"""
# The shipped settings by name (its hooks load our data, which the minimal app has none of).
SETTINGS = (
    "bind workers threads worker_class preload_app timeout graceful_timeout keepalive"
    " limit_request_field_size limit_request_line control_socket_disable logger_class accesslog"
    " access_log_format errorlog loglevel forwarded_allow_ips"
)
MINIMAL_CONFIG = f"from directory.web.gunicorn_conf import {', '.join(SETTINGS.split())}\n"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
TICKS = os.sysconf("SC_CLK_TCK")


class Server:
    def __init__(self, name: str, work: Path, command: list[str], cwd: Path, env: dict[str, str]):
        self.name = name
        self.port = free_port()
        self.env = dict(env, BIND=f"127.0.0.1:{self.port}")
        self.log = work / f"{name}.log"
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(command, cwd=cwd, env=self.env, stdout=out, stderr=out)

    def wait_ready(self, path: str, seconds: float = 600) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log}")
            try:
                if fetch(self.port, path, timeout=60)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready in {seconds} s; see {self.log}")

    def cpu_seconds(self) -> float:
        """User + system CPU of the master and its workers so far."""
        total = 0
        for pid in [self.process.pid, *children_of(self.process.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / TICKS

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def wrk(port: int, paths_file: Path, seconds: float) -> dict:
    done = subprocess.run(
        ["wrk", "-t1", "-c8", f"-d{seconds:g}s", "--latency", "-s", str(ROOT / "bench/search.lua"),
         f"http://127.0.0.1:{port}"],
        env=dict(os.environ, SEARCH_PATHS=str(paths_file)), capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    line = next(x for x in done.stdout.splitlines() if x.startswith("LOADTEST "))
    return json.loads(line.removeprefix("LOADTEST "))


def measure(server: Server, run) -> dict:
    """Run `run()` (which returns requests, seconds, p50 ms, statuses) and add CPU per request."""
    cpu = server.cpu_seconds()
    figures = run()
    figures["cpu_ms_per_request"] = (
        (server.cpu_seconds() - cpu) * 1000 / max(1, figures["requests"])
    )
    figures["rate"] = figures["requests"] / figures["seconds"]
    return figures


def page_load(server: Server, paths_file: Path, seconds: float):
    def run() -> dict:
        out = wrk(server.port, paths_file, seconds)
        return {"requests": out["requests"], "seconds": out["duration_us"] / 1e6,
                "p50_ms": out["p50_us"] / 1000, "statuses": out["statuses"]}  # fmt: skip

    return measure(server, run)


def concurrent_load(server: Server, request, seconds: float, clients: int = 8) -> dict:
    """Keep `clients` connections busy with `request(connection)` for `seconds`."""

    def client() -> tuple[list[float], dict[int, int]]:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        times, statuses = [], {}
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            start = time.perf_counter()
            status = request(connection)
            times.append(time.perf_counter() - start)
            statuses[status] = statuses.get(status, 0) + 1
        connection.close()
        return times, statuses

    def run() -> dict:
        start = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(clients) as pool:
            results = list(pool.map(lambda _: client(), range(clients)))
        wall = time.perf_counter() - start
        times = sorted(t for r in results for t in r[0])
        statuses: dict[int, int] = {}
        for _, counts in results:
            for status, n in counts.items():
                statuses[status] = statuses.get(status, 0) + n
        return {"requests": len(times), "seconds": wall,
                "p50_ms": times[len(times) // 2] * 1000 if times else 0.0,
                "statuses": statuses}  # fmt: skip

    return measure(server, run)


def feed_request(gzip: bool):
    headers = {"Accept-Encoding": "gzip"} if gzip else {}

    def request(connection: http.client.HTTPConnection) -> int:
        connection.request("GET", "/api/v1/meetings.json", headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status

    return request


def sheet_request(port: int, ids: list[str]):
    """Make a referral list of `ids` on the server; return a request posting its PDF form."""
    cookies: dict[str, str] = {}

    def call(method: str, path: str, body: dict | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                cookies[key] = rest.split(";", 1)[0]
        text = response.read().decode("utf-8", "replace")
        connection.close()
        return response.status, text

    status, page = call("GET", f"/resources/{ids[0]}")
    csrf = TOKEN.search(page).group(1)
    for resource_id in ids:
        status, _ = call("POST", "/referrals/add", {"id": resource_id, "next": "/search",
                                                    "csrf_token": csrf})  # fmt: skip
        assert status in (200, 303), status
    form = urlencode({"participant": "Robin", "goal_purpose": "Find a meeting", "specialist": "Ana",
                      "contact": "503-555-0100", "csrf_token": csrf})  # fmt: skip
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
               "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip

    def request(connection: http.client.HTTPConnection) -> int:
        connection.request("POST", "/referrals/sheet.pdf", body=form, headers=headers)
        response = connection.getresponse()
        body = response.read()
        assert response.status != 200 or body.startswith(b"%PDF"), body[:80]
        return response.status

    return request


def best(figures: list[dict]) -> dict:
    return max(figures, key=lambda f: f["rate"])


def line(label: str, f: dict) -> str:
    statuses = ",".join(f"{k}:{v}" for k, v in sorted(f["statuses"].items()))
    return (f"{label:34} {f['rate']:8.1f}/s  p50 {f['p50_ms']:7.1f} ms  "
            f"cpu {f['cpu_ms_per_request']:6.2f} ms/request  [{statuses}]")  # fmt: skip


def compare_pages(ours: Server, minimal: Server, paths: Path, args) -> None:
    """Result pages beside the minimal app, then the whole Meeting Guide feed."""
    for server in (ours, minimal):  # warm: templates, index files, caches
        wrk(server.port, paths, 2)
    # Our lightest page (no search: the frame, the crisis lines, the language switch) says
    # what Flask, the limiter, the session, the headers and the frame cost before any search.
    plain_page = paths.with_name("about.txt")
    plain_page.write_text("/about\n")
    pages = {"ours": [], "minimal": [], "about": []}
    for _ in range(args.turns):
        pages["minimal"].append(page_load(minimal, paths, args.seconds))
        pages["ours"].append(page_load(ours, paths, args.seconds))
        pages["about"].append(page_load(ours, plain_page, args.seconds / 2))
    ratio = best(pages["ours"])["rate"] / best(pages["minimal"])["rate"]
    print(line("minimal Flask app, small page", best(pages["minimal"])))
    print(line("result pages", best(pages["ours"])))
    print(line("our /about page (no search)", best(pages["about"])))
    print(f"ratio result pages / minimal app: {ratio:.2f} (target 0.30)")
    feed = {True: [], False: []}
    for _ in range(args.turns):
        for gzipped in (True, False):
            load = concurrent_load(ours, feed_request(gzipped), args.seconds / 2)
            feed[gzipped].append(load)
    print(line("Meeting Guide feed, gzip", best(feed[True])))
    print(line("Meeting Guide feed, plain", best(feed[False])))


def main(argv: list[str] | None = None) -> int:
    """Measure result pages against a minimal Flask app, the kept feed, and sheet PDFs."""
    parser = argparse.ArgumentParser(prog="bench/pages.py", description=main.__doc__)
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each turn")
    parser.add_argument("--turns", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-pdf", action="store_true")
    parser.add_argument("--only-pdf", action="store_true", help="only the sheet PDFs")
    parser.add_argument(
        "--code",
        type=Path,
        default=ROOT,
        help="checkout whose code our server runs (e.g. a worktree of main)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as name:
        work = Path(name)
        data = resource_file(args.resources)
        write_resource_file(work / "resources.yaml", data)
        paths = work / "paths.txt"
        paths.write_text("\n".join(search_paths("/search", 400)) + "\n")
        (work / "minimal.py").write_text(MINIMAL_APP)
        (work / "minimal_conf.py").write_text(MINIMAL_CONFIG)
        env = dict(os.environ, WEB_CONCURRENCY=str(args.workers), PYTHONPATH=str(args.code),
                   DIRECTORY_DATA_PATH=str(work / "resources.yaml"),
                   DIRECTORY_INDEX_DIR=str(work / "index"),
                   DIRECTORY_SECRET_KEY=f"bench-{secrets.token_hex(24)}",
                   DIRECTORY_BASE_URL="https://directory.example.org",
                   DIRECTORY_REPORTS_DIR=str(work / "reports"),
                   DIRECTORY_RATELIMIT_STORAGE_URI=f"sqlite:///{work}/rate-limits.sqlite",
                   DIRECTORY_RATE_LIMIT_SEARCH="1000000 per minute",
                   DIRECTORY_RATE_LIMIT_API="1000000 per minute",
                   DIRECTORY_RATE_LIMIT_SHEET="1000000 per minute")  # fmt: skip
        gunicorn = [sys.executable, "-m", "gunicorn", "--no-control-socket", "-c"]
        ours = Server("ours", work, [*gunicorn, str(args.code / "gunicorn.conf.py"),
                                     "directory:create_app()"], args.code, env)  # fmt: skip
        minimal = None
        if not args.only_pdf:
            minimal = Server("minimal", work, [*gunicorn, str(work / "minimal_conf.py"),
                                               "minimal:app"], work, env)  # fmt: skip
        try:
            if minimal:
                minimal.wait_ready("/")
            started = time.monotonic()
            ours.wait_ready("/search?q=aa")
            ready = time.monotonic() - started
            print(f"{args.resources:,} resources, {args.workers} workers; ours ready in"
                  f" {ready:.0f} s; load {os.getloadavg()[0]:.2f}")  # fmt: skip
            if minimal:
                compare_pages(ours, minimal, paths, args)
            if not args.skip_pdf:
                ids = [r["id"] for r in data["resources"][:5]]
                request = sheet_request(ours.port, ids)
                request(http.client.HTTPConnection("127.0.0.1", ours.port, timeout=60))  # warm
                sheets = [concurrent_load(ours, request, args.seconds) for _ in range(args.turns)]
                print(line("referral sheet PDF (5 listings)", best(sheets)) + "  target 20/s")
            print(f"load {os.getloadavg()[0]:.2f} at the end")
        finally:
            ours.stop()
            if minimal:
                minimal.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
