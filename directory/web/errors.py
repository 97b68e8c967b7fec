"""Error pages in the site's design, and JSON errors under /api/: never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from directory.web.state import DataUnavailable

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Something in the request was not right", "Check what you typed and try again."),
    403: ("This form has expired", "Go back, reload the page and try again."),
    404: ("We could not find that page", "The listing may have been removed or the link is wrong."),
    405: ("That is not allowed here", "Go back and use the form on the page."),
    413: ("That was too much to send", "Shorten what you typed and try again."),
    416: ("That part of the file is not there", "Reload the page to ask for the map again."),
    429: (
        "Too many requests",
        "Please wait a minute and try again. If you need help right now, call or text 988.",
    ),
    500: ("Something went wrong on our side", "Please try again in a minute."),
    503: (
        "The directory is not available right now",
        "We are having trouble loading the listings. Please try again in a few minutes. "
        "If you need help right now, call or text 988.",
    ),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str | None = None, parameter: str | None = None):
    """Answer with the site's error page, or the API's JSON error shape."""
    title, default = MESSAGES.get(status, MESSAGES[500])
    if wants_json():
        if status == 405 and not message:
            message = "This address only answers GET requests; see /api/v1/docs."
        body = {"error": {"status": status, "title": title, "message": message or default}}
        if parameter:
            body["error"]["parameter"] = parameter
        return make_response(jsonify(body), status)
    page = render_template("error.html", title=title, message=message or default, referral_count=0)
    return make_response(page, status)


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        message = exc.description if status == 400 and exc.description else None
        if isinstance(exc, CSRFError):
            status = 400
            message = "This form has expired or was not sent from this site. Reload the page."
        response = error_response(status, message)
        if status == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        if status == 429:
            response.headers["Retry-After"] = "60"
        if status == 416 and exc.get_response().headers.get("Content-Range"):
            # A map tile file's range past its end: say how long the file is (RFC 9110).
            response.headers["Content-Range"] = exc.get_response().headers["Content-Range"]
        if status == 413:
            # The body was not read: say so, and gunicorn closes the connection as it says
            # (gunicorn_conf.py), instead of claiming keep-alive and then dropping it.
            response.headers["Connection"] = "close"
        return response

    @app.errorhandler(DataUnavailable)
    def _unavailable(exc: DataUnavailable):
        log.error("no data to serve: %s", exc)
        response = error_response(503)
        response.headers["Retry-After"] = "60"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return _http(exc)
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(InternalServerError.code)
