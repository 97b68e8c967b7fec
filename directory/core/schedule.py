"""Weekly schedules: meeting times and opening hours, in the resource's own timezone.

A schedule is a set of weekly windows. Each window has a day (the Meeting Guide number,
0 = Sunday .. 6 = Saturday), a start and an end, both wall-clock times in the schedule's IANA
timezone. The end counts minutes from the midnight that starts the window's day, so a window past
midnight has an end above 1440 ("22:00" to "02:00" is start 1320, end 1560) and "00:00" to "24:00"
is start 0, end 1440. A window lasts at most 24 hours.

Reading a window into real instants (an occurrence) follows the clock on the wall:

- A window opens the first time the local clock reads its start time, and closes the first time
  after that the clock reads its end time. Whatever zone a question is asked from (a person in
  Denver looking at a meeting in New York), the answer is about that instant.
- On the night the clocks go back, a repeated time happens once, the first time (PEP 495 `fold=0`):
  a 01:30 meeting starts at 01:30 daylight time. A window that ends in or after the repeated hour
  ends the first time the clock reads its end, so 21:00 to 07:00 lasts 11 hours that night.
- On the night the clocks go forward, a start or end the clock skips happens when the clock
  jumps: a 02:30 to 03:30 meeting runs from 03:00 to 03:30, and a shelter open 21:00 to 07:00
  closes at 07:00 after 9 hours. If the jump swallows a whole window (02:00 to 03:00, or 02:10 to
  02:50), it starts when the clock jumps and keeps its usual length, so it still happens.
- Occurrences are half-open: open from the start instant, closed at the end instant. Windows that
  touch (Monday 00:00-24:00 and Tuesday 00:00-24:00) leave no gap. A repeated window (the same
  day, start and end twice) happens once.
- In the file, an end earlier than the start runs past midnight, "24:00" may only end a window,
  and an end equal to the start is refused (write 00:00 to 24:00 for a whole day).
- "In progress" means started and not yet ended; a grace period for latecomers ("began less than
  10 minutes ago") is the caller's choice: `occurrences_between(now - grace, now)`.

Questions are answered from the local date of the instant, looking only at the windows of that
day and the two days before it; each day's occurrences are computed once and cached, so a search
page can ask about every result.

Datetimes that share a tzinfo compare by wall clock in Python, ignoring DST folds; this module
compares instants in UTC, and callers comparing occurrences should too (or use
`Occurrence.in_progress`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from directory.core import translation
from directory.core.sharing import shared
from directory.core.translation import N_, _, capitalized

DAYS: tuple[str, ...] = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
DAY_LABELS: tuple[str, ...] = (
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
)
# "Mondays": a day in a weekly schedule ("Mondays and Wednesdays, 7:00 pm to 8:00 pm").
DAYS_PLURAL: tuple[str, ...] = (
    N_("Sundays"),
    N_("Mondays"),
    N_("Tuesdays"),
    N_("Wednesdays"),
    N_("Thursdays"),
    N_("Fridays"),
    N_("Saturdays"),
)
DAY_SHORTCUTS: dict[str, tuple[int, ...]] = {
    "daily": (0, 1, 2, 3, 4, 5, 6),
    "weekdays": (1, 2, 3, 4, 5),
    "weekends": (0, 6),
}
# Meeting-finder buckets by start time: (first minute, first minute after); night wraps midnight.
TIME_OF_DAY: dict[str, tuple[int, int]] = {
    "morning": (4 * 60, 12 * 60),
    "midday": (12 * 60, 17 * 60),
    "evening": (17 * 60, 21 * 60),
    "night": (21 * 60, 4 * 60),
}

MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
ITEM_KEYS = ("days", "start", "end")

_DAYS_HELP = "use sun mon tue wed thu fri sat, or daily, weekdays, weekends"
_TIME_HELP = "write a 24-hour time as HH:MM, like 07:00 or 19:30"
_HH_MM = re.compile(r"([0-9]{2}):([0-9]{2})")
_ONE_DIGIT_HOUR = re.compile(r"([0-9]):([0-9]{2})")
_TWELVE_HOUR = re.compile(r"([0-9]{1,2})(?:[:.]([0-9]{2}))?\s*([ap])\.?\s*m\.?", re.IGNORECASE)


def _shown(value: object) -> str:
    """Return `value` quoted for a message, cut short so hostile input cannot flood a report."""
    text = repr(str(value)) if isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_days(value: object) -> tuple[int, ...]:
    """Return the day numbers (0 = Sunday) named by a list of days or a shortcut.

    Accepts a list of day names (`[mon, wed, fri]`), a shortcut (`daily`, `weekdays`,
    `weekends`), or one string of names separated by commas or spaces (`"mon, wed"`), in any case.
    """
    if isinstance(value, str):
        words: list[object] = [w for w in re.split(r"[\s,]+", value) if w]
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        words = list(value)
    elif value is None:
        words = []
    else:
        raise ValueError(f"{_shown(value)} is not a list of days; {_DAYS_HELP}")
    if not words:
        raise ValueError(f"no days given; {_DAYS_HELP}")
    days: set[int] = set()
    seen: set[str] = set()
    for word in words:
        if not isinstance(word, str):
            raise ValueError(f"{_shown(word)} is not a day; {_DAYS_HELP}")
        name = word.strip().lower()
        if name in seen:
            raise ValueError(f"{_shown(word)} is listed twice")
        seen.add(name)
        if name in DAY_SHORTCUTS:
            days.update(DAY_SHORTCUTS[name])
        elif name in DAYS:
            days.add(DAYS.index(name))
        else:
            raise ValueError(f"{_shown(word)} is not a day; {_DAYS_HELP}")
    return tuple(sorted(days))


def parse_time(value: object, *, allow_24: bool = False) -> int:
    """Return minutes after midnight for a 24-hour "HH:MM" time ("24:00" only if `allow_24`)."""
    if isinstance(value, bool) or not isinstance(value, str):
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(
                f'{_shown(value)} is a number, not a time; put times in quotes, like "19:00"'
            )
        raise ValueError(f"{_shown(value)} is not a time; {_TIME_HELP}")
    text = value.strip()
    if not text:
        raise ValueError(f"the time is empty; {_TIME_HELP}")
    match = _HH_MM.fullmatch(text)
    if match is None:
        raise ValueError(_time_hint(value, text))
    hours, minutes = int(match[1]), int(match[2])
    if hours == 24 and minutes == 0:
        if allow_24:
            return MINUTES_PER_DAY
        raise ValueError(f"{_shown(value)} can only end a window; a day starts at 00:00")
    if hours > 23:
        last = "23 (24:00 can end a window)" if allow_24 else "23"
        raise ValueError(f"{_shown(value)} is not a time of day; hours go from 00 to {last}")
    if minutes > 59:
        raise ValueError(f"{_shown(value)} is not a time of day; minutes go from 00 to 59")
    return hours * 60 + minutes


def _time_hint(value: str, text: str) -> str:
    """Return the message for a time not in HH:MM form, with the fix when it can be guessed."""
    one_digit = _ONE_DIGIT_HOUR.fullmatch(text)
    if one_digit:
        return f"{_shown(value)} needs two-digit hours; write 0{text}"
    twelve = _TWELVE_HOUR.fullmatch(text)
    if twelve:
        hours, minutes = int(twelve[1]), int(twelve[2] or 0)
        if 1 <= hours <= 12 and minutes <= 59:
            hours = hours % 12 + (12 if twelve[3].lower() == "p" else 0)
            return f"{_shown(value)} is a 12-hour time; write it as {hours:02d}:{minutes:02d}"
    if text.lower() == "noon":
        return f"{_shown(value)} is not a 24-hour time; write 12:00"
    if text.lower() == "midnight":
        return f"{_shown(value)} is not a 24-hour time; write 00:00 (or 24:00 to end a window)"
    return f"{_shown(value)} is not a 24-hour time; {_TIME_HELP}"


def time_of_day(minute: int) -> str:
    """Return the time-of-day bucket (morning, midday, evening, night) of a minute of the day."""
    minute %= MINUTES_PER_DAY
    for name, (first, after) in TIME_OF_DAY.items():
        if first <= minute < after or (after < first and (minute >= first or minute < after)):
            return name
    raise AssertionError("TIME_OF_DAY covers the whole day")  # pragma: no cover


def hh_mm(minutes: int) -> str:
    """Return minutes after a midnight as a wall-clock "HH:MM" (a window's end may pass 24:00)."""
    hours, mins = divmod(minutes % MINUTES_PER_DAY, 60)
    return f"{hours:02d}:{mins:02d}"


def format_time(value: datetime | time | int) -> str:
    """Return a wall-clock time in plain words: "7:00 pm", "noon", "midnight" (or "7:00 p.m.")."""
    if isinstance(value, datetime | time):
        minute = value.hour * 60 + value.minute
    elif isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{value} is not a number of minutes after midnight")
        minute = value % MINUTES_PER_DAY
    else:
        raise TypeError(f"cannot format {_shown(value)} as a time")
    return translation.clock(minute)


@dataclass(frozen=True)
class Window:
    day: int  # 0 = Sunday .. 6 = Saturday
    start: int  # minutes after local midnight, 0..1439
    end: int  # minutes after the start day's midnight; start < end <= start + 1440

    def __post_init__(self) -> None:
        for name in ("day", "start", "end"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"window {name} must be a whole number, not {_shown(value)}")
        if not 0 <= self.day <= 6:
            raise ValueError(f"window day {self.day} is not 0 (Sunday) to 6 (Saturday)")
        if not 0 <= self.start < MINUTES_PER_DAY:
            raise ValueError(f"window start {self.start} is not a minute of the day (0 to 1439)")
        if not self.start < self.end <= self.start + MINUTES_PER_DAY:
            raise ValueError(
                f"window end {self.end} must come after start {self.start}, within 24 hours"
            )

    @property
    def minutes(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Occurrence:
    start: datetime  # timezone-aware, in the schedule's zone
    end: datetime

    def in_progress(self, at: datetime) -> bool:
        """Return True if `at` falls in [start, end)."""
        return _utc(self.start) <= _utc(at) < _utc(self.end)


@dataclass(frozen=True)
class Schedule:
    windows: tuple[Window, ...]
    timezone: str  # IANA name
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _by_day: tuple[tuple[Window, ...], ...] = field(init=False, repr=False, compare=False)
    _always_open: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        windows = tuple(self.windows)
        if not all(isinstance(w, Window) for w in windows):
            raise ValueError("schedule windows must be Window values")
        # Sorted and without repeats, so equal schedules compare equal and nothing happens twice.
        # Equal windows and day lists are shared between schedules: a large directory holds the
        # same weekly times many times over (core/sharing.py).
        windows = shared(
            tuple(shared(w) for w in sorted(set(windows), key=lambda w: (w.day, w.start, w.end)))
        )
        object.__setattr__(self, "windows", windows)
        object.__setattr__(self, "timezone", shared(self.timezone))
        object.__setattr__(self, "_zone", _zone_named(self.timezone))
        by_day = tuple(shared(tuple(w for w in windows if w.day == day)) for day in range(7))
        object.__setattr__(self, "_by_day", shared(by_day))
        object.__setattr__(self, "_always_open", self._covers_week())

    @classmethod
    def from_items(
        cls,
        items: Iterable[Mapping[str, object]],
        timezone: str,
        default_minutes: int | None = 60,
    ) -> Schedule:
        """Build a schedule from the `schedule:` items of the resource file.

        An item is `{days, start, end}` with days and times as written in the file, or as
        already parsed by `parse_days` / `parse_time` (day numbers, minutes). A missing or None
        end means `start + default_minutes`; with `default_minutes=None` the end is required.
        An end earlier than the start runs past midnight; an end equal to the start is refused
        (write "00:00" to "24:00" for a whole day).
        """
        if isinstance(items, str | bytes | Mapping) or not isinstance(items, Iterable):
            raise ValueError("schedule must be a list of {days, start, end} items")
        if default_minutes is not None and (
            isinstance(default_minutes, bool)
            or not isinstance(default_minutes, int)
            or not 0 < default_minutes <= MINUTES_PER_DAY
        ):
            raise ValueError("default_minutes must be 1 to 1440, or None")
        windows: list[Window] = []
        count = 0
        for count, item in enumerate(items, start=1):
            try:
                windows.extend(_item_windows(item, default_minutes))
            except ValueError as exc:
                raise ValueError(f"item {count}: {exc}") from None
        if count == 0:
            raise ValueError("schedule is empty; leave it out when there are no fixed hours")
        return cls(tuple(windows), timezone)

    # Questions about instants.

    def is_open(self, at: datetime) -> bool:
        """Return True if an occurrence is in progress at `at` (any aware datetime)."""
        return self.current(at) is not None

    def current(self, at: datetime) -> Occurrence | None:
        """Return the occurrence in progress at `at`, the one ending last if several overlap."""
        moment = _utc(at)
        today = moment.astimezone(self._zone).date()
        found: _Timed | None = None
        # A window lasts at most a day, so only today's and yesterday's can reach `at`; the day
        # before that is there for zones whose clocks once skipped a whole day (Pacific/Apia).
        for day in (today - timedelta(days=2), today - timedelta(days=1), today):
            for timed in _occurrences_on(self, day):
                if timed.start <= moment < timed.end and (
                    found is None or (timed.end, found.start) > (found.end, timed.start)
                ):
                    found = timed  # ends last, then started first
        return found.occurrence if found else None

    def next_occurrences(self, after: datetime, n: int = 3) -> list[Occurrence]:
        """Return the next `n` occurrences starting at or after `after`, in order."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be a whole number of at least 0, not {_shown(n)}")
        moment = _utc(after)
        if n == 0 or not self.windows:
            return []
        found: list[_Timed] = []
        first = moment.astimezone(self._zone).date() - timedelta(days=1)
        days = _dates_from(first)
        # Every window happens every week, so the loop ends within n + 1 weeks; one more day
        # after reaching n keeps ties across midnight in order.
        for day in days:
            found.extend(t for t in _occurrences_on(self, day) if t.start >= moment)
            if len(found) >= n:
                found.extend(t for t in _occurrences_on(self, next(days)) if t.start >= moment)
                break
        return [timed.occurrence for timed in sorted(found, key=_instants)[:n]]

    def occurrences_between(self, start: datetime, end: datetime) -> list[Occurrence]:
        """Return the occurrences starting in [start, end), in order."""
        return [
            timed.occurrence for timed in sorted(self._starting_between(start, end), key=_instants)
        ]

    def starts_between(self, start: datetime, end: datetime) -> bool:
        """Return True if an occurrence starts in [start, end)."""
        return next(self._starting_between(start, end), None) is not None

    # Questions about the week.

    def is_always_open(self) -> bool:
        """Return True if the windows cover the whole week (open 24/7)."""
        return self._always_open

    def _covers_week(self) -> bool:
        covered = 0
        for first, after in _week_pieces(self.weekly_minutes()):
            if first > covered:
                return False
            covered = max(covered, after)
        return covered >= MINUTES_PER_WEEK

    def weekly_minutes(self) -> list[tuple[int, int]]:
        """Return the windows as (start, end) minutes after Sunday 00:00; an end may pass 10080."""
        return [
            (w.day * MINUTES_PER_DAY + w.start, w.day * MINUTES_PER_DAY + w.end)
            for w in self.windows
        ]

    def describe(self) -> list[str]:
        """Return the weekly times in plain words, one line per group of days."""
        if not self.windows:
            return []
        if self.is_always_open():
            return [_("Every day, open 24 hours")]
        days_by_times: dict[tuple[int, int], set[int]] = {}
        for w in self.windows:
            days_by_times.setdefault((w.start, w.end), set()).add(w.day)
        times_by_days: dict[frozenset[int], list[tuple[int, int]]] = {}
        for times, days in days_by_times.items():
            times_by_days.setdefault(frozenset(days), []).append(times)
        lines = []
        for days, times in times_by_days.items():
            label, first_day = _describe_days(days)
            spans = _join([_describe_times(start, end) for start, end in sorted(times)])
            line = _("%(days)s, %(times)s", days=label, times=spans)
            lines.append(((first_day, min(times)), capitalized(line)))
        return [line for _, line in sorted(lines)]

    # Reading windows into instants.

    def _starting_between(self, start: datetime, end: datetime) -> Iterator[_Timed]:
        first, after = _utc(start), _utc(end)
        if after <= first:
            return
        day = first.astimezone(self._zone).date() - timedelta(days=2)
        last = after.astimezone(self._zone).date() + timedelta(days=1)
        while day <= last:
            for timed in _occurrences_on(self, day):
                if first <= timed.start < after:
                    yield timed
            day += timedelta(days=1)

    def _first_reading(self, wall: datetime) -> datetime:
        """Return the first instant the local clock reads `wall`, or jumps past it."""
        early = wall.replace(tzinfo=self._zone)
        before = early.utcoffset()
        after = wall.replace(tzinfo=self._zone, fold=1).utcoffset()
        assert before is not None and after is not None  # ZoneInfo always has an offset
        if before >= after:  # an ordinary time, or a repeated one whose first reading is fold=0
            return early
        # The clock skips `wall`: find the second it jumps, between the two possible readings.
        low = int((wall - after).replace(tzinfo=UTC).timestamp())  # still on the old offset
        high = int((wall - before).replace(tzinfo=UTC).timestamp())  # already on the new one
        while high - low > 1:
            middle = (low + high) // 2
            if datetime.fromtimestamp(middle, self._zone).utcoffset() == before:
                low = middle
            else:
                high = middle
        return datetime.fromtimestamp(high, self._zone)


class _Timed(NamedTuple):
    """An occurrence with its instants in UTC, which order correctly (wall clocks may not)."""

    start: datetime
    end: datetime
    occurrence: Occurrence


@lru_cache(maxsize=8192)  # a search page asks about the same resources and days again and again
def _occurrences_on(schedule: Schedule, day: date) -> tuple[_Timed, ...]:
    """Return the occurrences of the windows of local date `day`, in order."""
    midnight = datetime.combine(day, time())
    found = []
    for w in schedule._by_day[day.isoweekday() % 7]:
        start = schedule._first_reading(midnight + timedelta(minutes=w.start))
        end = schedule._first_reading(midnight + timedelta(minutes=w.end))
        start_utc, end_utc = _utc(start), _utc(end)
        if end_utc <= start_utc:
            # The clock skipped the whole window: it happens at the jump, at its usual length.
            end_utc = start_utc + timedelta(minutes=w.minutes)
            end = end_utc.astimezone(schedule._zone)
        found.append(_Timed(start_utc, end_utc, Occurrence(start, end)))
    return tuple(sorted(found, key=_instants))


def _instants(timed: _Timed) -> tuple[datetime, datetime]:
    return timed.start, timed.end  # two windows a skipped hour swallows may share both


def _item_windows(item: object, default_minutes: int | None) -> list[Window]:
    """Return the windows of one schedule item, raising ValueError with the field at fault."""
    if not isinstance(item, Mapping):
        raise ValueError(f"{_shown(item)} is not a mapping of days, start and end")
    for key in item:
        if key not in ITEM_KEYS:
            raise ValueError(f"unknown key {_shown(key)}; an item has days, start and end")
    for key in ("days", "start"):
        if item.get(key) is None:
            raise ValueError(f"{key}: missing")
    days = _field("days", _days_of, item["days"])
    start = _field("start", _minute_of, item["start"], allow_24=False)
    if item.get("end") is None:
        if default_minutes is None:
            raise ValueError("end: missing; opening hours need an end time")
        end = start + default_minutes
    else:
        end = _field("end", _minute_of, item["end"], allow_24=True)
        if end == start:
            raise ValueError("end: the same as start; for a whole day write start 00:00, end 24:00")
        if end < start:
            end += MINUTES_PER_DAY  # runs past midnight
    return [Window(day, start, end) for day in days]


def _field(name: str, parse, value: object, **options) -> object:
    try:
        return parse(value, **options)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def _days_of(value: object) -> tuple[int, ...]:
    """Return day numbers from file text, or from numbers `parse_days` already returned."""
    if (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and value
        and all(isinstance(d, int) and not isinstance(d, bool) for d in value)
    ):
        if not all(0 <= d <= 6 for d in value):
            raise ValueError(f"day numbers go from 0 (Sunday) to 6 (Saturday), not {list(value)}")
        return tuple(sorted(set(value)))
    return parse_days(value)


def _minute_of(value: object, *, allow_24: bool) -> int:
    """Return minutes from file text, or from minutes `parse_time` already returned."""
    if isinstance(value, int) and not isinstance(value, bool):
        last = MINUTES_PER_DAY if allow_24 else MINUTES_PER_DAY - 1
        if not 0 <= value <= last:
            raise ValueError(f"{value} is not a minute of the day (0 to {last})")
        return value
    return parse_time(value, allow_24=allow_24)


def _zone_named(name: object) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise ValueError(f"{_shown(name)} is not an IANA timezone name, like America/New_York")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"{_shown(name)} is not a known IANA timezone name, like America/New_York"
        ) from None


def _utc(moment: datetime) -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"expected a datetime, not {_shown(moment)}")
    if moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no timezone; pass an aware datetime")
    return moment.astimezone(UTC)


def _dates_from(first: date) -> Iterator[date]:
    day = first
    while True:
        yield day
        day += timedelta(days=1)


def _week_pieces(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Return minute-of-week spans cut at the end of the week, sorted."""
    pieces = []
    for first, after in spans:
        pieces.append((first, min(after, MINUTES_PER_WEEK)))
        if after > MINUTES_PER_WEEK:
            pieces.append((0, after - MINUTES_PER_WEEK))
    return sorted(pieces)


def _describe_days(days: frozenset[int]) -> tuple[str, int]:
    """Return plain words for a set of days, and the day the words start with."""
    if len(days) == 7:
        return _("Every day"), 0
    if days == frozenset(DAY_SHORTCUTS["weekdays"]):
        return _("Weekdays"), 1
    if days == frozenset(DAY_SHORTCUTS["weekends"]):
        return _("Weekends"), 6
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    if len(runs) > 1 and runs[0][0] == 0 and runs[-1][-1] == 6:
        runs[0] = runs.pop() + runs[0]  # Saturday into Sunday is one run
    runs.sort(key=lambda run: run[0])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            first, last = translation.day_name(run[0]), translation.day_name(run[-1])
            parts.append(_("%(first)s to %(last)s", first=first, last=last))
        else:
            parts.extend(_(DAYS_PLURAL[day]) for day in run)
    return _join(parts), runs[0][0]


def _describe_times(start: int, end: int) -> str:
    if start == 0 and end == MINUTES_PER_DAY:
        return _("open 24 hours")
    if end - start == MINUTES_PER_DAY:
        return _("24 hours from %(time)s", time=format_time(start))
    return _("%(start)s to %(end)s", start=format_time(start), end=format_time(end))


def _join(parts: list[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    return _("%(first)s and %(last)s", first=", ".join(parts[:-1]), last=parts[-1])
