"""Answer a request from the current version's kept outputs: gzip or plain, ETag, 304.

The views say what an output is (its key and how to build its bytes, the same way they built
the answer before it was kept); this module picks the representation the client accepts. The
gzip has an ETag of its own (`<tag>-gzip`): a strong ETag names one exact body, and the two
bodies differ. `If-None-Match` with either tag means the client holds this version: 304.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from itertools import islice
from typing import Any

from flask import Response, current_app, request
from werkzeug.http import quote_etag

from directory.web.state import Snapshot
from directory.web.version_outputs import Build, Output

GZIP_SUFFIX = "-gzip"


def link_root() -> tuple[str, ...]:
    """Return what an output's absolute links start with (part of every key)."""
    base = current_app.config.get("BASE_URL")
    if base:
        return (base, request.script_root)
    return (request.url_root,)  # the Host header: bounded by VersionOutputs.max_entries


def kept(snapshot: Snapshot, key: Hashable, build: Build, mimetype: str) -> Output:
    """Return the snapshot's output for `key`, building it now if it is not kept yet."""
    return snapshot.outputs.get((key, link_root()), build, mimetype)


JSON_BATCH = 1000  # records dumped and written at a time


def json_array_pieces(
    items: Iterable[Any], dump: Callable[[list[Any]], list[Any]]
) -> Iterator[bytes]:
    """Yield the bytes `current_app.json.response(dump(list(items)))` sends, in pieces.

    Compact JSON (the provider's own setting outside debug) is an array's items joined by
    commas, so each batch is dumped alone and its brackets dropped; indented JSON is made whole.
    """
    provider = current_app.json
    if provider.compact is False or (provider.compact is None and current_app.debug):
        yield provider.response(dump(list(items))).get_data()
        return
    items = iter(items)
    opening = b"["
    while batch := list(islice(items, JSON_BATCH)):
        yield opening + provider.dumps(dump(batch), separators=(",", ":"))[1:-1].encode()
        opening = b","
    yield b"[]\n" if opening == b"[" else b"]\n"


def client_holds(etag: str) -> bool:
    """Return True when If-None-Match names this version (the plain or the gzip tag)."""
    tags = request.if_none_match
    return tags.contains_weak(etag) or tags.contains_weak(etag + GZIP_SUFFIX)


def answer(
    output: Output | None, etag: str, headers: dict[str, str], status: int = 200
) -> Response:
    """Return the output as gzip when the client accepts it, else plain; 304 when it holds it.

    `output` may be None for a 304, which needs no body (and so no build).
    """
    gzipped = request.accept_encodings["gzip"] > 0  # werkzeug's quality: `*` counts, q=0 not
    tag = etag + GZIP_SUFFIX if gzipped else etag
    headers = {**headers, "ETag": quote_etag(tag)}
    if output is None or client_holds(etag):
        response = current_app.response_class(status=304, headers=headers)
    else:
        # A large output is kept as gzip only: a plain client gets it opened as it is sent.
        body = output.gzipped if gzipped else output.plain_chunks()
        response = current_app.response_class(
            body, status=status, mimetype=output.mimetype, headers=headers
        )
        if gzipped:
            response.headers["Content-Encoding"] = "gzip"
        else:
            response.headers["Content-Length"] = str(output.plain_size)
    response.vary.add("Accept-Encoding")
    return response
