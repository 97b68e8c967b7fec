"""Every setting of the directory, in one table: name, default, type and what it does.

The factory reads them once (`load`): defaults first, then `DIRECTORY_<NAME>` environment
variables (or, in tests, the mapping given to `create_app`). Each value is parsed by its declared
type, so `DIRECTORY_HSTS=yes` is a boolean and `DIRECTORY_PROXY_COUNT=one` is refused with a
message. The README's configuration table is `markdown_table()`, and a test keeps them equal.

`FIXED` holds the framework options the directory sets for everyone: policy, not settings.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask

from directory.datafile import limits as data_limits_defaults
from directory.datafile.limits import DataLimits

PREFIX = "DIRECTORY_"


class ConfigError(ValueError):
    """A setting has a value that cannot be used; the message names it and says why."""


def _bool(text: str) -> bool:
    words = {"true": True, "yes": True, "on": True, "1": True}
    words.update({"false": False, "no": False, "off": False, "0": False, "": False})
    if text.strip().lower() not in words:
        raise ValueError("must be true or false")
    return words[text.strip().lower()]


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError("must be 0 or more")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0:  # also refuses NaN
        raise ValueError("must be a number of seconds, 0 or more")
    return value


def _share(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:  # also refuses NaN
        raise ValueError("must be a share between 0 and 1 (0.1 is 10%)")
    return value


def _text(text: str) -> str:
    return text


def _pointer(text: str) -> str:
    from directory.search.artifact import check_pointer  # why: the one definition of the name

    return check_pointer(text)


@dataclass(frozen=True)
class Setting:
    name: str  # the key in app.config; the environment variable is DIRECTORY_<name>
    default: Any
    help: str
    parse: Callable[[str], Any] = _text
    shown: str | None = None  # the default as the README shows it, when it is not `default`

    @property
    def variable(self) -> str:
        return PREFIX + self.name

    @property
    def shown_default(self) -> str:
        if self.shown is not None:
            return self.shown
        if self.default is None:
            return "none"
        if isinstance(self.default, bool):
            return "true" if self.default else "false"
        return f"{self.default:g}" if isinstance(self.default, float) else str(self.default)


SETTINGS: tuple[Setting, ...] = (
    Setting("DATA_PATH", "data/resources.yaml", "the resource file"),
    Setting(
        "INDEX_DIR", None, "where the search index generations are kept", shown="instance/index"
    ),
    Setting(
        "SECRET_KEY",
        None,
        "encrypts referral-list cookies and signs CSRF tokens; at least 32 random bytes' worth,"
        " the same for every worker",
        shown="none: **required** when serving",
    ),
    Setting(
        "TRANSLATIONS_DIR",
        None,
        "the gettext catalogs (`<code>/LC_MESSAGES/messages.mo`); a language is offered when its"
        " catalog is there",
        shown="the package's `directory/translations`",
    ),
    Setting(
        "ENV_NAME",
        "production",
        "`development` allows a missing secret key (a random one per start) and a missing"
        " `BASE_URL`",
    ),
    Setting(
        "BASE_URL",
        None,
        "public address used in QR codes, share links and feeds (`https://directory.example.org`);"
        " links never take their host from a request",
        shown="none: **required** when serving",
    ),
    Setting(
        "HSTS",
        False,
        "send `Strict-Transport-Security` and mark the session cookie `Secure` (set when served"
        " over HTTPS only)",
        _bool,
    ),
    Setting(
        "PROXY_COUNT",
        0,
        "how many proxies in front set `X-Forwarded-For`/`-Proto`; set it (usually `1`) behind a"
        " proxy, or every visitor shares the proxy's rate limit",
        _positive_int,
    ),
    Setting(
        "TRUSTED_PROXIES",
        "127.0.0.1, ::1",
        "the proxies' addresses or networks: `X-Forwarded-*` from anyone else is ignored",
    ),
    Setting(
        "RELOAD_CHECK_SECONDS",
        2.0,
        "how often the data file's modification time is looked at (0: on every request)",
        _seconds,
    ),
    Setting(
        "RELOAD_SETTLE_SECONDS",
        1.0,
        "a changed data file is read only once its size and time have not changed for this long"
        " (a copy still being written is left alone)",
        _seconds,
    ),
    Setting(
        "RELOAD_MAX_SHRINK",
        0.1,
        "a new data file with this share fewer active resources than the one in service is"
        " refused (`flask reload --allow-shrink` accepts it once; `1` turns the check off)",
        _share,
    ),
    Setting(
        "ARTIFACT_DIR",
        None,
        "serve, read-only, the version of an artifact built by `flask index --out DIR` instead of"
        " reading the data file; a new version is picked up as a changed file is (see"
        " [Many hosts](#many-hosts))",
    ),
    Setting(
        "ARTIFACT_CURRENT",
        "CURRENT",
        "the pointer in the artifact folder naming the version this host serves (`CURRENT.a`:"
        " one per host, for a rolling switch with `flask switch`)",
        _pointer,
    ),
    Setting(
        "DATA_MAX_BYTES",
        data_limits_defaults.MAX_BYTES,
        "largest data file read, in bytes",
        _positive_int,
    ),
    Setting(
        "DATA_MAX_RESOURCES",
        data_limits_defaults.MAX_RESOURCES,
        "most resources in the data file and its feed files together",
        _positive_int,
    ),
    Setting(
        "DATA_MAX_FIELD_CHARS",
        data_limits_defaults.MAX_FIELD_CHARS,
        "longest value (a description, a note) in the data file, in characters",
        _positive_int,
    ),
    Setting(
        "DATA_PARSE_MEMORY_MB",
        data_limits_defaults.PARSE_MEMORY_MB,
        "memory the server's parse of a data file may use (in a child process), in MB",
        _positive_int,
    ),
    Setting(
        "DATA_PARSE_SECONDS",
        data_limits_defaults.PARSE_SECONDS,
        "time the server's parse of a data file may take before it is stopped",
        _seconds,
    ),
    Setting(
        "RATELIMIT_STORAGE_URI",
        None,
        "rate-limit counters: by default a file every worker shares (kept across reloads);"
        " `redis://host:6379` (`pip install '.[redis]'`) shares them between servers;"
        " `memory://` counts in each worker alone",
        shown="`sqlite:///instance/rate-limits.sqlite`",
    ),
    Setting(
        "KEEP_RESULT_CARDS",
        True,
        "render each result card once per data version and language, filling in the time,"
        " distance and snippet of each search (`false`: render every card afresh, the same HTML)",
        _bool,
    ),
    Setting("RATELIMIT_ENABLED", True, "turn rate limits off (`false`) for a load test", _bool),
    Setting("RATE_LIMIT_SEARCH", "120 per minute", "search pages per client address"),
    Setting("RATE_LIMIT_API", "300 per minute", "API requests per client address"),
    Setting("RATE_LIMIT_SHEET", "30 per minute", "referral sheets, PDFs and calendars per address"),
    Setting("RATE_LIMIT_REPORT", "10 per hour", "reports from the public per address"),
    Setting("MAX_CONTENT_LENGTH", 64 * 1024, "largest request body, in bytes", _positive_int),
    Setting(
        "STALE_AFTER_DAYS",
        365,
        'a listing not checked for longer says "Not checked recently: call first" and ranks'
        " below fresh ones",
        _positive_int,
    ),
    Setting(
        "REFERRALS_IDLE_MINUTES",
        240,
        "a referral list left this long without a visit is forgotten (its cookie expires too)",
        _positive_int,
    ),
    Setting(
        "REPORTS_DIR", None, "where reports from the public are kept", shown="instance/reports"
    ),
    Setting(
        "REPORTS_MAX_OPEN",
        5000,
        "open reports in the inbox at most; past it the oldest move to `archived/`",
        _positive_int,
    ),
    Setting(
        "REPORTS_PER_ADDRESS_PER_DAY",
        20,
        "reports one address may send a day (counted under a daily pseudonym, never the address)",
        _positive_int,
    ),
    Setting(
        "REPORTS_PER_DAY",
        500,
        "reports everyone together may send a day; past it the form says to try tomorrow",
        _positive_int,
    ),
    Setting(
        "GEOCODER_USER_AGENT",
        None,
        "who is asking, required by `flask geocode` (Nominatim's usage policy)",
    ),
    Setting(
        "GEOCODE_CACHE",
        None,
        "the geocoder's answers, so an address is never asked twice",
        shown="instance/geocode-cache.json",
    ),
    Setting(
        "MAP_PMTILES_FILE",
        None,
        "a PMTiles file of vector tiles (a regional extract of a Protomaps basemap) the app serves"
        " itself, with range requests, at `/map/basemap.pmtiles`; see [Maps](#maps)",
    ),
    Setting(
        "MAP_TILES_URL",
        None,
        "or tiles on your own server: a template (`https://tiles.example.org/{z}/{x}/{y}.png`,"
        " `.mvt` or `.pbf` for vector tiles) or a `.pmtiles` file your proxy serves; its origin is"
        " the only other one the CSP allows. Neither set: maps draw on the outlines that ship"
        " with the app",
    ),
    Setting(
        "MAP_TILES_ATTRIBUTION",
        "© OpenStreetMap contributors",
        "credit shown on the map with the tiles (OpenStreetMap data, as in Protomaps basemaps,"
        " must be credited)",
    ),
)
BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}

# Defaults that live under the instance folder (known only once the app exists).
INSTANCE_DEFAULTS = {
    "INDEX_DIR": "index",
    "REPORTS_DIR": "reports",
    "GEOCODE_CACHE": "geocode-cache.json",
}

FIXED: dict[str, Any] = {
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_HTTPONLY": True,
    "WTF_CSRF_TIME_LIMIT": None,  # a form left open during a long session still works
    # Flask-WTF's strict mode wants a same-origin Referer over HTTPS, which our
    # Referrer-Policy: no-referrer never sends; the token alone protects every POST.
    "WTF_CSRF_SSL_STRICT": False,
    "RATELIMIT_HEADERS_ENABLED": False,  # our 429 page sets Retry-After itself
    # Fail open: a store that cannot be reached must not stop anyone searching for help. Each
    # worker counts in memory meanwhile (logged, shown by /readyz) and returns to the store.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_SWALLOW_ERRORS": True,
    "RATELIMIT_KEY_PREFIX": "directory",
}


def load(app: Flask, overrides: Mapping[str, Any] | None = None) -> None:
    """Set every setting on app.config: defaults, then the environment or `overrides`."""
    for setting in SETTINGS:
        app.config[setting.name] = setting.default
    app.config.update(FIXED)
    if overrides is None:
        app.config.update(from_environment(os.environ))
    else:
        app.config.update(overrides)
    for name, leaf in INSTANCE_DEFAULTS.items():
        if not app.config.get(name):
            app.config[name] = os.path.join(app.instance_path, leaf)
    if app.config["HSTS"]:
        app.config["SESSION_COOKIE_SECURE"] = True


def data_limits(values: Mapping[str, Any]) -> DataLimits:
    """Return the data file limits in a configuration (app.config)."""
    return DataLimits(
        max_bytes=values["DATA_MAX_BYTES"],
        max_resources=values["DATA_MAX_RESOURCES"],
        max_field_chars=values["DATA_MAX_FIELD_CHARS"],
        parse_memory_mb=values["DATA_PARSE_MEMORY_MB"],
        parse_seconds=values["DATA_PARSE_SECONDS"],
    )


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Return the settings given as DIRECTORY_* variables, each parsed by its type."""
    out: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(setting.variable)
        if raw is None:
            continue
        try:
            out[setting.name] = setting.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{setting.variable}={raw[:40]!r}: {exc}") from None
    return out


def markdown_table() -> str:
    """Return the README's configuration table."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for setting in SETTINGS:
        rows.append(f"| `{setting.variable}` | {_code(setting.shown_default)} | {setting.help} |")
    return "\n".join(rows) + "\n"


def _code(text: str) -> str:
    if text.startswith("none") or text.startswith("the "):
        return text
    return f"`{text}`"
