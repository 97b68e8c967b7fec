"""Schemathesis against the API's own OpenAPI document, in process: no server errors, no drift.

Each operation gets valid inputs (positive) and inputs the document forbids (negative); every
answer must be documented, match its schema, and never be a server error.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from directory import create_app
from directory.web import api
from tests.conftest import FIXTURES

OPERATIONS = [
    ("GET", "/api/v1/search"),
    ("GET", "/api/v1/resources/{resource_id}"),
    ("GET", "/api/v1/places"),
    ("GET", "/api/v1/vocabularies"),
    ("GET", "/api/v1/meetings.json"),
    ("GET", "/api/v1/meetings/{feed_name}.json"),
]
# Parameters whose values the document cannot fully describe: a well-formed place that names
# nowhere, a radius without a place, a fellowship with no meetings here. A schema-valid
# request may be refused only for these.
SEMANTIC_PARAMETERS = {"near", "radius", "q", "at", "fellowship"}
FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same cases every run: a failure here is never a fluke
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    data_path = folder / "resources.yaml"
    data_path.write_text((FIXTURES / "minimal.yaml").read_text())
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATA_PATH": str(data_path),
            "INDEX_DIR": str(folder / "index"),
            "RATELIMIT_ENABLED": False,  # hundreds of requests a minute, on purpose
        }
    )
    if "api.docs" not in app.view_functions:  # until app.py wires the API
        api.init_app(app)
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def test_every_operation_is_fuzzed(api_schema):
    documented = {
        (method.upper(), path)
        for path, item in api_schema.raw_schema["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert documented == set(OPERATIONS)


# Operations with inputs the document restricts; the others have nothing to violate (a path
# segment is any string), so negative generation cannot make a case for them.
RESTRICTED = {("GET", "/api/v1/search"), ("GET", "/api/v1/places")}
CASES = [(*op, GenerationMode.POSITIVE) for op in OPERATIONS] + [
    (*op, GenerationMode.NEGATIVE) for op in OPERATIONS if op in RESTRICTED
]


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_operation_conforms_to_the_document(api_schema, method, path, mode):
    operation = api_schema[path][method]

    @FUZZ
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case):
        excluded = [positive_data_acceptance]
        if mode is GenerationMode.NEGATIVE and _has_empty_value(case.query):
            # Documented: an empty value is the same as leaving the parameter out (HTML forms
            # send "radius=" for "any distance"), so it is not a violation to refuse.
            excluded.append(negative_data_rejection)
        # The in-process WSGI transport sends requests' "Accept-Encoding: gzip" but opens no
        # gzip; the kept feeds' gzip is tested over real HTTP in test_kept_outputs.py.
        response = case.call_and_validate(
            headers={"Accept-Encoding": "identity"}, excluded_checks=excluded
        )
        if mode is GenerationMode.POSITIVE and response.status_code == 400:
            assert response.json()["error"]["parameter"] in SEMANTIC_PARAMETERS, response.text

    check()


def _has_empty_value(query) -> bool:
    values = []
    for value in (query or {}).values():
        if not isinstance(value, int | float) and not value:
            return True  # [], {}, "", None: all sent as "name=" with nothing after it
        values.extend(value if isinstance(value, list) else [value])
    # None is sent as "name=" too (the enum of `sort` allows null for "not given").
    return any(v is None or str(v) == "" for v in values)
