"""Security and privacy: headers on every response, CSRF, secret key, proxies, rate limits."""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import time
from urllib.parse import urlsplit

import click
from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from directory.maps import tiles
from directory.web import rate_store  # noqa: F401  # why: registers the sqlite:// storage
from directory.web.keys import pseudonym
from directory.web.session_cookie import EncryptedCookieSessionInterface

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "geolocation=(self), camera=(), microphone=(), payment=(), usb=()",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=63072000; includeSubDomains"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MIN_SECRET_BYTES = 32  # what `secrets.token_hex(32)` gives twice over
HEALTH_CACHE_SECONDS = 2.0  # /readyz asks the rate-limit store at most this often
# Fail open: searching for help never depends on a counter store. When the store cannot be
# reached, each worker counts in memory (logged), and goes back to the store once it answers.
REDIS_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def client_key() -> str:
    """Return who a rate limit counts: a daily keyed hash of the address, never the address."""
    return pseudonym("rate-limit keys", request.remote_addr or "unknown")


csrf = CSRFProtect()
limiter = Limiter(key_func=client_key, default_limits=[])


def rate_limit(kind: str, **options):
    """Return a decorator limiting a view by the configured rate for `kind` (search, api, ...)."""
    return limiter.limit(lambda: current_app.config[f"RATE_LIMIT_{kind.upper()}"], **options)


class UnsafeSettings(RuntimeError):
    """The app would serve the public with settings that are not safe; the message says why."""


MissingSecretKey = UnsafeSettings  # the name tests and callers knew


def serving() -> bool:
    """Return False for maintainers' commands (validate, index, ...), which serve no one."""
    context = click.get_current_context(silent=True)
    return context is None or context.info_name == "run"


def _check_serving_settings(app: Flask) -> None:
    """Refuse to serve the public without a strong secret key and a fixed public address."""
    config = app.config
    production = serving() and config["ENV_NAME"] != "development" and not app.testing
    key = config["SECRET_KEY"]
    if not key:
        if production:
            raise UnsafeSettings(
                "DIRECTORY_SECRET_KEY is not set. Referral lists are encrypted with it, so it "
                "must be a long random secret shared by every worker. Generate one with\n"
                "  python -c 'import secrets; print(secrets.token_hex(32))'\n"
                "and set it in the environment: export DIRECTORY_SECRET_KEY=<that value>.\n"
                "(For local development only, set DIRECTORY_ENV_NAME=development instead.)"
            )
        # Development: a fresh random key per process, never a guessable default.
        config["SECRET_KEY"] = secrets.token_hex(32)
    elif production and len(str(key).encode("utf-8")) < MIN_SECRET_BYTES:
        raise UnsafeSettings(
            f"DIRECTORY_SECRET_KEY is {len(str(key).encode('utf-8'))} bytes long; at least"
            f" {MIN_SECRET_BYTES} random bytes' worth are needed. Generate one with\n"
            "  python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    base = config["BASE_URL"]
    if base:
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise UnsafeSettings(
                f"DIRECTORY_BASE_URL={base[:80]!r} is not an address like https://example.org"
            )
    elif production:
        raise UnsafeSettings(
            "DIRECTORY_BASE_URL is not set. QR codes and share links would take their host from "
            "the request's Host header, which anyone can set. Set it to the public address: "
            "export DIRECTORY_BASE_URL=https://directory.example.org"
        )


class TrustedProxyFix:
    """ProxyFix for requests from the configured proxies only; others lose X-Forwarded-*.

    PROXY_COUNT alone would let anyone who reaches gunicorn directly claim any address (and so
    escape every rate limit). X-Forwarded-Host is never used: links come from BASE_URL.
    """

    def __init__(self, app, proxies: int, trusted: list[Network]):
        self.direct = app
        self.fixed = ProxyFix(app, x_for=proxies, x_proto=proxies, x_host=0, x_port=0)
        self.trusted = trusted

    def __call__(self, environ, start_response):
        if _address_in(environ.get("REMOTE_ADDR", ""), self.trusted):
            return self.fixed(environ, start_response)
        for name in [n for n in environ if n.startswith("HTTP_X_FORWARDED_")]:
            del environ[name]
        environ.pop("HTTP_FORWARDED", None)
        return self.direct(environ, start_response)


def parse_networks(text: str) -> list[Network]:
    """Return the networks in a comma-separated list ("127.0.0.1, 10.0.0.0/8, ::1")."""
    return [ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part]


def _address_in(address: str, networks: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def storage_uri(app: Flask) -> str:
    """Return the rate-limit store: the setting, else a file shared by the workers."""
    configured = app.config["RATELIMIT_STORAGE_URI"]
    if configured:
        return configured
    if app.testing:
        return "memory://"  # one process; nothing to share, nothing left behind
    return "sqlite:///" + os.path.join(app.instance_path, "rate-limits.sqlite").lstrip("/")


def content_security_policy(tile_origin: str = "") -> str:
    """Return the CSP: this site only, plus the operator's own tile origin for images and
    fetches when one is configured (maps.tiles checked it is a bare origin)."""
    if not tile_origin:
        return CSP
    return CSP.replace("img-src 'self' data:", f"img-src 'self' data: {tile_origin}").replace(
        "connect-src 'self'", f"connect-src 'self' {tile_origin}"
    )


def init_app(app: Flask) -> None:
    _check_serving_settings(app)
    try:
        csp = content_security_policy(tiles.csp_sources(app.config))
    except tiles.TileSettingError as exc:
        raise UnsafeSettings(str(exc)) from None
    proxies = app.config["PROXY_COUNT"]
    if proxies:
        trusted = parse_networks(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, proxies, trusted)
    app.session_interface = EncryptedCookieSessionInterface()
    app.config["RATELIMIT_STORAGE_URI"] = storage_uri(app)
    if app.config["RATELIMIT_STORAGE_URI"].startswith(("redis", "rediss")):
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", REDIS_OPTIONS)
    csrf.init_app(app)
    limiter.init_app(app)
    # One limiter object carries the views' decorators; a new app (tests make many) must not
    # start out on the in-memory fallback a previous app's unreachable store switched it to.
    limiter._storage_dead = False

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if app.config["HSTS"]:
            response.headers["Strict-Transport-Security"] = HSTS
        response.headers.pop("Server", None)
        return response


def rate_limit_health() -> dict:
    """Describe the rate-limit store for /readyz: which kind, shared or not, reachable or not."""
    cache = current_app.extensions.setdefault("directory.limits-health", {})
    now = time.monotonic()
    if cache.get("until", 0) > now:
        return cache["body"]
    scheme = current_app.config["RATELIMIT_STORAGE_URI"].split(":", 1)[0]
    try:
        reachable = bool(limiter.storage.check())
    except Exception:  # any driver error means the same thing here
        reachable = False
    body = {
        "storage": scheme,
        "shared_by_workers": scheme != "memory",
        "status": "ok" if reachable else "degraded",
    }
    if not reachable:
        body["note"] = (
            "the store cannot be reached: each worker counts on its own until it answers again"
        )
    if cache.get("body", {}).get("status", "ok") != body["status"]:
        if reachable:
            log.warning("rate-limit store %s answers again", scheme)
        else:
            log.warning("rate-limit store %s cannot be reached; counting in memory", scheme)
    cache.update(until=now + HEALTH_CACHE_SECONDS, body=body)
    return body
