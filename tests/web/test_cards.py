"""Kept result cards: the same pages as a fresh render, nothing kept from a request, new data
new cards."""

from __future__ import annotations

import logging
import os
import re
from urllib.parse import urlencode

import pytest
from jinja2 import Environment
from werkzeug.datastructures import MultiDict

from directory import create_app
from directory.core import translation
from directory.web.cards import KeptCards, card_renderer
from directory.web.state import get_snapshot
from tests.conftest import SAMPLE, reloading_app

# Times of day that give "In progress", "Starts in 20 min", "Closed, opens tomorrow"...
MOMENTS = ("2026-12-02T07:05:00-08:00", "2026-12-02T19:20:00-08:00",
           "2026-12-05T12:00:00-08:00", "2026-12-06T23:50:00-08:00")  # fmt: skip
ASKED = (
    {"q": "meeting"},
    {"q": "serenity"},
    {"q": "suboxone", "near": "97214", "radius": "25"},
    {"q": "food pantry", "near": "Portland, OR"},
    {"near": "97232", "category": "meeting", "sort": "soonest"},
    {"near": "45.5231,-122.6765", "radius": "5"},
    {"category": "meeting", "fellowship": "AA", "day": "wed"},
    {"q": "aa meetings tonight near 97214"},
    {"category": "mat", "payment": "medicaid"},
    {"q": "detox", "language": "es"},
    {"attendance": "online"},
    {"q": "vivienda"},
    {"open_now": "true"},
    {"q": "meeting", "page": "2"},
    {"near": "97214", "view": "map"},
    {"q": "recovery", "near": "97214", "radius": "10", "view": "map", "sort": "distance"},
    {"category": "meeting", "happening_within": "60", "near": "97214"},
    {"q": "nothing-matches-this-xyz"},
)
CHANGING = re.compile(r'(name="csrf_token" value=|nonce=)"[^"]*"')  # a token signed each second


def varied_paths() -> list[str]:
    paths = []
    for i, asked in enumerate(ASKED):
        for j, language in enumerate(("en", "es")):
            at = MOMENTS[(i + j) % len(MOMENTS)]
            paths.append("/search?" + urlencode({**asked, "at": at, "lang": language}))
    return paths


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cards")
    return create_app(
        {
            "SECRET_KEY": "cards-tests-" + "c" * 32,
            "ENV_NAME": "development",  # links from the request (no BASE_URL): that path too
            "DATA_PATH": str(SAMPLE),
            "INDEX_DIR": str(folder / "index"),
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )


def page(client, path: str) -> str:
    client.delete_cookie("lang")  # the switch's cookie would change the next page's links
    response = client.get(path)
    assert response.status_code == 200, path
    return CHANGING.sub(r'\1"-"', response.get_data(as_text=True))


def with_referral_list(client) -> None:
    """Put two listings on the client's referral list (its session)."""
    form = client.get("/search?q=meeting").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    for resource_id in re.findall(r'<li class="result" id="r-([^"]+)"', form)[:2]:
        added = client.post("/referrals/add", data={"id": resource_id, "csrf_token": token,
                                                    "next": "/search"})  # fmt: skip
        assert added.status_code in (200, 303)
    assert "Referral list (2)" in client.get("/search?q=meeting").get_data(as_text=True)


@pytest.mark.parametrize("referral_list", [False, True], ids=["no list", "a referral list"])
def test_kept_cards_give_the_pages_a_fresh_render_gives(app, referral_list):
    client = app.test_client()
    if referral_list:
        with_referral_list(client)
    paths = varied_paths()
    with app.app_context():
        kept = get_snapshot().cards.skeletons
    first = [page(client, p) for p in paths]  # builds the skeletons
    built = kept.builds
    again = [page(client, p) for p in paths]  # from the kept skeletons only
    assert kept.builds == built
    app.config["KEEP_RESULT_CARDS"] = False
    try:
        fresh = [page(client, p) for p in paths]
    finally:
        app.config["KEEP_RESULT_CARDS"] = True
    cards = sum(p.count('<li class="result"') for p in fresh)
    assert cards > 200 and built > 50  # the searches found listings; the cards were kept
    assert any('class="pin-number"' in p for p in fresh)  # the map view's numbered pins
    assert any('<p class="snippet"' in p and "<mark>" in p for p in fresh)
    assert any(re.search(r"\d\.\d mi", p) for p in fresh)  # distances from the place asked
    assert any("Agregar a la lista" in p for p in fresh) and any("Add to list" in p for p in fresh)
    assert all(skeleton for skeleton in kept.values())  # no card fell back to a fresh render
    for path, a, b, c in zip(paths, first, again, fresh, strict=True):
        assert a == c, path
        assert b == c, path


def test_every_state_of_a_card_matches_the_macro(app):
    """Added to the list, a pin, both heading levels: each from its own kept skeleton."""
    with app.test_request_context("/search?lang=es"):
        app.preprocess_request()
        snapshot = get_snapshot()
        macro = app.jinja_env.get_template("_card.html").module.card
        kept = KeptCards()
        results = []
        for asked in ASKED[:8]:
            args = {**asked, "at": MOMENTS[1]}
            args.pop("view", None)
            results += snapshot.service.search(_multidict(args), lambda r: f"/r/{r.id}")["results"]
        assert len(results) > 30
        for r in results:
            for heading in ("h3", "h4"):
                for listed in ((), {r["id"]}):
                    for pins in ({}, {r["id"]: 7}):
                        expected = macro(r, heading, listed, pins)
                        assert kept.card(macro, translation.code(), r, heading, listed, pins) == (
                            expected
                        )
        assert kept.card(macro, "es", results[0], "h3", {results[0]["id"]}, {}).count("Agregado")


def _multidict(args: dict) -> MultiDict:
    return MultiDict(args)


def test_nothing_a_request_brought_is_kept(app):
    client = app.test_client()
    for path in varied_paths():
        client.get(path)
    with app.app_context():
        skeletons = get_snapshot().cards.skeletons._values.values()
    text = "\n".join("".join(s) for s in skeletons)
    assert text
    assert "<mark>" not in text  # the words asked for, highlighted in snippets
    assert not re.search(r"\d+\.\d mi\b", text)  # distances from the place asked
    assert "Next:" not in text and "Starts in" not in text and "In progress" not in text


def test_a_field_the_key_does_not_know_is_not_kept_but_rendered_fresh(caplog):
    macro = (
        Environment(autoescape=True)
        .from_string(
            "{% macro card(r, h, ids, pins) %}<li>{{ r.name }} {{ r.text }}</li>{% endmacro %}"
        )
        .module.card
    )
    r = {"id": "a", "name": "A", "text": "words", "when": {"text": None, "state": None}}
    cards = KeptCards()
    with caplog.at_level(logging.ERROR, logger="directory.web.cards"):
        assert cards.card(macro, "en", r, "h3", (), {}) == "<li>A words</li>"
        assert cards.card(macro, "en", {**r, "text": "other"}, "h3", (), {}) == "<li>A other</li>"
    (record,) = caplog.records  # once per card, not per request
    assert "result card not kept" in record.getMessage() and "'text'" in record.getMessage()


def test_a_new_version_of_the_data_has_new_cards(tmp_path, data_path):
    live = reloading_app(data_path, tmp_path / "index")
    client = live.test_client()
    before = client.get("/search?category=meeting").get_data(as_text=True)
    assert "Hawthorne Serenity Group" in before
    with live.app_context():
        old = get_snapshot().cards
    assert old.skeletons.builds > 0
    data_path.write_text(data_path.read_text().replace("Hawthorne Serenity", "Belmont Hope"))
    stat = data_path.stat()
    os.utime(data_path, (stat.st_atime + 10, stat.st_mtime + 10))
    after = client.get("/search?category=meeting").get_data(as_text=True)
    assert "Belmont Hope Group" in after and "Hawthorne Serenity Group" not in after
    with live.app_context():
        assert get_snapshot().cards is not old


def test_the_setting_turns_kept_cards_off(app):
    with app.test_request_context("/search"):
        app.preprocess_request()
        app.config["KEEP_RESULT_CARDS"] = False
        try:
            plain = card_renderer(get_snapshot())
        finally:
            app.config["KEEP_RESULT_CARDS"] = True
        assert plain is app.jinja_env.get_template("_card.html").module.card
        assert card_renderer(get_snapshot()) is not plain
