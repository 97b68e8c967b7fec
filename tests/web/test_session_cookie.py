"""A signed session that spans several cookies when it has to."""

from __future__ import annotations

import random
import string

from directory.web.session_cookie import CHUNK_BYTES


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
