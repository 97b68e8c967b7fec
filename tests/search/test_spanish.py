"""Judged Spanish queries over the sample data: typed as Spanish speakers type (accents or not),
each finds what its English twin finds, and its place, time and language words become the same
filters. Judged by reading the entries (what the top results are), not copied from the engine.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from werkzeug.datastructures import MultiDict

from directory.core import translation
from directory.datafile.load import load_catalog
from directory.search.analysis import load_synonyms
from directory.search.documents import document_for
from directory.search.index import ensure_index
from directory.search.service import SearchService, gazetteer_for
from directory.search.text import analyze, analyze_as, stem_as
from tests.conftest import SAMPLE

# A Tuesday evening in Portland: "tonight" and "tomorrow" have meetings to find.
AT = datetime(2026, 12, 8, 17, 30, tzinfo=ZoneInfo("America/Los_Angeles"))


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    catalog = load_catalog(SAMPLE)
    searcher = ensure_index(catalog, tmp_path_factory.mktemp("spanish-index"))
    yield SearchService(catalog, searcher, gazetteer_for(catalog))
    searcher.close()


def search(service, q: str, **args) -> dict:
    query = MultiDict({"q": q, "at": AT.isoformat(), "per_page": "10", **args})
    return service.search(query, lambda r: f"https://example.org/{r.id}")


def ids(data: dict, k: int) -> list[str]:
    return [r["id"] for r in data["results"][:k]]


def categories(data: dict, k: int) -> set[str]:
    return {r["category"] for r in data["results"][:k]}


# (Spanish as typed, its English twin, the category the top results are)
TWINS = [
    ("metadona", "methadone", "mat"),
    ("clinica de metadona", "methadone clinic", "mat"),
    ("clínica de metadona", "methadone clinic", "mat"),
    ("suboxona", "suboxone", "mat"),
    ("buprenorfina", "buprenorphine", "mat"),
    ("naloxona", "naloxone", "harm-reduction"),
    ("narcan gratis", "free narcan", "harm-reduction"),
    ("comida gratis", "free food", "food"),
    ("necesito comida", "need food", "food"),
    ("despensa de comida", "food pantry", "food"),
    ("banco de comida", "food bank", "food"),
    ("vivienda de recuperación", "recovery housing", "housing"),
    ("vivienda de recuperacion", "recovery housing", "housing"),
    ("casa de recuperacion", "recovery housing", "housing"),
    ("casa sobria", "sober house", "housing"),
    ("albergue", "shelter", "housing"),
    ("albergues", "shelters", "housing"),
    ("desintoxicación", "detox", "treatment"),
    ("desintoxicacion", "detox", "treatment"),
    ("consejeros", "counselor", "counseling"),
    ("trabajo", "work", "employment"),
    ("abogado", "lawyer", "legal"),
    ("ayuda legal", "legal aid", "legal"),
    ("veteranos", "veterans", None),
    ("iglesia", "church", None),
    ("tiras de fentanilo", "fentanyl test strips", "harm-reduction"),
    ("intercambio de jeringas", "syringe exchange", "harm-reduction"),
    ("transporte", "transportation", "transportation"),
]


@pytest.mark.parametrize(("spanish", "english", "category"), TWINS)
def test_a_spanish_query_finds_what_its_english_twin_finds(service, spanish, english, category):
    es, en = search(service, spanish), search(service, english)
    assert es["total"] > 0 and not es["notice"], es["notice"]
    assert set(ids(es, 3)) == set(ids(en, 3))
    if category:
        assert categories(es, 3) == {category}


# (Spanish as typed, its English twin): words that become filters, the same ones.
INTENT_TWINS = [
    ("reunión de AA en español esta noche", "spanish aa meeting tonight"),
    ("reunion de aa en espanol esta noche", "spanish aa meeting tonight"),
    ("reuniones de NA mañana", "na meetings tomorrow"),
    ("junta de AA el domingo", "aa meeting sunday"),
    ("reuniones en línea ahora", "online meetings now"),
    ("reunion de mujeres el sabado", "womens meeting saturday"),
    ("metadona cerca de 97214", "methadone near 97214"),
    ("reunión de AA hoy en Gresham", "aa meeting today in gresham"),
    ("reuniones por la mañana", "morning meetings"),
]


@pytest.mark.parametrize(("spanish", "english"), INTENT_TWINS)
def test_spanish_place_time_and_language_words_are_the_same_filters(service, spanish, english):
    es, en = search(service, spanish), search(service, english)
    assert len(es["chips"]) == len(en["chips"]) > 0
    assert es["query"]["filters"] == en["query"]["filters"]
    assert es.get("near") == en.get("near")
    assert ids(es, 5) == ids(en, 5)


def test_en_espanol_is_the_spanish_language_filter_either_way(service):
    for q in ("aa en español", "aa en espanol", "spanish aa", "aa español"):
        data = search(service, q)
        assert data["total"] > 0
        catalog = service.catalog
        for result in data["results"]:
            resource = catalog.by_id(result["id"])
            assert "es" in resource.languages or "S" in resource.types, (q, resource.id)


def test_spanish_filters_are_said_back_in_spanish(service):
    with translation.speaking("es"):
        data = search(service, "reunión de AA esta noche cerca de 97214")
    labels = [c["label"] for c in data["chips"]]
    assert "Esta noche" in labels and "Cerca de 97214 (Portland, OR)" in labels
    assert data["understood"].startswith("Se muestran:")


def test_spanish_words_are_matched_by_their_stems_and_without_accents():
    synonyms = load_synonyms()
    assert stem_as("es", "reuniones") == stem_as("es", "reunion")
    assert synonyms.key_of(("consejeros",)) == ("consejero",)
    assert synonyms.key_of(("desintoxicacion",)) == ("desintoxicacion",)
    assert synonyms.key_of(("viviendas", "de", "recuperacion")) == (
        "vivienda", "de", "recuperacion",
    )  # fmt: skip
    # English words are matched as written, never through the Spanish stemmer.
    assert synonyms.key_of(("meetingz",)) is None


def test_a_listings_spanish_text_is_searched_too(service):
    """`translations: {es: ...}` in the file: its words find the listing."""
    assert ids(search(service, "cajas de comida"), 1) == ["tigard-food-pantry"]
    assert ids(search(service, "dosis el mismo día"), 1) == ["eastside-opioid-treatment-program"]


# (typed in Spanish, the listing whose Spanish text has the same word in another form)
SPANISH_FORMS = [
    ("acompañamiento", "eastside-opioid-treatment-program"),  # "le acompaña"
    ("acompanamiento", "eastside-opioid-treatment-program"),
    ("recibir la dosis", "eastside-opioid-treatment-program"),  # "reciben su dosis"
    ("todas bienvenidas", "nueva-esperanza"),  # "Todos son bienvenidos"
]


@pytest.mark.parametrize(("spanish", "expected"), SPANISH_FORMS)
def test_spanish_text_is_stemmed_as_spanish(service, spanish, expected):
    """A listing's Spanish text is found by other forms of its words, which the English
    stemmer keeps apart ("acompañamiento" and "acompaña")."""
    data = search(service, spanish)
    assert ids(data, 1) == [expected]
    snippet = data["results"][0]["snippet_html"]
    assert "<mark>" in snippet


def test_the_english_analysis_alone_would_not_find_them():
    """What the tests above prove: without the Spanish field, the words do not meet."""
    assert not set(analyze("acompañamiento")) & set(analyze("El personal le acompaña"))
    assert not set(analyze("bienvenidas")) & set(analyze("Todos son bienvenidos"))
    assert set(analyze_as("es", "acompañamiento")) <= set(analyze_as("es", "le acompaña"))
    assert analyze_as("es", "de la reunión") == ("reunion",)  # Spanish stop words dropped


def test_text_in_spanish_goes_to_the_spanish_field():
    catalog = load_catalog(SAMPLE)
    by_id = {r.id: r for r in catalog.resources}
    translated = document_for(by_id["tigard-food-pantry"])["text_es"]
    assert translated.startswith("Cajas de comida cada semana")
    # A meeting held only in Spanish: its own text is Spanish, whatever the file says.
    assert "Grupo Nueva Esperanza" in document_for(by_id["nueva-esperanza"])["text_es"]
    english = next(r for r in catalog.resources if r.languages == ("en",) and not r.translations)
    assert document_for(english)["text_es"] == ""


def test_english_searches_are_not_changed_by_the_spanish_field(service):
    """English words stemmed as Spanish find nothing an English search would not."""
    for q in ("meetings", "sober living", "free food", "housing", "the", "community"):
        data = search(service, q)
        assert all(r["snippet_lang"] in (None, "en") for r in data["results"])
    assert search(service, "the and")["total"] == search(service, "")["total"]


def test_a_spanish_page_quotes_the_spanish_text(service):
    with translation.speaking("es"):
        data = search(service, "metadona")
    eastside = next(r for r in data["results"] if r["id"] == "eastside-opioid-treatment-program")
    assert "<mark>metadona</mark>" in eastside["snippet_html"]
    assert eastside["snippet_lang"] is None  # the page's own language
    english = search(service, "methadone")
    eastside = next(r for r in english["results"] if r["id"] == "eastside-opioid-treatment-program")
    assert "<mark>methadone</mark>" in eastside["snippet_html"]
