"""Calendar files (RFC 5545) for meetings: weekly events in each meeting's own timezone."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from directory.core import vocabulary
from directory.core.model import Resource
from directory.core.schedule import Schedule, Window
from directory.core.translation import _
from directory.formats.timezones import clock_changes, vtimezone

RRULE_DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")
PRODID = "-//Recovery Resource Directory//Meetings//EN"


def calendar_for(
    resources: Iterable[Resource],
    url_for: Callable[[Resource], str],
    now: datetime | None = None,
    name: str | None = None,
) -> bytes:
    """Return an .ics file with a weekly event for every meeting time of `resources`.

    `name` makes it a subscription: the calendar's name, and how often to ask again.
    """
    now = now or datetime.now(UTC)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("name", name)  # RFC 7986
        calendar.add("x-wr-calname", name)  # what Apple, Google and Outlook read
        calendar.add("refresh-interval", timedelta(hours=12), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT12H")
    zones: set[str] = set()
    for resource in resources:
        if not resource.is_meeting or resource.schedule is None:
            continue  # opening hours are not appointments
        if resource.attendance == "inactive":
            continue  # temporarily closed, with no way to join from afar
        for event in _events(resource, url_for(resource), now):
            calendar.add_component(event)
            zones.add(resource.timezone)
    for key in sorted(zones):
        # Our own VTIMEZONE, with the IANA rules as RRULEs (see timezones.py): icalendar's
        # lists every change in one multi-valued RDATE, which ical.js misreads.
        calendar.add_component(vtimezone(key, now.year))
    return calendar.to_ical()


def _events(resource: Resource, url: str, now: datetime) -> list[Event]:
    zone = ZoneInfo(resource.timezone)
    local_now = now.astimezone(zone)
    events = []
    for window in resource.schedule.windows:
        # The first date on or after today that falls on the window's weekday (0 = Sunday).
        ahead = (window.day - (local_now.isoweekday() % 7)) % 7
        day = local_now.date() + timedelta(days=ahead)
        midnight = datetime.combine(day, time())  # naive: wall-clock arithmetic, then the zone
        start = (midnight + timedelta(minutes=window.start)).replace(tzinfo=zone)
        end = (midnight + timedelta(minutes=window.end)).replace(tzinfo=zone)
        uid = f"{resource.id}-{RRULE_DAYS[window.day].lower()}-{window.start}@directory"
        event = _event(resource, url, uid, now)
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("rrule", {"freq": "weekly", "byday": RRULE_DAYS[window.day]})
        events.append(event)
        events.extend(_clock_change_overrides(resource, url, uid, window, start, now))
    return events


def _event(resource: Resource, url: str, uid: str, now: datetime) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("summary", resource.name)
    event.add("description", _description(resource, url))
    event.add("url", url)
    where = resource.location.one_line() if resource.location else None
    if resource.location and resource.location.name:
        where = f"{resource.location.name}, {where}" if where else resource.location.name
    if where or (resource.online and resource.online.url):
        event.add("location", where or resource.online.url)
    return event


def _clock_change_overrides(
    resource: Resource, url: str, uid: str, window: Window, first: datetime, now: datetime
) -> list[Event]:
    """Return the occurrences near a change of clocks, each stated in UTC (RECURRENCE-ID).

    Near a change a wall-clock time can happen twice or not at all; RFC 5545 says which, but
    readers differ (ical.js ends a 00:00 to 01:00 meeting on the night clocks go back at the
    second 01:00). These few occurrences are written as exact instants, as the schedule reads
    them (core/schedule.py), so every reader puts them at the same moment.
    """
    out = []
    for nominal, start_utc, end_utc in _override_times(resource.timezone, window, first, now.year):
        override = _event(resource, url, uid, now)
        override.add("recurrence-id", nominal)
        override.add("dtstart", start_utc)
        override.add("dtend", end_utc)
        out.append(override)
    return out


@lru_cache(maxsize=4096)
def _override_times(
    timezone: str, window: Window, first: datetime, year: int
) -> tuple[tuple[datetime, datetime, datetime], ...]:
    """The (nominal start, start, end in UTC) of a weekly window's occurrences near a change of
    clocks: the same for every meeting at that time in that zone, so worked out once (a
    fellowship's calendar has thousands of meetings and a handful of distinct times)."""
    single = Schedule((window,), timezone)
    zone = ZoneInfo(timezone)
    out = []
    for instant, before, after in clock_changes(timezone, year):
        jump = abs(after - before)
        near = single.occurrences_between(instant - timedelta(days=2), instant + timedelta(days=1))
        for occurrence in near:
            start_utc = occurrence.start.astimezone(UTC)
            end_utc = occurrence.end.astimezone(UTC)
            if start_utc < first.astimezone(UTC) or end_utc < instant - jump:
                continue
            if start_utc > instant + jump:
                continue
            day = occurrence.start.astimezone(zone).date()
            nominal = (datetime.combine(day, time()) + timedelta(minutes=window.start)).replace(
                tzinfo=zone
            )
            out.append((nominal, start_utc, end_utc))
    return tuple(out)


def _description(resource: Resource, url: str) -> str:
    lines = []
    if resource.fellowship:
        lines.append(vocabulary.fellowship_name(resource.fellowship))
    if resource.types:
        names = [vocabulary.type_name(resource.fellowship, code) for code in resource.types]
        lines.append(", ".join(names))
    if resource.online and resource.online.url:
        lines.append(_("Join online: %(url)s", url=resource.online.url))
    if resource.online and resource.online.phone:
        lines.append(_("Join by phone: %(number)s", number=resource.online.phone))
    if resource.online and resource.online.notes:
        lines.append(resource.online.notes)
    if resource.location and resource.location.notes:
        lines.append(resource.location.notes)
    lines.append(_("Details and changes: %(url)s", url=url))
    return "\n".join(lines)
