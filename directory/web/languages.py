"""The page's language: chosen without an account or tracking, and put in force per request.

In order: `?lang=es` in the address (a shared link opens in its language; every link and form
of the page carries it on), then the `lang` cookie the switch sets (functional: the language
and nothing else), then the browser's `Accept-Language`, then English. The API reads only
`Accept-Language`. Flask-Babel picks the locale; the words themselves come through the core's
seam (`core/translation.py`), which templates, views and the core all speak.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, current_app, g, request, url_for
from flask_babel import Babel, get_locale

from directory.core import translation

PARAMETER = "lang"
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600  # a year: a preference, not a trace


def folder(app: Flask) -> str:
    """Return the folder of the app's catalogs (TRANSLATIONS_DIR, else the package's)."""
    return app.config.get("TRANSLATIONS_DIR") or str(translation.CATALOGS)


def _codes() -> tuple[str, ...]:
    return translation.available(folder(current_app))


def _from_browser() -> str:
    return request.accept_languages.best_match(_codes()) or translation.SOURCE_LANGUAGE


PAGES_UNDER_API = ("api.docs",)  # the API's pages for people, in the page's language


def _for_a_program() -> bool:
    """Return True for the API's answers: their language is the request's Accept-Language only."""
    return request.path.startswith("/api/") and request.endpoint not in PAGES_UNDER_API


def choose() -> str:
    """Return the code of the language this request is answered in."""
    codes = _codes()
    if _for_a_program():
        return _from_browser()
    asked = request.args.get(PARAMETER, "")
    if asked in codes:
        return asked
    remembered = request.cookies.get(COOKIE, "")
    if remembered in codes:
        return remembered
    return _from_browser()


def carried() -> str | None:
    """Return the language our links carry (`?lang=`), or None when the browser would choose
    it anyway: a shared link opens in the language it was made in."""
    code = translation.code()
    # Asked by every link a page makes (a result page has dozens): the answer depends on the
    # request and the language in force only, so it is worked out once per request and language.
    known = g.setdefault("directory.carried", {})
    if code not in known:
        known[code] = _carried(code)
    return known[code]


def _carried(code: str) -> str | None:
    if _for_a_program():
        return None
    remembered = request.cookies.get(COOKIE, "")
    if _from_browser() == code and remembered in ("", code):
        return None
    return code


def switch_links() -> list[dict[str, str]]:
    """Return "English | Español": this page, same search, in each language."""
    links = []
    for code in _codes():
        args = request.args.to_dict(flat=False)
        args[PARAMETER] = [code]
        links.append(
            {
                "code": code,
                "name": translation.language(code, folder(current_app)).name,
                "url": request.path + "?" + urlencode(args, doseq=True),
                "current": code == translation.code(),
            }
        )
    return links


def alternates(base_url: str | None) -> list[dict[str, str]]:
    """Return the page's `hreflang` alternates: one address per language, and x-default."""
    root = (base_url or request.host_url).rstrip("/")
    args = request.args.to_dict(flat=False)
    args.pop(PARAMETER, None)
    plain = root + request.path + ("?" + urlencode(args, doseq=True) if args else "")
    out = []
    for code in _codes():
        out.append(
            {"hreflang": code, "href": root + request.path + "?" + urlencode(
                {**args, PARAMETER: [code]}, doseq=True)}
        )  # fmt: skip
    out.append({"hreflang": "x-default", "href": plain})
    return out


def page_url_for(endpoint: str, **values) -> str:
    """`url_for` for templates: a link to one of our pages carries the page's language.

    Addresses made in Python (QR codes, share links, feeds, calendars) stay as they are.
    """
    program = endpoint.startswith("api.") and endpoint not in PAGES_UNDER_API
    if not (endpoint == "static" or program or values.get("_external")):
        code = carried()
        if code:
            values.setdefault(PARAMETER, code)
    return url_for(endpoint, **values)


def init_app(app: Flask) -> None:
    Babel(
        app,
        locale_selector=choose,
        default_translation_directories=folder(app),
        default_locale=translation.SOURCE_LANGUAGE,
    )
    # One seam for every word: templates speak through the core's catalogs too, so a sheet
    # printed in another language (translation.speaking) changes templates and core alike.
    app.jinja_env.install_gettext_callables(
        lambda message: translation.current().translations.gettext(message),
        lambda singular, plural, n: translation.current().translations.ngettext(
            singular, plural, n
        ),
        newstyle=True,
        pgettext=lambda context, message: translation.current().translations.pgettext(
            context, message
        ),
    )
    app.jinja_env.policies["ext.i18n.trimmed"] = True

    @app.before_request
    def _speak():
        g.language_token = translation.activate(
            translation.language(str(get_locale()), folder(app))
        )

    @app.teardown_request
    def _done(_exc):
        token = g.pop("language_token", None)
        if token is not None:
            translation.deactivate(token)

    app.jinja_env.globals["url_for"] = page_url_for

    @app.after_request
    def _remember(response):
        asked = request.args.get(PARAMETER, "")
        if asked in _codes() and request.cookies.get(COOKIE) != asked:
            response.set_cookie(
                COOKIE, asked, max_age=COOKIE_MAX_AGE, path="/", samesite="Lax", httponly=True,
                secure=bool(app.config.get("HSTS")),
            )  # fmt: skip
        if request.endpoint == "static":
            return response  # the same bytes in every language: cacheable as they are
        response.vary.add("Accept-Language")
        if not _for_a_program():
            response.vary.add("Cookie")  # the API never reads the language cookie
        return response

    @app.context_processor
    def _language():
        return {
            "lang_code": translation.code(),
            "lang_carried": carried(),
            "language_links": switch_links(),
            "hreflang_alternates": alternates(app.config.get("BASE_URL")),
        }
