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


def test_a_resources_repeated_fields_are_shared_and_the_rest_kept_as_given():
    from directory.core.model import Resource

    tags = ["a", "list"]  # unhashable, as a hand-made Resource may pass
    one = Resource(id="a", name="A", category="food", dimensions=("food",), timezone="UTC",
                   tags=tags, services=("x", "y"))  # fmt: skip
    two = Resource(id="b", name="B", category="f" + "ood", dimensions=tuple(["food"]),
                   timezone="U" + "TC", services=tuple(["x", "y"]))  # fmt: skip
    assert one.category is two.category and one.timezone is two.timezone
    assert one.dimensions is two.dimensions and one.services is two.services
    assert one.tags is tags and one.fellowship is None and two.tags == ()
    assert one.name == "A" and two.name == "B"
