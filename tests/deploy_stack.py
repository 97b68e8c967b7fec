"""The reference deployment on loopback: Redis, two gunicorn hosts on one artifact, nginx in front.

Used by tests/test_deploy.py (a small directory, seconds) and bench/hosts.py (heavier load). The
nginx configuration is deploy/nginx.conf as shipped, with this machine's ports and folders; each
host is the shipped gunicorn.conf.py serving DIRECTORY_ARTIFACT_DIR through its own pointer
(CURRENT.a, CURRENT.b), so a rolling update is: build once, switch a, then b.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import ROOT
from tests.redis_server import RedisServer
from tests.web.gunicorn_server import Gunicorn, free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SHIPPED = (ROOT / "deploy" / "nginx.conf").read_text()
UPSTREAM_LINES = ("server 127.0.0.1:8000 ", "server 127.0.0.1:8001 ")
HIGH_LIMIT = "1000000 per minute"  # one address sending a load test is what limits exist to stop


def site_config(nginx_port: int, app_ports: list[int], logs: str) -> str:
    """The shipped file with this machine's ports and log folder (each change must apply).

    One port: the second upstream line is deleted, as the file says to for a single host.
    """
    text = SHIPPED
    for old, new in [
        ("listen 80;", f"listen 127.0.0.1:{nginx_port};"),
        ("listen [::]:80;", ""),
        ("/var/log/nginx/", f"{logs}/"),
    ]:
        assert old in text, f"deploy/nginx.conf no longer has {old!r}"
        text = text.replace(old, new)
    lines = text.splitlines(keepends=True)
    for n, marker in enumerate(UPSTREAM_LINES):
        at = [i for i, line in enumerate(lines) if line.strip().startswith(marker)]
        assert len(at) == 1, f"deploy/nginx.conf no longer has one {marker!r} line"
        if n < len(app_ports):
            lines[at[0]] = lines[at[0]].replace(marker, f"server 127.0.0.1:{app_ports[n]} ")
        else:
            lines[at[0]] = ""
    return "".join(lines)


def main_config(folder, site) -> str:
    """What Debian's /etc/nginx/nginx.conf provides, with paths in the test's folder."""
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"  {kind}_temp_path {folder}/{kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                             "uwsgi", "scgi")
    )  # fmt: skip
    return (
        f"{user}worker_processes 1;\ndaemon off;\npid {folder}/nginx.pid;\n"
        f"error_log {folder}/main-error.log;\nevents {{ worker_connections 1024; }}\n"
        f"http {{\n  include /etc/nginx/mime.types;\n{temp}\n  access_log off;\n"
        f"  include {site};\n}}\n"
    )


class Nginx:
    """Debian's nginx on a free loopback port, with the shipped site file, in `folder`."""

    def __init__(self, folder: Path, app_ports: list[int]):
        self.folder = folder
        self.port = free_port()
        self.site = folder / "directory.conf"
        self.site.write_text(site_config(self.port, app_ports, str(folder)))
        self.main = folder / "nginx.conf"
        self.main.write_text(main_config(folder, self.site))
        self.process: subprocess.Popen | None = None

    def start(self) -> Nginx:
        checked = subprocess.run([NGINX, "-t", "-p", str(self.folder), "-c", str(self.main)],
                                 capture_output=True, text=True)  # fmt: skip
        assert checked.returncode == 0, checked.stderr
        command = [NGINX, "-p", str(self.folder), "-c", str(self.main)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        return self

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not answers(self.port, "/healthz", 2):
            assert self.process is not None and self.process.poll() is None, "nginx exited"
            assert time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


def answers(port: int, path: str, timeout: float) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        connection.request("GET", path)
        status = connection.getresponse().status
        connection.close()
        return status == 200
    except OSError:
        return False


def flask_command(*args: str, data_path: Path, index_dir: Path, separate: bool = False) -> str:
    """Run `flask --app directory ...` as a maintainer would.

    In this process (no start-up cost) unless `separate`: a build under load runs in its own
    process, as on the building machine, and leaves this one's threads (the load) alone.
    """
    settings = {
        "DATA_PATH": str(data_path),
        "INDEX_DIR": str(index_dir),
        "SECRET_KEY": secrets.token_hex(32),
        "BASE_URL": "https://directory.example.org",
        "DATA_MAX_BYTES": str(256 * 1024 * 1024),
        "DATA_MAX_RESOURCES": "1000000",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    if separate:
        env = {f"DIRECTORY_{name}": value for name, value in settings.items()}
        env |= {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(index_dir.parent)}
        command = [sys.executable, "-m", "flask", "--app", "directory", *args]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=1800)  # fmt: skip
        assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout
    from directory import config, create_app

    app = create_app(config.from_environment({f"DIRECTORY_{k}": v for k, v in settings.items()}))
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, f"{' '.join(args)}:\n{result.output}"
    return result.output


class Hosts:
    """Redis, two gunicorn hosts (a and b) on one artifact folder, nginx in front of both."""

    def __init__(self, work: Path, artifact_dir: Path, workers: int = 2, **settings: str):
        self.work = work
        self.artifact_dir = artifact_dir
        self.redis = RedisServer(work)
        self.hosts: dict[str, Gunicorn] = {}
        secret = secrets.token_hex(32)  # one for every host: cookies and rate-limit pseudonyms
        for name in ("a", "b"):
            folder = work / f"host-{name}"
            folder.mkdir()
            self.hosts[name] = Gunicorn(
                folder,
                folder / "unused.yaml",  # an artifact host reads no data file
                workers=workers,
                DIRECTORY_SECRET_KEY=secret,
                DIRECTORY_ARTIFACT_DIR=str(artifact_dir),
                DIRECTORY_ARTIFACT_CURRENT=f"CURRENT.{name}",
                DIRECTORY_RATELIMIT_STORAGE_URI=self.redis.uri,
                DIRECTORY_PROXY_COUNT="1",
                DIRECTORY_RATE_LIMIT_SEARCH=HIGH_LIMIT,
                DIRECTORY_RATE_LIMIT_API=HIGH_LIMIT,
                **settings,
            )
        self.nginx = Nginx(work, [h.port for h in self.hosts.values()])

    def start(self) -> Hosts:
        self.redis.start()
        for host in self.hosts.values():
            host.start()
        self.nginx.start()
        for host in self.hosts.values():
            host.wait_ready()
        self.nginx.wait_ready()
        return self

    def stop(self) -> None:
        self.nginx.stop()
        for host in self.hosts.values():
            host.stop()
        self.redis.stop()

    def serving(self, name: str) -> str:
        """Return the artifact version host `name` serves (every worker, asked 4 times)."""
        return self.hosts[name].wait_for(lambda r: r.get("status") == "ok")["artifact"]["version"]

    def wait_serving(self, name: str, version: str, timeout: float = 60) -> None:
        """Wait until every worker of host `name` serves `version` (new connections each time)."""
        self.hosts[name].wait_for(
            lambda r: (r.get("artifact") or {}).get("version") == version, timeout=timeout
        )


# --- the load ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    started: float
    seconds: float
    path: str
    status: int  # 0: no answer (connection refused, reset, timed out)
    version: str  # the X-Data-Version header
    marks: frozenset[str]  # the marker words the body contains
    error: str = ""


@dataclass
class Load:
    """Threads sending requests through nginx, each on its own keep-alive connection."""

    port: int
    paths: list[str]
    markers: tuple[str, ...]  # words, each in one version's names only
    threads: int = 4
    answers: list[Answer] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._workers = [
            threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(self.threads)
        ]

    def start(self) -> Load:
        for worker in self._workers:
            worker.start()
        return self

    def stop(self) -> list[Answer]:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=60)
        return self.answers

    def _run(self, n: int) -> None:
        connection = None
        i = n
        mine = []
        while not self._stop.is_set():
            path = self.paths[i % len(self.paths)]
            i += self.threads
            started = time.monotonic()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                connection.request("GET", path, headers={"Accept-Encoding": "identity"})
                response = connection.getresponse()
                body = response.read().decode("utf-8", "replace").lower()
                marks = frozenset(m for m in self.markers if m in _names(path, body))
                mine.append(Answer(started, time.monotonic() - started, path, response.status,
                                   response.headers.get("X-Data-Version", ""), marks))  # fmt: skip
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException) as exc:
                mine.append(Answer(started, time.monotonic() - started, path, 0, "", frozenset(),
                                   repr(exc)))  # fmt: skip
                if connection is not None:
                    connection.close()
                connection = None
        if connection is not None:
            connection.close()
        with self._lock:
            self.answers.extend(mine)


RESULT_LINK = re.compile(r'<h([34])><a href="[^"]*/resources/([^"/]+)">([^<]*)</a></h\1>')


def _names(path: str, body: str) -> str:
    """The names of the listings answered: the JSON results, or the page's result links."""
    if path.startswith("/api/"):
        try:
            return " ".join(r.get("name", "") for r in json.loads(body).get("results", []))
        except (ValueError, AttributeError):
            return ""
    return " ".join(match.group(3) for match in RESULT_LINK.finditer(body))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def check_consistency(answers: list[Answer], marker_of: dict[str, str]) -> list[str]:
    """Return what is wrong: failures, unknown versions, bodies that disagree with their header.

    `marker_of` maps each version's X-Data-Version to the marker word only its names hold.
    """
    wrong = []
    for a in answers:
        if a.status == 0 or a.status >= 500 or a.status != 200:
            wrong.append(f"{a.path}: {a.status or a.error}")
        elif a.version not in marker_of:
            wrong.append(f"{a.path}: X-Data-Version {a.version!r} is no version built")
        elif a.marks and a.marks != {marker_of[a.version]}:
            wrong.append(f"{a.path}: marked {a.version}, body holds {sorted(a.marks)}")
        elif marker_of[a.version] in a.path and not a.marks:
            wrong.append(f"{a.path}: marked {a.version}, but its own listing is missing")
    return wrong
