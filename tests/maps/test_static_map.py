"""The server's map: pins numbered and placed, shared when they overlap, the place, the scale."""

from __future__ import annotations

from directory.maps import outlines, static_map
from directory.maps.static_map import Pin


def _pins(*points, approximate=()):
    return [
        Pin(number=i + 1, lat=lat, lon=lon, approximate=i in approximate, name=f"Place {i + 1}",
            target=f"r-{i + 1}")
        for i, (lat, lon) in enumerate(points)
    ]  # fmt: skip


def test_pins_and_the_place_lie_inside_the_drawing_west_to_east():
    pins = _pins((45.52, -122.68), (45.50, -122.60), (45.45, -122.75))
    drawing = static_map.draw(pins, (45.51, -122.65), outlines.shipped())
    xs = {m["pins"][0].number: m["x"] for m in drawing["markers"]}
    ys = {m["pins"][0].number: m["y"] for m in drawing["markers"]}
    for marker in drawing["markers"]:
        assert static_map.PADDING - 1 <= marker["x"] <= drawing["width"] - static_map.PADDING + 1
        assert static_map.PADDING - 1 <= marker["y"] <= drawing["height"] - static_map.PADDING + 1
    assert xs[3] < xs[1] < xs[2]  # west to east
    assert ys[1] < ys[2] < ys[3]  # north is up
    place = drawing["place"]
    assert xs[1] < place["x"] < xs[2]
    assert drawing["states"] or drawing["counties"]
    assert drawing["scale"]["miles"] in static_map.SCALE_MILES
    assert 0 < drawing["scale"]["length"] <= drawing["width"] / 4


def test_pins_too_close_share_one_marker_numbered_in_order():
    pins = _pins((45.5200, -122.6800), (45.5201, -122.6801), (45.5202, -122.6799), (45.40, -122.9))
    drawing = static_map.draw(pins, None, outlines.shipped())
    labels = sorted(m["label"] for m in drawing["markers"])
    assert labels == ["1+2", "4"]
    shared = next(m for m in drawing["markers"] if m["label"] == "1+2")
    assert [p.number for p in shared["pins"]] == [1, 2, 3]
    two = static_map.draw(pins[:2], None, outlines.shipped())
    assert [m["label"] for m in two["markers"]] == ["1,2"]


def test_an_area_only_pin_is_marked_approximate():
    pins = _pins((45.52, -122.68), (45.30, -122.40), approximate=(1,))
    drawing = static_map.draw(pins, None, outlines.shipped())
    flags = {m["label"]: m["approximate"] for m in drawing["markers"]}
    assert flags == {"1": False, "2": True}


def test_nothing_located_is_no_drawing_and_one_pin_has_miles_around_it():
    assert static_map.draw([], None, outlines.shipped()) is None
    alone = static_map.draw(_pins((45.52, -122.68)), None, outlines.shipped())
    assert alone["markers"][0]["x"] == alone["width"] / 2
    wide = static_map.draw(
        _pins((45.52, -122.68)), None, outlines.shipped(),
        min_span_miles=static_map.LISTING_SPAN_MILES,
    )  # fmt: skip
    assert wide["scale"]["miles"] > alone["scale"]["miles"]
