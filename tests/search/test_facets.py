"""The facet registry: one declaration per filter reaches the table, the API and the page."""

from __future__ import annotations

from directory.core.places import MAX_PLACE_LENGTH
from directory.datafile.load import load_catalog
from directory.search import facets
from directory.search.arguments import LIMITS
from tests.formats.conftest import EDGES, write_catalog_file


def _parameters(client) -> dict[str, dict]:
    spec = client.get("/api/v1/openapi.json").get_json()
    search = spec["paths"]["/api/v1/search"]["get"]
    return {p["name"]: p for p in search["parameters"]}


def test_every_facet_is_a_documented_api_parameter_with_its_limits(client):
    parameters = _parameters(client)
    for facet in facets.FACETS:
        schema = parameters[facet.key]["schema"]
        assert schema["type"] == "array", facet.key
        assert schema["items"]["maxLength"] == facet.max_length, facet.key
        assert schema["items"].get("enum") == (list(facet.choices) if facet.choices else None)


def test_near_has_one_maximum_everywhere(client):
    schema = _parameters(client)["near"]["schema"]
    assert schema["maxLength"] == MAX_PLACE_LENGTH == LIMITS["near"]
    ok = client.get("/api/v1/search", query_string={"near": "9" * MAX_PLACE_LENGTH})
    too_long = client.get("/api/v1/search", query_string={"near": "9" * (MAX_PLACE_LENGTH + 1)})
    assert ok.status_code == 400 and ok.get_json()["error"]["parameter"] == "near"
    assert "too long" not in ok.get_json()["error"]["message"]  # refused as no place, not length
    assert too_long.status_code == 400
    assert too_long.get_json()["error"]["parameter"] == "near"
    page = client.get("/search").get_data(as_text=True)
    assert f'name="near" value="" maxlength="{MAX_PLACE_LENGTH}"' in page


def test_a_closed_vocabulary_refuses_other_values(client):
    for facet in facets.FACETS:
        if facet.choices:
            answer = client.get("/api/v1/search", query_string={facet.key: "no-such-value"})
            assert answer.status_code == 400, facet.key
            assert answer.get_json()["error"]["parameter"] == facet.key


def test_every_facet_is_counted_and_shown_in_the_panel_order(client):
    data = client.get("/api/v1/search").get_json()
    assert set(data["facets"]) == set(facets.FACET_KEYS)
    for key, facet in data["facets"].items():
        assert facet["title"] == facets.BY_KEY[key].title
    page = client.get("/search?q=").get_data(as_text=True)
    shown = [f.title for f in facets.FACETS if data["facets"][f.key]["values"]]
    positions = [page.index(f"<legend>{title}</legend>") for title in shown]
    assert positions == sorted(positions) and len(shown) > 5


def test_an_unknown_filter_is_refused_by_the_engine():
    try:
        facets.read_filters({"colour": ["blue"]})
    except ValueError as exc:
        assert "colour" in str(exc)
    else:
        raise AssertionError("an unknown facet was accepted")


def test_day_and_time_of_day_are_read_as_people_write_them():
    assert facets.read_filters({"day": ["Monday", "mon", "TUE"]}) == {"day": ("mon", "tue")}
    assert facets.read_filters({"day": ["someday"]}) == {"day": (facets.NO_MATCH,)}
    assert facets.read_filters({"time_of_day": "evening"}) == {"time_of_day": ("evening",)}


def test_vocabularies_name_fellowships_in_use_beyond_the_known_ones(tmp_path):
    text = EDGES.replace("fellowship: NA", "fellowship: Gamblers Anonymous")
    catalog = load_catalog(write_catalog_file(tmp_path, text))
    words = facets.vocabularies(catalog)
    names = [f["code"] for f in words["fellowships"]]
    assert names[-1] == "Gamblers Anonymous"
    assert next(f for f in words["fellowships"] if f["code"] == "AA")["in_use"] is True
    assert next(f for f in words["fellowships"] if f["code"] == "NA")["in_use"] is False
    assert words["regions"] == ["East County"]


def test_a_town_filter_comes_from_its_one_declaration(client):
    """The Town filter was added as one Facet line (and its label rule): it reaches the table,
    the API's parameters and counts, and the page's filter panel."""
    assert "town" in _parameters(client)
    data = client.get("/api/v1/search").get_json()
    towns = {v["value"]: v for v in data["facets"]["town"]["values"]}
    assert towns and all(v["label"] == v["value"] for v in towns.values())  # "San Jose" stays
    town, value = next(iter(towns.items()))
    only = client.get("/api/v1/search", query_string={"town": town}).get_json()
    assert only["total"] == value["count"] > 0
    page = client.get("/search?q=").get_data(as_text=True)
    assert "<legend>Town</legend>" in page
