"""Stylesheets, scripts and icons: addressed by their content, so a phone keeps them for a year.

Every `url_for('static', ...)` gets `?v=` and a digest of the file's bytes. A request whose `v`
is the file's current digest is answered with `Cache-Control: public, max-age=31536000,
immutable`: a browser on a slow connection loads the stylesheet once, not once per page (a
revalidation costs a round trip each). A new release changes the digest, so the new file is
fetched at once; an address without `v`, or with an old one, is answered as before (`no-cache`,
revalidated by its ETag).
"""

from __future__ import annotations

import hashlib
import os

from flask import Flask, request

IMMUTABLE = "public, max-age=31536000, immutable"
PARAMETER = "v"


class Digests:
    """The digest of each static file, read again only when the file changes (size, mtime)."""

    def __init__(self, folder: str):
        self.folder = os.path.realpath(folder)
        self._known: dict[str, tuple[tuple[int, int], str]] = {}

    def of(self, filename: str) -> str | None:
        path = os.path.realpath(os.path.join(self.folder, filename))
        if not path.startswith(self.folder + os.sep):
            return None  # never outside the folder
        try:
            stat = os.stat(path)
        except OSError:
            return None
        signature = (stat.st_size, stat.st_mtime_ns)
        known = self._known.get(filename)
        if known and known[0] == signature:
            return known[1]
        try:
            with open(path, "rb") as handle:
                digest = hashlib.blake2b(handle.read(), digest_size=6).hexdigest()
        except OSError:
            return None
        self._known[filename] = (signature, digest)
        return digest


def init_app(app: Flask) -> None:
    digests = Digests(app.static_folder)

    @app.url_defaults
    def _versioned(endpoint: str, values: dict) -> None:
        if endpoint == "static" and PARAMETER not in values and "filename" in values:
            digest = digests.of(values["filename"])
            if digest:
                values[PARAMETER] = digest

    @app.after_request
    def _cache_for_a_year(response):
        if request.endpoint != "static" or response.status_code not in (200, 304):
            return response
        asked = request.args.get(PARAMETER)
        filename = (request.view_args or {}).get("filename", "")
        if asked and asked == digests.of(filename):
            response.headers["Cache-Control"] = IMMUTABLE
        return response
