"""Logs that never hold what people searched for: paths only, no query strings."""

from __future__ import annotations

import logging
import re

from flask import Flask

_QUERY = re.compile(r"(\b(?:GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) [^\"?\s]*)\?[^\"\s]*")


class StripQueryStrings(logging.Filter):
    """Remove query strings from request lines ("GET /search?q=methadone" -> "GET /search")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _QUERY.sub(r"\1", a) if isinstance(a, str) else a for a in record.args
            )
        if isinstance(record.msg, str):
            record.msg = _QUERY.sub(r"\1", record.msg)
        return True


def init_app(app: Flask) -> None:
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, StripQueryStrings) for f in werkzeug.filters):
        werkzeug.addFilter(StripQueryStrings())
