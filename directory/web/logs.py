"""Logs that never hold what people searched for, who they are, or a forged line.

Three rules for every line, from us, Flask's development server or gunicorn: no query string
(`/search?q=methadone` is health information about a person), no client address, and no control
character (a `%0A` in a path or a raw terminal escape must not start a fake line or recolour a
maintainer's terminal). `scrub` applies them to a message; `PrivacyFilter` to every record a
handler writes; `GunicornLogger` (named in gunicorn_conf.py) builds gunicorn's access lines from
safe parts only and puts its filter on gunicorn's handlers and on the root logger, so that the
app's own records reach gunicorn's error log through it too.
"""

from __future__ import annotations

import logging
import re

from flask import Flask
from gunicorn.glogging import Logger as _GunicornBaseLogger

# A path followed by a query: keep the path. A path starts with "/" (so "did you mean 'x'?"
# in a validation message is left alone).
_QUERY = re.compile(r"(/[^\s?'\"]*)\?[^\s'\"]*")
_REQUEST_LINE = re.compile(
    r"(\b(?:GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) [^\"?\s]*)\?[^\"\s]*"
)  # the development server's "GET /search?q=a b HTTP/1.1": up to the next space or quote
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# gunicorn: "Invalid request from ip=203.0.113.9: Invalid HTTP request line: 'GET /?q=...'"
_INVALID_REQUEST = re.compile(r"^Invalid request from ip=\S*?: ?", re.S)
_QUOTED = re.compile(r"'.*'|\".*\"", re.S)  # greedy: a request line may hold quotes itself


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def scrub(text: str) -> str:
    """Return text without query strings, client addresses or control characters."""
    if _INVALID_REQUEST.match(text):
        # The error quotes what the client sent (search words, headers): name the kind only.
        text = _QUOTED.sub("'...'", _INVALID_REQUEST.sub("Invalid request: ", text, count=1))
    text = _REQUEST_LINE.sub(r"\1", text)
    text = _QUERY.sub(r"\1", text)
    return _CONTROL.sub(_escape, text)


class PrivacyFilter(logging.Filter):
    """Scrub every record a handler writes: the message, and any traceback line by line."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "werkzeug" and isinstance(record.args, tuple) and record.args:
            record.args = ("-", *record.args[1:])  # the development server's client address
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the line
            message = f"{record.msg!r} {record.args!r}"
        record.msg = scrub(message)
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            # Indented, so a line inside a traceback can never pass for a record of its own.
            record.exc_text = "\n".join(
                "    " + scrub(line) for line in record.exc_text.splitlines()
            )
        if record.stack_info:
            record.stack_info = "\n".join(
                "    " + scrub(line) for line in record.stack_info.splitlines()
            )
        return True


StripQueryStrings = PrivacyFilter  # the name the development server's filter had


class GunicornLogger(_GunicornBaseLogger):
    """gunicorn's logger with only safe access-log atoms and every line scrubbed."""

    _marker = "_directory_privacy"

    def setup(self, cfg) -> None:
        super().setup(cfg)
        handlers = self.error_log.handlers + self.access_log.handlers
        for handler in handlers:
            if not any(isinstance(f, PrivacyFilter) for f in handler.filters):
                handler.addFilter(PrivacyFilter())
        # The app's own loggers (directory.*, flask-limiter) write through gunicorn's error
        # handlers, with the same filter; replace what a previous setup (a HUP) added.
        root = logging.getLogger()
        for handler in list(root.handlers):
            if getattr(handler, self._marker, False):
                root.removeHandler(handler)
        for handler in self.error_log.handlers:
            setattr(handler, self._marker, True)
            root.addHandler(handler)
        root.setLevel(self.loglevel)

    def atoms(self, resp, req, environ, request_time) -> dict:
        """Return only what our access line may hold: no address, query, referrer or agent."""
        full = super().atoms(resp, req, environ, request_time)
        method = scrub(str(full.get("m") or "-"))
        path = scrub(str(full.get("U") or "-"))
        protocol = scrub(str(full.get("H") or "-"))
        safe = {name: full[name] for name in ("t", "s", "b", "B", "T", "D", "M", "L", "p")}
        safe.update({"m": method, "U": path, "H": protocol, "r": f"{method} {path} {protocol}"})
        safe.update({name: "-" for name in ("h", "l", "u", "q", "f", "a")})
        return safe


def init_app(app: Flask) -> None:
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, PrivacyFilter) for f in werkzeug.filters):
        werkzeug.addFilter(PrivacyFilter())
