"""Choosing the language: Accept-Language, ?lang=, the switch, the cookie; and no English left."""

from __future__ import annotations

import dataclasses
import re
from html import unescape
from html.parser import HTMLParser

import pytest
from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from directory import create_app
from directory.core import translation, vocabulary
from directory.web.state import get_catalog
from tests.conftest import ROOT
from tests.web.referral_flow import FIXTURE, build_list

POT = ROOT / "directory" / "translations" / "messages.pot"


@pytest.fixture
def client(sample_app):
    return sample_app.test_client()


def test_the_browsers_language_is_the_default(client):
    page = client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}).text
    assert '<html lang="es">' in page and "Encuentre apoyo" in page
    page = client.get("/", headers={"Accept-Language": "fr, en;q=0.5"}).text
    assert '<html lang="en">' in page and "Find recovery support near you" in page


def test_the_address_wins_and_the_switch_remembers_it_in_a_functional_cookie(client):
    answer = client.get("/?lang=es", headers={"Accept-Language": "en"})
    assert '<html lang="es">' in answer.text
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("lang=es;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Accept-Language" in answer.headers["Vary"] and "Cookie" in answer.headers["Vary"]
    with client.get("/static/site.css") as static:  # one stylesheet for every language
        assert "Accept-Language" not in static.headers.get("Vary", "")
    # The cookie is the language and nothing else; the next page, without ?lang=, keeps it.
    assert '<html lang="es">' in client.get("/about", headers={"Accept-Language": "en"}).text
    assert '<html lang="en">' in client.get("/about?lang=en").text
    assert '<html lang="en">' in client.get("/about?lang=xx").text  # unknown: ignored


def test_the_switch_keeps_the_page_and_the_search(client):
    page = client.get("/search?q=aa+women&near=97214&lang=es").text
    switch = re.search(r'<nav class="language-switch".*?</nav>', page, re.S).group(0)
    english = unescape(re.search(r'<a href="([^"]+)"[^>]*hreflang="en"', switch).group(1))
    assert english == "/search?q=aa+women&near=97214&lang=en"
    assert '<strong lang="es" aria-current="true">Español</strong>' in switch
    assert '<nav class="language-switch" aria-label="Idioma">' in switch
    back = client.get(english).text
    assert '<html lang="en">' in back and 'value="aa women"' in back


def test_links_and_forms_carry_the_language_when_the_browser_would_not_choose_it(client):
    page = client.get("/search?q=food&lang=es", headers={"Accept-Language": "en"}).text
    assert 'href="/help?lang=es"' in page and '<input type="hidden" name="lang" value="es">' in page
    # hreflang alternates: one address per language, and x-default without the parameter.
    assert re.search(
        r'<link rel="alternate" hreflang="es" href="http://localhost/search\?q=food&amp;lang=es">',
        page,
    )
    assert re.search(
        r'<link rel="alternate" hreflang="x-default" href="http://localhost/search\?q=food">', page
    )
    # A Spanish browser on the Spanish page needs no parameter on its links.
    plain = client.get("/search?q=food", headers={"Accept-Language": "es"}).text
    assert 'href="/help"' in plain and 'name="lang"' not in plain


def test_the_api_answers_errors_in_the_accept_language(client):
    answer = client.get("/api/v1/resources/no-such-thing", headers={"Accept-Language": "es"})
    assert answer.status_code == 404
    assert (
        answer.json["error"]["message"]
        == "Ningún servicio tiene ese id. Puede que lo hayan quitado."
    )
    assert answer.json["error"]["title"] == "No encontramos esa página"
    bad = client.get("/api/v1/search?near=zzqqzz", headers={"Accept-Language": "es"})
    assert bad.status_code == 400 and bad.json["error"]["message"].startswith("No encontramos")
    # The API reads only Accept-Language: no cookie or parameter changes a program's answers.
    english = client.get("/api/v1/resources/no-such-thing?lang=es")
    assert english.json["error"]["message"].startswith("No listing has that id")


def test_a_search_in_spanish_shows_spanish_filters_and_times(client):
    page = client.get("/search?q=aa+tonight&near=97214&lang=es").text
    assert "Esta noche" in page and "Cerca de 97214" in page
    assert re.search(r"p\.m\.", page)  # times per locale, by Babel
    assert "Tonight" not in page and "Near 97214" not in page


# --- a pseudo-language: every word marked for translation comes back ⟦like this⟧ ---------------

PSEUDO = "eo"  # a language Babel knows (its dates) and the directory does not ship


@pytest.fixture(scope="module")
def pseudo_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("catalogs")
    with POT.open("rb") as f:
        catalog = read_po(f, locale=PSEUDO)
    for message in catalog:
        if message.id:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            message.string = tuple(f"⟦{text}⟧" for text in ids) if len(ids) > 1 else f"⟦{ids[0]}⟧"
    target = folder / PSEUDO / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / "messages.mo").open("wb") as f:
        write_mo(f, catalog)
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "pseudo-tests-" + "p" * 32,
            "DATA_PATH": str(FIXTURE),
            "INDEX_DIR": str(tmp_path_factory.mktemp("index")),
            "TRANSLATIONS_DIR": str(folder),
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )


class _Text(HTMLParser):
    """The words a person reads or hears: text, and the attributes read out or shown.

    A part of the page marked `lang="en"` is said to be English (the API's reference, written
    from its OpenAPI description), and is left out.
    """

    SHOWN = ("aria-label", "alt", "title", "placeholder")

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0
        self.english: list[str] = []  # the open tags of a lang="en" part, outermost first

    def handle_starttag(self, tag, attrs):
        if self.english and tag == self.english[0]:
            self.english.append(tag)
        elif not self.english and tag != "html" and dict(attrs).get("lang") == "en":
            self.english.append(tag)
        if self.english:
            return
        if tag in ("script", "style", "svg"):
            self.skip += 1
        if tag == "link":
            return  # the feed's title is the Meeting Guide discovery link's, read by programs
        if tag == "meta" and dict(attrs).get("name") == "description":
            self.parts.append(dict(attrs).get("content") or "")
        self.parts += [v for k, v in attrs if k in self.SHOWN and v]
        if tag == "div" and dict(attrs).get("id") == "script-words":
            self.parts += [v for k, v in attrs if k.startswith("data-") and v]

    def handle_endtag(self, tag):
        if self.english:
            if tag == self.english[0]:
                self.english.pop()
            return
        if tag in ("script", "style", "svg"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and not self.english and data.strip():
            self.parts.append(data)


def _data_strings(catalog) -> list[str]:
    """Every string the data file gives: names, descriptions, notes, addresses, phones."""
    found: list[str] = []

    def walk(value):
        if isinstance(value, str):
            found.append(value)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for field in dataclasses.fields(value):
                walk(getattr(value, field.name))
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(k)
                walk(v)
        elif isinstance(value, list | tuple | set | frozenset):
            for v in value:
                walk(v)

    walk(catalog.directory)
    for resource in catalog.resources:
        walk(resource)
    return found


def _left_unmarked(page: str, data: list[str]) -> str:
    parser = _Text()
    parser.feed(re.sub(r"</?mark>", "", page))  # a highlighted word is part of its text
    left = "\n".join(parser.parts)
    while True:  # marked words, innermost first
        shorter = re.sub(r"⟦[^⟦⟧]*⟧", "", left)
        if shorter == left:
            break
        left = shorter
    locale = Locale.parse(PSEUDO)
    names = [*data, "English", "Esperanto", "esperanto"]
    for width in ("wide", "abbreviated"):
        names += [translation.capitalized(d) for d in locale.days["format"][width].values()]
        names += list(locale.days["format"][width].values())
        names += list(locale.months["format"][width].values())
    names += [vocabulary.type_name(None, code, "en") for code in vocabulary.meeting_guide_types()]
    names += ["OpenStreetMap", "Google Maps", "Apple Maps", ".ics"]  # names of things
    for value in sorted(set(filter(None, names)), key=len, reverse=True):
        left = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", "", left)
    left = re.sub(r"\([A-Z]{2,5}\)", "", left)  # time zone abbreviations: "(EST)"
    left = re.sub(r"\bla \d+-a de\b", "", left)  # Babel's long date in Esperanto: "la 1-a de"
    return re.sub(r"https?://\S+|/r/[0-9a-z-]+", "", left)


PAGES = ["/", "/search?q=aa+tonight&near=97214", "/search?q=clinic", "/search?q=zzzzqqq+xyzzy",
         "/search?near=nowhere-at-all", "/search?q=meeting&radius=1&near=97214", "/help", "/about",
         "/resources/harbor-detox", "/resources/hawthorne-serenity-aa",
         "/resources/bridge-recovery-house", "/resources/harbor-detox/report", "/no-such-page",
         "/referrals", "/search?per_page=abc", "/search?page=0", "/search?radius=5",
         "/search?at=2026-01-01T10:00", "/search?starting_within=99999", "/search?open_now=maybe",
         "/search?day_offset=9", "/api/v1/docs"]  # fmt: skip


@pytest.mark.parametrize("path", PAGES)
def test_every_word_of_every_page_is_marked_for_translation(pseudo_app, path):
    """Render in the pseudo-language: what is not ⟦marked⟧ is data (names, addresses, numbers)."""
    client = pseudo_app.test_client()
    sep = "&" if "?" in path else "?"
    page = client.get(f"{path}{sep}lang={PSEUDO}").text
    assert f'<html lang="{PSEUDO}">' in page
    with pseudo_app.app_context():
        data = _data_strings(get_catalog())
    left = _left_unmarked(page, data + ["aa tonight", "clinic", "zzzzqqq xyzzy", "nowhere-at-all",
                                        "meeting", "97214"])  # fmt: skip
    assert re.fullmatch(r"[\s\d·:;,.()\-|×…\"'&#+/%?!]*", left), left


def test_the_referral_list_and_its_messages_are_marked_too(pseudo_app):
    client = pseudo_app.test_client()
    client.get(f"/?lang={PSEUDO}")  # the switch's cookie: the rest of the visit in the language
    build_list(client, ["harbor-detox", "hawthorne-serenity-aa"], {"harbor-detox": "Bring ID"})
    page = client.get("/referrals").text
    with pseudo_app.app_context():
        data = _data_strings(get_catalog())
    left = _left_unmarked(page, [*data, "Bring ID"])
    assert re.fullmatch(r"[\s\d·:;,.()\-|×…\"'&#+/%?!]*", left), left


# --- data in more than one language ----------------------------------------------------------


def test_a_listing_shows_its_spanish_text_on_a_spanish_page_and_marks_the_english(client):
    page = client.get("/resources/eastside-opioid-treatment-program?lang=es").text
    assert "<h1>Programa de Tratamiento de Opioides del Este</h1>" in page
    assert "<p>Un programa certificado de tratamiento de opioides" in page
    # The hours notes are only in English: said in English, and marked so.
    assert re.search(r'<p lang="en">Dosing', page)
    assert "solo está en inglés" not in page  # its description is in Spanish
    english = client.get("/resources/eastside-opioid-treatment-program?lang=en").text
    assert "<h1>Eastside Opioid Treatment Program</h1>" in english and '<p lang="' not in english


def test_a_spanish_page_says_when_a_description_is_only_in_english(client):
    page = client.get("/resources/gateway-methadone-clinic?lang=es").text
    assert "La descripción de este servicio solo está en inglés." in page
    assert re.search(r'<p lang="en">[A-Z]', page)
    assert "Times are" not in page and "hora de local" not in page


def test_the_sheet_is_printed_in_the_language_chosen_on_its_form(tmp_path):
    """An English page, a Spanish sheet: the specialist prints for a participant."""
    from tests.web.referral_flow import make_app  # noqa: PLC0415

    client = make_app(tmp_path).test_client()
    csrf = build_list(client, ["harbor-detox", "hawthorne-serenity-aa"])
    form = client.get("/referrals").text
    assert '<html lang="en">' in form and '<option value="es" lang="es"' in form
    sheet = client.post("/referrals/sheet", data={"csrf_token": csrf, "language": "es",
                                                  "participant": "Rosa"}).text  # fmt: skip
    assert '<html lang="es">' in sheet and "Recursos de recuperación de Rosa" in sheet
    assert "recovery resources" not in sheet
    english = client.post("/referrals/sheet", data={"csrf_token": csrf, "language": "en",
                                                    "participant": "Rosa"}).text  # fmt: skip
    assert "Rosa&#39;s recovery resources" in english
    # The calendar that goes with a Spanish sheet speaks Spanish too.
    ics = client.post("/referrals/sheet.ics", data={"csrf_token": csrf, "language": "es"})
    assert ics.status_code == 200
    text = ics.get_data(as_text=True).replace("\r\n ", "")
    assert "Detalles y cambios:" in text and "Details and changes" not in text


def test_the_sheet_and_its_toolbar_are_marked_too(pseudo_app):
    client = pseudo_app.test_client()
    client.get(f"/?lang={PSEUDO}")
    csrf = build_list(
        client, ["harbor-detox", "hawthorne-serenity-aa"], {"harbor-detox": "Bring ID"}
    )
    form = {"csrf_token": csrf, "language": PSEUDO, "participant": "Robin", "near": "97214"}
    page = client.post("/referrals/sheet", data=form).text
    assert f'<html lang="{PSEUDO}">' in page
    with pseudo_app.app_context():
        catalog = get_catalog()
        data = _data_strings(catalog) + ["Robin", "Bring ID", "97214 (Portland, OR)"]
    left = _left_unmarked(page, data)
    assert re.fullmatch(r"[\s\d·:;,.()\-|×…\"'&#+/%?!←]*", left), left


def test_the_apis_words_follow_accept_language_and_so_does_its_etag(client):
    english = client.get("/api/v1/vocabularies")
    spanish = client.get("/api/v1/vocabularies", headers={"Accept-Language": "es"})
    assert english.status_code == spanish.status_code == 200
    assert english.headers["ETag"] != spanish.headers["ETag"]
    assert "Accept-Language" in spanish.headers["Vary"]
    assert "Comida" in spanish.text and "Comida" not in english.text
    headers = {"Accept-Language": "es", "If-None-Match": english.headers["ETag"]}
    again = client.get("/api/v1/vocabularies", headers=headers)
    assert again.status_code == 200  # an English copy is not a Spanish one


# (a request a program may send, the parameter at fault): each problem told in the request's
# language, never in marshmallow's English ("Not a valid integer.").
BAD_API_REQUESTS = [
    ("/api/v1/search?per_page=abc", "per_page"),
    ("/api/v1/search?per_page=1000", "per_page"),
    ("/api/v1/search?page=0", "page"),
    ("/api/v1/search?radius=-3&near=97214", "radius"),
    ("/api/v1/search?radius=abc&near=97214", "radius"),
    ("/api/v1/search?radius=5", "radius"),
    ("/api/v1/search?sort=best", "sort"),
    ("/api/v1/search?category=zzz", "category"),
    ("/api/v1/search?category=" + "x" * 200, "category"),
    ("/api/v1/search?" + "&".join(["category=food"] * 25), "category"),
    ("/api/v1/search?open_now=maybe", "open_now"),
    ("/api/v1/search?at=yesterday", "at"),
    ("/api/v1/search?at=2026-01-01T10:00", "at"),
    ("/api/v1/search?at=0001-01-01T10:00:00Z", "at"),
    ("/api/v1/search?starting_within=0", "starting_within"),
    ("/api/v1/search?day_offset=nine", "day_offset"),
    ("/api/v1/search?q=a%00b", "q"),
    ("/api/v1/search?q=" + "x" * 2100, "q"),
    ("/api/v1/places?q=", "q"),
    ("/api/v1/places", "q"),
    ("/api/v1/meetings.json?fellowship=" + "x" * 200, "fellowship"),
]


@pytest.mark.parametrize(("url", "parameter"), BAD_API_REQUESTS)
def test_the_apis_parameter_errors_are_in_the_accept_language(client, url, parameter):
    english = client.get(url, headers={"Accept-Language": "en"})
    spanish = client.get(url, headers={"Accept-Language": "es"})
    assert english.status_code == spanish.status_code == 400
    en, es = english.json["error"], spanish.json["error"]
    assert en["parameter"] == es["parameter"] == parameter
    assert es["message"] != en["message"], es["message"]
    for phrase in ("Not a valid", "Must be", "Length must", "Missing data", "Shorter than"):
        assert phrase not in en["message"] and phrase not in es["message"]


def test_every_parameter_message_is_marked_for_translation():
    """A validator added without its own marked message would be shown in English."""
    from directory.search.argument_messages import plain_messages, untranslated_messages
    from directory.search.arguments import SearchArgsSchema
    from directory.web.api import MeetingFeedArgsSchema, PlaceArgsSchema

    for schema in (SearchArgsSchema, PlaceArgsSchema, MeetingFeedArgsSchema):
        assert untranslated_messages(plain_messages(schema())) == [], schema.__name__
    # What the check finds: marshmallow's own words, before plain_messages.
    assert untranslated_messages(PlaceArgsSchema())
