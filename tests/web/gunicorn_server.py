"""A real gunicorn with the shipped configuration, on loopback, under a memory cap.

The server runs under `prlimit --as` (or setrlimit before exec where prlimit is missing), so a
regression that makes it grow without bound fails the test instead of taking the machine down.
Logs go to files the tests read; requests come from 127.0.0.2, so any client address in a log
line is easy to tell from the 127.0.0.1 the server listens on.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import ROOT

MEMORY_CAP_MB = 2048  # address space for the master, each worker and each parse child
CLIENT_ADDRESS = "127.0.0.2"  # loopback too, but not the address the server listens on


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cap_memory() -> None:  # pragma: no cover - runs in the child before exec
    import resource

    limit = MEMORY_CAP_MB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


class Gunicorn:
    def __init__(self, work: Path, data_path: Path, workers: int = 2, **settings: str):
        self.work = work
        self.port = free_port()
        self.access_log = work / "access.log"
        self.error_log = work / "error.log"
        self.data_path = data_path
        self.index_dir = work / "index"
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(work),
            "BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(workers),
            "DIRECTORY_DATA_PATH": str(data_path),
            "DIRECTORY_INDEX_DIR": str(self.index_dir),
            "DIRECTORY_REPORTS_DIR": str(work / "reports"),
            "DIRECTORY_SECRET_KEY": secrets.token_hex(32),
            "DIRECTORY_BASE_URL": "https://directory.example.org",
            "DIRECTORY_RELOAD_CHECK_SECONDS": "0.3",
            "DIRECTORY_RELOAD_SETTLE_SECONDS": "0.3",
            "DIRECTORY_RATELIMIT_STORAGE_URI": "memory://",
            **settings,
        }
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        gunicorn = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]
        gunicorn.append("directory:create_app()")
        if shutil.which("prlimit"):
            cap = MEMORY_CAP_MB * 1024 * 1024
            return ["prlimit", f"--as={cap}:{cap}", "--", *gunicorn]
        return gunicorn

    def start(self) -> Gunicorn:
        with open(self.access_log, "ab") as out, open(self.error_log, "ab") as err:
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=err,
                preexec_fn=None if shutil.which("prlimit") else _cap_memory,  # noqa: PLW1509  # why: only without prlimit
            )
        return self

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise AssertionError(f"gunicorn exited:\n{self.log()}")
            if (self.readyz() or {}).get("status") == "ok":
                return
            time.sleep(0.2)
        raise AssertionError(f"gunicorn was not ready in {timeout} s:\n{self.log()}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if not self.alive():
            return
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def hup(self) -> None:
        assert self.process is not None
        os.kill(self.master_pid(), signal.SIGHUP)

    def master_pid(self) -> int:
        """The gunicorn master: prlimit execs it, so it is the process we started."""
        assert self.process is not None
        return self.process.pid

    def worker_pids(self) -> list[int]:
        """The master's children, but for a parse child or a catalog writer."""
        return [pid for pid in children_of(self.master_pid()) if is_worker(pid)]

    def log(self) -> str:
        return self.error_log.read_text(errors="replace")

    def access(self) -> str:
        return self.access_log.read_text(errors="replace")

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict | None = None,
        timeout: float = 30,
    ) -> tuple[int, dict, bytes]:
        """One request on a new connection from CLIENT_ADDRESS: status, headers, body."""
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=timeout, source_address=(CLIENT_ADDRESS, 0)
        )
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def get(self, path: str, **options) -> tuple[int, bytes]:
        status, _, body = self.request("GET", path, **options)
        return status, body

    def readyz(self) -> dict | None:
        try:
            status, body = self.get("/readyz", timeout=10)
        except OSError:
            return None
        return json.loads(body) if status in (200, 503) else None

    def raw(self, data: bytes, timeout: float = 10) -> bytes:
        """Send bytes as they are (a malformed request) and return what comes back."""
        with socket.create_connection(
            ("127.0.0.1", self.port), timeout=timeout, source_address=(CLIENT_ADDRESS, 0)
        ) as sock:
            sock.sendall(data)
            chunks = []
            try:
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
            except (TimeoutError, ConnectionResetError):
                pass
            return b"".join(chunks)

    def wait_for(self, test: Callable[[dict], bool], timeout: float = 90, in_a_row: int = 4):
        """Poll /readyz (new connections, so every worker) until it passes `in_a_row` times."""
        deadline = time.monotonic() + timeout
        passed = 0
        last = None
        while time.monotonic() < deadline:
            assert self.alive(), f"gunicorn exited:\n{self.log()}"
            last = self.readyz()
            passed = passed + 1 if last is not None and test(last) else 0
            if passed >= in_a_row:
                return last
            time.sleep(0.1)
        raise AssertionError(f"/readyz never passed; last: {last}\n{self.log()[-3000:]}")


def is_worker(pid: int) -> bool:
    """Whether a child of gunicorn's master is a worker, not a parse child or catalog writer."""
    if b"directory.datafile.isolated" in _cmdline(pid):
        return False  # python -m directory.datafile.isolated
    try:
        return Path(f"/proc/{pid}/comm").read_bytes().strip() != b"catalog-writer"
    except OSError:
        return False


def children_of(parent: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            out.append(int(entry.name))
    return sorted(out)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
