"""The plain dump of flat records gives exactly what marshmallow's dump gives."""

from __future__ import annotations

from marshmallow import Schema, fields, post_dump

from directory.core.model import Catalog
from directory.datafile.load import load_catalog
from directory.formats.meeting_guide.write import meeting_guide_feed
from directory.web.api_schemas import MeetingSchema, SearchResponseSchema, flat_dump
from tests.conftest import SAMPLE


def _feeds(catalog: Catalog):
    url = lambda r: f"https://directory.example.org/resources/{r.id}"  # noqa: E731
    yield meeting_guide_feed(catalog, url)
    for fellowship in sorted({r.fellowship for r in catalog.resources if r.fellowship}):
        yield meeting_guide_feed(catalog, url, fellowship)


def test_every_meeting_feed_of_the_sample_dumps_the_same():
    schema = MeetingSchema()
    for feed in _feeds(load_catalog(SAMPLE)):
        assert feed
        assert flat_dump(schema)(feed) == schema.dump(feed, many=True)


HOSTILE = [
    {},
    {"slug": None, "name": None, "day": None, "latitude": None, "types": None},
    {"slug": 7, "name": b"caf\xc3\xa9", "day": "3", "time": 930, "latitude": "45.5"},
    {"longitude": 1, "day": 2.9, "postal_code": 97214},
    {"types": ["O", None, 3, b"S"], "languages": [], "accessibility": ("X",)},
    {"unknown": "dropped", "notes": "<script>alert(1)</script>", "name": "\u202e\ufeff" * 50},
    {"day": True, "latitude": 1e308, "longitude": -0.0, "name": "x" * 100_000},
]


def test_hostile_and_odd_records_dump_the_same():
    schema = MeetingSchema()
    assert flat_dump(schema)(HOSTILE) == schema.dump(HOSTILE, many=True)
    assert flat_dump(schema)([]) == []


def test_a_schema_without_a_plain_form_is_dumped_by_marshmallow():
    class Hooked(Schema):
        name = fields.String()

        @post_dump
        def shout(self, data, **kwargs):
            return {k: v.upper() for k, v in data.items()}

    class Defaulted(Schema):
        name = fields.String(dump_default="none given")
        other = fields.String(data_key="another")

    records = [{"name": "a"}, {"other": "b"}]
    for schema in (Hooked(), Defaulted()):
        assert flat_dump(schema)(records) == schema.dump(records, many=True)
    assert flat_dump(Hooked())(records) == [{"name": "A"}, {}]
    assert flat_dump(Defaulted())(records) == [
        {"name": "a"},
        {"name": "none given", "another": "b"},
    ]
    nested = SearchResponseSchema()
    assert flat_dump(nested)([{"total": 1}]) == nested.dump([{"total": 1}], many=True)
