"""Contract tests of the JSON API: every endpoint, the one error shape, caching and CORS."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from werkzeug.http import http_date

from directory import create_app
from directory.search.arguments import SearchArgsSchema
from directory.search.facets import FACET_KEYS as LIST_FILTERS
from directory.web import api
from directory.web.links import public_url
from directory.web.state import get_snapshot
from tests.conftest import FIXTURES
from tests.formats.meeting_guide_rules import check_meeting_guide_record

# Monday 30 November 2026, 19:05 in Portland: the Hawthorne meeting (Mon 19:00-20:00) is on.
MONDAY_EVENING = "2026-11-30T19:05:00-08:00"
ERROR_KEYS = {"status", "title", "message", "parameter"}


def _with_api(app):
    if "api.docs" not in app.view_functions:  # until app.py wires the API
        api.init_app(app)
    return app


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory):
    """One app for the read-only tests: building an index per test would cost seconds."""
    folder = tmp_path_factory.mktemp("api")
    data_path = folder / "resources.yaml"
    data_path.write_text((FIXTURES / "minimal.yaml").read_text())
    return make_app(folder, data_path, RATE_LIMIT_API="10000 per minute")


@pytest.fixture
def app(shared_app):
    return shared_app


def make_app(tmp_path, data_path, **config):
    return _with_api(
        create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test-secret",
                "DATA_PATH": str(data_path),
                "INDEX_DIR": str(tmp_path / "index"),
                **config,
            }
        )
    )


def assert_error(response, status: int, parameter: str | None = None) -> dict:
    """Check the one error shape and return its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) <= ERROR_KEYS and {"status", "title", "message"} <= set(error)
    assert error["status"] == status
    assert error["message"].strip() and error["title"].strip()
    assert error.get("parameter") == parameter
    return error


# --- search --------------------------------------------------------------------------------------


def test_search_returns_results_with_the_documented_fields(client):
    response = client.get("/api/v1/search?q=serenity")
    assert response.status_code == 200
    data = response.get_json()
    assert set(data) >= {"results", "total", "page", "per_page", "facets", "near", "notice"}
    assert data["total"] == 1 and data["page"] == 1 and data["per_page"] == 20
    assert data["near"] is None
    (result,) = data["results"]
    assert result["id"] == "hawthorne-serenity-aa"
    assert result["url"] == "http://localhost/resources/hawthorne-serenity-aa"
    assert result["category"] == "meeting" and result["dimensions"] == ["community"]
    assert result["attendance"] == "in_person"
    assert result["distance_miles"] is None  # no place asked about
    assert isinstance(result["open_now"], bool)
    assert len(result["next_occurrences"]) == 3
    assert "serenity" in result["snippet"].lower()
    assert "snippet_html" not in result  # HTML is for the page only
    assert data["facets"]["category"]["values"][0]["value"] == "meeting"


def test_search_answers_what_the_page_builder_answers(app, client):
    query = f"category=meeting&category=mat&near=97214&at={MONDAY_EVENING.replace('+', '%2B')}"
    api_data = client.get(f"/api/v1/search?{query}").get_json()
    with app.test_request_context(f"/search?{query}"):
        from flask import request

        page_data = get_snapshot().service.search(request.args, public_url)
    assert [r["id"] for r in api_data["results"]] == [r["id"] for r in page_data["results"]]
    assert api_data["total"] == page_data["total"] == 3
    assert api_data["facets"] == page_data["facets"]


def test_search_near_a_place_gives_distances_and_null_for_online(client):
    default = client.get("/api/v1/search?near=97214&category=meeting").get_json()
    assert default["query"]["sort"] == "distance"  # a place and no time asks where first
    timed = client.get("/api/v1/search?near=97214&category=meeting&day=mon").get_json()
    assert timed["query"]["sort"] == "soonest"  # a place and a day: the schedule of what is near
    assert client.get("/api/v1/search?category=meeting").get_json()["query"]["sort"] == "soonest"
    data = client.get("/api/v1/search?near=97214&category=meeting&sort=distance").get_json()
    assert data["near"]["label"] == "97214 (Portland, OR)"
    assert data["near"]["lat"] == pytest.approx(45.51, abs=0.05)
    by_id = {r["id"]: r for r in data["results"]}
    assert 0 < by_id["hawthorne-serenity-aa"]["distance_miles"] < 2
    assert by_id["online-dawn-na"]["distance_miles"] is None
    assert list(by_id) == ["hawthorne-serenity-aa", "online-dawn-na"]  # located first


def test_search_evaluates_times_at_the_given_instant(client):
    at = MONDAY_EVENING.replace("+", "%2B")
    data = client.get(f"/api/v1/search?open_now=true&at={at}").get_json()
    ids = [r["id"] for r in data["results"]]
    assert "hawthorne-serenity-aa" in ids
    assert "online-dawn-na" not in ids  # meets at 06:30
    meeting = data["results"][ids.index("hawthorne-serenity-aa")]
    assert meeting["open_now"] is True
    first = datetime.fromisoformat(meeting["next_occurrences"][0])
    assert first.utcoffset() == timedelta(hours=-8)
    assert first.astimezone(ZoneInfo("America/Los_Angeles")).strftime("%a %H:%M") == "Wed 19:00"


def test_search_list_filters_repeat_the_key(client):
    one = client.get("/api/v1/search?category=meeting").get_json()
    both = client.get("/api/v1/search?category=meeting&category=mat").get_json()
    assert one["total"] == 2 and both["total"] == 3


def test_search_pages(client):
    first = client.get("/api/v1/search?per_page=1").get_json()
    second = client.get("/api/v1/search?per_page=1&page=2").get_json()
    assert first["per_page"] == 1 and len(first["results"]) == 1
    assert first["results"][0]["id"] != second["results"][0]["id"]
    assert client.get("/api/v1/search?per_page=100").status_code == 200


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("category=bogus", "category"),
        ("category=meeting&category=nonsense", "category"),
        ("near=97214&radius=0", "radius"),
        ("near=97214&radius=-5", "radius"),
        ("near=97214&radius=100000", "radius"),
        ("near=97214&radius=nan", "radius"),
        ("near=97214&radius=ten", "radius"),
        ("radius=5", "radius"),  # a radius needs a place
        ("near=91,0", "near"),
        ("near=45.5,-190", "near"),
        ("near=Atlantis%20Under%20The%20Sea", "near"),
        ("near=" + "x" * 300, "near"),
        ("at=2026-11-30T19:05:00", "at"),  # no offset
        ("at=tomorrow", "at"),
        ("at=2026-13-45T25:00:00Z", "at"),
        ("at=9999-12-31T23:59:59-12:00", "at"),  # past the calendar's end once converted
        ("at=0001-01-01T00:00:00%2B14:00", "at"),
        ("per_page=0", "per_page"),
        ("per_page=10000", "per_page"),
        ("per_page=twenty", "per_page"),
        ("page=0", "page"),
        ("page=100000", "page"),
        ("starting_within=0", "starting_within"),
        ("open_now=perhaps", "open_now"),
        ("day=someday", "day"),
        ("q=%00", "q"),
        ("q=" + "a" * 2001, "q"),
        ("sort=random", "sort"),
    ],
)
def test_search_refuses_bad_parameters_naming_them(client, query, parameter):
    error = assert_error(client.get(f"/api/v1/search?{query}"), 400, parameter)
    assert "Traceback" not in error["message"]


def test_search_ignores_unknown_and_empty_parameters(client):
    response = client.get("/api/v1/search?utm_source=x&radius=&near=&q=")
    assert response.status_code == 200
    assert response.get_json()["total"] == 3


# --- resources, places, vocabularies -------------------------------------------------------------


def test_resource_gives_the_record_as_in_the_file_and_computed_details(client):
    response = client.get("/api/v1/resources/hawthorne-serenity-aa")
    assert response.status_code == 200
    data = response.get_json()
    assert data["id"] == "hawthorne-serenity-aa"
    record = data["record"]
    assert record["location"] == "st-marks-hall"  # the reference, as written in the file
    assert record["types"] == ["O", "D", "X"]
    assert record["schedule"] == [{"days": ["mon", "wed", "fri"], "start": "19:00"}]
    details = data["details"]
    assert details["location"]["name"] == "St. Mark's Parish Hall"
    assert details["types"][0] == {
        "code": "O",
        "name": "Open",
        "explanation": "Anyone is welcome, including family, friends and students.",
    }
    assert details["weekly"] and details["when"]["text"]
    assert details["url"] == "http://localhost/resources/hawthorne-serenity-aa"
    assert len(data["data_version"]) == 64


@pytest.mark.parametrize(
    "resource_id", ["closed-pantry", "no-such-thing", "HAWTHORNE-SERENITY-AA", "%20", "a" * 500]
)
def test_unknown_or_inactive_resource_is_a_json_404(client, resource_id):
    assert_error(client.get(f"/api/v1/resources/{resource_id}"), 404)


@pytest.mark.parametrize(
    ("q", "kind", "label"),
    [
        ("97214", "zip", "97214 (Portland, OR)"),
        ("Portland, OR", "city", "Portland, OR"),
        ("Hawthorne", "region", "Hawthorne"),
        ("45.52, -122.65", "coordinates", "45.5200, -122.6500"),
    ],
)
def test_places_resolves_what_near_understands(client, q, kind, label):
    response = client.get("/api/v1/places", query_string={"q": q})
    assert response.status_code == 200
    data = response.get_json()
    assert data["query"] == q and data["kind"] == kind and data["label"] == label
    assert -90 <= data["lat"] <= 90 and -180 <= data["lon"] <= 180


@pytest.mark.parametrize("q", ["Xyzzyville Qq", "00000", "91, 10", "x" * 500, ""])
def test_places_refuses_what_names_no_place(client, q):
    error = assert_error(client.get("/api/v1/places", query_string={"q": q}), 400, "q")
    assert "Traceback" not in error["message"]


def test_places_needs_q(client):
    error = assert_error(client.get("/api/v1/places"), 400, "q")
    assert "required" in error["message"]


def test_vocabularies_list_every_code_with_its_name(client):
    data = client.get("/api/v1/vocabularies").get_json()
    categories = {c["code"]: c for c in data["categories"]}
    assert categories["mat"] == {
        "code": "mat",
        "name": "Medication for addiction treatment",
        "dimension": "health",
    }
    assert len(categories) == 15
    types = {entry["fellowship"]: entry["types"] for entry in data["meeting_types"]}
    poa = {
        fellowship: next(t["name"] for t in codes if t["code"] == "POA")
        for fellowship, codes in types.items()
        if fellowship in ("AA", "Al-Anon")
    }
    assert poa == {"AA": "Proof of Attendance", "Al-Anon": "Parents of Alcoholics"}
    in_use = {f["code"] for f in data["fellowships"] if f["in_use"]}
    assert in_use == {"AA", "NA"}
    assert [lang["code"] for lang in data["languages"]] == ["en", "es"]
    assert data["regions"] == ["Hawthorne"]
    assert {d["code"] for d in data["days"]} == {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}


# --- the Meeting Guide feed ----------------------------------------------------------------------


def test_meetings_feed_follows_the_meeting_guide_rules(client):
    response = client.get("/api/v1/meetings.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    feed = response.get_json()
    assert isinstance(feed, list)
    for record in feed:
        check_meeting_guide_record(record)
    slugs = [r["slug"] for r in feed]
    assert len(slugs) == len(set(slugs)) == 3 + 7
    hawthorne = [r for r in feed if r["name"] == "Hawthorne Serenity Group"]
    assert sorted((r["day"], r["time"], r["end_time"]) for r in hawthorne) == [
        (1, "19:00", "20:00"),
        (3, "19:00", "20:00"),
        (5, "19:00", "20:00"),
    ]
    assert hawthorne[0]["formatted_address"] == "1234 SE Hawthorne Blvd, Portland, OR 97214, US"
    assert hawthorne[0]["updated"] == "2026-10-01 00:00:00"
    dawn = next(r for r in feed if r["name"] == "Dawn Patrol NA")
    assert dawn["conference_url"] == "https://zoom.us/j/81234567890"
    assert dawn["conference_url_notes"] == "Password: hope"
    assert "address" not in dawn and "latitude" not in dawn
    assert not any(r["slug"].startswith("eastside") for r in feed)  # not a meeting


# --- errors outside the views --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/nothing", "/api/v2/search", "/api/", "/api/v1/"])
def test_unknown_api_addresses_are_json_404s(client, path):
    assert_error(client.get(path), 404)


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_other_methods_are_json_405s_with_allow(client, method):
    response = getattr(client, method)("/api/v1/search")
    assert_error(response, 405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}


def test_html_pages_keep_their_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.fixture
def broken_app(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("format: 1\nresources: [ {id: x\n")
    return make_app(tmp_path, path)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/search?q=x",
        "/api/v1/resources/x",
        "/api/v1/places?q=97214",
        "/api/v1/vocabularies",
        "/api/v1/meetings.json",
    ],
)
def test_no_data_is_a_json_503(broken_app, path):
    response = broken_app.test_client().get(path)
    assert_error(response, 503)
    assert response.headers["Retry-After"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_the_document_is_served_without_data(broken_app):
    assert broken_app.test_client().get("/api/v1/openapi.json").status_code == 200


def test_too_many_requests_is_a_json_429(tmp_path, data_path):
    client = make_app(tmp_path, data_path, RATE_LIMIT_API="2 per minute").test_client()
    assert client.get("/api/v1/vocabularies").status_code == 200
    assert client.get("/api/v1/vocabularies").status_code == 200
    response = client.get("/api/v1/vocabularies")
    assert_error(response, 429)
    assert response.headers["Retry-After"]


# --- caching -------------------------------------------------------------------------------------

DATA_ONLY = [
    "/api/v1/vocabularies",
    "/api/v1/meetings.json",
    "/api/v1/places?q=97214",
    f"/api/v1/search?q=meeting&at={MONDAY_EVENING.replace('+', '%2B')}",
]


@pytest.mark.parametrize("path", DATA_ONLY)
def test_data_only_answers_are_conditional(client, path):
    first = client.get(path)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.cache_control.public and first.cache_control.max_age == api.DATA_MAX_AGE
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 304
    long_ago = http_date(datetime(2000, 1, 1, tzinfo=UTC))
    assert client.get(path, headers={"If-Modified-Since": long_ago}).status_code == 200


@pytest.mark.parametrize(
    "path", [f"/api/v1/search?per_page=0&at={MONDAY_EVENING}", "/api/v1/places?q=Xyzzyville%20Qq"]
)
def test_a_bad_request_is_a_400_whatever_etag_the_client_holds(client, path):
    etag = client.get("/api/v1/vocabularies").headers["ETag"]  # the data's current ETag
    response = client.get(path, headers={"If-None-Match": etag, "If-Modified-Since": "x"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path", ["/api/v1/search?q=meeting", "/api/v1/resources/eastside-bridge-clinic"]
)
def test_answers_about_now_are_short_lived_and_conditional(client, path):
    for _ in range(3):  # a minute can turn between two requests; it cannot turn three times
        first = client.get(path)
        assert first.cache_control.max_age == api.NOW_MAX_AGE
        again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        if again.status_code == 304:
            return
    pytest.fail("the same answer never matched its own ETag")


def test_the_document_is_conditional(client):
    first = client.get("/api/v1/openapi.json")
    again = client.get("/api/v1/openapi.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_changed_data_changes_the_etag(tmp_path, data_path):
    client = make_app(
        tmp_path, data_path, RELOAD_CHECK_SECONDS=0, RELOAD_SETTLE_SECONDS=0
    ).test_client()
    before = client.get("/api/v1/vocabularies")
    data_path.write_text(data_path.read_text().replace("Test Directory", "Other Directory"))
    later = os.stat(data_path).st_mtime + 10
    os.utime(data_path, (later, later))
    after = client.get("/api/v1/vocabularies", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]


# --- CORS ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/search", "/api/v1/openapi.json", "/api/v1/search?per_page=0", "/api/v1/x"]
)
def test_every_api_answer_may_be_read_cross_origin(client, path):
    response = client.get(path, headers={"Origin": "https://elsewhere.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]


def test_preflight_is_answered_for_get_only(client):
    response = client.options(
        "/api/v1/search",
        headers={
            "Origin": "https://elsewhere.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert "If-None-Match" in response.headers["Access-Control-Allow-Headers"]


def test_head_is_answered_without_a_body(client):
    response = client.head("/api/v1/vocabularies")
    assert response.status_code == 200 and response.data == b""
    assert response.headers["ETag"]


# --- the OpenAPI document and the docs page ------------------------------------------------------


def test_the_document_describes_every_search_parameter_and_the_error_shape(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    search = spec["paths"]["/api/v1/search"]["get"]
    names = {p["name"] for p in search["parameters"]}
    assert names == set(SearchArgsSchema().fields)
    for name in LIST_FILTERS:
        parameter = next(p for p in search["parameters"] if p["name"] == name)
        assert parameter["schema"]["type"] == "array"  # repeat the key
    error = spec["components"]["schemas"]["ErrorDetail"]
    assert set(error["properties"]) == ERROR_KEYS
    assert set(error["required"]) == {"status", "title", "message"}
    for path, item in spec["paths"].items():
        responses = item["get"]["responses"]
        assert "200" in responses and "503" in responses, path
        assert responses["default"]["$ref"].endswith("DEFAULT_ERROR")
    default = spec["components"]["responses"]["DEFAULT_ERROR"]
    assert default["content"]["application/json"]["schema"]["$ref"].endswith("/Error")


def test_docs_page_lists_every_operation_within_the_csp(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for path in ("/api/v1/search", "/api/v1/resources/{resource_id}", "/api/v1/meetings.json"):
        assert f"GET {path}" in page
    assert "starting_within" in page and "time_of_day" in page  # parameters
    assert "/api/v1/search?q=suboxone&amp;near=97214&amp;radius=10" in page  # an example
    assert "<style" not in page and " style=" not in page
    assert all(" src=" in tag for tag in re.findall(r"<script[^>]*>", page))
    assert not re.search(r"https?://(?!localhost)[^\"' ]+\.(js|css)", page)  # no CDN
    assert re.search(r"\son[a-z]+=", page) is None  # no inline handlers


def test_footer_links_the_docs_page(client):
    assert 'href="/api/v1/docs"' in client.get("/about").get_data(as_text=True)


def test_search_body_is_exactly_the_documented_shape(client):
    from directory.web.api_schemas import SearchResponseSchema

    body = client.get(f"/api/v1/search?q=meeting&near=97214&at={MONDAY_EVENING}").get_json()
    assert body["results"]
    assert SearchResponseSchema().validate(body) == {}
    assert SearchResponseSchema().load(body) is not None


def test_the_document_names_its_server(tmp_path, data_path):
    spec = client_spec(make_app(tmp_path, data_path))
    assert spec["servers"] == [
        {"url": "/", "description": "This directory (the host that served this document)"}
    ]
    public = client_spec(make_app(tmp_path, data_path, BASE_URL="https://help.example.org/"))
    assert public["servers"][0]["url"] == "https://help.example.org"


def client_spec(app) -> dict:
    return app.test_client().get("/api/v1/openapi.json").get_json()


def _limit_cases(schema: dict):
    """Yield (value at the documented limit, value just past it) for each documented limit."""
    items = schema.get("items", schema)
    if "maxLength" in items:
        n = items["maxLength"]
        yield "a" * n, "a" * (n + 1)
    if "maximum" in schema:
        n = schema["maximum"]
        yield str(n), str(n + 1) if schema["type"] == "integer" else str(n + 0.5)
    if "minimum" in schema:
        n = schema["minimum"]
        past = str(n - 1) if schema["type"] == "integer" else str(n - 0.5)
        if schema.get("exclusiveMinimum"):
            yield str(n + 0.5), str(n)
        else:
            yield str(n), past
    if items.get("enum"):
        yield next(v for v in items["enum"] if v is not None), "not-a-choice"


def test_every_documented_limit_is_the_limit_enforced(client):
    """A value at each limit the document states is taken; one past it is a 400 naming it."""
    spec = client.get("/api/v1/openapi.json").get_json()
    checked = 0
    for path, item in spec["paths"].items():
        for parameter in item["get"].get("parameters", []):
            if parameter["in"] != "query":
                continue
            name = parameter["name"]
            for inside, outside in _limit_cases(parameter["schema"]):
                extra = {"near": "97214"} if name == "radius" else {}
                if path == "/api/v1/places" and name == "q" and len(inside) < 200:
                    inside = "97214"  # a real place; a string of "a"s names none
                ok = client.get(path, query_string={name: inside, **extra})
                bad = client.get(path, query_string={name: outside, **extra})
                assert bad.status_code == 400, (path, name, outside)
                refusal = bad.get_json()["error"]
                assert refusal["parameter"] == name, (path, name)
                assert ok.status_code in (200, 400), (path, name)
                if ok.status_code == 400:  # refused for another reason (no such place), not this
                    assert ok.get_json()["error"]["message"] != refusal["message"], (path, name)
                checked += 1
    assert checked > 25
