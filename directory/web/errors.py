"""Error pages in the site's design, and JSON errors under /api/: never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from directory.core.translation import N_, _
from directory.web.state import DataUnavailable

log = logging.getLogger(__name__)

MESSAGES = {
    400: (N_("Something in the request was not right"), N_("Check what you typed and try again.")),
    403: (N_("This form has expired"), N_("Go back, reload the page and try again.")),
    404: (
        N_("We could not find that page"),
        N_("The listing may have been removed or the link is wrong."),
    ),
    405: (N_("That is not allowed here"), N_("Go back and use the form on the page.")),
    413: (N_("That was too much to send"), N_("Shorten what you typed and try again.")),
    416: (
        N_("That part of the file is not there"),
        N_("Reload the page to ask for the map again."),
    ),
    429: (
        N_("Too many requests"),
        N_("Please wait a minute and try again. If you need help right now, call or text 988."),
    ),
    500: (N_("Something went wrong on our side"), N_("Please try again in a minute.")),
    503: (
        N_("The directory is not available right now"),
        N_(
            "We are having trouble loading the listings. Please try again in a few minutes. "
            "If you need help right now, call or text 988."
        ),
    ),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str | None = None, parameter: str | None = None):
    """Answer with the site's error page, or the API's JSON error shape."""
    # Messages are written in English and marked where they are written (N_), so they are
    # said here in the language in force: the page's, or the API's Accept-Language.
    title, default = (_(text) for text in MESSAGES.get(status, MESSAGES[500]))
    message = _(message) if message else None
    if wants_json():
        if status == 405 and not message:
            message = _("This address only answers GET requests; see /api/v1/docs.")
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
            message = N_("This form has expired or was not sent from this site. Reload the page.")
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
