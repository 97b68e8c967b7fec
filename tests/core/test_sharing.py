"""One object for equal immutable values (core/sharing.py), and where the model uses it."""

from __future__ import annotations

from directory.core.model import Location
from directory.core.schedule import Schedule
from directory.core.sharing import shared, shared_or_none


def test_equal_values_of_the_same_type_are_one_object():
    first, second = ("O", "D"), tuple(["O", "D"])
    assert first is not second
    assert shared(first) is shared(second)
    assert shared(1) is not shared(True)  # equal, but not the same value to a reader
    assert shared_or_none(None) is None
    listed = ["not", "hashable"]
    assert shared_or_none(listed) is listed


def test_schedules_and_locations_share_what_repeats():
    items = [{"days": ["mon", "wed"], "start": "19:00", "end": "20:00"}]
    one = Schedule.from_items(items, "America/Los_Angeles")
    two = Schedule.from_items(items, "America/" + "Los_Angeles")
    assert one == two and one.windows is two.windows
    assert one.timezone is two.timezone
    a, b = Location(city="Portland", state="OR"), Location(city="Port" + "land", state="OR")
    assert a.city is b.city
