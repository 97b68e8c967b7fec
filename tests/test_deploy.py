"""deploy/nginx.conf as shipped, on loopback in front of a real gunicorn: slowloris is nginx's.

Fifty connections that send their headers a byte at a time hold every thread of gunicorn alone;
behind nginx, real requests keep being answered. nginx's own log holds no address or query.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request

import pytest

from tests.conftest import FIXTURES, ROOT
from tests.web.gunicorn_server import Gunicorn, free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("nginx") is None and not os.path.exists("/usr/sbin/nginx"),
                       reason="nginx not installed (apt-get install nginx)"),
]  # fmt: skip
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SHIPPED = (ROOT / "deploy" / "nginx.conf").read_text()
SLOW_CONNECTIONS = 50


def site_config(nginx_port: int, app_port: int, logs: str) -> str:
    """The shipped file with this machine's ports and log folder (each change must apply)."""
    text = SHIPPED
    for old, new in [
        ("listen 80;", f"listen 127.0.0.1:{nginx_port};"),
        ("listen [::]:80;", ""),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};"),
        ("/var/log/nginx/", f"{logs}/"),
    ]:
        assert old in text, f"deploy/nginx.conf no longer has {old!r}"
        text = text.replace(old, new)
    return text


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


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    work = tmp_path_factory.mktemp("deploy")
    data = work / "resources.yaml"
    data.write_text((FIXTURES / "minimal.yaml").read_text())
    app = Gunicorn(work, data, workers=1, DIRECTORY_PROXY_COUNT="1").start()
    port = free_port()
    site = work / "directory.conf"
    site.write_text(site_config(port, app.port, str(work)))
    main = work / "nginx.conf"
    main.write_text(main_config(work, site))
    checked = subprocess.run([NGINX, "-t", "-p", str(work), "-c", str(main)],
                             capture_output=True, text=True)  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    nginx = subprocess.Popen([NGINX, "-p", str(work), "-c", str(main)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        app.wait_ready()
        deadline = time.monotonic() + 30
        while not _answers(port, "/healthz", 2):
            assert nginx.poll() is None and time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.2)
        yield app, port, work
    finally:
        nginx.terminate()
        nginx.wait(timeout=20)
        app.stop()


def _answers(port: int, path: str, timeout: float) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as answer:
            return answer.status == 200
    except OSError:
        return False


class Slowloris:
    """Connections that send a request's headers a few bytes a second, never finishing."""

    def __init__(self, port: int, count: int):
        self.sockets = []
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET /search?q=slow HTTP/1.1\r\nHost: x\r\n")
            self.sockets.append(sock)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._drip, daemon=True)
        self.thread.start()

    def _drip(self):
        while not self.stop.wait(1.0):
            for sock in self.sockets:
                try:
                    sock.sendall(b"X-a: b\r\n")
                except OSError:
                    pass  # nginx gave up on it: that is the point

    def close(self):
        self.stop.set()
        self.thread.join()
        for sock in self.sockets:
            sock.close()


def test_slowloris_blocks_gunicorn_alone(stack):
    app, _, _ = stack
    assert _answers(app.port, "/search?q=clinic", 10)
    attack = Slowloris(app.port, SLOW_CONNECTIONS)
    try:
        time.sleep(1)
        assert not _answers(app.port, "/search?q=clinic", 3)  # every thread is reading headers
    finally:
        attack.close()
    deadline = time.monotonic() + 30
    while not _answers(app.port, "/healthz", 2):
        assert time.monotonic() < deadline, "gunicorn did not recover"


def test_behind_the_shipped_nginx_real_requests_are_answered(stack):
    _, port, _ = stack
    attack = Slowloris(port, SLOW_CONNECTIONS)
    try:
        time.sleep(1)
        for _ in range(5):
            assert _answers(port, "/search?q=clinic", 30)
            assert _answers(port, "/api/v1/search?q=clinic", 30)
    finally:
        attack.close()


def test_the_shipped_nginx_logs_no_address_or_query(stack):
    _, port, work = stack
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/search?q=methadone&near=97214",
        headers={"X-Forwarded-For": "203.0.113.9", "Referer": "https://x.example/?q=relapse"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200
        assert "Server" not in answer.headers or "nginx/" not in answer.headers["Server"]
    time.sleep(0.5)
    log = (work / "directory-access.log").read_text()
    assert '"GET /search" 200' in log
    for secret in ("methadone", "97214", "relapse", "127.0.0.1", "203.0.113.9", "?"):
        assert secret not in log
