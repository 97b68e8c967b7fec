"""Rate limits as configured: shared by workers, kept across reloads, unlinkable, failing open.

Against real stores: a SQLite file, a real redis-server (started here on a free loopback port;
the tests that need it are skipped only when the binary is missing), and a real gunicorn.
"""

from __future__ import annotations

import logging
import os
import time

import pytest

from directory import create_app
from directory.web.rate_store import SQLiteStorage
from tests.conftest import FIXTURES
from tests.redis_server import RedisServer
from tests.web.gunicorn_server import Gunicorn

needs_redis = pytest.mark.skipif(not RedisServer.available(), reason="redis-server not installed")
SEARCH = "/search?q=clinic"


def make_app(tmp_path, data_path, **config):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "rate-limit-tests-" + "r" * 32,
            "DATA_PATH": str(data_path),
            "INDEX_DIR": str(tmp_path / "index"),
            "RATE_LIMIT_SEARCH": "3 per minute",
            **config,
        }
    )


def statuses(client, count: int, path: str = SEARCH, **options) -> list[int]:
    return [client.get(path, **options).status_code for _ in range(count)]


# --- the SQLite file every worker shares ------------------------------------------------------


def test_sqlite_counters_are_shared_by_every_connection_and_expire(tmp_path):
    uri = f"sqlite:///{tmp_path}/limits.sqlite"
    one, two = SQLiteStorage(uri), SQLiteStorage(uri)  # two workers, say
    assert [one.incr("k", 60), two.incr("k", 60), one.incr("k", 60)] == [1, 2, 3]
    assert two.get("k") == 3 and one.get("other") == 0
    assert time.time() < two.get_expiry("k") <= time.time() + 60
    assert one.incr("short", 1) == 1
    time.sleep(1.1)
    assert two.get("short") == 0 and one.incr("short", 1) == 1  # a new window
    two.clear("k")
    assert one.get("k") == 0 and one.check()


def test_the_default_store_is_a_file_under_instance_when_serving(tmp_path, data_path):
    app = create_app(
        {"SECRET_KEY": "s" * 40, "BASE_URL": "https://x.example", "DATA_PATH": str(data_path)}
    )
    uri = app.config["RATELIMIT_STORAGE_URI"]
    assert uri == "sqlite:///" + os.path.join(app.instance_path, "rate-limits.sqlite").lstrip("/")
    assert not os.path.exists(uri.removeprefix("sqlite://"))  # created when first used


def test_an_unreachable_store_fails_open_with_a_warning(tmp_path, data_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    app = make_app(tmp_path, data_path, RATELIMIT_STORAGE_URI=f"sqlite:///{blocker}/x.sqlite")
    client = app.test_client()
    caplog.set_level(logging.WARNING)
    assert statuses(client, 2) == [200, 200]
    assert "Rate limit storage unreachable" in caplog.text
    assert client.get("/readyz").get_json()["rate_limits"]["status"] == "degraded"


# --- who is counted ---------------------------------------------------------------------------


def test_forwarded_addresses_count_only_from_trusted_proxies(tmp_path, data_path):
    app = make_app(tmp_path, data_path, PROXY_COUNT=1, TRUSTED_PROXIES="10.0.0.1")
    client = app.test_client()
    spoofed = [
        client.get(SEARCH, headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code
        for i in range(5)
    ]
    assert spoofed == [200, 200, 200, 429, 429]  # from 127.0.0.1: one client, however it lies
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    behind = [
        client.get(
            SEARCH, headers={"X-Forwarded-For": f"203.0.113.{i}"}, environ_base=proxy
        ).status_code
        for i in range(5)
    ]
    assert behind == [200] * 5  # five visitors behind the proxy, each with a limit of their own


def test_links_never_take_their_host_from_a_request_header(tmp_path):
    from tests.web.referral_flow import build_list
    from tests.web.referral_flow import make_app as referral_app

    app = referral_app(
        tmp_path,
        BASE_URL="https://directory.example.org",
        PROXY_COUNT=1,
        TRUSTED_PROXIES="::/0, 0.0.0.0/0",
    )
    client = app.test_client()
    build_list(client, ["harbor-detox"])
    headers = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}
    page = client.get("/referrals", headers=headers).get_data(as_text=True)
    assert "https://directory.example.org/r/" in page  # the short share address
    assert "evil.example" not in page


# --- Redis, really ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis(tmp_path_factory):
    if not RedisServer.available():
        pytest.skip("redis-server not installed")
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


def _redis_keys(redis: RedisServer) -> list[str]:
    import redis as client

    return [k.decode() for k in client.Redis(port=redis.port).keys("*")]


@needs_redis
def test_redis_keys_are_unlinkable_hashes_that_expire(tmp_path, data_path, redis):
    import redis as client

    client.Redis(port=redis.port).flushall()
    app = make_app(tmp_path, data_path, RATELIMIT_STORAGE_URI=redis.uri)
    web = app.test_client()
    assert statuses(web, 4) == [200, 200, 200, 429]
    keys = _redis_keys(redis)
    assert keys
    for key in keys:
        assert "127.0.0.1" not in key and "localhost" not in key
        assert 0 < client.Redis(port=redis.port).ttl(key) <= 60


@needs_redis
def test_redis_going_away_fails_open_and_comes_back_by_itself(tmp_path, data_path, redis, caplog):
    app = make_app(
        tmp_path, data_path, RATELIMIT_STORAGE_URI=redis.uri, RATE_LIMIT_SEARCH="50 per minute"
    )
    web = app.test_client()
    caplog.set_level(logging.INFO)
    assert web.get(SEARCH).status_code == 200
    assert web.get("/readyz").get_json()["rate_limits"]["status"] == "ok"
    redis.stop()
    try:
        assert statuses(web, 5) == [200] * 5  # never a 500: searching does not need counters
        assert "Rate limit storage unreachable" in caplog.text
        time.sleep(2.1)  # /readyz asks the store again
        ready = web.get("/readyz").get_json()
        assert ready["status"] == "ok" and ready["rate_limits"]["status"] == "degraded"
    finally:
        redis.start()
    deadline = time.monotonic() + 90
    while "Rate limit storage recovered" not in caplog.text:
        assert time.monotonic() < deadline, "the limiter never went back to Redis"
        assert web.get(SEARCH).status_code in (200, 429)
        time.sleep(0.5)
    time.sleep(2.1)
    assert web.get("/readyz").get_json()["rate_limits"]["status"] == "ok"
    assert any(k for k in _redis_keys(redis))  # counting in Redis again


# --- a real gunicorn: two workers, one limit, kept across a reload ----------------------------


@pytest.mark.slow
def test_two_workers_share_one_limit_and_a_reload_does_not_reset_it(tmp_path):
    data = tmp_path / "resources.yaml"
    text = (FIXTURES / "minimal.yaml").read_text()
    data.write_text(text)
    server = Gunicorn(
        tmp_path,
        data,
        workers=2,
        DIRECTORY_RATELIMIT_STORAGE_URI=f"sqlite:///{tmp_path}/limits.sqlite",
        DIRECTORY_RATE_LIMIT_SEARCH="6 per minute",
    ).start()
    try:
        server.wait_ready()
        answers = [server.get(SEARCH)[0] for _ in range(10)]  # new connections: both workers
        assert answers == [200] * 6 + [429] * 4
        before = server.readyz()["fingerprint"]
        os.replace(_write(tmp_path, text.replace("Hawthorne Serenity", "Belmont Hope")), data)
        server.wait_for(lambda r: r["fingerprint"] != before)
        assert [server.get(SEARCH)[0] for _ in range(3)] == [429] * 3
        assert server.readyz()["rate_limits"] == {
            "storage": "sqlite", "shared_by_workers": True, "status": "ok"
        }  # fmt: skip
    finally:
        server.stop()


def _write(folder, text):
    path = folder / "new.yaml"
    path.write_text(text)
    return path
