"""The Meeting Guide specification's field rules, as assertions over one feed record."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

HH_MM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
UPDATED = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
FEED_STRINGS = (
    "slug name time end_time timezone location address city state postal_code country "
    "formatted_address region conference_url conference_url_notes conference_phone "
    "conference_phone_notes notes location_notes group updated url approximate"
).split()


def check_meeting_guide_record(record: dict) -> None:
    """Check one record against the Meeting Guide specification's field rules."""
    assert set(record) <= {*FEED_STRINGS, "day", "types", "latitude", "longitude"}
    assert record["name"].strip() and record["slug"]
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", record["slug"])
    for key in FEED_STRINGS:
        if key in record:
            assert isinstance(record[key], str) and record[key] != "", key
    if "day" in record:
        assert isinstance(record["day"], int) and 0 <= record["day"] <= 6
        assert HH_MM.fullmatch(record["time"]) and HH_MM.fullmatch(record["end_time"])
    else:
        assert "time" not in record and "end_time" not in record
    ZoneInfo(record["timezone"])
    assert all(isinstance(t, str) and t for t in record["types"])
    assert "ONL" not in record["types"]
    if "updated" in record:
        assert UPDATED.fullmatch(record["updated"])
    if "latitude" in record:
        assert -90 <= record["latitude"] <= 90 and -180 <= record["longitude"] <= 180
    assert record["url"].startswith("http")
    has_place = "address" in record or "formatted_address" in record
    online = "conference_url" in record or "conference_phone" in record
    assert has_place or online or "TC" in record["types"]
