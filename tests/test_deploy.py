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

from tests.conftest import FIXTURES, SAMPLE
from tests.deploy_stack import (
    NGINX,
    Hosts,
    Load,
    check_consistency,
    flask_command,
    main_config,
    site_config,
)
from tests.redis_server import RedisServer
from tests.web.gunicorn_server import Gunicorn, free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("nginx") is None and not os.path.exists("/usr/sbin/nginx"),
                       reason="nginx not installed (apt-get install nginx)"),
]  # fmt: skip
SLOW_CONNECTIONS = 50


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    work = tmp_path_factory.mktemp("deploy")
    data = work / "resources.yaml"
    data.write_text((FIXTURES / "minimal.yaml").read_text())
    app = Gunicorn(work, data, workers=1, DIRECTORY_PROXY_COUNT="1").start()
    port = free_port()
    site = work / "directory.conf"
    site.write_text(site_config(port, [app.port], str(work)))
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


# --- two hosts on one artifact, a rolling update under load ------------------------------------

OLD_WORD, NEW_WORD = "wombat", "quokka"  # each in one version's names only
LOAD_PATHS = [
    f"/api/v1/search?q={OLD_WORD}",
    f"/search?q={NEW_WORD}",
    "/api/v1/search?q=early+birds",
    f"/api/v1/search?q={NEW_WORD}",
    "/search?q=early+birds",
    f"/search?q={OLD_WORD}",
    "/api/v1/search?q=meeting&near=97214",
    "/search?q=suboxone",
    "/static/site.css",
]


@pytest.fixture(scope="module")
def hosts(tmp_path_factory):
    if not RedisServer.available():
        pytest.skip("redis-server not installed")
    work = tmp_path_factory.mktemp("hosts")
    sample = SAMPLE.read_text()
    assert "    name: Early Birds\n" in sample
    versions = {}
    for word in (OLD_WORD, NEW_WORD):
        path = work / word / "resources.yaml"
        path.parent.mkdir()
        renamed = sample.replace("    name: Early Birds\n", f"    name: Early Birds {word}\n")
        path.write_text(renamed)
        versions[word] = path
    artifact_dir = work / "artifact"
    build_index = work / "build-index"  # the building machine's catalog cache

    def flask(*args, data=versions[OLD_WORD], separate=False):
        return flask_command(*args, data_path=data, index_dir=build_index, separate=separate)

    flask("index", "--out", str(artifact_dir))
    for host in ("a", "b"):
        flask("switch", str(artifact_dir), "--pointer", f"CURRENT.{host}")
    stack = Hosts(work, artifact_dir, DIRECTORY_RATE_LIMIT_SHEET="4 per minute")
    try:
        stack.start()
        yield stack, flask, versions
    finally:
        stack.stop()


def _data_version(artifact_dir, name) -> str:
    import json

    return json.loads((artifact_dir / name / "manifest.json").read_text())["fingerprint"][:12]


def test_a_rolling_update_fails_no_request_and_every_answer_is_one_version(hosts):
    from directory.search.artifact import pointed_name

    stack, flask, versions = hosts
    folder = stack.artifact_dir
    first = stack.serving("a")
    assert stack.serving("b") == first
    load = Load(stack.nginx.port, LOAD_PATHS, (OLD_WORD, NEW_WORD), threads=4).start()
    try:
        time.sleep(1)
        flask("index", "--out", str(folder), data=versions[NEW_WORD], separate=True)  # once
        second = pointed_name(folder)
        assert second != first
        flask("switch", str(folder), "--pointer", "CURRENT.a")
        stack.wait_serving("a", second)
        assert stack.serving("b") == first  # b goes on serving the old version meanwhile
        time.sleep(1)
        flask("switch", str(folder), "--pointer", "CURRENT.b")
        stack.wait_serving("b", second)
        switched = time.monotonic()
        time.sleep(2.5)
    finally:
        answers = load.stop()
    marker_of = {_data_version(folder, first): OLD_WORD, _data_version(folder, second): NEW_WORD}
    wrong = check_consistency(answers, marker_of)
    assert not wrong, f"{len(wrong)} of {len(answers)} wrong: {wrong[:10]}"
    assert len(answers) >= 100
    assert {a.version for a in answers} == set(marker_of)  # both versions were served
    assert {m for a in answers for m in a.marks} == {OLD_WORD, NEW_WORD}
    late = [a for a in answers if a.started > switched + 1]
    assert late and {a.version for a in late} == {_data_version(folder, second)}


def test_the_two_hosts_share_rate_limits_through_redis(hosts):
    stack, _, _ = hosts
    statuses = []
    for _ in range(6):  # nginx sends them in turn to a and b: 3 each, under 4 per host alone
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{stack.nginx.port}/referrals/shared?ids=early-birds", timeout=30
            ) as answer:
                statuses.append(answer.status)
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)
    assert statuses == [200, 200, 200, 200, 429, 429]
