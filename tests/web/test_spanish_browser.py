"""The site in Spanish in a real browser: home, a Spanish search with place and time words, a
listing, the referral list and sheet, its PDF read back, the error page, the switch, and axe."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe
from pypdf import PdfReader

from tests.browser import live_server, needs_chromium
from tests.web.test_site_browser import AXE_OPTIONS

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def base_url(sample_app):
    with live_server(sample_app) as url:
        yield url


@pytest.fixture
def spanish(browser, base_url):
    """A browser whose language is Spanish: Accept-Language chooses the site's language."""
    context = browser.new_context(base_url=base_url, locale="es-US", accept_downloads=True)
    outside: list[str] = []
    context.on("request", lambda r: outside.append(r.url)
               if urlparse(r.url).hostname not in ("127.0.0.1", None) else None)  # fmt: skip
    yield context
    context.close()
    assert outside == [], f"requests left the site: {outside}"


def test_a_spanish_visit_from_search_to_a_printed_sheet(spanish):
    page = spanish.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "es"
    assert (
        page.get_by_role("heading", level=1).inner_text()
        == "Encuentre apoyo para la recuperación cerca de usted"
    )
    page.get_by_label("¿Qué está buscando?").fill("reunion de AA en español el martes")
    page.get_by_label("Cerca de").first.fill("97214")
    page.get_by_role("button", name="Buscar").first.click()
    page.wait_for_url("**/search?**")
    chips = page.locator("ul.chips").inner_text()
    assert "Martes" in chips and "En español" in chips
    assert "Cerca de 97214" in chips
    assert re.search(
        r"\d+ resultados? cerca de 97214", page.locator("#results-heading").inner_text()
    )
    # A listing, in Spanish, added to the list.
    page.locator("li.result a").first.click()
    assert page.locator("html").get_attribute("lang") == "es"
    name = page.get_by_role("heading", level=1).inner_text()
    page.get_by_role("button", name="Agregar a la lista de referencias").click()
    page.get_by_text("lista de referencias", exact=False).first.wait_for()
    page.goto("/referrals")
    assert page.get_by_role("heading", level=1).inner_text() == "Lista de referencias"
    page.get_by_label("Nombre o iniciales").fill("Rosa")
    assert page.get_by_label("Idioma de la hoja").input_value() == "es"
    page.get_by_role("button", name="Hacer la hoja").last.click()
    page.wait_for_url("**/referrals/sheet")
    assert page.locator("html").get_attribute("lang") == "es"
    assert "Recursos de recuperación de Rosa" in page.get_by_role("heading", level=1).inner_text()
    # The PDF, read back with a real PDF parser.
    with page.expect_download() as info:
        page.get_by_role("button", name=re.compile("PDF")).first.click()
    pdf = PdfReader(io.BytesIO(Path(info.value.path()).read_bytes()))
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    assert "Recursos de recuperación de Rosa" in text and name in text
    assert "Salud" in text or "Comunidad" in text
    assert "recovery resources" not in text and "Call me first" not in text
    assert errors == []


def test_the_error_page_in_spanish(spanish):
    page = spanish.new_page()
    answer = page.goto("/no-such-page")
    assert answer.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "No encontramos esa página"


def test_the_switch_keeps_the_search_without_javascript(browser, base_url):
    context = browser.new_context(base_url=base_url, java_script_enabled=False, locale="en-US")
    page = context.new_page()
    page.goto("/search?q=metadona&near=97214")
    assert page.locator("html").get_attribute("lang") == "en"
    page.locator(".language-switch").get_by_role("link", name="Español").click()
    assert page.locator("html").get_attribute("lang") == "es"
    query = parse_qs(urlparse(page.url).query)
    assert query["q"] == ["metadona"] and query["near"] == ["97214"] and query["lang"] == ["es"]
    assert page.get_by_label("¿Qué está buscando?").input_value() == "metadona"
    # The choice is kept for the visit (the functional cookie) and on shared links (?lang=es).
    page.goto("/about")
    assert page.locator("html").get_attribute("lang") == "es"
    page.locator(".language-switch").get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    context.close()


def test_axe_finds_no_violations_on_spanish_pages(spanish):
    page = spanish.new_page()
    axe = Axe()
    failures = {}
    for path in ("/", "/search?q=reunión+de+AA+esta+noche+cerca+de+97214",
                 "/search?near=ningun-lugar-conocido", "/resources/hawthorne-nooners",
                 "/help", "/about", "/referrals", "/no-such-page"):  # fmt: skip
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == "es", path
        results = axe.run(page, options=AXE_OPTIONS)
        if results.violations_count:
            failures[path] = results.generate_report()
    assert not failures, json.dumps(failures, indent=1)[:6000]
