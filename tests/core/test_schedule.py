"""Tests for directory.core.schedule: parsing, wording, fixed instants, and a brute-force oracle."""

from __future__ import annotations

import bisect
from datetime import UTC, datetime, time, timedelta
from functools import cache
from itertools import accumulate
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.core.schedule import (
    DAY_LABELS,
    DAY_SHORTCUTS,
    DAYS,
    TIME_OF_DAY,
    Occurrence,
    Schedule,
    Window,
    format_time,
    parse_days,
    parse_time,
    time_of_day,
)

LA = ZoneInfo("America/Los_Angeles")
NY = ZoneInfo("America/New_York")
DENVER = ZoneInfo("America/Denver")
H = timedelta(hours=1)


def at(zone: ZoneInfo, *parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=zone, fold=fold)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def spans(occurrences: list[Occurrence]) -> list[tuple[datetime, datetime]]:
    """Return occurrences as UTC pairs, which compare as instants (not as wall clocks)."""
    return [(utc(o.start), utc(o.end)) for o in occurrences]


# Constants


def test_day_tables_agree_with_meeting_guide_numbers():
    assert DAYS[0] == "sun" and DAYS[6] == "sat" and len(DAYS) == 7
    assert DAY_LABELS[0] == "Sunday" and DAY_LABELS[3] == "Wednesday"
    assert DAY_SHORTCUTS == {
        "daily": (0, 1, 2, 3, 4, 5, 6),
        "weekdays": (1, 2, 3, 4, 5),
        "weekends": (0, 6),
    }
    assert list(TIME_OF_DAY) == ["morning", "midday", "evening", "night"]


# Parsing days


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["mon", "wed", "fri"], (1, 3, 5)),
        (["fri", "mon"], (1, 5)),
        (["sun"], (0,)),
        ("daily", (0, 1, 2, 3, 4, 5, 6)),
        ("weekdays", (1, 2, 3, 4, 5)),
        ("weekends", (0, 6)),
        ("sat", (6,)),
        ("mon, wed fri", (1, 3, 5)),
        (["Mon", " TUE "], (1, 2)),
        (("weekdays", "sat"), (1, 2, 3, 4, 5, 6)),
    ],
)
def test_parse_days_accepts(value, expected):
    assert parse_days(value) == expected


HELP = "use sun mon tue wed thu fri sat, or daily, weekdays, weekends"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["tues"], f"'tues' is not a day; {HELP}"),
        ("tues", f"'tues' is not a day; {HELP}"),
        (["monday"], f"'monday' is not a day; {HELP}"),
        ("mon-fri", f"'mon-fri' is not a day; {HELP}"),
        ([1], f"1 is not a day; {HELP}"),
        ([True], f"True is not a day; {HELP}"),
        ([None], f"None is not a day; {HELP}"),
        ([["mon"]], f"['mon'] is not a day; {HELP}"),
        ([], f"no days given; {HELP}"),
        ("", f"no days given; {HELP}"),
        (" , ", f"no days given; {HELP}"),
        (None, f"no days given; {HELP}"),
        (3, f"3 is not a list of days; {HELP}"),
        ({"mon": 1}, f"{{'mon': 1}} is not a list of days; {HELP}"),
        (b"mon", f"b'mon' is not a list of days; {HELP}"),
        (["mon", "mon"], "'mon' is listed twice"),
        (["x" * 500], f"'{'x' * 36}... is not a day; {HELP}"),
    ],
)
def test_parse_days_rejects_with_a_message_to_act_on(value, message):
    with pytest.raises(ValueError) as caught:
        parse_days(value)
    assert str(caught.value) == message


# Parsing times


@pytest.mark.parametrize(
    ("value", "expected"),
    [("00:00", 0), ("07:05", 425), ("12:00", 720), ("19:00", 1140), ("23:59", 1439)],
)
def test_parse_time_accepts_24_hour_times(value, expected):
    assert parse_time(value) == expected
    assert parse_time(value, allow_24=True) == expected


def test_parse_time_allows_24_00_only_as_an_end():
    assert parse_time("24:00", allow_24=True) == 1440
    with pytest.raises(ValueError, match="'24:00' can only end a window"):
        parse_time("24:00")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("25:00", "'25:00' is not a time of day; hours go from 00 to 23"),
        ("24:30", "'24:30' is not a time of day; hours go from 00 to 23"),
        ("19:60", "'19:60' is not a time of day; minutes go from 00 to 59"),
        ("7pm", "'7pm' is a 12-hour time; write it as 19:00"),
        ("8:30 PM", "'8:30 PM' is a 12-hour time; write it as 20:30"),
        ("12am", "'12am' is a 12-hour time; write it as 00:00"),
        ("12 p.m.", "'12 p.m.' is a 12-hour time; write it as 12:00"),
        ("7:00", "'7:00' needs two-digit hours; write 07:00"),
        ("noon", "'noon' is not a 24-hour time; write 12:00"),
        ("midnight", "'midnight' is not a 24-hour time; write 00:00 (or 24:00 to end a window)"),
        ("", "the time is empty; write a 24-hour time as HH:MM, like 07:00 or 19:30"),
        ("   ", "the time is empty; write a 24-hour time as HH:MM, like 07:00 or 19:30"),
        ("19:00:00", "'19:00:00' is not a 24-hour time; write a 24-hour time as HH:MM"),
        ("1900", "'1900' is not a 24-hour time; write a 24-hour time as HH:MM"),
        ("13pm", "'13pm' is not a 24-hour time; write a 24-hour time as HH:MM"),
        ("１９:００", "'１９:００' is not a 24-hour time"),  # full-width digits
        ("-1:00", "'-1:00' is not a 24-hour time"),
        (1900, '1900 is a number, not a time; put times in quotes, like "19:00"'),
        (19.5, '19.5 is a number, not a time; put times in quotes, like "19:00"'),
        (True, "True is not a time; write a 24-hour time as HH:MM"),
        (None, "None is not a time; write a 24-hour time as HH:MM"),
        (time(19, 0), "datetime.time(19, 0) is not a time; write a 24-hour time"),
    ],
)
def test_parse_time_rejects_with_a_message_to_act_on(value, message):
    with pytest.raises(ValueError) as caught:
        parse_time(value, allow_24=False)
    assert str(caught.value).startswith(message)


def test_parse_time_says_24_00_may_end_a_window_when_it_may():
    with pytest.raises(ValueError, match=r"hours go from 00 to 23 \(24:00 can end a window\)"):
        parse_time("24:01", allow_24=True)


def test_parse_time_ignores_surrounding_space():
    assert parse_time(" 19:00\n") == 1140


# Time of day and formatting


@pytest.mark.parametrize(
    ("minute", "bucket"),
    [
        (0, "night"),
        (239, "night"),
        (240, "morning"),
        (719, "morning"),
        (720, "midday"),
        (1019, "midday"),
        (1020, "evening"),
        (1259, "evening"),
        (1260, "night"),
        (1439, "night"),
        (1440 + 300, "morning"),  # an end past midnight
    ],
)
def test_time_of_day_buckets(minute, bucket):
    assert time_of_day(minute) == bucket


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (0, "midnight"),
        (1440, "midnight"),
        (720, "noon"),
        (1140, "7:00 pm"),
        (5, "12:05 am"),
        (725, "12:05 pm"),
        (570, "9:30 am"),
        (1530, "1:30 am"),
        (time(19, 45), "7:45 pm"),
        (at(NY, 2026, 5, 4, 7, 0), "7:00 am"),
        (at(NY, 2026, 5, 4, 12, 0, 59), "noon"),
    ],
)
def test_format_time_in_plain_words(value, words):
    assert format_time(value) == words


@pytest.mark.parametrize("value", [True, "19:00", 19.0, None])
def test_format_time_rejects_what_is_not_a_time(value):
    with pytest.raises(TypeError, match="cannot format"):
        format_time(value)


def test_format_time_rejects_negative_minutes():
    with pytest.raises(ValueError, match="not a number of minutes"):
        format_time(-1)


# Building schedules


def test_from_items_reads_the_spec_example():
    schedule = Schedule.from_items(
        [
            {"days": ["mon", "wed", "fri"], "start": "19:00", "end": "20:00"},
            {"days": ["sat"], "start": "10:00"},
            {"days": "daily", "start": "00:00", "end": "24:00"},
        ],
        "America/Los_Angeles",
    )
    assert Window(1, 1140, 1200) in schedule.windows
    assert Window(6, 600, 660) in schedule.windows  # a meeting with no end lasts an hour
    assert Window(3, 0, 1440) in schedule.windows
    assert schedule.timezone == "America/Los_Angeles"


def test_from_items_runs_an_earlier_end_past_midnight():
    schedule = Schedule.from_items([{"days": ["fri"], "start": "22:00", "end": "02:00"}], "UTC")
    assert schedule.windows == (Window(5, 1320, 1560),)


def test_from_items_accepts_values_already_parsed():
    raw = Schedule.from_items([{"days": "weekdays", "start": "09:00", "end": "17:00"}], "UTC")
    parsed = Schedule.from_items([{"days": (1, 2, 3, 4, 5), "start": 540, "end": 1020}], "UTC")
    assert raw == parsed


def test_from_items_treats_a_none_end_as_missing():
    schedule = Schedule.from_items(
        [{"days": ["sat"], "start": "23:30", "end": None}], "UTC", default_minutes=90
    )
    assert schedule.windows == (Window(6, 1410, 1500),)


def test_schedules_are_canonical_values():
    first = Schedule((Window(3, 60, 120), Window(1, 60, 120), Window(1, 60, 120)), "UTC")
    second = Schedule((Window(1, 60, 120), Window(3, 60, 120)), "UTC")
    assert first == second and hash(first) == hash(second)
    assert first.windows == (Window(1, 60, 120), Window(3, 60, 120))


@pytest.mark.parametrize(
    ("items", "options", "message"),
    [
        ("mon 19:00", {}, "schedule must be a list"),
        ({"days": "mon", "start": "19:00"}, {}, "schedule must be a list"),
        (None, {}, "schedule must be a list"),
        ([], {}, "schedule is empty; leave it out when there are no fixed hours"),
        (["mon 19:00"], {}, "item 1: 'mon 19:00' is not a mapping of days, start and end"),
        (
            [{"days": "mon", "start": "19:00"}, {"day": "tue", "start": "19:00"}],
            {},
            "item 2: unknown key 'day'; an item has days, start and end",
        ),
        ([{"start": "19:00"}], {}, "item 1: days: missing"),
        ([{"days": "mon"}], {}, "item 1: start: missing"),
        ([{"days": "mon", "start": None}], {}, "item 1: start: missing"),
        ([{"days": ["tues"], "start": "19:00"}], {}, f"item 1: days: 'tues' is not a day; {HELP}"),
        ([{"days": [7], "start": "19:00"}], {}, "item 1: days: day numbers go from 0"),
        ([{"days": "mon", "start": "7pm"}], {}, "item 1: start: '7pm' is a 12-hour time"),
        ([{"days": "mon", "start": "24:00"}], {}, "item 1: start: '24:00' can only end"),
        ([{"days": "mon", "start": 1440}], {}, "item 1: start: 1440 is not a minute of the day"),
        ([{"days": "mon", "start": -5}], {}, "item 1: start: -5 is not a minute of the day"),
        ([{"days": "mon", "start": "19:00", "end": "25:00"}], {}, "item 1: end: '25:00' is not"),
        (
            [{"days": "mon", "start": "19:00", "end": "19:00"}],
            {},
            "item 1: end: the same as start; for a whole day write start 00:00, end 24:00",
        ),
        (
            [{"days": "mon", "start": "09:00"}],
            {"default_minutes": None},
            "item 1: end: missing; opening hours need an end time",
        ),
        ([{"days": "mon", "start": "09:00"}], {"default_minutes": 0}, "default_minutes must"),
        ([{"days": "mon", "start": "09:00"}], {"default_minutes": 1441}, "default_minutes must"),
        ([{"days": "mon", "start": "09:00"}], {"default_minutes": True}, "default_minutes must"),
    ],
)
def test_from_items_rejects_with_the_item_and_field(items, options, message):
    with pytest.raises(ValueError) as caught:
        Schedule.from_items(items, "UTC", **options)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    "zone", ["America/Los_Angles", "", "../../etc/passwd", "/etc/localtime", "America/", 5, None]
)
def test_unknown_timezones_are_refused(zone):
    with pytest.raises(ValueError, match="IANA timezone name, like America/New_York"):
        Schedule.from_items([{"days": "mon", "start": "19:00"}], zone)


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ((7, 0, 60), "window day 7 is not 0 (Sunday) to 6 (Saturday)"),
        ((-1, 0, 60), "window day -1"),
        ((0, 1440, 1500), "window start 1440 is not a minute of the day"),
        ((0, 600, 600), "window end 600 must come after start 600, within 24 hours"),
        ((0, 600, 2041), "window end 2041 must come after start 600"),
        ((0, "10:00", 660), "window start must be a whole number, not '10:00'"),
        ((True, 0, 60), "window day must be a whole number, not True"),
    ],
)
def test_windows_check_their_bounds(parts, message):
    with pytest.raises(ValueError) as caught:
        Window(*parts)
    assert str(caught.value).startswith(message)


def test_schedule_refuses_what_is_not_a_window():
    with pytest.raises(ValueError, match="must be Window values"):
        Schedule(((1, 60, 120),), "UTC")


def test_weekly_minutes_count_from_sunday_midnight_and_may_wrap():
    schedule = Schedule((Window(0, 0, 60), Window(6, 1410, 1470)), "UTC")
    assert schedule.weekly_minutes() == [(0, 60), (10050, 10110)]


# Describing


def describe(items, zone: str = "UTC") -> list[str]:
    return Schedule.from_items(items, zone).describe()


@pytest.mark.parametrize(
    ("items", "lines"),
    [
        (
            [{"days": ["mon", "wed", "fri"], "start": "19:00", "end": "20:00"}],
            ["Mondays, Wednesdays and Fridays, 7:00 pm to 8:00 pm"],
        ),
        ([{"days": "daily", "start": "00:00", "end": "24:00"}], ["Every day, open 24 hours"]),
        (
            [
                {"days": "daily", "start": "00:00", "end": "12:00"},
                {"days": "daily", "start": "12:00", "end": "24:00"},
            ],
            ["Every day, open 24 hours"],
        ),
        (
            [
                {"days": "weekdays", "start": "09:00", "end": "17:00"},
                {"days": ["sat"], "start": "10:00", "end": "12:00"},
            ],
            ["Weekdays, 9:00 am to 5:00 pm", "Saturdays, 10:00 am to noon"],
        ),
        ([{"days": "weekends", "start": "00:00", "end": "24:00"}], ["Weekends, open 24 hours"]),
        ([{"days": "daily", "start": "07:00"}], ["Every day, 7:00 am to 8:00 am"]),
        (
            [{"days": ["mon", "tue", "wed", "thu"], "start": "18:00", "end": "24:00"}],
            ["Monday to Thursday, 6:00 pm to midnight"],
        ),
        (
            [{"days": ["fri", "sat", "sun", "mon"], "start": "22:00", "end": "02:00"}],
            ["Friday to Monday, 10:00 pm to 2:00 am"],
        ),
        (
            [{"days": ["sun", "tue", "sat"], "start": "12:00"}],
            ["Tuesdays, Saturdays and Sundays, noon to 1:00 pm"],
        ),
        (
            [
                {"days": ["mon"], "start": "13:00", "end": "17:00"},
                {"days": ["mon"], "start": "09:00", "end": "12:00"},
                {"days": ["sun"], "start": "09:00", "end": "10:00"},
            ],
            ["Sundays, 9:00 am to 10:00 am", "Mondays, 9:00 am to noon and 1:00 pm to 5:00 pm"],
        ),
    ],
)
def test_describe_groups_days_and_times(items, lines):
    assert describe(items) == lines


def test_describe_a_whole_day_that_does_not_start_at_midnight():
    assert Schedule((Window(2, 540, 1980),), "UTC").describe() == [
        "Tuesdays, 24 hours from 9:00 am"
    ]


def test_describe_nothing_for_no_windows():
    assert Schedule((), "UTC").describe() == []


# Fixed instants


def meeting(days, start, end=None, zone="America/Los_Angeles") -> Schedule:
    item = {"days": days, "start": start}
    if end is not None:
        item["end"] = end
    return Schedule.from_items([item], zone)


def test_saturday_late_meeting_is_in_progress_early_sunday():
    schedule = meeting(["sat"], "23:30", "00:30")
    sunday = at(LA, 2026, 5, 3, 0, 5)
    assert schedule.is_open(sunday)
    current = schedule.current(sunday)
    assert current is not None
    assert (current.start, current.end) == (at(LA, 2026, 5, 2, 23, 30), at(LA, 2026, 5, 3, 0, 30))
    assert current.start.tzinfo is LA
    assert not schedule.is_open(at(LA, 2026, 5, 3, 0, 30))
    assert not schedule.is_open(at(LA, 2026, 5, 2, 23, 29))
    following = schedule.next_occurrences(sunday, n=2)
    assert [o.start for o in following] == [at(LA, 2026, 5, 9, 23, 30), at(LA, 2026, 5, 16, 23, 30)]


def test_new_york_meeting_seen_from_denver():
    schedule = meeting(["mon"], "19:00", "20:00", zone="America/New_York")
    assert schedule.is_open(at(DENVER, 2026, 5, 4, 17, 30))  # 19:30 in New York
    assert not schedule.is_open(at(DENVER, 2026, 5, 4, 19, 30))  # 21:30 in New York
    assert not schedule.is_open(at(DENVER, 2026, 5, 4, 16, 59))
    (upcoming,) = schedule.next_occurrences(at(DENVER, 2026, 5, 4, 16, 0), n=1)
    assert upcoming.start == at(NY, 2026, 5, 4, 19, 0)
    assert upcoming.start.tzinfo is NY
    assert upcoming.start.astimezone(DENVER).hour == 17
    assert schedule.starts_between(at(DENVER, 2026, 5, 4, 17, 0), at(DENVER, 2026, 5, 4, 17, 1))
    assert not schedule.starts_between(at(DENVER, 2026, 5, 4, 17, 1), at(DENVER, 2026, 5, 4, 19, 0))


def test_open_around_the_clock():
    schedule = Schedule.from_items([{"days": "daily", "start": "00:00", "end": "24:00"}], "UTC")
    assert schedule.is_always_open()
    for moment in (
        at(LA, 2026, 3, 8, 2, 30),
        at(LA, 2026, 11, 1, 1, 30, fold=1),
        at(NY, 2026, 12, 31, 23, 59, 59),
        datetime(2026, 6, 7, 0, 0, tzinfo=UTC),
    ):
        assert schedule.is_open(moment)
    local = Schedule.from_items(
        [{"days": "daily", "start": "00:00", "end": "24:00"}], "America/Los_Angeles"
    )
    # Day windows touch across both DST changes: no instant of 2026 is closed.
    for day in (at(LA, 2026, 3, 8), at(LA, 2026, 11, 1)):
        occurrences = local.occurrences_between(day - timedelta(days=1), day + timedelta(days=2))
        pairs = spans(occurrences)
        assert all(
            end == next_start for (_, end), (next_start, _) in zip(pairs, pairs[1:], strict=False)
        )


def test_not_always_open():
    assert not meeting("daily", "00:00", "23:59").is_always_open()
    assert not Schedule((), "UTC").is_always_open()
    wrap = Schedule((Window(d, 720, 2160) for d in range(7)), "UTC")  # noon to noon, each day
    assert wrap.is_always_open()
    six_days = Schedule((Window(d, 720, 2160) for d in range(6)), "UTC")
    assert not six_days.is_always_open()
    last_minute_closed = Schedule(
        (*(Window(d, 0, 1440) for d in range(6)), Window(6, 0, 1439)), "UTC"
    )
    assert not last_minute_closed.is_always_open()


def test_past_midnight_and_24_00_windows():
    schedule = Schedule.from_items(
        [
            {"days": ["fri"], "start": "22:00", "end": "02:00"},
            {"days": ["sat"], "start": "20:00", "end": "24:00"},
        ],
        "America/New_York",
    )
    assert schedule.is_open(at(NY, 2026, 5, 9, 1, 59))  # Saturday morning, Friday's window
    assert not schedule.is_open(at(NY, 2026, 5, 9, 2, 0))
    assert schedule.is_open(at(NY, 2026, 5, 9, 23, 59))
    assert not schedule.is_open(at(NY, 2026, 5, 10, 0, 0))
    found = schedule.occurrences_between(at(NY, 2026, 5, 8), at(NY, 2026, 5, 10))
    assert [(o.start, o.end) for o in found] == [
        (at(NY, 2026, 5, 8, 22, 0), at(NY, 2026, 5, 9, 2, 0)),
        (at(NY, 2026, 5, 9, 20, 0), at(NY, 2026, 5, 10, 0, 0)),
    ]


def test_current_prefers_the_occurrence_that_ends_last():
    schedule = Schedule((Window(1, 540, 600), Window(1, 570, 720), Window(1, 580, 720)), "UTC")
    current = schedule.current(datetime(2026, 5, 4, 9, 45, tzinfo=UTC))
    assert current is not None
    assert (current.start.hour, current.start.minute, current.end.hour) == (9, 30, 12)


@pytest.mark.parametrize("zone", [LA, NY])
def test_spring_forward_2026(zone):
    """Sunday 2026-03-08: clocks go from 02:00 straight to 03:00."""
    jump = at(zone, 2026, 3, 8, 3, 0)
    assert utc(jump) - utc(at(zone, 2026, 3, 8, 1, 59)) == timedelta(minutes=1)

    skipped_start = meeting(["sun"], "02:30", "03:30", zone.key).next_occurrences(jump, 1)[0]
    assert (utc(skipped_start.start), utc(skipped_start.end)) == (utc(jump), utc(jump) + H / 2)

    swallowed = meeting(["sun"], "02:00", "03:00", zone.key).next_occurrences(jump, 1)[0]
    assert (utc(swallowed.start), utc(swallowed.end)) == (utc(jump), utc(jump) + H)
    both = Schedule.from_items(
        [{"days": ["sun"], "start": "02:00"}, {"days": ["sun"], "start": "02:10", "end": "02:40"}],
        zone.key,
    )
    assert spans(both.next_occurrences(jump - H, 2)) == [
        (utc(jump), utc(jump) + H / 2),  # same start: the one that ends first comes first
        (utc(jump), utc(jump) + H),
    ]

    across = meeting(["sun"], "01:30", "02:30", zone.key)
    (occurrence,) = across.occurrences_between(at(zone, 2026, 3, 8), at(zone, 2026, 3, 9))
    assert (utc(occurrence.start), utc(occurrence.end)) == (utc(jump) - H / 2, utc(jump))
    assert across.is_open(at(zone, 2026, 3, 8, 1, 59))
    assert not across.is_open(jump)

    shelter = meeting(["sat"], "21:00", "07:00", zone.key)
    (night,) = shelter.occurrences_between(at(zone, 2026, 3, 7), at(zone, 2026, 3, 8))
    assert night.end == at(zone, 2026, 3, 8, 7, 0)
    assert utc(night.end) - utc(night.start) == 9 * H
    assert shelter.is_open(at(zone, 2026, 3, 8, 6, 59))
    assert not shelter.is_open(at(zone, 2026, 3, 8, 7, 0))


def test_meeting_with_default_hour_starting_in_the_gap():
    # 02:15 to 03:15 on the spring-forward night: opens at the jump, closes at 03:15.
    schedule = meeting(["sun"], "02:15", None)
    (occurrence,) = schedule.occurrences_between(at(LA, 2026, 3, 8), at(LA, 2026, 3, 9))
    assert occurrence.start == at(LA, 2026, 3, 8, 3, 0)
    assert occurrence.end == at(LA, 2026, 3, 8, 3, 15)


def test_two_windows_a_skipped_hour_swallows_can_coincide():
    schedule = Schedule((Window(0, 120, 150), Window(0, 130, 160)), "America/Los_Angeles")
    jump = at(LA, 2026, 3, 8, 3, 0)
    expected = (utc(jump), utc(jump) + H / 2)
    assert spans(schedule.next_occurrences(jump - H, 2)) == [expected, expected]
    assert spans(schedule.occurrences_between(jump - H, jump + H)) == [expected, expected]


@pytest.mark.parametrize("zone", [LA, NY])
def test_fall_back_2026(zone):
    """Sunday 2026-11-01: clocks go from 02:00 daylight time back to 01:00 standard time."""
    first_130 = at(zone, 2026, 11, 1, 1, 30, fold=0)
    second_130 = at(zone, 2026, 11, 1, 1, 30, fold=1)
    assert utc(second_130) - utc(first_130) == H

    repeated = meeting(["sun"], "01:30", "02:30", zone.key)
    (occurrence,) = repeated.occurrences_between(at(zone, 2026, 11, 1), at(zone, 2026, 11, 2))
    assert utc(occurrence.start) == utc(first_130)  # happens once, the first time
    assert utc(occurrence.end) - utc(occurrence.start) == 2 * H
    assert occurrence.end == at(zone, 2026, 11, 1, 2, 30)
    # Python compares same-zone datetimes by wall clock; in_progress must compare instants.
    assert occurrence.in_progress(at(zone, 2026, 11, 1, 1, 15, fold=1))
    assert repeated.is_open(at(zone, 2026, 11, 1, 1, 15, fold=1))
    assert repeated.is_open(second_130)
    assert not repeated.is_open(at(zone, 2026, 11, 1, 1, 29, fold=0))
    assert repeated.next_occurrences(second_130, 1)[0].start.date().isoformat() == "2026-11-08"

    early = meeting(["sun"], "00:30", "01:30", zone.key)
    (occurrence,) = early.occurrences_between(at(zone, 2026, 11, 1), at(zone, 2026, 11, 2))
    assert utc(occurrence.end) == utc(first_130)
    assert not early.is_open(at(zone, 2026, 11, 1, 1, 15, fold=1))

    shelter = meeting(["sat"], "21:00", "07:00", zone.key)
    (night,) = shelter.occurrences_between(at(zone, 2026, 10, 31), at(zone, 2026, 11, 1))
    assert utc(night.end) - utc(night.start) == 11 * H
    assert shelter.is_open(at(zone, 2026, 11, 1, 6, 59))
    assert not shelter.is_open(at(zone, 2026, 11, 1, 7, 0))


def test_questions_need_aware_datetimes():
    schedule = meeting("daily", "19:00")
    naive = datetime(2026, 5, 4, 19, 30)
    for ask in (schedule.is_open, schedule.current, schedule.next_occurrences):
        with pytest.raises(ValueError, match="has no timezone"):
            ask(naive)
    with pytest.raises(ValueError, match="has no timezone"):
        schedule.starts_between(naive, naive)
    with pytest.raises(TypeError, match="expected a datetime"):
        schedule.is_open("2026-05-04T19:30:00Z")


def test_next_occurrences_edges():
    schedule = meeting(["mon"], "19:00")
    monday = at(LA, 2026, 5, 4, 19, 0)
    assert schedule.next_occurrences(monday, 0) == []
    assert schedule.next_occurrences(monday, 1)[0].start == monday  # starting at `after` counts
    assert Schedule((), "UTC").next_occurrences(monday) == []
    for n in (-1, 1.5, True):
        with pytest.raises(ValueError, match="n must be a whole number"):
            schedule.next_occurrences(monday, n)
    assert schedule.occurrences_between(monday, monday) == []
    assert schedule.occurrences_between(monday, monday - H) == []
    assert not schedule.starts_between(monday, monday)


# Properties against a brute-force oracle

ZONES = (
    "America/Los_Angeles",
    "America/New_York",
    "America/Denver",
    "Europe/London",
    "Australia/Lord_Howe",  # its clocks move by 30 minutes
    "America/Havana",  # its clocks change at midnight, so a skipped hour starts a new day
    "UTC",
)
YEAR_START = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
YEAR_END = int(datetime(2027, 1, 1, tzinfo=UTC).timestamp())
DAY = 86400
MINUTE = timedelta(minutes=1)


def offset_minutes(zone: ZoneInfo, minute: int) -> int:
    offset = datetime.fromtimestamp(minute * 60, zone).utcoffset()
    assert offset is not None
    return int(offset.total_seconds()) // 60


@cache
def transitions(zone_name: str) -> tuple[int, ...]:
    """Return the UTC seconds at which the zone's offset changed in 2026."""
    zone = ZoneInfo(zone_name)
    found = []
    hours = range(YEAR_START // 3600, YEAR_END // 3600)
    for hour in hours:
        if offset_minutes(zone, hour * 60) != offset_minutes(zone, hour * 60 + 60):
            low, high = hour * 60, hour * 60 + 60
            while high - low > 1:
                middle = (low + high) // 2
                if offset_minutes(zone, middle) == offset_minutes(zone, low):
                    low = middle
                else:
                    high = middle
            found.append(high * 60)
    return tuple(found)


class Oracle:
    """Occurrences found by walking UTC minutes and reading the local wall clock at each.

    A window opens at the first minute the wall clock reads its start or later and closes at the
    first minute it reads its end or later; if that is the same minute (the clock jumped over the
    whole window), it lasts its usual length from there. Times are in UTC seconds.
    """

    def __init__(self, zone_name: str, windows: list[Window], first: int, last: int):
        zone = ZoneInfo(zone_name)
        origin = first // 60 - 3 * 1440
        minutes = range(origin, last // 60 + 3 * 1440 + 120)
        walls = (m + datetime.fromtimestamp(m * 60, zone).utcoffset() // MINUTE for m in minutes)
        reached = list(accumulate(walls, max))  # the latest wall-clock minute read so far
        self.occurrences: list[tuple[int, int]] = []
        wall_day = (first // 60 + offset_minutes(zone, first // 60)) // 1440 - 2
        last_day = (last // 60 + offset_minutes(zone, last // 60)) // 1440 + 1
        for day in range(wall_day, last_day + 1):
            weekday = (day + 4) % 7  # 1970-01-01 was a Thursday
            for window in set(windows):  # a repeated window happens once
                if window.day != weekday:
                    continue
                start = bisect.bisect_left(reached, day * 1440 + window.start)
                end = bisect.bisect_left(reached, day * 1440 + window.end)
                assert 0 < start and end < len(reached), "oracle scan too short"
                end = end if end > start else start + window.minutes
                self.occurrences.append(((origin + start) * 60, (origin + end) * 60))
        self.occurrences.sort()

    def is_open(self, moment: int) -> bool:
        return any(start <= moment < end for start, end in self.occurrences)

    def current(self, moment: int) -> tuple[int, int] | None:
        running = [(end, -start) for start, end in self.occurrences if start <= moment < end]
        if not running:
            return None
        end, start = max(running)
        return -start, end

    def next(self, moment: int, n: int) -> list[tuple[int, int]]:
        return [o for o in self.occurrences if o[0] >= moment][:n]

    def starting_between(self, first: int, after: int) -> list[tuple[int, int]]:
        return [o for o in self.occurrences if first <= o[0] < after]


def seconds(occurrence: Occurrence) -> tuple[int, int]:
    return int(occurrence.start.timestamp()), int(occurrence.end.timestamp())


windows_strategy = st.builds(
    lambda day, start, minutes: Window(day, start, start + minutes),
    st.integers(0, 6),
    st.one_of(st.integers(0, 1439), st.sampled_from([0, 60, 90, 120, 150, 180, 1410])),
    st.one_of(st.integers(1, 1440), st.sampled_from([1, 30, 60, 90, 1440])),
)


@st.composite
def cases(draw):
    """Draw (zone, windows, UTC second, zone to ask from); half are aimed at a clock change."""
    zone = draw(st.sampled_from(ZONES))
    windows = draw(st.lists(windows_strategy, min_size=1, max_size=4))
    changes = transitions(zone)
    if changes and draw(st.booleans()):
        change = draw(st.sampled_from(changes))
        # Aim windows at the clock change: around the wall time the old clock would have shown.
        old_clock = datetime.fromtimestamp(change - 60, ZoneInfo(zone)) + MINUTE
        at_change = (old_clock.isoweekday() % 7) * 1440 + old_clock.hour * 60 + old_clock.minute
        for _ in range(draw(st.integers(0, 2))):
            inside = st.integers(0, 29)  # starts the clock skips or repeats
            week_minute = (at_change + draw(st.one_of(inside, st.integers(-150, 150)))) % (7 * 1440)
            day, start = divmod(week_minute, 1440)
            short = st.integers(1, 30)  # short enough for a skipped hour to swallow
            minutes = draw(st.one_of(short, st.integers(1, 90), st.sampled_from([60, 600, 1440])))
            windows.append(Window(day, start, start + minutes))
        near = st.one_of(st.integers(-3 * 3600, 3 * 3600), st.integers(-180, 180).map((60).__mul__))
        moment = change + draw(st.one_of(near, st.integers(-3 * DAY, 3 * DAY)))
    else:
        moment = draw(st.integers(YEAR_START + 7 * DAY, YEAR_END - 40 * DAY))
    asked_from = ZoneInfo(draw(st.sampled_from(ZONES)))
    return zone, windows, moment, asked_from


PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_oracle_finds_the_2026_changes():
    assert len(transitions("America/Los_Angeles")) == 2
    assert transitions("UTC") == ()
    la_spring = int(at(LA, 2026, 3, 8, 3, 0).timestamp())
    assert la_spring in transitions("America/Los_Angeles")


@PROPERTY
@given(cases())
def test_is_open_and_current_match_the_oracle(case):
    zone, windows, moment, asked_from = case
    schedule = Schedule(tuple(windows), zone)
    oracle = Oracle(zone, windows, moment, moment)
    when = datetime.fromtimestamp(moment, asked_from)
    assert schedule.is_open(when) == oracle.is_open(moment)
    current = schedule.current(when)
    assert (seconds(current) if current else None) == oracle.current(moment)
    if current:
        assert current.in_progress(when)
        assert current.start.tzinfo == ZoneInfo(zone)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.integers(1, 3))
def test_next_occurrences_match_the_oracle(case, n):
    zone, windows, moment, asked_from = case
    schedule = Schedule(tuple(windows), zone)
    oracle = Oracle(zone, windows, moment, moment + (7 * n + 1) * DAY)
    found = schedule.next_occurrences(datetime.fromtimestamp(moment, asked_from), n)
    assert [seconds(o) for o in found] == oracle.next(moment, n)


@PROPERTY
@given(cases(), st.integers(0, DAY))
def test_starts_between_matches_the_oracle(case, length):
    zone, windows, moment, asked_from = case
    schedule = Schedule(tuple(windows), zone)
    oracle = Oracle(zone, windows, moment, moment + length)
    first = datetime.fromtimestamp(moment, asked_from)
    after = datetime.fromtimestamp(moment + length, asked_from)  # not wall-clock arithmetic
    expected = oracle.starting_between(moment, moment + length)
    assert schedule.starts_between(first, after) == bool(expected)
    assert [seconds(o) for o in schedule.occurrences_between(first, after)] == expected
