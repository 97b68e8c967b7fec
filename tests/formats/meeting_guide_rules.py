"""The Meeting Guide specification's field rules, as assertions over one feed record.

With what its readers need beyond the letter of the spec: TSML UI drops a record without
geographic information, builds the end from `end_time` on the start's day, and treats a record
with `approximate: "yes"` as no place to go to.
"""

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
# Ours, documented in formats/meeting_guide/write.py; readers ignore keys they do not know.
EXTENSION_STRINGS = ("fellowship", "end_time_next_day", "attendance_option", "stand_in_place")
EXTENSION_LISTS = ("fellowship_types", "languages", "accessibility", "populations")


def check_meeting_guide_record(record: dict) -> None:
    """Check one record against the Meeting Guide specification's field rules."""
    allowed = {*FEED_STRINGS, *EXTENSION_STRINGS, *EXTENSION_LISTS, "day", "types"}
    assert set(record) <= allowed | {"latitude", "longitude"}, set(record) - allowed
    assert record["name"].strip() and record["slug"]
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", record["slug"])
    for key in (*FEED_STRINGS, *EXTENSION_STRINGS):
        if key in record:
            assert isinstance(record[key], str) and record[key] != "", key
    for key in ("types", *EXTENSION_LISTS):
        if key in record:
            assert isinstance(record[key], list)
            assert all(isinstance(t, str) and t for t in record[key]), key
    if "day" in record:
        assert isinstance(record["day"], int) and 0 <= record["day"] <= 6
        assert HH_MM.fullmatch(record["time"])
        assert ("end_time" in record) != ("end_time_next_day" in record)
        if "end_time" in record:
            # Read on the start's day, as TSML UI does: the end must come after the start.
            assert HH_MM.fullmatch(record["end_time"]) and record["end_time"] > record["time"]
        else:
            assert HH_MM.fullmatch(record["end_time_next_day"])
    else:
        assert not {"time", "end_time", "end_time_next_day"} & set(record)
    ZoneInfo(record["timezone"])
    assert "ONL" not in record["types"]
    if "updated" in record:
        assert UPDATED.fullmatch(record["updated"])
    if "latitude" in record:
        assert -90 <= record["latitude"] <= 90 and -180 <= record["longitude"] <= 180
    assert record["url"].startswith("http")
    # Geographic information on every record, online ones included (the spec; TSML UI).
    assert record.get("formatted_address") or record.get("city") or record.get("address")
    assert record["attendance_option"] in ("in_person", "online", "hybrid", "inactive")
    if record["attendance_option"] == "online" and "TC" not in record["types"]:
        # Only an area: no street to send anyone to, no point to draw on a map.
        assert record["approximate"] == "yes"
        assert "address" not in record and "latitude" not in record
        assert "conference_url" in record or "conference_phone" in record
