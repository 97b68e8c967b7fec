"""Search arguments, parsed once at the edge for the pages and the API alike.

The facet filters come from `facets.FACETS`; the same fields document the API (OpenAPI), so the
limits a client reads are the limits enforced. Every message is plain and translated
(`argument_messages`): a person or a program is told in the request's language.
"""

from __future__ import annotations

import functools
from zoneinfo import available_timezones

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates

from directory.core.places import MAX_PLACE_LENGTH
from directory.core.translation import _
from directory.search.argument_messages import plain_messages, validation_message
from directory.search.facets import FACET_KEYS, FACETS, Facet

MAX_QUERY = 2000
MAX_RADIUS_MILES = 500
MAX_VALUES = 20  # values of one filter in a request
RADIUS_CHOICES = (1, 5, 10, 25, 50, 100)  # what the form offers; the API takes any in range
LIMITS = {"q": MAX_QUERY, "near": MAX_PLACE_LENGTH}  # for the forms' maxlength


def _filter_field(facet: Facet) -> fields.List:
    inner = [validate.Length(min=1, max=facet.max_length)]
    if facet.choices:
        inner.append(
            validate.OneOf(facet.choices, error=validation_message("must be one of: {choices}"))
        )
    return fields.List(
        fields.String(validate=inner),
        validate=validate.Length(max=MAX_VALUES, error=validation_message("at most {max} values")),
        metadata={"description": facet.description},
    )


AT_YEARS = (1900, 2200)  # any real question; keeps date arithmetic away from year 1 and 9999


class AwareDateTime(fields.DateTime):
    """An ISO 8601 instant that must carry its offset."""

    def _deserialize(self, value, attr, data, **kwargs):
        result = super()._deserialize(value, attr, data, **kwargs)
        if result.tzinfo is None:
            raise ValidationError(
                _(
                    "must include a UTC offset, like %(example)s",
                    example="2026-11-28T19:00:00-08:00",
                )
            )
        if not AT_YEARS[0] <= result.year <= AT_YEARS[1]:
            raise ValidationError(
                _("must be between the years %(first)s and %(last)s",
                  first=AT_YEARS[0], last=AT_YEARS[1])
            )  # fmt: skip
        return result


class TimeZoneName(fields.String):
    """An IANA time zone name; anything else is ignored (a browser may send what it likes)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if len(text) > 64 or text not in _zones():
            return None
        return text


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


_MINUTES = validation_message("must be between {min} and {max} minutes")


class _SearchArgs(Schema):
    """Query-string arguments of a search."""

    class Meta:
        unknown = EXCLUDE  # stray parameters (utm_*, cache busters) are ignored, not errors

    q = fields.String(
        load_default="",
        validate=validate.Length(max=MAX_QUERY),
        metadata={"description": "What you are looking for, in your own words."},
    )
    near = fields.String(
        validate=validate.Length(max=MAX_PLACE_LENGTH),
        metadata={"description": 'A place: "lat,lon", a ZIP code, "City, ST" or a region.'},
    )
    radius = fields.Float(
        validate=validate.Range(
            min=0, max=MAX_RADIUS_MILES, min_inclusive=False,
            error=validation_message("must be more than 0 and at most {max} miles"),
        ),
        metadata={"description": "Distance limit in miles (needs near).", "exclusiveMinimum": True},
    )  # fmt: skip
    open_now = fields.Boolean(
        load_default=False, metadata={"description": "Only what is open or meeting right now."}
    )
    starting_within = fields.Integer(
        validate=validate.Range(min=1, max=24 * 60, error=_MINUTES),
        metadata={"description": "Meetings starting within this many minutes."},
    )
    happening_within = fields.Integer(
        validate=validate.Range(min=1, max=24 * 60, error=_MINUTES),
        metadata={"description": "In progress now, or starting within this many minutes."},
    )
    day_offset = fields.Integer(
        validate=validate.Range(
            min=0, max=6, error=validation_message("must be between {min} and {max} days")
        ),
        metadata={
            "description": "Meeting this many days after today (0: today, what has not ended), in"
            " the searcher's zone (tz, or the place's) or else each meeting's own."
        },
    )
    at = AwareDateTime(metadata={"description": "The instant to evaluate times at (default now)."})
    tz = TimeZoneName(
        metadata={
            "description": "The searcher's IANA time zone (the page sends the browser's), for "
            '"today" and "tomorrow" when no place is given.'
        }
    )
    sort = fields.String(
        load_default=None,
        validate=validate.OneOf(("relevance", "distance", "soonest")),
        metadata={
            "description": "Best match first, nearest first, or soonest first (a schedule: in"
            " progress, then by next start). Default: soonest for meetings asked at a time or"
            " with no words, nearest with a place and no words, else best match."
        },
    )
    page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=500),
        metadata={"description": "Page number, from 1."},
    )
    per_page = fields.Integer(
        load_default=20,
        validate=validate.Range(
            min=1, max=100, error=validation_message("must be between {min} and {max}")
        ),
        metadata={"description": "Results per page, 1 to 100."},
    )

    @validates("q")
    def _printable(self, value: str, **kwargs):
        if "\x00" in value:
            raise ValidationError(_("must not contain NUL characters"))


# One list field per facet, declared by the facet itself.
SearchArgsSchema = type(
    "SearchArgsSchema",
    (_SearchArgs,),
    {"__doc__": _SearchArgs.__doc__, **{facet.key: _filter_field(facet) for facet in FACETS}},
)


def parse_search_args(args) -> dict:
    """Parse a MultiDict of query arguments; raise ValidationError naming each bad one."""
    data: dict = {}
    for key in args:
        values = [v for v in args.getlist(key) if v != ""]
        if key in FACET_KEYS:
            if values:
                data[key] = values
        elif values:
            data[key] = values[-1]
    return _SCHEMA.load(data)


_SCHEMA = plain_messages(SearchArgsSchema())  # stateless: one instance serves every request
