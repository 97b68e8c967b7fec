"""Distances, geohash cells and bounding boxes."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from geopy.distance import geodesic
from hypothesis import given, settings
from hypothesis import strategies as st

from directory.core.geo import (
    EARTH_RADIUS_MILES,
    MAX_PRECISION,
    MILES_PER_KM,
    MIN_PRECISION,
    bounding_box,
    choose_precision,
    geohash_bounds,
    geohash_cells_covering,
    geohash_encode,
    haversine_miles,
    haversine_miles_array,
    is_valid_lat,
    is_valid_lon,
)

lats = st.floats(min_value=-80, max_value=80)
lons = st.floats(min_value=-180, max_value=180)
radii = st.floats(min_value=0.01, max_value=100)


def destination(lat: float, lon: float, bearing_deg: float, miles: float) -> tuple[float, float]:
    """Return the point miles away along a bearing on the same sphere (the direct problem)."""
    d = miles / EARTH_RADIUS_MILES
    phi, lam, theta = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    phi2 = math.asin(math.sin(phi) * math.cos(d) + math.cos(phi) * math.sin(d) * math.cos(theta))
    lam2 = lam + math.atan2(
        math.sin(theta) * math.sin(d) * math.cos(phi), math.cos(d) - math.sin(phi) * math.sin(phi2)
    )
    lon2 = (math.degrees(lam2) + 540.0) % 360.0 - 180.0
    return max(-90.0, min(90.0, math.degrees(phi2))), lon2


def test_constants():
    assert MILES_PER_KM == pytest.approx(1 / 1.609344)
    assert EARTH_RADIUS_MILES == pytest.approx(6371.0088 * MILES_PER_KM)


def test_haversine_known_distances():
    assert haversine_miles(45.52, -122.65, 45.52, -122.65) == 0.0
    # Portland to Seattle city halls, about 145 miles.
    assert haversine_miles(45.5152, -122.6784, 47.6036, -122.3294) == pytest.approx(145, abs=2)
    # A quarter of the way round the equator.
    assert haversine_miles(0, 0, 0, 90) == pytest.approx(math.pi / 2 * EARTH_RADIUS_MILES)
    # Antipodes: no domain error from rounding.
    assert haversine_miles(0, 0, 0, 180) == pytest.approx(math.pi * EARTH_RADIUS_MILES)
    # Across the antimeridian is the short way.
    assert haversine_miles(0, 179.9, 0, -179.9) == pytest.approx(13.8, abs=0.1)


@settings(max_examples=300, deadline=None)
@given(
    lat=st.floats(min_value=15, max_value=72),  # the United States, Puerto Rico to Alaska
    lon=lons,
    dlat=st.floats(min_value=-1.4, max_value=1.4),
    dlon=st.floats(min_value=-1.9, max_value=1.9),
)
def test_haversine_within_half_a_percent_of_geodesic_under_100_miles(lat, lon, dlat, dlon):
    lat2 = max(-90.0, min(90.0, lat + dlat))
    lon2 = (lon + dlon + 540.0) % 360.0 - 180.0
    exact = geodesic((lat, lon), (lat2, lon2)).miles
    if not 0.01 < exact < 100:
        return
    assert haversine_miles(lat, lon, lat2, lon2) == pytest.approx(exact, rel=0.005)


def test_haversine_array_matches_scalar():
    rng = np.random.default_rng(7)
    lat_arr = rng.uniform(-89, 89, 500)
    lon_arr = rng.uniform(-180, 180, 500)
    got = haversine_miles_array(45.52, -122.65, lat_arr, lon_arr)
    want = [haversine_miles(45.52, -122.65, a, b) for a, b in zip(lat_arr, lon_arr, strict=True)]
    assert got.shape == (500,)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert haversine_miles_array(0, 0, np.array([]), np.array([])).shape == (0,)


def test_validity():
    for good in (0, 90, -90, 45.5, np.float64(12.5), np.int64(3)):
        assert is_valid_lat(good)
        assert is_valid_lon(good)
    assert is_valid_lon(180) and is_valid_lon(-180) and is_valid_lon(-122.65)
    assert not is_valid_lat(-122.65) and not is_valid_lat(90.0001) and not is_valid_lat(-91)
    assert not is_valid_lon(180.0001) and not is_valid_lon(-181)
    for bad in (math.nan, math.inf, -math.inf, "45", None, True, [1], 1j):
        assert not is_valid_lat(bad)
        assert not is_valid_lon(bad)


@pytest.mark.parametrize(
    ("lat", "lon", "precision", "expected"),
    [
        (57.64911, 10.40744, 11, "u4pruydqqvj"),  # the example on Wikipedia's Geohash page
        (37.7749, -122.4194, 5, "9q8yy"),  # San Francisco
        (42.6, -5.6, 5, "ezs42"),  # the example decoded on Wikipedia
        (-25.382708, -49.265506, 8, "6gkzwgjz"),  # Curitiba, from geohash.org
        (0.0, 0.0, 1, "s"),
        (-90.0, -180.0, 3, "000"),
        (90.0, 180.0, 3, "zzz"),
    ],
)
def test_geohash_known_values(lat, lon, precision, expected):
    assert geohash_encode(lat, lon, precision) == expected


def test_geohash_rejects_nonsense():
    for lat, lon, precision in [(91, 0, 5), (0, 181, 5), (math.nan, 0, 5), (0, 0, 0), (0, 0, 13)]:
        with pytest.raises(ValueError):
            geohash_encode(lat, lon, precision)
    with pytest.raises(ValueError):
        geohash_bounds("9q8ya")  # "a" is not in the alphabet


@settings(max_examples=200, deadline=None)
@given(lat=st.floats(min_value=-90, max_value=90), lon=lons, precision=st.integers(1, 12))
def test_geohash_cell_holds_its_point_and_prefixes_nest(lat, lon, precision):
    code = geohash_encode(lat, lon, precision)
    box = geohash_bounds(code)
    assert box.south <= lat <= box.north
    assert box.west <= lon <= box.east
    assert geohash_encode(lat, lon, 12).startswith(code)


@settings(max_examples=150, deadline=None)
@given(lat=lats, lon=lons, radius=radii, data=st.data())
def test_covering_cells_hold_every_point_within_the_radius(lat, lon, radius, data):
    precision = data.draw(st.integers(MIN_PRECISION, choose_precision(radius)))
    cells = geohash_cells_covering(lat, lon, radius, precision)
    rng = random.Random(data.draw(st.integers(0, 2**32)))
    samples = [(lat, lon)]
    # The circle's edge is where a missed cell would show; the inside catches the rest.
    samples += [destination(lat, lon, b, radius * (1 - 1e-9)) for b in range(0, 360, 5)]
    samples += [
        destination(lat, lon, rng.uniform(0, 360), radius * math.sqrt(rng.random()))
        for _ in range(100)
    ]
    for p_lat, p_lon in samples:
        if haversine_miles(lat, lon, p_lat, p_lon) <= radius:
            assert geohash_encode(p_lat, p_lon, precision) in cells, (p_lat, p_lon)


@settings(max_examples=100, deadline=None)
@given(lat=st.floats(min_value=-60, max_value=60), lon=lons, radius=radii)
def test_covering_is_a_few_cells_that_the_circle_reaches(lat, lon, radius):
    precision = choose_precision(radius)
    cells = geohash_cells_covering(lat, lon, radius, precision)
    assert 1 <= len(cells) <= 16
    # No cell is wholly outside the circle's bounding box.
    box = bounding_box(lat, lon, radius)
    for code in cells:
        cell = geohash_bounds(code)
        assert cell.north >= box.south and cell.south <= box.north


def _miles_to(lat: float, lon: float, edge_lat: float, edge_lon: float) -> float:
    return haversine_miles(lat, lon, edge_lat, edge_lon)


@pytest.mark.parametrize("side", ["south", "north", "west", "east"])
def test_covering_reaches_a_cell_edge_exactly(side):
    # The centre sits just outside a cell; the radius reaches its nearest edge or just misses.
    cell = geohash_bounds("c20fb")
    mid_lat, mid_lon = (cell.south + cell.north) / 2, (cell.west + cell.east) / 2
    lat, lon = {
        "south": (cell.south - 0.001, mid_lon),
        "north": (cell.north + 0.001, mid_lon),
        "west": (mid_lat, cell.west - 0.001),
        "east": (mid_lat, cell.east + 0.001),
    }[side]
    gap = min(
        _miles_to(lat, lon, cell.south, lon) if side == "south" else math.inf,
        _miles_to(lat, lon, cell.north, lon) if side == "north" else math.inf,
        _miles_to(lat, lon, *destination_on_meridian(lat, lon, cell.west))
        if side == "west"
        else math.inf,
        _miles_to(lat, lon, *destination_on_meridian(lat, lon, cell.east))
        if side == "east"
        else math.inf,
    )
    assert "c20fb" in geohash_cells_covering(lat, lon, gap * (1 + 1e-6), 5)
    assert "c20fb" not in geohash_cells_covering(lat, lon, gap * (1 - 1e-6), 5)
    assert geohash_cells_covering(lat, lon, 0, 5) == {geohash_encode(lat, lon, 5)}


def destination_on_meridian(lat: float, lon: float, meridian: float) -> tuple[float, float]:
    """Return the point of a meridian nearest to (lat, lon): poleward of lat, not level with it."""
    dlon = math.radians(lon - meridian)
    return math.degrees(math.atan(math.tan(math.radians(lat)) / math.cos(dlon))), meridian


def test_covering_finds_a_cell_the_circle_reaches_only_poleward_of_its_centre():
    # Far north and wide, the circle's eastmost point is well north of its centre: a cell east
    # of the centre is reached there even though the point level with the centre is too far.
    cell = geohash_bounds(geohash_encode(61.0, 10.0, 3))
    lat = cell.south + 0.05
    lon = cell.west - 2.9
    foot_lat, foot_lon = destination_on_meridian(lat, lon, cell.west)
    nearest = _miles_to(lat, lon, foot_lat, foot_lon)
    level = _miles_to(lat, lon, lat, cell.west)
    assert cell.south < foot_lat < cell.north and nearest < level - 0.01  # the case is real
    radius = (nearest + level) / 2
    covering = geohash_cells_covering(lat, lon, radius, 3)
    assert geohash_encode(foot_lat, foot_lon + 1e-9, 3) in covering


def test_covering_across_the_antimeridian_and_at_the_poles_does_not_crash():
    cells = geohash_cells_covering(0.0, 179.99, 5, 4)
    assert geohash_encode(0.0, 179.99, 4) in cells
    assert geohash_encode(0.0, -179.99, 4) in cells
    assert geohash_encode(0.0, 180.0, 4) in cells
    polar = geohash_cells_covering(89.9, 0.0, 50, 3)
    assert geohash_encode(89.9, 179.0, 3) in polar
    assert len(geohash_cells_covering(0.0, 0.0, 30000, 3)) == 2**15  # the whole Earth


def test_covering_rejects_nonsense():
    for radius in (-1, math.nan, math.inf):
        with pytest.raises(ValueError):
            geohash_cells_covering(45.52, -122.65, radius, 5)
    with pytest.raises(ValueError):
        geohash_cells_covering(95, 0, 1, 5)


def test_choose_precision():
    assert choose_precision(0.1) == 6
    assert choose_precision(1) == 5
    assert choose_precision(5) == 4
    assert choose_precision(25) == 3
    assert choose_precision(5000) == 3
    chosen = [choose_precision(r / 10) for r in range(1, 2000)]
    assert chosen == sorted(chosen, reverse=True)
    assert set(chosen) == set(range(MIN_PRECISION, MAX_PRECISION + 1))


@settings(max_examples=150, deadline=None)
@given(lat=lats, lon=lons, radius=radii, bearing=st.floats(0, 360), frac=st.floats(0, 1))
def test_bounding_box_holds_the_circle(lat, lon, radius, bearing, frac):
    box = bounding_box(lat, lon, radius)
    p_lat, p_lon = destination(lat, lon, bearing, radius * frac)
    assert box.south - 1e-9 <= p_lat <= box.north + 1e-9
    if box.west <= box.east:
        assert box.west - 1e-9 <= p_lon <= box.east + 1e-9
    else:  # across the antimeridian
        assert p_lon >= box.west - 1e-9 or p_lon <= box.east + 1e-9


@pytest.mark.parametrize(
    ("lat", "radius"), [(0.0, 50.0), (45.5, 100.0), (60.0, 100.0), (75.0, 300.0)]
)
def test_bounding_box_is_tight(lat, radius):
    edge = [destination(lat, 10.0, b / 10, radius) for b in range(3600)]
    box = bounding_box(lat, 10.0, radius)
    assert max(p[1] for p in edge) <= box.east + 1e-9
    assert max(p[1] for p in edge) == pytest.approx(box.east, abs=1e-4)
    assert min(p[1] for p in edge) == pytest.approx(box.west, abs=1e-4)
    assert max(p[0] for p in edge) == pytest.approx(box.north, abs=1e-6)
    assert min(p[0] for p in edge) == pytest.approx(box.south, abs=1e-6)


def test_bounding_box_shapes():
    box = bounding_box(45.52, -122.65, 10)
    assert box.north - 45.52 == pytest.approx(10 / 69.09, rel=1e-3)
    # Longitude degrees shrink with latitude, so the box is wider than tall in degrees.
    assert (box.east - box.west) > (box.north - box.south)
    across = bounding_box(0.0, 179.99, 5)
    assert across.west > across.east
    assert bounding_box(89.95, 10, 10).west == -180.0
    assert bounding_box(45.52, -122.65, 0) == (45.52, -122.65, 45.52, -122.65)
