"""When a resource is next available, in plain words, in its own local time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from directory.core.model import Resource
from directory.core.schedule import DAY_LABELS, Occurrence, format_time

EVENING_STARTS = 17 * 60  # after this, "today" reads "tonight"


@dataclass(frozen=True)
class When:
    text: str  # "Tonight 7:00 pm", "In progress, started 6:55 pm", "Open until 5 pm"
    state: str  # in_progress | upcoming | open | closed | unscheduled | temporarily_closed
    zone_note: str | None = None  # "PST" when the resource's zone differs from the directory's


_ASK = object()  # "ask the schedule": the caller has no answers at hand


def describe_when(
    resource: Resource,
    at: datetime,
    home_timezone: str,
    current: Occurrence | None | object = _ASK,
    upcoming: Sequence[Occurrence] | None = None,
) -> When:
    """Describe when `resource` is next on, as seen at `at`.

    A search has already worked out the occurrence in progress and the next ones; pass them as
    `current` and `upcoming` to save asking the schedule again.
    """
    note = _zone_note(resource.timezone, home_timezone, at)
    if resource.status == "temporarily-closed" and resource.attendance == "inactive":
        return When("Temporarily closed", "temporarily_closed")
    schedule = resource.schedule
    if schedule is None:
        return When(resource.hours_notes or "", "unscheduled")
    local_now = at.astimezone(ZoneInfo(resource.timezone))
    if current is _ASK:
        current = schedule.current(at)
        upcoming = None
    if upcoming is None:
        upcoming = schedule.next_occurrences(at, 1) if current is None else ()
    if resource.is_meeting:
        if current is not None:
            return When(f"In progress, {_started(current.start, at)}", "in_progress", note)
        if not upcoming:
            return When("", "unscheduled")
        return When(_day_and_time(upcoming[0], local_now), "upcoming", note)
    if schedule.is_always_open():
        return When("Open 24 hours", "open")
    if current is not None:
        until = _short_time(current.end)
        end = current.end
        closes_at_midnight = end.hour == 0 and end.minute == 0
        if end.date() != local_now.date() and not (
            closes_at_midnight and (end.date() - local_now.date()).days == 1
        ):
            until = f"{until} {_relative_day(end, local_now).lower()}"
        return When(f"Open until {until}", "open", note)
    if not upcoming:
        return When("Closed", "closed")
    opens = _day_and_time(upcoming[0], local_now, short=True)
    if opens.startswith(_RELATIVE_WORDS):  # "today 9 am", but "Tue 9 am" keeps its capital
        opens = opens[0].lower() + opens[1:]
    return When(f"Closed, opens {opens}", "closed", note)


_RELATIVE_WORDS = ("Today", "Tonight", "Tomorrow")
RECENT_START_MINUTES = 90  # "started 20 min ago" up to here; then the clock time


def _started(start: datetime, at: datetime) -> str:
    minutes = int((at - start).total_seconds() // 60)
    if minutes < 1:
        return "just started"
    if minutes <= RECENT_START_MINUTES:
        return f"started {minutes} min ago"
    return f"started {format_time(start)}"


def day_heading(occurrence: Occurrence, at: datetime, in_progress: bool) -> tuple[str, str]:
    """Return (key, label) of the schedule heading a meeting is listed under, in its own zone:
    ("now", "In progress"), ("0", "Today"), ("1", "Tomorrow"), ("2026-12-08", "Tuesday, Dec 8")."""
    if in_progress:
        return "now", "In progress"
    start = occurrence.start
    local_now = at.astimezone(start.tzinfo)
    days = (start.date() - local_now.date()).days
    if days == 0:
        return "0", "Today"
    if days == 1:
        return "1", "Tomorrow"
    return start.date().isoformat(), f"{DAY_LABELS[start.isoweekday() % 7]}, {start:%b} {start.day}"


class _English:
    """The words of `checked`, as written (a translation seam passes its own)."""

    def text(self, message: str, **values: object) -> str:
        return message % values if values else message

    def plural(self, singular: str, plural: str, count: int, **values: object) -> str:
        return self.text(singular if count == 1 else plural, count=count, **values)


def checked(last_verified: date | None, today: date, stale_after_days: int, words=None) -> dict:
    """Say how fresh a listing is: {"text": "Checked 3 weeks ago", "stale": False}.

    `words` (text, plural) says it in another language: the referral sheet's SheetWords.
    """
    words = words or _English()
    if last_verified is None:
        return {"text": words.text("Not checked yet"), "stale": True}
    days = max(0, (today - last_verified).days)
    if days == 0:
        text = words.text("Checked today")
    elif days == 1:
        text = words.text("Checked yesterday")
    elif days < 14:
        text = words.plural("Checked %(count)d day ago", "Checked %(count)d days ago", days)
    elif days < 63:
        text = words.plural("Checked %(count)d week ago", "Checked %(count)d weeks ago", days // 7)
    elif days < 730:
        months = days // 30
        text = words.plural("Checked %(count)d month ago", "Checked %(count)d months ago", months)
    else:
        years = days // 365
        text = words.plural("Checked %(count)d year ago", "Checked %(count)d years ago", years)
    return {"text": text, "stale": days > stale_after_days}


def _day_and_time(occurrence: Occurrence, local_now: datetime, short: bool = False) -> str:
    start = occurrence.start
    time_text = _short_time(start) if short else format_time(start)
    days = (start.date() - local_now.date()).days
    if days == 0:
        word = "Tonight" if start.hour * 60 + start.minute >= EVENING_STARTS else "Today"
        return f"{word} {time_text}"
    if days == 1 and start.hour == 0 and start.minute == 0:
        return "Tonight at midnight"  # not "Tomorrow midnight", which reads as a day later
    return f"{_relative_day(start, local_now)} {time_text}"


def _relative_day(moment: datetime, local_now: datetime) -> str:
    days = (moment.date() - local_now.date()).days
    if days == 0:
        return "Today"
    if days == 1:
        return "Tomorrow"
    label = DAY_LABELS[moment.isoweekday() % 7]
    return label[:3] if days < 7 else f"{label[:3]} {moment:%b} {moment.day}"


def _short_time(moment: datetime) -> str:
    """Return "5 pm" for whole hours and "5:30 pm" otherwise."""
    text = format_time(moment)
    return text.replace(":00 ", " ")


def _zone_note(zone: str, home: str, at: datetime) -> str | None:
    if zone == home:
        return None
    local = at.astimezone(ZoneInfo(zone))
    home_local = at.astimezone(ZoneInfo(home))
    if local.utcoffset() == home_local.utcoffset():
        return None
    return local.tzname()
