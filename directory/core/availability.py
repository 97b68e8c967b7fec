"""When a resource is next available, in plain words, in its own local time."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from directory.core import translation
from directory.core.model import Resource
from directory.core.schedule import Occurrence, format_time
from directory.core.translation import _, capitalized

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
        return When(_("Temporarily closed"), "temporarily_closed")
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
            return When(_started(current.start, at), "in_progress", note)
        if not upcoming:
            return When("", "unscheduled")
        return When(_day_and_time(upcoming[0], local_now), "upcoming", note)
    if schedule.is_always_open():
        return When(_("Open 24 hours"), "open")
    if current is not None:
        until = _short_time(current.end)
        end = current.end
        closes_at_midnight = end.hour == 0 and end.minute == 0
        if end.date() != local_now.date() and not (
            closes_at_midnight and (end.date() - local_now.date()).days == 1
        ):
            days = (end.date() - local_now.date()).days
            if days == 1:
                return When(_("Open until %(time)s tomorrow", time=until), "open", note)
            day = _relative_day(end, local_now)
            return When(_("Open until %(time)s %(day)s", time=until, day=day), "open", note)
        return When(_("Open until %(time)s", time=until), "open", note)
    if not upcoming:
        return When(_("Closed"), "closed")
    return When(_closed_opens(upcoming[0], local_now), "closed", note)


RECENT_START_MINUTES = 90  # "started 20 min ago" up to here; then the clock time


def _started(start: datetime, at: datetime) -> str:
    minutes = int((at - start).total_seconds() // 60)
    if minutes < 1:
        return _("In progress, just started")
    if minutes <= RECENT_START_MINUTES:
        return _("In progress, started %(minutes)s min ago", minutes=minutes)
    return _("In progress, started %(time)s", time=format_time(start))


def _closed_opens(occurrence: Occurrence, local_now: datetime) -> str:
    """Return "Closed, opens today 9 am", "... tomorrow 9 am", "... Tue 9 am"."""
    start = occurrence.start
    time_text = _short_time(start)
    days = (start.date() - local_now.date()).days
    if days == 0:
        if start.hour * 60 + start.minute >= EVENING_STARTS:
            return _("Closed, opens tonight %(time)s", time=time_text)
        return _("Closed, opens today %(time)s", time=time_text)
    if days == 1:
        return _("Closed, opens tomorrow %(time)s", time=time_text)
    return _("Closed, opens %(day)s %(time)s", day=_relative_day(start, local_now), time=time_text)


def day_heading(occurrence: Occurrence, at: datetime, in_progress: bool) -> tuple[str, str]:
    """Return (key, label) of the schedule heading a meeting is listed under, in its own zone:
    ("now", "In progress"), ("0", "Today"), ("1", "Tomorrow"), ("2026-12-08", "Tuesday, Dec 8")."""
    if in_progress:
        return "now", _("In progress")
    start = occurrence.start
    local_now = at.astimezone(start.tzinfo)
    days = (start.date() - local_now.date()).days
    if days == 0:
        return "0", _("Today")
    if days == 1:
        return "1", _("Tomorrow")
    day = translation.day_name(start.isoweekday() % 7)
    label = _("%(day)s, %(date)s", day=day, date=translation.month_day(start))
    return start.date().isoformat(), capitalized(label)


class _InForce:
    """The words of `checked` in the language in force (the sheet passes its own language's)."""

    def text(self, message: str, **values: object) -> str:
        return translation.gettext(message, **values)

    def plural(self, singular: str, plural: str, count: int, **values: object) -> str:
        return translation.ngettext(singular, plural, count, **values)


def checked(last_verified: date | None, today: date, stale_after_days: int, words=None) -> dict:
    """Say how fresh a listing is: {"text": "Checked 3 weeks ago", "stale": False}.

    `words` (text, plural) says it in another language: the referral sheet's SheetWords.
    """
    words = words or _InForce()
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


def _day_and_time(occurrence: Occurrence, local_now: datetime) -> str:
    start = occurrence.start
    time_text = format_time(start)
    days = (start.date() - local_now.date()).days
    if days == 0:
        if start.hour * 60 + start.minute >= EVENING_STARTS:
            return _("Tonight %(time)s", time=time_text)
        return _("Today %(time)s", time=time_text)
    if days == 1 and start.hour == 0 and start.minute == 0:
        return _("Tonight at midnight")  # not "Tomorrow midnight", which reads as a day later
    if days == 1:
        return _("Tomorrow %(time)s", time=time_text)
    return capitalized(_("%(day)s %(time)s", day=_relative_day(start, local_now), time=time_text))


def _relative_day(moment: datetime, local_now: datetime) -> str:
    """Return "Tue" within the week, else "Tue Dec 8" (never today or tomorrow)."""
    days = (moment.date() - local_now.date()).days
    day = translation.day_name(moment.isoweekday() % 7, "abbreviated")
    if days < 7:
        return day
    return _("%(day)s %(date)s", day=day, date=translation.month_day(moment))


def _short_time(moment: datetime) -> str:
    """Return "5 pm" for whole hours and "5:30 pm" otherwise."""
    return SHORT_HOUR.sub("", format_time(moment))


SHORT_HOUR = re.compile(r":00(?=\W)")


def _zone_note(zone: str, home: str, at: datetime) -> str | None:
    if zone == home:
        return None
    local = at.astimezone(ZoneInfo(zone))
    home_local = at.astimezone(ZoneInfo(home))
    if local.utcoffset() == home_local.utcoffset():
        return None
    return local.tzname()
