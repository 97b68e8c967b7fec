"""The map the server draws: results as numbered pins over the offline outlines, as SVG geometry.

It needs no script and no tiles, so it is what a phone with JavaScript off, a slow connection
or a screen reader's user gets, and what the map view shows before (or instead of) the
interactive map. This module only works out where things go (Web Mercator, fitted to the pins
and the searched place); `templates/_svg_map.html` writes the elements and the words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from directory.core.geo import BoundingBox, haversine_miles
from directory.maps.outlines import Outlines, within

WIDTH, HEIGHT = 600, 360  # the drawing's own units; the page scales it to its column
SMALL_WIDTH, SMALL_HEIGHT = 400, 220  # a listing's map
PADDING = 36  # units kept clear around the pins, so a pin and its number are never cut
MIN_SPAN_MILES = 2.0  # one pin alone is shown with a couple of miles around it
LISTING_SPAN_MILES = 40.0  # a listing's map shows the county around the place, for bearings
PIN_SPACING = 22  # pins closer than this share one marker ("3,4")
SCALE_MILES = (0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


@dataclass(frozen=True)
class Pin:
    """A numbered point to draw: `number` matches the list, `target` is its card's id."""

    number: int
    lat: float
    lon: float
    approximate: bool = False
    name: str = ""
    target: str = ""


def _mercator(lat: float, lon: float) -> tuple[float, float]:
    lat = max(min(lat, 85.0), -85.0)
    return math.radians(lon), math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _latitude(y: float) -> float:
    return math.degrees(2 * math.atan(math.exp(y)) - math.pi / 2)


def draw(
    pins: list[Pin],
    place: tuple[float, float] | None,
    outlines: Outlines,
    width: int = WIDTH,
    height: int = HEIGHT,
    min_span_miles: float = MIN_SPAN_MILES,
) -> dict | None:
    """Return what the SVG shows: outline paths, labels, markers, the place and a scale bar.

    None when there is nothing located to show.
    """
    points = [(p.lat, p.lon) for p in pins] + ([place] if place else [])
    if not points:
        return None
    xs, ys = zip(*(_mercator(lat, lon) for lat, lon in points), strict=True)
    mid_lat = _latitude((min(ys) + max(ys)) / 2)
    # At least min_span_miles across, in radians of Mercator x at this latitude.
    min_span = min_span_miles / (3958.76 * math.cos(math.radians(mid_lat)))
    span_x = max(max(xs) - min(xs), min_span)
    span_y = max(max(ys) - min(ys), min_span * (height - 2 * PADDING) / (width - 2 * PADDING))
    scale = min((width - 2 * PADDING) / span_x, (height - 2 * PADDING) / span_y)
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2

    def at(lat: float, lon: float) -> tuple[float, float]:
        x, y = _mercator(lat, lon)
        return width / 2 + (x - cx) * scale, height / 2 - (y - cy) * scale

    box = BoundingBox(
        south=_latitude(cy - height / 2 / scale),
        west=math.degrees(cx - width / 2 / scale),
        north=_latitude(cy + height / 2 / scale),
        east=math.degrees(cx + width / 2 / scale),
    )
    part = within(outlines, box, tolerance=math.degrees(1.0 / scale))
    labels = [
        {**label, "x": round(x, 1), "y": round(y, 1)}
        for label in part.labels
        for x, y in [at(label["lat"], label["lon"])]
        if 40 < x < width - 40 and 14 < y < height - 8
    ]
    return {
        "width": width,
        "height": height,
        "states": _path(part.states, at),
        "counties": _path(part.counties, at),
        "labels": labels,
        "markers": _markers(pins, at),
        "place": None if place is None else dict(zip(("x", "y"), _round(at(*place)), strict=True)),
        "scale": _scale_bar(box, width),
    }


def _round(xy: tuple[float, float]) -> tuple[float, float]:
    return round(xy[0], 1), round(xy[1], 1)


def _path(lines, at) -> str:
    """Return one SVG path for many lines (lon, lat points), to a tenth of a unit."""
    out = []
    for line in lines:
        coords = [_round(at(lat, lon)) for lon, lat in line]
        out.append("M" + "L".join(f"{x:g} {y:g}" for x, y in coords))
    return "".join(out)


def _markers(pins: list[Pin], at) -> list[dict]:
    """Place a marker per pin; pins that would overlap share one, numbered "3,4" or "3+2"."""
    markers: list[dict] = []
    for pin in sorted(pins, key=lambda p: p.number):
        x, y = _round(at(pin.lat, pin.lon))
        near = next((m for m in markers if math.hypot(m["x"] - x, m["y"] - y) < PIN_SPACING), None)
        if near is None:
            markers.append({"x": x, "y": y, "pins": [pin], "approximate": pin.approximate})
        else:
            near["pins"].append(pin)
            near["approximate"] = near["approximate"] and pin.approximate
    for marker in markers:
        numbers = [p.number for p in marker["pins"]]
        marker["label"] = (
            ",".join(map(str, numbers)) if len(numbers) <= 2 else f"{numbers[0]}+{len(numbers) - 1}"
        )
        marker["half_width"] = max(11, 4 + 3.6 * len(marker["label"]))
    return markers


def _scale_bar(box: BoundingBox, width: int) -> dict:
    """Return a scale bar of a round number of miles at most a quarter of the width."""
    mid = (box.south + box.north) / 2
    miles_across = haversine_miles(mid, box.west, mid, box.east)
    per_unit = miles_across / width
    miles = SCALE_MILES[0]
    for choice in SCALE_MILES:
        if choice / per_unit <= width / 4:
            miles = choice
    return {"miles": miles, "length": round(miles / per_unit, 1)}
