"""VTIMEZONE blocks (RFC 5545) written from the IANA rules, as calendar programs read them.

A VTIMEZONE that lists every change as one multi-valued `RDATE` is valid but misread: Mozilla's
ical.js (Thunderbird, many web calendars) applies only the first value, putting every summer
meeting an hour off. The IANA data says how a zone changes from now on in the POSIX TZ string
at the end of each TZif file (`PST8PDT,M3.2.0,M11.1.0`: second Sunday of March, first Sunday
of November). That becomes one `STANDARD` and one `DAYLIGHT` sub-component, each with a yearly
`RRULE` and no end, which every reader expands the same way.

The rule is checked against Python's own reading of the zone for the coming years; a zone
whose changes follow no yearly rule (Morocco's Ramadan changes, a rule with a time the RRULE
cannot say) gets one sub-component per change instead, each with its own `DTSTART`, for the
years `SPAN_YEARS` ahead, after which its last offset holds.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from importlib import resources as package_files
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

SPAN_YEARS = 10  # how far ahead a zone's changes are checked (and listed, for irregular zones)
RULE_START_YEAR = 1970  # the usual DTSTART of a rule; readers expand from it to any later date
RRULE_DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")
# A POSIX TZ string: std offset [dst [offset] [,start[/time],end[/time]]] (names may be <+03>).
_NAME = r"(?:<[^>]+>|[A-Za-z]{3,})"
_OFFSET = r"[+-]?\d{1,3}(?::\d{2}){0,2}"
_TZ = re.compile(
    rf"^(?P<std>{_NAME})(?P<stdoff>{_OFFSET})"
    rf"(?:(?P<dst>{_NAME})(?P<dstoff>{_OFFSET})?"
    rf",M(?P<sm>\d+)\.(?P<sw>\d)\.(?P<sd>\d)(?:/(?P<st>{_OFFSET}))?"
    rf",M(?P<em>\d+)\.(?P<ew>\d)\.(?P<ed>\d)(?:/(?P<et>{_OFFSET}))?)?$"
)


@dataclass(frozen=True)
class Change:
    """A yearly change of offset: month, week (5 = last), weekday (0 = Sunday), local time."""

    month: int
    week: int
    weekday: int
    seconds: int  # after local midnight, in the offset before the change

    def on(self, year: int) -> datetime:
        """Return the local wall-clock moment of this change in a year (before it happens)."""
        if self.week == 5:
            following = date(year + self.month // 12, self.month % 12 + 1, 1)
            last = following - timedelta(days=1)
            day = last - timedelta(days=(last.isoweekday() % 7 - self.weekday) % 7)
        else:
            first = date(year, self.month, 1)
            day = first + timedelta(days=(self.weekday - first.isoweekday() % 7) % 7)
            day += timedelta(weeks=self.week - 1)
        return datetime(day.year, day.month, day.day) + timedelta(seconds=self.seconds)

    def rrule(self) -> dict:
        week = -1 if self.week == 5 else self.week
        day = f"{week}{RRULE_DAYS[self.weekday]}"
        return {"freq": "yearly", "bymonth": self.month, "byday": day}


@dataclass(frozen=True)
class Rule:
    """A zone's offsets from now on: standard, and daylight with its two yearly changes."""

    std_name: str
    std_offset: timedelta  # east of UTC
    dst_name: str | None = None
    dst_offset: timedelta | None = None
    to_dst: Change | None = None
    to_std: Change | None = None


def _seconds(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")] + [0, 0]
    return sign * (parts[0] * 3600 + parts[1] * 60 + parts[2])


def parse_posix_tz(text: str) -> Rule | None:
    """Return the Rule of a POSIX TZ string, or None when an RRULE cannot say it."""
    match = _TZ.match(text.strip())
    if match is None:
        return None
    std_offset = timedelta(seconds=-_seconds(match["stdoff"]))  # POSIX counts west of UTC
    if not match["dst"]:
        return Rule(match["std"].strip("<>"), std_offset)
    dst_offset = (
        timedelta(seconds=-_seconds(match["dstoff"]))
        if match["dstoff"]
        else std_offset + timedelta(hours=1)
    )
    changes = []
    for month, week, day, at in (("sm", "sw", "sd", "st"), ("em", "ew", "ed", "et")):
        seconds = _seconds(match[at]) if match[at] else 2 * 3600
        if not 0 <= seconds < 24 * 3600:
            return None  # "the day before at 23:00" is no BYDAY an RRULE can state
        changes.append(Change(int(match[month]), int(match[week]), int(match[day]), seconds))
    return Rule(
        match["std"].strip("<>"), std_offset, match["dst"].strip("<>"), dst_offset, *changes
    )


def _tzif(key: str) -> bytes | None:
    for folder in zoneinfo.TZPATH:
        path = Path(folder) / key
        if path.is_file():
            return path.read_bytes()
    try:
        return package_files.files("tzdata.zoneinfo").joinpath(key).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return None


def zone_rule(key: str) -> Rule | None:
    """Return the rule the IANA data gives a zone from now on (its TZif footer), if any."""
    data = _tzif(key)
    if not data or not data.startswith(b"TZif") or not data.endswith(b"\n"):
        return None
    footer = data.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    try:
        return parse_posix_tz(footer.decode("ascii"))
    except UnicodeDecodeError:
        return None


Transition = tuple[datetime, timedelta, timedelta]  # UTC instant, offset before, offset after


def transitions(key: str, start: datetime, end: datetime) -> list[Transition]:
    """Return each change of a zone's offset between two instants: (UTC instant, before, after)."""
    zone = ZoneInfo(key)
    out = []
    step = timedelta(hours=6)
    moment, offset = start, start.astimezone(zone).utcoffset()
    while moment < end:
        after = moment + step
        new = after.astimezone(zone).utcoffset()
        if new != offset:
            low, high = moment, after  # bisect to the second the offset changes
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            out.append((high.replace(microsecond=0), offset, new))
            offset = new
        moment = after
    return out


def _predicted(rule: Rule, years: range) -> list[Transition]:
    if rule.to_dst is None:
        return []
    out = []
    for year in years:
        for change, before, after in (
            (rule.to_dst, rule.std_offset, rule.dst_offset),
            (rule.to_std, rule.dst_offset, rule.std_offset),
        ):
            out.append(((change.on(year) - before).replace(tzinfo=UTC), before, after))
    return sorted(out)


@lru_cache(maxsize=64)
def clock_changes(key: str, year: int) -> tuple[Transition, ...]:
    """Return a zone's changes of offset from the start of `year`, for SPAN_YEARS years."""
    start = datetime(year, 1, 1, tzinfo=UTC)
    return tuple(transitions(key, start, datetime(year + SPAN_YEARS, 1, 1, tzinfo=UTC)))


@lru_cache(maxsize=64)
def vtimezone(key: str, year: int | None = None) -> Timezone:
    """Return the VTIMEZONE of an IANA zone: yearly RRULEs when its rule says it all."""
    year = year or datetime.now(UTC).year
    start = datetime(year, 1, 1, tzinfo=UTC)
    actual = list(clock_changes(key, year))
    rule = zone_rule(key)
    if rule is not None and _predicted(rule, range(year, year + SPAN_YEARS)) == actual:
        return _rule_timezone(key, rule, start)
    return _listed_timezone(key, start, actual)


def _rule_timezone(key: str, rule: Rule, start: datetime) -> Timezone:
    timezone = Timezone()
    timezone.add("tzid", key)
    if rule.to_dst is None:
        offset = start.astimezone(ZoneInfo(key)).utcoffset()
        timezone.add_component(
            _sub(TimezoneStandard(), rule.std_name, datetime(RULE_START_YEAR, 1, 1), offset, offset)
        )
        return timezone
    daylight = _sub(
        TimezoneDaylight(),
        rule.dst_name,
        rule.to_dst.on(RULE_START_YEAR),
        rule.std_offset,
        rule.dst_offset,
    )
    daylight.add("rrule", rule.to_dst.rrule())
    standard = _sub(
        TimezoneStandard(),
        rule.std_name,
        rule.to_std.on(RULE_START_YEAR),
        rule.dst_offset,
        rule.std_offset,
    )
    standard.add("rrule", rule.to_std.rrule())
    timezone.add_component(standard)
    timezone.add_component(daylight)
    return timezone


def _listed_timezone(key: str, start: datetime, changes: list[Transition]) -> Timezone:
    zone = ZoneInfo(key)
    timezone = Timezone()
    timezone.add("tzid", key)
    offset = start.astimezone(zone).utcoffset()
    first = start.astimezone(zone)
    timezone.add_component(
        _sub(TimezoneStandard(), first.tzname(), first.replace(tzinfo=None), offset, offset)
    )
    for instant, before, after in changes:
        local = (instant + before).replace(tzinfo=None)
        name = instant.astimezone(zone).tzname()
        kind = TimezoneDaylight() if instant.astimezone(zone).dst() else TimezoneStandard()
        timezone.add_component(_sub(kind, name, local, before, after))
    return timezone


def _sub(component, name: str | None, local_start: datetime, before: timedelta, after: timedelta):
    component.add("dtstart", local_start)
    component.add("tzoffsetfrom", before)
    component.add("tzoffsetto", after)
    if name:
        component.add("tzname", name)
    return component
