"""What a real gunicorn with the shipped configuration writes and answers to malformed requests.

No log line (access or error, ours or gunicorn's) may hold a query string, a client address or a
control character, however the request is mangled; no `Server: gunicorn`; a 413 closes the
connection it says it closes.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import FIXTURES
from tests.web.gunicorn_server import CLIENT_ADDRESS, Gunicorn

pytestmark = pytest.mark.slow

SECRET_WORDS = ("metadona", "methadone", "97214", "cerca", "secretword", "relapse")
MALFORMED = [
    # raw UTF-8 and spaces in the request line: gunicorn refuses it and used to quote it all
    "GET /search?q=metadona cerca de mí&near=97214 HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
    # raw UTF-8 without spaces: accepted, logged
    "GET /search?q=metadona+cerca+de+mí&near=97214 HTTP/1.1\r\nHost: x\r\n"
    "Connection: close\r\n\r\n".encode(),
    # %0A in the path: decoded, it would start a forged access line
    b"GET /search%0A[01/Jan/2026:00:00:00]%20%22GET%20/admin%22%20200?q=methadone HTTP/1.1\r\n"
    b"Host: x\r\nConnection: close\r\n\r\n",
    # terminal escapes, raw and encoded
    b"GET /\x1b[2J\x1b[31mred?q=methadone HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /%1B%5B31mred%1B%5B0m?q=methadone HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    # a header gunicorn refuses, after a line with a query
    b"GET /search?q=secretword HTTP/1.1\r\nHost: x\r\nBad Header: relapse\r\n\r\n",
    # a referrer and agent full of search words: never logged
    b"GET /search?q=methadone HTTP/1.1\r\nHost: x\r\nReferer: https://x.example/?q=relapse\r\n"
    b"User-Agent: secretword\x1b[31m\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n",
    # a method nobody uses and a broken version
    b"FOO\x07 /?q=methadone HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /?q=methadone HTTP/9.9\r\nHost: x\r\n\r\n",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    work = tmp_path_factory.mktemp("gunicorn-logs")
    data = work / "resources.yaml"
    data.write_text((FIXTURES / "minimal.yaml").read_text())
    gunicorn = Gunicorn(work, data, workers=1, LOG_LEVEL="debug").start()
    try:
        gunicorn.wait_ready()
        yield gunicorn
    finally:
        gunicorn.stop()


@pytest.fixture(scope="module")
def logs(server):
    for request in MALFORMED:
        server.raw(request)
    status, _ = server.get("/search?q=methadone&near=97214")
    assert status == 200
    status, _ = server.get("/api/v1/search?q=metadona%20cerca%20de%20m%C3%AD&near=97214")
    assert status == 200
    return server.access(), server.log()


def test_no_log_line_holds_a_search_term_or_query_string(logs):
    for text in logs:
        for word in SECRET_WORDS:
            assert word not in text
        assert "?q=" not in text and "%3F" not in text.upper().replace("%3FQ", "")


def test_no_log_line_holds_the_client_address(logs):
    for text in logs:
        assert CLIENT_ADDRESS not in text
        assert "203.0.113.9" not in text
        assert "ip=" not in text


def test_no_log_line_holds_a_control_character(logs):
    for text in logs:
        for line in text.splitlines():
            assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", line), repr(line)


def test_no_forged_access_line(logs):
    access, _ = logs
    for line in access.splitlines():
        assert re.match(r'^\[\d\d/\w{3}/\d{4}:[\d:]+ [+-]\d{4}\] "', line), repr(line)
    assert '/search\\x0a[01/Jan/2026:00:00:00] "GET /admin" 200' in access.replace('\\"', '"')


def test_refused_requests_are_still_logged_by_kind(logs):
    _, errors = logs
    assert errors.count("Invalid request: ") >= 3
    assert "Invalid HTTP request line: '...'" in errors


def test_no_server_header_and_a_413_closes_the_connection(server):
    status, headers, _ = server.request("GET", "/about")
    assert status == 200
    assert "Server" not in headers and "server" not in {k.lower() for k in headers}
    body = b"id=x&next=/&note=" + b"x" * 100_000
    answer = server.raw(
        b"POST /referrals/add HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    assert head.startswith("HTTP/1.1 413")
    assert "Connection: close" in head and "keep-alive" not in head
    assert "Server:" not in head
