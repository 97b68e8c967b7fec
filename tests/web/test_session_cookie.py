"""An encrypted session that spans several cookies when it has to; the list scoped apart."""

from __future__ import annotations

import base64
import random
import string
import time
import zlib

import pytest

from directory.web.session_cookie import CHUNK_BYTES
from tests.web.referral_flow import build_list, make_app, token


def _noise(n: int, seed: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(string.ascii_letters) for _ in range(n))


def test_a_large_session_spans_chunks_and_shrinks_back(app, client):
    @app.get("/put/<int:size>")
    def put(size):
        from flask import session

        session["blob"] = _noise(size, size)
        return "ok"

    @app.get("/get")
    def get():
        from flask import session

        return str(len(session.get("blob", "")))

    client.get("/put/9000")
    assert client.get_cookie("session-1") is not None and client.get_cookie("session-2")
    assert all(len(client.get_cookie(n).value) <= CHUNK_BYTES for n in ("session", "session-1"))
    assert client.get("/get").get_data(as_text=True) == "9000"
    client.get("/put/100")  # smaller again: the extra chunks are removed
    assert client.get_cookie("session-1") is None and client.get_cookie("session-2") is None
    assert client.get("/get").get_data(as_text=True) == "100"


def test_a_tampered_or_missing_chunk_reads_as_empty(app, client):
    @app.get("/put")
    def put():
        from flask import session

        session["blob"] = _noise(6000, 1)
        return "ok"

    @app.get("/get")
    def get():
        from flask import session

        return str(len(session.get("blob", "")))

    client.get("/put")
    middle = client.get_cookie("session-1").value
    client.set_cookie("session-1", middle[::-1])
    assert client.get("/get").get_data(as_text=True) == "0"
    client.get("/put")
    client.delete_cookie("session-1")
    assert client.get("/get").get_data(as_text=True) == "0"


# --- the referral list's cookie: encrypted, scoped, forgotten when unused -----------------------

NOTE = "relapse risk after court date"


@pytest.fixture
def listing(tmp_path):
    app = make_app(tmp_path)
    client = app.test_client()
    csrf = build_list(client, ["harbor-detox"], {"harbor-detox": NOTE})
    return app, client, csrf


def _decodings(value: str) -> list[bytes]:
    """Every way a curious person might read a cookie value: base64, then zlib."""
    out = [value.encode()]
    for part in [value, value[1:], *value.split(".")]:
        try:
            raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        except ValueError:
            continue
        out.append(raw)
        try:
            out.append(zlib.decompress(raw))
        except zlib.error:
            pass
    return out


def test_the_notes_cannot_be_read_from_any_cookie(listing):
    app, client, _ = listing
    cookies = [c for c in client._cookies.values()]  # every cookie, whatever its path
    assert {c.key for c in cookies} >= {"session", "session-referrals"}
    for cookie in cookies:
        for text in _decodings(cookie.value):
            assert b"relapse" not in text and b"harbor-detox" not in text
    page = client.get("/referrals").get_data(as_text=True)
    assert f'value="{NOTE}"' in page  # and yet the list works


def test_the_list_cookie_travels_only_under_referrals(listing):
    _, client, _ = listing
    response = client.post("/referrals/update", data={"op": "save", "csrf_token": token(client)})
    set_cookies = response.headers.getlist("Set-Cookie")
    list_cookie = next(c for c in set_cookies if c.startswith("session-referrals="))
    assert "Path=/referrals" in list_cookie and "HttpOnly" in list_cookie
    assert "Max-Age=14400" in list_cookie  # forgotten by the browser after 4 idle hours
    for path in ("/static/site.css", "/search?q=clinic", "/"):
        response = client.get(path)
        response.close()  # a static file is streamed from disk
        assert "session-referrals" not in response.request.environ.get("HTTP_COOKIE", ""), path
    assert "session-referrals" in client.get("/referrals").request.environ["HTTP_COOKIE"]


def test_pages_outside_the_list_still_count_it(listing):
    _, client, _ = listing
    assert "Referral list (1)" in client.get("/search?q=clinic").get_data(as_text=True)


def test_a_list_left_unused_past_the_idle_time_is_forgotten(listing):
    app, client, _ = listing
    interface = app.session_interface
    with app.test_request_context("/referrals"):
        old = interface.encoded(
            app,
            "session-referrals",
            {"referrals": ["harbor-detox " + NOTE], "_t": time.time() - 4 * 3600 - 5},
        )
    client.set_cookie("session-referrals", old, path="/referrals")
    page = client.get("/referrals").get_data(as_text=True)
    assert "The list is empty" in page and NOTE not in page


def test_clear_this_list_is_offered_at_the_top_and_the_bottom(listing):
    _, client, csrf = listing
    page = client.get("/referrals").get_data(as_text=True)
    assert page.count("Clear this list") == 2
    assert 'form="clear-form"' in page and 'id="clear-form"' in page
    client.post("/referrals/clear", data={"csrf_token": csrf})
    assert "The list is empty" in client.get("/referrals").get_data(as_text=True)
    assert "data-referral-count>Referral list (" not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    "flashes", ["junk", 5, [["error"]], [[1, 2]], [["ok", "fine"], None], {"a": "b"}]
)
def test_malformed_messages_in_a_valid_cookie_break_no_page(app, client, flashes):
    client.get("/")
    with client.session_transaction() as session:
        session["_flashes"] = flashes
    assert client.get("/").status_code == 200
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "We could not find that page" in response.get_data(as_text=True)


def test_a_cookie_from_another_secret_reads_as_empty(tmp_path, listing):
    _, client, _ = listing
    other = make_app(tmp_path, SECRET_KEY="another-secret-" + "z" * 32).test_client()
    for cookie in client._cookies.values():
        other.set_cookie(cookie.key, cookie.value, path=cookie.path)
    assert "The list is empty" in other.get("/referrals").get_data(as_text=True)
