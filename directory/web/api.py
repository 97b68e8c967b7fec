"""The read-only JSON API under /api/v1, documented by an OpenAPI 3 document built from its schemas.

Views are thin: search goes through the search service (the same one as the search page), a
resource through `listing.detail`, feeds and vocabularies through `exports`. Errors use the
site's one JSON shape (`errors.error_response`); flask-smorest's own error handler is not
installed, so HTML pages keep their error pages and 405 answers keep their `Allow` header.

Caching: answers that depend only on the data file (vocabularies, places, the Meeting Guide
feed, the OpenAPI document, a search with an explicit `at`) carry an ETag made from the data
fingerprint and the API's shape, a Last-Modified from when the data was loaded, and
`max-age=300`. Answers that depend on the present moment (a search without `at`, a resource's
"open now") carry an ETag of their exact bytes and `max-age=60`. Conditional requests get 304.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from copy import deepcopy
from datetime import UTC, datetime

from flask import Blueprint as FlaskBlueprint
from flask import Flask, current_app, render_template, request
from flask_smorest import Api, Blueprint
from markupsafe import Markup, escape
from marshmallow import EXCLUDE, Schema, fields, validate
from werkzeug.exceptions import UnprocessableEntity
from werkzeug.http import http_date, is_resource_modified, quote_etag

from directory.core import listing, translation
from directory.core.places import MAX_PLACE_LENGTH, PlaceNotFound
from directory.core.translation import N_
from directory.formats.meeting_guide import write as mg_write
from directory.search import facets
from directory.search.argument_messages import plain_messages
from directory.search.arguments import SearchArgsSchema
from directory.search.service import BadSearch
from directory.web import api_schemas as schemas
from directory.web import kept_outputs
from directory.web.errors import error_response
from directory.web.links import public_url
from directory.web.security import rate_limit
from directory.web.state import Snapshot, get_snapshot

API_VERSION = "1.0.0"
MAX_FELLOWSHIP_LENGTH = 60  # longer than any fellowship's name
_CODE = re.compile(r"`([^`]+)`")
DATA_MAX_AGE = 300  # seconds: the data file can change at any time; clients revalidate cheaply
NOW_MAX_AGE = 60  # seconds: "open now" and "next" stay right to within a minute
HTML_ONLY_KEYS = ("snippet_html",)  # also dropped by the schema; listed so the intent is plain
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Last-Modified, Retry-After",
}
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, If-None-Match, If-Modified-Since",
    "Access-Control-Max-Age": "86400",
}
DESCRIPTION = """\
Read-only access to the recovery resource directory: search, single resources, places, the
words the directory uses, and a Meeting Guide feed of its meetings. No key is needed; every
answer can be read from any web page (CORS, no credentials).

Errors always have the shape `{"error": {"status", "title", "message", "parameter"}}`;
`parameter` names the query parameter at fault when there is one. A parameter given with an
empty value (`radius=`) is treated as not given, as HTML forms send it; list filters repeat the
key (`category=mat&category=treatment`).

Caching: data-only answers carry an ETag from the data version and `max-age=300`; answers that
depend on the present moment (search without `at`, a resource's times) carry `max-age=60`. Send
`If-None-Match` or `If-Modified-Since` to get `304 Not Modified` when nothing changed.
"""

blp = Blueprint(
    "api",
    __name__,
    url_prefix="/api/v1",
    description="Search the directory and read its open data.",
)
rate_limit("api")(blp)


class DirectoryApi(Api):
    """flask-smorest's spec building, with the site's error shape and handling."""

    ERROR_SCHEMA = schemas.ErrorSchema

    def _register_doc_blueprint(self) -> None:
        """Serve nothing: /api/v1/openapi.json is a view of ours (CORS, ETag)."""

    def _register_error_handlers(self) -> None:
        """Install nothing: web/errors.py answers every error, HTML or JSON by path."""


def query_parameters(schema: type[Schema]):
    """Document a schema's fields as query parameters without parsing them a second time.

    The search builder parses the query string itself (repeated keys, empty values ignored) for
    the page and the API alike; flask-smorest's `arguments` would parse it again by other rules.
    This records the same documentation entry `arguments` does.
    """

    def decorator(func):
        func._apidoc = deepcopy(getattr(func, "_apidoc", {}))
        docs = func._apidoc.setdefault("arguments", {})
        docs.setdefault("parameters", []).append(
            {"in": "query", "required": True, "schema": schema}
        )
        return func

    return decorator


def example_urls(*urls: str):
    """Add example request paths to an operation (shown on the docs page)."""
    return blp.doc(**{"x-examples": list(urls)})


def _undocumented(rule: str, endpoint: str):
    """Route a view on the API blueprint that is not an operation of the API (HTML, the spec)."""

    def decorator(func):
        FlaskBlueprint.add_url_rule(blp, rule, endpoint, func)
        return func

    return decorator


class PlaceArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    q = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_PLACE_LENGTH),
        metadata={"description": 'A place: "lat,lon", a ZIP code, "City, ST" or a region.'},
    )


ERRORS = {
    400: "A parameter cannot be used; `parameter` names it.",
    404: "No such resource.",
    429: "Too many requests; wait a minute (see Retry-After).",
    503: "The directory's data is not available right now; try again in a minute.",
}


def documented_errors(*statuses: int):
    """Document error answers with the one error shape."""

    def decorator(func):
        for status in statuses:
            func = blp.alt_response(status, schema=schemas.ErrorSchema, description=ERRORS[status])(
                func
            )
        return func

    return decorator


# --- views ---------------------------------------------------------------------------------------


@blp.route("/search")
@query_parameters(SearchArgsSchema)
@blp.response(200, schemas.SearchResponseSchema)
@documented_errors(400, 429, 503)
@example_urls(
    "/api/v1/search?q=suboxone&near=97214&radius=10",
    "/api/v1/search?category=meeting&fellowship=AA&day=mon&time_of_day=evening",
    "/api/v1/search?category=meeting&attendance=online&starting_within=60",
    "/api/v1/search?q=food&at=2026-11-28T19:00:00-08:00&per_page=50",
)
def search():
    """Search resources

    Words, a place and filters, as on the search page. List filters repeat the key
    (`category=mat&category=treatment` means either). Times are evaluated at `at` (ISO 8601
    with a UTC offset; default: the current minute). Located results come first, nearest
    first when there is no text; online-only results have `distance_miles: null`.
    """
    snapshot = get_snapshot()
    args = request.args
    has_at = bool(args.get("at"))
    if not has_at:
        # The current minute, not the microsecond: the same search within a minute gives the
        # same bytes, so its ETag (a hash of them) can answer If-None-Match with 304.
        args = args.copy()
        args["at"] = datetime.now(UTC).replace(second=0, microsecond=0).isoformat()
    try:
        data = snapshot.service.search(args, public_url)
    except BadSearch as exc:
        return error_response(400, exc.message, exc.parameter)
    for result in [*data["results"], *(f["result"] for f in data["fallbacks"])]:
        for key in HTML_ONLY_KEYS:
            result.pop(key, None)
    # The builder's dictionary already has the documented shape (a contract test and the
    # schemathesis run check it), so it is sent as it is: dumping it through the response
    # schema again would cost a fifth of the request.
    if has_at:
        # Checked after the arguments, so a bad request is a 400 whatever the client holds.
        return _not_modified(snapshot) or _json(data, _data_headers(snapshot))
    # Private: a shared cache must not keep addresses holding what someone searched for.
    return _json(data, {"Cache-Control": f"private, max-age={NOW_MAX_AGE}"})


def _json(data: dict, headers: dict[str, str]):
    response = current_app.json.response(data)
    response.headers.update(headers)
    return response


@blp.route("/resources/<resource_id>")
@blp.response(200, schemas.ResourceResponseSchema)
@documented_errors(404, 429, 503)
@example_urls("/api/v1/resources/hawthorne-serenity-aa")
def resource(resource_id: str):
    """One resource

    `record` is the entry exactly as in the resource file; `details` adds what the resource
    page shows: labels, plain-words weekly times, when it is next on, directions links.
    Inactive resources are not served (404).
    """
    snapshot = get_snapshot()
    catalog = snapshot.catalog
    item = catalog.by_id(resource_id)
    if item is None or not item.active:
        return error_response(404, N_("No listing has that id. It may have been removed."))
    details = listing.detail(
        item,
        datetime.now(UTC),
        catalog.directory.timezone,
        public_url(item),
        current_app.config["STALE_AFTER_DAYS"],
    )
    body = {
        "id": item.id,
        "record": item.raw,
        "details": details,
        "data_version": catalog.fingerprint,
    }
    return body, 200, {"Cache-Control": f"public, max-age={NOW_MAX_AGE}"}


@blp.route("/places")
@blp.arguments(plain_messages(PlaceArgsSchema()), location="query", as_kwargs=True)
@blp.response(200, schemas.PlaceResponseSchema)
@documented_errors(400, 429, 503)
@example_urls("/api/v1/places?q=97214", "/api/v1/places?q=Portland%2C%20OR")
def places(q: str):
    """Resolve a place

    What a `near` value means: coordinates, a ZIP code, a city and state, or an area named
    in the directory. Answers 400 with a message a person can act on when it names no place.
    """
    snapshot = get_snapshot()
    try:
        place = snapshot.service.resolve(q)
    except PlaceNotFound as exc:
        return error_response(400, str(exc), "q")
    stale = _not_modified(snapshot)
    if stale is not None:
        return stale
    body = {
        "query": q,
        "label": place.label,
        "lat": place.lat,
        "lon": place.lon,
        "kind": place.kind,
    }
    return body, 200, _data_headers(snapshot)


@blp.route("/vocabularies")
@blp.response(200, schemas.VocabulariesSchema)
@documented_errors(429, 503)
@example_urls("/api/v1/vocabularies")
def vocabularies():
    """The directory's words

    Categories with their dimension of recovery, fellowships, meeting type codes with plain
    names per fellowship, services, payment, populations, accessibility, medications, days,
    times of day, and the languages and areas in use. Use the codes as filter values.
    """
    snapshot = get_snapshot()

    def build() -> bytes:
        return _as_json(facets.vocabularies(snapshot.catalog), schemas.VocabulariesSchema())

    return _kept_answer(snapshot, ("vocabularies", translation.code()), build)


class MeetingFeedArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    fellowship = fields.String(
        validate=validate.Length(min=1, max=MAX_FELLOWSHIP_LENGTH),
        metadata={
            "description": "Only this fellowship's meetings, with its own type codes "
            '("AA", "NA", "Al-Anon", or the feed name "al-anon"; see /vocabularies).'
        },
    )


@blp.route("/meetings.json")
@blp.arguments(plain_messages(MeetingFeedArgsSchema()), location="query", as_kwargs=True)
@blp.response(200, schemas.MeetingSchema(many=True))
@documented_errors(400, 429, 503)
@example_urls("/api/v1/meetings.json", "/api/v1/meetings.json?fellowship=AA")
def meetings(fellowship: str | None = None):
    """Meeting Guide feed

    Active meetings in the Meeting Guide JSON format (code4recovery/spec), one record per weekly
    time: every fellowship, or one with `fellowship` (the same as `/api/v1/meetings/<name>.json`).
    `slug` is the resource id, with `-<day>-<HHMM>` added when a meeting meets more than once a
    week. Every record has a place: an address, or for a meeting held only online an
    approximate one (its group's city or the directory's area, `approximate: "yes"`,
    `attendance_option: "online"`). Online is `conference_url` or `conference_phone`; `TC`
    marks a temporarily closed place. The feed of every fellowship uses the codes as the
    Meeting Guide spec reads them and names each record's `fellowship`; a fellowship's own
    feed uses its own codes (Al-Anon's `POA` is Parents of Alcoholics). A meeting that ends
    after midnight has no `end_time` and gives its end in `end_time_next_day`.
    """
    snapshot = get_snapshot()
    chosen = None
    if fellowship is not None:
        chosen = mg_write.find_fellowship(snapshot.catalog, fellowship)
        if chosen is None:
            known = ", ".join(mg_write.fellowships(snapshot.catalog))
            return error_response(
                400, f"fellowship: no meetings of '{fellowship[:60]}' here; try one of: {known}",
                "fellowship",
            )  # fmt: skip
    return _meeting_feed(snapshot, chosen)


@blp.route("/meetings/<feed_name>.json")
@blp.response(200, schemas.MeetingSchema(many=True))
@documented_errors(404, 429, 503)
@example_urls("/api/v1/meetings/aa.json", "/api/v1/meetings/al-anon.json")
def fellowship_meetings(feed_name: str):
    """Meeting Guide feed of one fellowship

    A fellowship's meetings with its own type codes, at a stable address to give an
    intergroup or a TSML site: the fellowship's name in lowercase with hyphens (`aa`, `na`,
    `al-anon`, `smart-recovery`). `/api/v1/vocabularies` lists the fellowships.
    """
    snapshot = get_snapshot()
    chosen = mg_write.find_fellowship(snapshot.catalog, feed_name)
    if chosen is None or mg_write.fellowship_slug(chosen) != feed_name:
        return error_response(
            404, N_("No meetings of that fellowship here; see /api/v1/vocabularies.")
        )
    return _meeting_feed(snapshot, chosen)


MEETING_RECORDS = schemas.flat_dump(schemas.MeetingSchema())


def _meeting_feed(snapshot: Snapshot, fellowship: str | None):
    def build() -> Iterator[bytes]:
        records = mg_write.meeting_guide_records(snapshot.catalog, public_url, fellowship)
        return kept_outputs.json_array_pieces(records, MEETING_RECORDS)

    return _kept_answer(snapshot, ("meetings.json", fellowship), build)


def _as_json(data, schema: Schema) -> bytes:
    """Return the bytes flask-smorest's `response` would send for `data` dumped by `schema`."""
    return current_app.json.response(schema.dump(data)).get_data()


def _kept_answer(snapshot: Snapshot, key: tuple, build):
    """Answer a data-only output from the snapshot's kept outputs (built once per version)."""
    etag = _data_etag(snapshot)
    headers = _data_headers(snapshot)
    if request.if_none_match:
        fresh = kept_outputs.client_holds(etag)
    else:
        fresh = not is_resource_modified(request.environ, last_modified=_loaded(snapshot))
    if fresh:
        return kept_outputs.answer(None, etag, headers)
    output = kept_outputs.kept(snapshot, key, build, "application/json")
    return kept_outputs.answer(output, etag, headers)


@_undocumented("/openapi.json", "openapi_json")
def openapi_json():
    # The document depends on the code only, so it is served even when the data is not.
    etag = current_app.extensions["directory_api"]["spec_hash"]
    headers = {"ETag": quote_etag(etag), "Cache-Control": f"public, max-age={DATA_MAX_AGE}"}
    if not is_resource_modified(request.environ, etag=etag):
        response = current_app.response_class(status=304)
    else:
        response = current_app.response_class(_spec_text(), mimetype="application/json")
    response.headers.update(headers)
    return response


@_undocumented("/docs", "docs")
def docs():
    spec = _api().spec.to_dict()
    return render_template(
        "api_docs.html", spec=spec, operations=_operations(spec), schemas=_schemas(spec)
    )


# --- errors, caching and CORS --------------------------------------------------------------------


@blp.errorhandler(UnprocessableEntity)
def _unprocessable(exc: UnprocessableEntity):
    """Answer webargs' validation errors as 400 in the one shape, naming the parameter."""
    messages = (getattr(exc, "data", None) or {}).get("messages", {})
    for location in messages.values():
        for name, problems in location.items():
            problem = problems[0] if isinstance(problems, list) and problems else problems
            return error_response(400, f"{name}: {problem}", name)
    return error_response(400, exc.description)


@blp.after_request
def _cache(response):
    if request.method in ("GET", "HEAD") and response.status_code == 200:
        if response.get_etag() == (None, None):
            response.add_etag()  # a hash of these exact bytes: honest for time-dependent answers
        if not response.cache_control.private:
            response.cache_control.public = True
        if response.cache_control.max_age is None:
            response.cache_control.max_age = NOW_MAX_AGE
        response.make_conditional(request)
    return response


def _cors(response):
    if request.path.startswith("/api/"):
        response.headers.update(CORS_HEADERS)
        if request.method == "OPTIONS":
            response.headers.update(PREFLIGHT_HEADERS)
    return response


def _data_etag(snapshot: Snapshot) -> str:
    """Return the ETag of an answer that depends only on the data, the API's shape and the
    language of its words (`Accept-Language`: labels and messages)."""
    shape = current_app.extensions["directory_api"]["spec_hash"]
    seed = f"{snapshot.catalog.fingerprint}:{shape}:{translation.code()}"
    return hashlib.sha256(seed.encode()).hexdigest()[:32]


def _loaded(snapshot: Snapshot) -> datetime:
    return datetime.fromtimestamp(int(snapshot.loaded_at), UTC)


def _data_headers(snapshot: Snapshot) -> dict[str, str]:
    return {
        "ETag": quote_etag(_data_etag(snapshot)),
        "Last-Modified": http_date(_loaded(snapshot)),
        "Cache-Control": f"public, max-age={DATA_MAX_AGE}",
    }


def _not_modified(snapshot: Snapshot):
    """Return a 304 answer when the client's copy is current, before doing any work."""
    etag = _data_etag(snapshot)
    if is_resource_modified(request.environ, etag=etag, last_modified=_loaded(snapshot)):
        return None
    response = current_app.response_class(status=304)
    response.headers.update(_data_headers(snapshot))
    return response


# --- the document ------------------------------------------------------------------------------


def _api() -> DirectoryApi:
    return current_app.extensions["directory_api"]["api"]


def _spec_text() -> str:
    return current_app.extensions["directory_api"]["spec_text"]


def _operations(spec: dict) -> list[dict]:
    """Return the spec's operations, references resolved one level, for the docs page."""
    components = spec.get("components", {})
    out = []
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            parameters = [_resolve(p, components) for p in item.get("parameters", [])]
            parameters += [_resolve(p, components) for p in operation.get("parameters", [])]
            responses = []
            for status, answer in operation.get("responses", {}).items():
                answer = _resolve(answer, components)
                content = answer.get("content", {}).get("application/json", {})
                schema = content.get("schema", {})
                responses.append(
                    {
                        "status": status,
                        "description": answer.get("description", ""),
                        "schema": _schema_name(schema),
                    }
                )
            out.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "id": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                    "summary": operation.get("summary", ""),
                    "paragraphs": _paragraphs(operation.get("description", "")),
                    "parameters": [_parameter(p) for p in parameters],
                    "responses": responses,
                    "examples": operation.get("x-examples", []),
                }
            )
    return out


def _schemas(spec: dict) -> dict[str, dict]:
    """Return each component schema with its fields described in words, for the docs page."""
    out = {}
    used = json.dumps(spec.get("paths", {})) + json.dumps(spec.get("components", {}))
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        if f'"#/components/schemas/{name}"' not in used:
            continue  # registered by flask-smorest (pagination), not used by any answer
        described = []
        for field, prop in schema.get("properties", {}).items():
            kind, ref = _field_type(prop)
            described.append(
                {
                    "name": field,
                    "type": kind,
                    "ref": ref,
                    "nullable": prop.get("nullable", False),
                    "description": prop.get("description", ""),
                }
            )
        out[name] = {"description": schema.get("description", ""), "fields": described}
    return out


def _field_type(prop: dict) -> tuple[str, str | None]:
    """Return a property's type in words, and the schema it refers to if any."""
    for node in (prop, *prop.get("allOf", [])):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            return name, name
    kind = prop.get("type", "any")
    if kind == "array":
        inner, ref = _field_type(prop.get("items", {}))
        return f"list of {inner}", ref
    if kind == "object" and isinstance(prop.get("additionalProperties"), dict):
        inner, ref = _field_type(prop["additionalProperties"])
        return f"object of {inner}", ref
    if prop.get("format"):
        kind += f" ({prop['format']})"
    return kind, None


def _paragraphs(text: str) -> list[Markup]:
    """Return a docstring's paragraphs as HTML, with `code` spans (everything else escaped)."""
    out = []
    for paragraph in text.split("\n\n"):
        words = " ".join(paragraph.split())
        if words:
            out.append(Markup(_CODE.sub(r"<code>\1</code>", str(escape(words)))))
    return out


def _resolve(node: dict, components: dict) -> dict:
    ref = node.get("$ref", "")
    if ref.startswith("#/components/"):
        _, _, kind, name = ref.split("/", 3)
        return components.get(kind, {}).get(name, {})
    return node


def _schema_name(schema: dict) -> str | None:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array" and "$ref" in schema.get("items", {}):
        return "array of " + schema["items"]["$ref"].rsplit("/", 1)[-1]
    return schema.get("type")


def _parameter(parameter: dict) -> dict:
    schema = parameter.get("schema", {})
    items = schema.get("items", {})
    kind = schema.get("type", "")
    if kind == "array":
        kind = f"{items.get('type', 'string')}, repeatable"
    if schema.get("format"):
        kind += f" ({schema['format']})"
    limits = [
        f"{word} {schema[key]:g}"
        for key, word in (
            ("minimum", "at least"),
            ("maximum", "at most"),
            ("maxLength", "max length"),
        )
        if key in schema
    ]
    if schema.get("exclusiveMinimum") is True:
        limits[0] = limits[0].replace("at least", "more than")
    return {
        "name": parameter.get("name", ""),
        "in": parameter.get("in", ""),
        "required": parameter.get("required", False),
        "type": kind,
        "choices": [c for c in schema.get("enum") or items.get("enum") or [] if c is not None],
        "default": schema.get("default"),
        "limits": ", ".join(limits),
        "description": parameter.get("description") or schema.get("description", ""),
    }


def server_entry(base_url: str | None) -> dict[str, str]:
    """Return the OpenAPI `servers` entry: the public address, or this host when none is set."""
    if base_url:
        return {"url": base_url.rstrip("/"), "description": "This directory"}
    return {"url": "/", "description": "This directory (the host that served this document)"}


def init_app(app: Flask) -> None:
    """Build the API's OpenAPI document and register its blueprint."""
    app.config.setdefault("API_TITLE", "Recovery Resource Directory API")
    app.config.setdefault("API_VERSION", API_VERSION)
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": DESCRIPTION,
                "license": {"name": "MIT", "url": "https://opensource.org/licenses/MIT"},
            },
            "servers": [server_entry(app.config.get("BASE_URL"))],
        },
    )
    api = DirectoryApi(app)
    api.register_blueprint(blp)
    spec_text = json.dumps(api.spec.to_dict(), indent=2)
    app.extensions["directory_api"] = {
        "api": api,
        "spec_text": spec_text,
        "spec_hash": hashlib.sha256(spec_text.encode()).hexdigest()[:16],
    }
    app.after_request(_cors)
