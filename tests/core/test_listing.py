"""What a result shows: the point a map puts it at."""

from __future__ import annotations

from directory.core.listing import map_point
from directory.core.model import Location, Online, Resource


def _resource(location=None, online=None, status="active") -> Resource:
    return Resource(
        id="x", name="X", category="meeting", dimensions=("community",),
        timezone="America/Los_Angeles", location=location, online=online, status=status,
    )  # fmt: skip


def test_a_place_to_go_is_put_at_its_point():
    resource = _resource(Location(address="1 Main St", lat=45.5, lon=-122.6))
    assert map_point(resource) == {"lat": 45.5, "lon": -122.6}


def test_a_hybrid_meeting_is_on_the_map_and_an_online_one_is_not():
    place = Location(address="1 Main St", lat=45.5, lon=-122.6)
    assert map_point(_resource(place, Online(url="https://meet.example.org/1"))) is not None
    online = _resource(None, Online(url="https://meet.example.org/1"))
    assert map_point(online) is None
    based_in = _resource(Location(city="Portland"), Online(url="https://meet.example.org/1"))
    assert map_point(based_in) is None
    # Closed, still meeting online: nothing happens at the door this week.
    closed = _resource(place, Online(url="https://meet.example.org/1"), "temporarily-closed")
    assert map_point(closed) is None


def test_an_approximate_area_is_kept_and_no_point_is_none():
    area = Location(city="Portland", lat=45.51, lon=-122.68, approximate=True)
    assert map_point(_resource(area)) == {"lat": 45.51, "lon": -122.68}
    assert map_point(_resource(Location(address="1 Main St"))) is None
