"""Plain-words times: tonight, in progress, tomorrow, open until, closed and opens."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from directory.core.availability import describe_when
from directory.core.model import Resource
from directory.core.schedule import Schedule
from directory.referrals.sheet import next_week

PDX = ZoneInfo("America/Los_Angeles")
HOME = "America/Los_Angeles"


def _resource(items, category="meeting", timezone=HOME, **extra):
    return Resource(
        id="r",
        name="R",
        category=category,
        dimensions=("community",),
        timezone=timezone,
        schedule=Schedule.from_items(items, timezone, 60),
        fellowship="AA" if category == "meeting" else None,
        **extra,
    )


MEETING = [{"days": ["sat"], "start": "19:00"}, {"days": ["sun"], "start": "06:30"}]
PANTRY = [{"days": ["tue", "thu"], "start": "09:00", "end": "17:00"}]


@pytest.mark.parametrize(
    ("items", "category", "local", "text", "state"),
    [
        (MEETING, "meeting", (2026, 11, 28, 12, 0), "Tonight 7:00 pm", "upcoming"),
        (MEETING, "meeting", (2026, 11, 28, 19, 5), "In progress, started 5 min ago",
         "in_progress"),
        (MEETING, "meeting", (2026, 11, 28, 21, 0), "Tomorrow 6:30 am", "upcoming"),
        (MEETING, "meeting", (2026, 11, 29, 5, 0), "Today 6:30 am", "upcoming"),
        (MEETING, "meeting", (2026, 11, 29, 8, 0), "Sat 7:00 pm", "upcoming"),
        (PANTRY, "food", (2026, 12, 1, 10, 0), "Open until 5 pm", "open"),
        (PANTRY, "food", (2026, 12, 1, 18, 0), "Closed, opens Thu 9 am", "closed"),
        (PANTRY, "food", (2026, 12, 2, 18, 0), "Closed, opens tomorrow 9 am", "closed"),
        (PANTRY, "food", (2026, 12, 3, 7, 0), "Closed, opens today 9 am", "closed"),
        (
            [{"days": "daily", "start": "00:00", "end": "24:00"}],
            "crisis", (2026, 12, 3, 7, 0), "Open 24 hours", "open",
        ),
        (
            [{"days": ["fri"], "start": "20:00", "end": "02:00"}],
            "food", (2026, 12, 4, 23, 0), "Open until 2 am tomorrow", "open",
        ),
        (
            [{"days": ["mon"], "start": "09:00", "end": "24:00"}],
            "food", (2026, 11, 30, 20, 0), "Open until midnight", "open",
        ),
        (
            [{"days": ["sat"], "start": "00:00"}],
            "meeting", (2026, 11, 27, 23, 30), "Tonight at midnight", "upcoming",
        ),
    ],
)  # fmt: skip
def test_plain_words(items, category, local, text, state):
    at = datetime(*local, tzinfo=PDX)
    when = describe_when(_resource(items, category), at, HOME)
    assert (when.text, when.state, when.zone_note) == (text, state, None)


def test_zone_shown_when_it_differs_from_the_directory():
    resource = _resource([{"days": ["sat"], "start": "20:00"}], timezone="America/New_York")
    at = datetime(2026, 11, 28, 12, 0, tzinfo=PDX)  # 3 pm in New York
    when = describe_when(resource, at, HOME)
    assert (when.text, when.zone_note) == ("Tonight 8:00 pm", "EST")


def test_temporarily_closed_and_unscheduled():
    closed = Resource(
        id="c", name="C", category="food", dimensions=("home",), timezone=HOME,
        status="temporarily-closed",
    )  # fmt: skip
    at = datetime(2026, 11, 28, 12, 0, tzinfo=PDX)
    assert describe_when(closed, at, HOME).text == "Temporarily closed"
    unscheduled = Resource(
        id="u", name="U", category="mat", dimensions=("health",), timezone=HOME,
        hours_notes="By appointment", location=None,
    )  # fmt: skip
    assert describe_when(unscheduled, at, HOME).text == "By appointment"


def test_next_week_lists_seven_days_of_meetings():
    resource = _resource([{"days": "daily", "start": "07:00"}])
    at = datetime(2026, 11, 28, 12, 0, tzinfo=PDX)
    occurrences = next_week(resource, at)
    assert len(occurrences) == 7
    assert occurrences[0].start.day == 29


@pytest.mark.parametrize(
    "local", [(2026, 11, 28, 12, 0), (2026, 11, 28, 19, 5), (2026, 12, 1, 10, 0)]
)
def test_answers_passed_in_give_the_same_words_as_asking(local):
    at = datetime(*local, tzinfo=PDX)
    for resource in (_resource(MEETING), _resource(PANTRY, "food")):
        schedule = resource.schedule
        given = describe_when(
            resource, at, HOME, schedule.current(at), schedule.next_occurrences(at, 3)
        )
        assert given == describe_when(resource, at, HOME)
