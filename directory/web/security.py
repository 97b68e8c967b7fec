"""Security and privacy: headers on every response, CSRF, secret key, rate limits."""

from __future__ import annotations

import secrets

import click
from flask import Flask, current_app, request, session
from flask_limiter import Limiter
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from directory.web.session_cookie import ChunkedCookieSessionInterface

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "geolocation=(self), camera=(), microphone=(), payment=(), usb=()",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=63072000; includeSubDomains"

csrf = CSRFProtect()
limiter = Limiter(key_func=lambda: request.remote_addr or "unknown", default_limits=[])


def rate_limit(kind: str, **options):
    """Return a decorator limiting a view by the configured rate for `kind` (search, api, ...)."""
    return limiter.limit(lambda: current_app.config[f"RATE_LIMIT_{kind.upper()}"], **options)


class MissingSecretKey(RuntimeError):
    """Raised when the app would start outside development without a secret key."""


def serving() -> bool:
    """Return False for maintainers' commands (validate, index, ...), which serve no one."""
    context = click.get_current_context(silent=True)
    return context is None or context.info_name == "run"


def init_app(app: Flask) -> None:
    if not app.config["SECRET_KEY"]:
        if serving() and app.config["ENV_NAME"] != "development" and not app.testing:
            raise MissingSecretKey(
                "DIRECTORY_SECRET_KEY is not set. Referral lists are signed with it, so it must be "
                "a long random secret shared by every worker. Generate one with\n"
                "  python -c 'import secrets; print(secrets.token_hex(32))'\n"
                "and set it in the environment: export DIRECTORY_SECRET_KEY=<that value>.\n"
                "(For local development only, set DIRECTORY_ENV_NAME=development instead.)"
            )
        # Development: a fresh random key per process, never a guessable default.
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    proxies = app.config["PROXY_COUNT"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    app.session_interface = ChunkedCookieSessionInterface()
    csrf.init_app(app)
    limiter.init_app(app)

    @app.after_request
    def _headers(response):
        if session.modified:
            # The session cookie carries a referral list and its notes: never cache it.
            response.headers["Cache-Control"] = "no-store"
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if app.config["HSTS"]:
            response.headers["Strict-Transport-Security"] = HSTS
        response.headers.pop("Server", None)
        return response
