"""The offline base every map draws on: US state and county outlines that ship with the app.

`outlines.json` is made from the us-atlas npm package by `map/build-outlines.mjs` (the US
Census Bureau's 1:10,000,000 boundaries as topology arcs of quantised, delta-encoded integers).
It is read once, on first use, into arrays; a map asks for the lines and labels within a box,
thinned to the detail its scale can show, so a phone is never sent the whole country.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from directory.core.geo import BoundingBox

DATA = Path(__file__).with_name("outlines.json")
STATE, COUNTY = 0, 1  # the kinds of line and label in the file
# Wider than this (degrees of longitude), a view shows state lines only: county lines would be
# a scribble and weigh hundreds of kilobytes.
COUNTY_LINES_MAX_SPAN = 6.0
COUNTY_LABELS_MAX_SPAN = 1.5


@dataclass(frozen=True)
class Outlines:
    """Every line (lon, lat arrays with their boxes) and label of the offline base."""

    kinds: np.ndarray  # STATE or COUNTY, one per line
    boxes: np.ndarray  # (n, 4): west, south, east, north
    lons: tuple[np.ndarray, ...]
    lats: tuple[np.ndarray, ...]
    labels: tuple[tuple[int, str, float, float, str], ...]  # kind, name, lon, lat, state id
    about: str
    licence: str


@dataclass(frozen=True)
class Part:
    """What a view shows of the base: lines as (lon, lat) point lists, and labels."""

    states: list[list[tuple[float, float]]]
    counties: list[list[tuple[float, float]]]
    labels: list[dict]


def read(path: Path = DATA) -> Outlines:
    """Decode an outlines file (see map/build-outlines.mjs for its form)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    (sx, sy), (tx, ty) = data["transform"]["scale"], data["transform"]["translate"]
    # One array for every line, decoded at once: a cumulative sum over all of them, less the
    # sum each line starts from. (Line by line, it took a second per worker.)
    kinds = np.asarray([line[0] for line in data["lines"]])
    sizes = np.asarray([(len(line) - 1) // 2 for line in data["lines"]])
    flat = np.fromiter(
        (v for line in data["lines"] for v in line[1:]),
        dtype=np.float64,
        count=int(sizes.sum()) * 2,
    ).reshape(-1, 2)
    total = np.cumsum(flat, axis=0)
    ends = np.cumsum(sizes)
    starts = ends - sizes
    before = np.vstack([np.zeros((1, 2)), total[ends[:-1] - 1]])
    xy = total - np.repeat(before, sizes, axis=0)
    lon, lat = xy[:, 0] * sx + tx, xy[:, 1] * sy + ty
    boxes = np.column_stack([
        np.minimum.reduceat(lon, starts), np.minimum.reduceat(lat, starts),
        np.maximum.reduceat(lon, starts), np.maximum.reduceat(lat, starts),
    ])  # fmt: skip
    lons = tuple(lon[a:b] for a, b in zip(starts, ends, strict=True))
    lats = tuple(lat[a:b] for a, b in zip(starts, ends, strict=True))
    labels = tuple(
        (kind, name, x * sx + tx, y * sy + ty, state) for kind, name, x, y, state in data["labels"]
    )
    return Outlines(
        kinds=kinds,
        boxes=boxes,
        lons=tuple(lons),
        lats=tuple(lats),
        labels=labels,
        about=data["about"],
        licence=data["licence"],
    )


@functools.cache
def shipped() -> Outlines:
    """Return the outlines that ship with the app (read on first use, then kept)."""
    return read(DATA)


def within(outlines: Outlines, box: BoundingBox, tolerance: float) -> Part:
    """Return the lines and labels a view of `box` shows.

    `tolerance` (degrees) is about one pixel of the view: points closer together are dropped,
    and a line is cut to the segments that reach into the box, so what is sent is bounded by
    the view's size, not by the country's.
    """
    span = box.east - box.west
    west, south, east, north = box.west, box.south, box.east, box.north
    b = outlines.boxes
    hit = (b[:, 0] <= east) & (b[:, 2] >= west) & (b[:, 1] <= north) & (b[:, 3] >= south)
    if span > COUNTY_LINES_MAX_SPAN:
        hit &= outlines.kinds == STATE
    states: list[list[tuple[float, float]]] = []
    counties: list[list[tuple[float, float]]] = []
    for i in np.flatnonzero(hit):
        target = states if outlines.kinds[i] == STATE else counties
        for run in _runs_in_box(outlines.lons[i], outlines.lats[i], box):
            thinned = _thin(run, tolerance)
            if len(thinned) >= 2:
                target.append(thinned)
    labels = []
    for kind, name, lon, lat, state in outlines.labels:
        if kind == COUNTY and span > COUNTY_LABELS_MAX_SPAN:
            continue
        if west <= lon <= east and south <= lat <= north:
            labels.append({"kind": "state" if kind == STATE else "county", "name": name,
                           "lon": lon, "lat": lat, "state": state})  # fmt: skip
    return Part(states=states, counties=counties, labels=labels)


def _runs_in_box(lon: np.ndarray, lat: np.ndarray, box: BoundingBox):
    """Yield the stretches of a line whose segments reach into the box (by their own boxes,
    so a long straight border crossing a small view is kept)."""
    if len(lon) < 2:
        return
    x0, x1, y0, y1 = lon[:-1], lon[1:], lat[:-1], lat[1:]
    reaches = (
        (np.minimum(x0, x1) <= box.east) & (np.maximum(x0, x1) >= box.west)
        & (np.minimum(y0, y1) <= box.north) & (np.maximum(y0, y1) >= box.south)
    )  # fmt: skip
    start = None
    for k, inside in enumerate(reaches):
        if inside and start is None:
            start = k
        elif not inside and start is not None:
            yield list(zip(lon[start : k + 1].tolist(), lat[start : k + 1].tolist(), strict=True))
            start = None
    if start is not None:
        yield list(zip(lon[start:].tolist(), lat[start:].tolist(), strict=True))


def _thin(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Drop points within `tolerance` of the last one kept; the ends always stay."""
    if tolerance <= 0 or len(points) <= 2:
        return points
    kept = [points[0]]
    for point in points[1:-1]:
        last = kept[-1]
        if abs(point[0] - last[0]) > tolerance or abs(point[1] - last[1]) > tolerance:
            kept.append(point)
    kept.append(points[-1])
    return kept
