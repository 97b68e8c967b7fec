"""Marshmallow schemas of the JSON API's responses: they shape the output and the OpenAPI document.

Responses are dumped through these schemas, so a key that is not declared here never reaches a
client, and the document cannot promise a key the API does not send.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields
from marshmallow.utils import ensure_text_type, missing


def _text(description: str | None = None, **kwargs) -> fields.String:
    return fields.String(metadata={"description": description} if description else {}, **kwargs)


def _maybe(description: str | None = None) -> fields.String:
    return _text(description, allow_none=True)


def _instant(description: str) -> fields.String:
    # Already ISO 8601 strings in the builder's output; declared as strings with a format.
    return fields.String(metadata={"description": description, "format": "date-time"})


class ErrorDetailSchema(Schema):
    status = fields.Integer(required=True, metadata={"description": "The HTTP status code."})
    title = _text("A short summary of the problem.", required=True)
    message = _text("What went wrong and what to do about it, in plain words.", required=True)
    parameter = _text("The query parameter at fault, when one is.")


class ErrorSchema(Schema):
    """The one error shape of the API, for every status from 400 to 503."""

    error = fields.Nested(ErrorDetailSchema, required=True)


class WhenSchema(Schema):
    text = _text('When it is next on, in plain words ("Tonight 7:00 pm", "Open until 5 pm").')
    state = _text(
        "in_progress, upcoming, open, closed, unscheduled or temporarily_closed.",
    )
    zone = _maybe('The time zone abbreviation when it differs from the directory\'s ("EST").')


class CheckedSchema(Schema):
    text = _text('"Checked 3 weeks ago", "Not checked yet".')
    stale = fields.Boolean(metadata={"description": "Not checked recently: call first."})


class ScheduleGroupSchema(Schema):
    key = _text('"now", "0" (today), "1" (tomorrow) or the date (YYYY-MM-DD).')
    label = _text('"In progress", "Today", "Tomorrow", "Tuesday, Dec 8".')


class PointSchema(Schema):
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)


class SummarySchema(Schema):
    id = _text("The stable id of the resource (a slug).", required=True)
    name = _text(required=True)
    name_lang = _maybe(
        "The language of `name` when it is not the answer's (`Accept-Language`): the file's own"
        " text shown because it has none in that language."
    )
    url = fields.Url(required=True, metadata={"description": "The resource's public page."})
    category = _text("One of the directory's categories (see /vocabularies).", required=True)
    category_label = _text()
    dimensions = fields.List(_text(), metadata={"description": "Dimensions of recovery."})
    fellowship = _maybe("For meetings: AA, NA, Al-Anon, ...")
    attendance = _text("in_person, online, hybrid or inactive (temporarily closed).")
    attendance_label = _text()
    status = _text("active or temporarily-closed.")
    when = fields.Nested(WhenSchema)
    address = _maybe("The street address on one line; null when the place is not published.")
    area = _maybe("Neighbourhood and city.")
    approximate = fields.Boolean(
        metadata={"description": "The point is only near the place (distances are 'about')."}
    )
    point = fields.Nested(
        PointSchema,
        allow_none=True,
        metadata={
            "description": "Where a map shows it; null when there is no place to go (online"
            " only). With `approximate`, only the area."
        },
    )
    phone = _maybe()
    text = _maybe("A number to send text messages to.")
    online_url = _maybe("Where to join online.")
    online_phone = _maybe("A number to join by phone.")
    directions_url = _maybe("One link to directions (Google Maps), when there is a door to go to.")
    checked = fields.Nested(
        CheckedSchema, metadata={"description": "How recently a maintainer checked the listing."}
    )


class ResultSchema(SummarySchema):
    distance_miles = fields.Float(
        allow_none=True,
        metadata={"description": "Miles from `near`; null for online-only resources or no near."},
    )
    beyond_radius = fields.Boolean(
        metadata={"description": "Shown past the radius because nothing closer matched."}
    )
    open_now = fields.Boolean(
        allow_none=True, metadata={"description": "Open (or meeting) at `at`; null: no schedule."}
    )
    in_progress = fields.Boolean(metadata={"description": "A meeting under way at `at`."})
    next_occurrences = fields.List(
        _instant("Start of an occurrence, with the resource's UTC offset."),
        metadata={"description": "The next few start instants (ISO 8601)."},
    )
    schedule_group = fields.Nested(
        ScheduleGroupSchema,
        allow_none=True,
        metadata={"description": "The schedule heading it is listed under, in its own zone."},
    )
    snippet = _maybe("A plain-text extract showing where the words matched.")
    snippet_lang = _maybe("The language of `snippet` when it is not the answer's.")


class FacetValueSchema(Schema):
    value = _text("The value to pass back as a filter.")
    label = _text()
    count = fields.Integer()
    selected = fields.Boolean()


class FacetSchema(Schema):
    title = _text()
    values = fields.List(fields.Nested(FacetValueSchema))


class PlaceSchema(Schema):
    label = _text("The place as understood.", required=True)
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)
    kind = _text("coordinates, zip, city or region.")


class EchoSchema(Schema):
    q = _text("The words searched as text, once place, time and filter words are read.")
    typed = _text("The words as the person typed them.")
    near = _text()
    radius = fields.Float(allow_none=True)
    filters = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    open_now = fields.Boolean()
    starting_within = fields.Integer(allow_none=True)
    happening_within = fields.Integer(
        allow_none=True, metadata={"description": "In progress or starting within N minutes."}
    )
    day_offset = fields.Integer(
        allow_none=True,
        metadata={
            "description": "Days after today, each resource in its own zone (the words "
            '"today" or "tomorrow" with no place or zone to read them in).'
        },
    )
    at = _instant("The instant times were evaluated at.")
    sort = _text("relevance, distance or soonest.")


class WiderSchema(Schema):
    radius = fields.Float(metadata={"description": "A wider radius, in miles."})
    count = fields.Integer(metadata={"description": "Located matches within it."})


class ChipSchema(Schema):
    label = _text("A filter in force, in plain words.")
    q = _maybe("The words to search instead, without the ones that asked for it.")
    drop = fields.List(
        fields.String(allow_none=True),
        allow_none=True,
        metadata={"description": "[parameter, value]: what to remove from the query string."},
    )


class SortSchema(Schema):
    value = _text("soonest, distance or relevance.")
    label = _text()
    selected = fields.Boolean()


class FallbackSchema(Schema):
    label = _text('"The next online meeting", "The nearest in person, later today".')
    result = fields.Nested(ResultSchema)


class SearchResponseSchema(Schema):
    query = fields.Nested(EchoSchema, metadata={"description": "The search as understood."})
    results = fields.List(fields.Nested(ResultSchema), required=True)
    total = fields.Integer(required=True, metadata={"description": "Matches on every page."})
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    pages = fields.Integer()
    facets = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(FacetSchema),
        metadata={"description": "Counts per filter value over all matches."},
    )
    near = fields.Nested(PlaceSchema, allow_none=True)
    understood = _maybe('What was read from the words, said back ("Showing AA, meetings.").')
    notice = _maybe("Something the person should know about the results.")
    online_count = fields.Integer(metadata={"description": "Matches with no distance."})
    wider = fields.Nested(
        WiderSchema,
        allow_none=True,
        metadata={"description": "When nothing located matched: what a wider radius holds."},
    )
    chips = fields.List(
        fields.Nested(ChipSchema), metadata={"description": "Every filter in force."}
    )
    sorts = fields.List(fields.Nested(SortSchema), metadata={"description": "Orders offered."})
    fallbacks = fields.List(
        fields.Nested(FallbackSchema),
        metadata={"description": "When a search for meetings at a time finds none: what is next."},
    )


class CodeNameSchema(Schema):
    code = _text(required=True)
    name = _text(required=True)


class MeetingTypeSchema(CodeNameSchema):
    explanation = _maybe()


class PlaceDetailsSchema(Schema):
    name = _maybe()
    address = _maybe()
    city = _maybe()
    state = _maybe()
    postal_code = _maybe()
    region = _maybe()
    approximate = fields.Boolean()
    notes = _maybe()
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)


class LinkSchema(Schema):
    name = _text()
    url = fields.Url()


class JoiningSchema(Schema):
    url = _maybe()
    phone = _maybe()
    notes = _maybe()


class DetailSchema(SummarySchema):
    description = _maybe()
    description_lang = _maybe("The language of `description` when it is not the answer's.")
    only_in = _maybe(
        "Says when the listing's texts are only in another language than the answer's."
    )
    organization = _maybe()
    fellowship_name = _maybe()
    group = _maybe()
    types = fields.List(fields.Nested(MeetingTypeSchema))
    weekly = fields.List(_text(), metadata={"description": "Weekly times in plain words."})
    hours_notes = _maybe()
    hours_notes_lang = _maybe("The language of `hours_notes` when it is not the answer's.")
    timezone = _text("IANA time zone of the schedule.")
    location = fields.Nested(PlaceDetailsSchema, allow_none=True)
    directions = fields.List(fields.Nested(LinkSchema))
    online = fields.Nested(JoiningSchema, allow_none=True)
    email = _maybe()
    website = _maybe()
    languages = fields.List(fields.Nested(CodeNameSchema))
    accessibility = fields.List(fields.Nested(CodeNameSchema))
    payment = fields.List(fields.Nested(CodeNameSchema))
    populations = fields.List(fields.Nested(CodeNameSchema))
    services = fields.List(fields.Nested(CodeNameSchema))
    medications = fields.List(fields.Nested(MeetingTypeSchema))
    eligibility = _maybe()
    last_verified = _maybe("YYYY-MM-DD: when a maintainer last confirmed the entry.")


class ResourceResponseSchema(Schema):
    id = _text(required=True)
    record = fields.Dict(
        required=True,
        metadata={"description": "The entry exactly as in the resource file (format 1)."},
    )
    details = fields.Nested(
        DetailSchema,
        required=True,
        metadata={"description": "Computed for display: labels, times now, directions."},
    )
    data_version = _text("The fingerprint of the data file this answer comes from.")


class PlaceResponseSchema(PlaceSchema):
    query = _text("The text that was resolved.", required=True)


class CategorySchema(CodeNameSchema):
    dimension = _text("The dimension of recovery it belongs to by default.")


class DimensionSchema(CodeNameSchema):
    description = _text()


class FellowshipSchema(CodeNameSchema):
    in_use = fields.Boolean(metadata={"description": "Some active meeting in the data has it."})


class FellowshipTypesSchema(Schema):
    fellowship = _maybe("The fellowship; null: codes as the Meeting Guide spec reads them.")
    types = fields.List(fields.Nested(MeetingTypeSchema))


class VocabulariesSchema(Schema):
    categories = fields.List(fields.Nested(CategorySchema))
    dimensions = fields.List(fields.Nested(DimensionSchema))
    fellowships = fields.List(fields.Nested(FellowshipSchema))
    meeting_types = fields.List(
        fields.Nested(FellowshipTypesSchema),
        metadata={"description": "Type codes with plain names, per fellowship."},
    )
    attendance = fields.List(fields.Nested(CodeNameSchema))
    services = fields.List(fields.Nested(CodeNameSchema))
    payment = fields.List(fields.Nested(CodeNameSchema))
    populations = fields.List(fields.Nested(CodeNameSchema))
    accessibility = fields.List(fields.Nested(CodeNameSchema))
    medications = fields.List(fields.Nested(MeetingTypeSchema))
    days = fields.List(fields.Nested(CodeNameSchema))
    time_of_day = fields.List(fields.Nested(CodeNameSchema))
    languages = fields.List(
        fields.Nested(CodeNameSchema), metadata={"description": "Languages in use in the data."}
    )
    regions = fields.List(_text(), metadata={"description": "Areas named in the data."})


class MeetingSchema(Schema):
    """One weekly meeting time in the Meeting Guide JSON format (code4recovery/spec)."""

    slug = _text("Unique per record: the resource id, plus -day-HHMM when it meets more often.")
    name = _text(required=True)
    day = fields.Integer(metadata={"description": "0 = Sunday ... 6 = Saturday."})
    time = _text("Start, HH:MM (24-hour, local).")
    end_time = _text("End, HH:MM, on the same day; absent when the meeting ends after midnight.")
    end_time_next_day = _text(
        "Extension: the end, HH:MM, on the next day, for a meeting past midnight (readers that do "
        "not know it assume 60 minutes)."
    )
    timezone = _text("IANA time zone.")
    types = fields.List(
        _text(),
        metadata={
            "description": "Meeting Guide type codes: as the record's fellowship uses them in a "
            "feed of one fellowship, as the Meeting Guide spec reads them in the feed of all."
        },
    )
    fellowship = _text("Extension: the fellowship (AA, NA, Al-Anon, ...).")
    fellowship_types = fields.List(
        _text(),
        metadata={
            "description": "Extension, in the feed of every fellowship: the codes as the "
            "record's fellowship uses them, when some mean something else in the spec."
        },
    )
    attendance_option = _text("in_person, online, hybrid or inactive (TSML's field).")
    location = _text()
    address = _text()
    city = _text()
    state = _text()
    postal_code = _text()
    country = _text()
    formatted_address = _text()
    approximate = _text('"yes" when the place is only an area, not a street address.')
    stand_in_place = _text(
        'Extension: "yes" when the town is not the meeting\'s own but the area it is listed in '
        "(its group's city or the directory's), for a meeting with no place of its own."
    )
    latitude = fields.Float()
    longitude = fields.Float()
    region = _text()
    conference_url = _text()
    conference_url_notes = _text()
    conference_phone = _text()
    conference_phone_notes = _text()
    notes = _text()
    location_notes = _text()
    group = _text()
    updated = _text("YYYY-MM-DD HH:MM:SS: when the entry was last verified.")
    url = _text("The meeting's page in this directory.")
    languages = fields.List(_text(), metadata={"description": "Extension: ISO 639-1 codes."})
    accessibility = fields.List(
        _text(), metadata={"description": "Extension: the directory's accessibility words."}
    )
    populations = fields.List(
        _text(), metadata={"description": "Extension: who the meeting is for, in our words."}
    )


def flat_dump(schema: Schema) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    """Return a function equal to `schema.dump(records, many=True)` for flat records, in plain
    loops: a national Meeting Guide feed is half a million fields, and marshmallow's general
    path spends about 5 microseconds on each (seconds per feed, in every worker).

    Only a schema of text, whole and decimal numbers and lists of text, read from dict keys with
    no defaults and no hooks, has a plain form; any other gets `schema.dump` itself.
    """
    plan = _flat_plan(schema)
    if plan is None:
        return lambda records: schema.dump(records, many=True)

    def dump(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for record in records:
            row = {}
            for key, name, convert in plan:
                if key in record:
                    value = record[key]
                    row[name] = None if value is None else convert(value)
            out.append(row)
        return out

    return dump


def _text_list(values) -> list[str | None]:
    return [None if v is None else ensure_text_type(v) for v in values]


_PLAIN: dict[type, Callable[[Any], Any]] = {
    fields.String: ensure_text_type,
    fields.Integer: int,
    fields.Float: float,
}


def _flat_plan(schema: Schema) -> list[tuple[str, str, Callable[[Any], Any]]] | None:
    if any(schema._hooks.values()):
        return None
    plan = []
    for name, field in schema.dump_fields.items():
        if field.attribute is not None or field.dump_default is not missing:
            return None
        kind = type(field)
        if kind is fields.List and type(field.inner) is fields.String:
            convert = _text_list
        elif kind in _PLAIN and not getattr(field, "as_string", False):
            convert = _PLAIN[kind]
        else:
            return None
        plan.append((name, field.data_key or name, convert))
    return plan
