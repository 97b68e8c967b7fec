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


# 2027's two changes in the US: 14 March (clocks forward) and 7 November (clocks back).
DST_WEEKS_2027 = [
    (datetime(2027, 3, 10, tzinfo=UTC), datetime(2027, 3, 19, tzinfo=UTC)),
    (datetime(2027, 11, 3, tzinfo=UTC), datetime(2027, 11, 12, tzinfo=UTC)),
]


def _python_occurrences(ics: bytes, start: datetime, end: datetime) -> set[tuple[str, str, str]]:
    """Expand with icalendar and recurring-ical-events, as Python calendar tools do."""
    import recurring_ical_events  # noqa: PLC0415  # why: only these tests use it

    calendar = Calendar.from_ical(ics)
    out = set()
    for event in recurring_ical_events.of(calendar).between(start, end):
        begin, finish = event.decoded("dtstart"), event.decoded("dtend")
        out.add((str(event["uid"]), _utc(begin), _utc(finish)))
    return out


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _expected(resources, start: datetime, end: datetime) -> set[tuple[str, str, str]]:
    """What our own schedule says, instant by instant (core/schedule.py, zoneinfo)."""
    out = set()
    for resource in resources:
        for occurrence in resource.schedule.occurrences_between(start, end):
            minute = occurrence.start.hour * 60 + occurrence.start.minute
            day = ("su", "mo", "tu", "we", "th", "fr", "sa")[occurrence.start.isoweekday() % 7]
            uid = f"{resource.id}-{day}-{minute}@directory"
            out.add((uid, _utc(occurrence.start), _utc(occurrence.end)))
    return out


def test_two_independent_parsers_agree_on_every_instant_across_both_2027_dst_changes(tmp_path):
    from directory.datafile.load import load_catalog  # noqa: PLC0415
    from tests.conftest import SAMPLE  # noqa: PLC0415
    from tests.js_clients import run_node  # noqa: PLC0415

    catalog = load_catalog(SAMPLE)
    meetings = [
        r
        for r in catalog.active()
        if r.is_meeting and r.schedule is not None and r.attendance != "inactive"
    ]
    assert {r.timezone for r in meetings} >= {"America/Los_Angeles", "America/Chicago"}
    ics = calendar_for(meetings, lambda r: f"https://example.org/resources/{r.id}",
                       datetime(2026, 12, 1, tzinfo=UTC))  # fmt: skip
    path = tmp_path / "all.ics"
    path.write_bytes(ics)
    for start, end in DST_WEEKS_2027:
        python = _python_occurrences(ics, start, end)
        mozilla = {tuple(o) for o in run_node("expand-ics.mjs", str(path), _utc(start), _utc(end))}
        assert len(python) > 500  # every meeting time of nine days
        assert mozilla == python
        # Both agree with the schedule itself, so neither is wrong the same way as the other.
        assert python == _expected(meetings, start, end)


def test_vtimezone_states_the_iana_rule_as_yearly_rrules_without_an_end():
    calendar = _calendar(["hawthorne-serenity-aa"], datetime(2026, 11, 28, tzinfo=UTC))
    (zone,) = calendar.walk("VTIMEZONE")
    parts = {c.name: c for c in zone.subcomponents}
    assert set(parts) == {"STANDARD", "DAYLIGHT"}
    assert dict(parts["DAYLIGHT"]["rrule"]) == {
        "FREQ": ["YEARLY"],
        "BYDAY": ["2SU"],
        "BYMONTH": [3],
    }
    assert dict(parts["STANDARD"]["rrule"]) == {
        "FREQ": ["YEARLY"],
        "BYDAY": ["1SU"],
        "BYMONTH": [11],
    }
    assert "RDATE" not in calendar.to_ical().decode()
    assert "UNTIL" not in calendar.to_ical().decode()
