"""Calendar files: weekly events in the meeting's own timezone that calendar apps accept."""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar

from directory.datafile.load import load_catalog
from directory.formats.icalendar import calendar_for
from tests.conftest import FIXTURES


def _calendar(ids, now):
    catalog = load_catalog(FIXTURES / "minimal.yaml")
    resources = [catalog.by_id(i) for i in ids]
    data = calendar_for(resources, lambda r: f"https://example.org/resources/{r.id}", now)
    return Calendar.from_ical(data)


def test_weekly_events_with_tzid_and_vtimezone():
    now = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)  # Saturday noon in Portland
    calendar = _calendar(["hawthorne-serenity-aa"], now)
    events = calendar.walk("VEVENT")
    assert len(events) == 3  # mon, wed, fri
    starts = sorted(e.decoded("dtstart") for e in events)
    assert [s.strftime("%a %H:%M") for s in starts] == ["Mon 19:00", "Wed 19:00", "Fri 19:00"]
    assert starts[0].date().isoformat() == "2026-11-30"
    assert all(str(s.tzinfo) == "America/Los_Angeles" for s in starts)
    assert {e["rrule"]["byday"][0] for e in events} == {"MO", "WE", "FR"}
    assert all(e["rrule"]["freq"] == ["WEEKLY"] for e in events)
    first = min(events, key=lambda e: e.decoded("dtstart"))
    assert (first.decoded("dtend") - first.decoded("dtstart")).seconds == 3600
    assert "St. Mark's Parish Hall" in str(first["location"])
    assert str(first["url"]) == "https://example.org/resources/hawthorne-serenity-aa"
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["America/Los_Angeles"]
    raw = calendar.to_ical().decode()
    assert "DTSTART;TZID=America/Los_Angeles:20261130T190000" in raw
    assert len({e["uid"] for e in events}) == 3


def test_online_meeting_carries_the_link_and_opening_hours_are_not_events():
    now = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)
    calendar = _calendar(["online-dawn-na", "eastside-bridge-clinic"], now)
    events = calendar.walk("VEVENT")
    assert {str(e["summary"]) for e in events} == {"Dawn Patrol NA"}
    assert len(events) == 7
    assert "https://zoom.us/j/81234567890" in str(events[0]["description"])
    assert str(events[0]["location"]) == "https://zoom.us/j/81234567890"
