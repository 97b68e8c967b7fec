"""Distances, geohash cells and bounding boxes on a spherical Earth.

Pure functions over decimal degrees (WGS 84 treated as a sphere). Within the distances a directory
searches (under ~100 miles) the spherical error against the ellipsoid is well under 0.5%.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import NamedTuple

import numpy as np

EARTH_RADIUS_MILES = 3958.7613  # IUGG mean radius, 6371.0088 km
MILES_PER_KM = 0.621371192237334

GEOHASH_ALPHABET = "0123456789bcdefghjkmnpqrstuvwxyz"
MIN_PRECISION = 3
MAX_PRECISION = 6

# Finest precision whose cell is at least this many miles on its shorter side (cell height, or
# width at 60 degrees latitude), so a circle of that radius spans at most 3 cells per axis.
_PRECISION_FOR_RADIUS = ((6, 0.38), (5, 1.51), (4, 12.1))

_DECODE = {c: i for i, c in enumerate(GEOHASH_ALPHABET)}


class BoundingBox(NamedTuple):
    """Degrees; `west > east` when the box crosses the antimeridian (as in GeoJSON)."""

    south: float
    west: float
    north: float
    east: float


def is_valid_lat(x: object) -> bool:
    """Return True when x is a finite number of degrees in [-90, 90]."""
    return isinstance(x, Real) and not isinstance(x, bool) and -90.0 <= float(x) <= 90.0


def is_valid_lon(x: object) -> bool:
    """Return True when x is a finite number of degrees in [-180, 180]."""
    return isinstance(x, Real) and not isinstance(x, bool) and -180.0 <= float(x) <= 180.0


def haversine_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the great-circle distance in miles between two points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dlat = p2 - p1
    dlon = math.radians(lon2 - lon1)
    a = math.sin(dlat / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlon / 2) ** 2
    # min() guards against a rounding excursion above 1 for antipodal points.
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(min(1.0, a)))


def haversine_miles_array(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Return the distances in miles from one point to arrays of points."""
    p1 = math.radians(lat)
    p2 = np.radians(np.asarray(lats, dtype=np.float64))
    dlon = np.radians(np.asarray(lons, dtype=np.float64) - lon)
    a = np.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def _bits(precision: int) -> tuple[int, int]:
    """Return the number of (latitude, longitude) bits in a geohash of this length."""
    total = 5 * precision
    return total // 2, total - total // 2  # longitude takes the first, odd, bit


def _cell_index(value: float, low: float, high: float, nbits: int) -> int:
    """Return the cell number of value by bisection, as the geohash algorithm defines it."""
    index = 0
    for _ in range(nbits):
        mid = (low + high) / 2  # dyadic in degrees, so exact: no drift at cell edges
        index <<= 1
        if value >= mid:
            index |= 1
            low = mid
        else:
            high = mid
    return index


def _hash_from_indices(lat_index: int, lon_index: int, precision: int) -> str:
    """Interleave cell numbers (longitude first) into a base32 geohash."""
    lat_bits, lon_bits = _bits(precision)
    code = 0
    for bit in range(5 * precision):
        if bit % 2 == 0:
            lon_bits -= 1
            code = (code << 1) | ((lon_index >> lon_bits) & 1)
        else:
            lat_bits -= 1
            code = (code << 1) | ((lat_index >> lat_bits) & 1)
    return "".join(GEOHASH_ALPHABET[(code >> (5 * i)) & 31] for i in range(precision - 1, -1, -1))


def _check_point(lat: float, lon: float) -> None:
    if not (is_valid_lat(lat) and is_valid_lon(lon)):
        raise ValueError(f"not a valid point: {lat!r}, {lon!r}")


def _check_precision(precision: int) -> None:
    if isinstance(precision, bool) or not isinstance(precision, int) or not 1 <= precision <= 12:
        raise ValueError(f"geohash precision must be 1-12, not {precision!r}")


def geohash_encode(lat: float, lon: float, precision: int) -> str:
    """Return the standard base32 geohash of a point."""
    _check_point(lat, lon)
    _check_precision(precision)
    lat_bits, lon_bits = _bits(precision)
    return _hash_from_indices(
        _cell_index(lat, -90.0, 90.0, lat_bits),
        _cell_index(lon, -180.0, 180.0, lon_bits),
        precision,
    )


def geohash_bounds(geohash: str) -> BoundingBox:
    """Return the cell a geohash names."""
    code = 0
    for char in geohash.lower():
        if char not in _DECODE:
            raise ValueError(f"not a geohash: {geohash!r}")
        code = (code << 5) | _DECODE[char]
    lat_index = lon_index = 0
    for bit in range(5 * len(geohash)):
        value = (code >> (5 * len(geohash) - 1 - bit)) & 1
        if bit % 2 == 0:
            lon_index = (lon_index << 1) | value
        else:
            lat_index = (lat_index << 1) | value
    lat_bits, lon_bits = _bits(len(geohash))
    height, width = 180.0 / (1 << lat_bits), 360.0 / (1 << lon_bits)
    south, west = -90.0 + lat_index * height, -180.0 + lon_index * width
    return BoundingBox(south, west, south + height, west + width)


def bounding_box(lat: float, lon: float, radius_miles: float) -> BoundingBox:
    """Return the smallest latitude/longitude box holding every point within radius_miles."""
    _check_point(lat, lon)
    if not (isinstance(radius_miles, Real) and math.isfinite(radius_miles) and radius_miles >= 0):
        raise ValueError(f"radius must be a non-negative number of miles, not {radius_miles!r}")
    angle = radius_miles / EARTH_RADIUS_MILES
    if angle >= math.pi:
        return BoundingBox(-90.0, -180.0, 90.0, 180.0)
    phi = math.radians(lat)
    south, north = phi - angle, phi + angle
    if south <= -math.pi / 2 or north >= math.pi / 2:
        # The circle holds a pole: every longitude is inside.
        return BoundingBox(
            max(-90.0, math.degrees(south)), -180.0, min(90.0, math.degrees(north)), 180.0
        )
    # The circle's widest longitude is reached poleward of its centre (Matuschek's method).
    dlon = math.degrees(math.asin(math.sin(angle) / math.cos(phi)))
    if dlon >= 180.0:
        return BoundingBox(math.degrees(south), -180.0, math.degrees(north), 180.0)
    west, east = lon - dlon, lon + dlon
    if west < -180.0:
        west += 360.0
    if east > 180.0:
        east -= 360.0
    return BoundingBox(math.degrees(south), west, math.degrees(north), east)


def _distance_to_cell(lat: float, lon: float, box: BoundingBox) -> float:
    """Return the least great-circle distance in miles from a point to a cell."""
    dlon_west = (lon - box.west + 180.0) % 360.0 - 180.0
    dlon_east = (lon - box.east + 180.0) % 360.0 - 180.0
    if dlon_west >= 0 and dlon_east <= 0:
        # Inside the cell's longitudes: the nearest point is along the meridian.
        nearest_lat = min(max(lat, box.south), box.north)
        return abs(lat - nearest_lat) * math.pi / 180.0 * EARTH_RADIUS_MILES
    # Outside: the nearest point lies on the nearer meridian edge, where the perpendicular from
    # the point meets it (poleward of the point's own latitude), clamped to the edge.
    edge, dlon = (
        (box.west, dlon_west) if abs(dlon_west) <= abs(dlon_east) else (box.east, dlon_east)
    )
    cos_dlon = math.cos(math.radians(dlon))
    if cos_dlon <= 0:
        foot = math.copysign(90.0, lat) if lat else 90.0
    else:
        foot = math.degrees(math.atan(math.tan(math.radians(lat)) / cos_dlon))
    nearest_lat = min(max(foot, box.south), box.north)
    return haversine_miles(lat, lon, nearest_lat, edge)


def geohash_cells_covering(lat: float, lon: float, radius_miles: float, precision: int) -> set[str]:
    """Return every geohash cell of this precision that a circle touches."""
    _check_precision(precision)
    box = bounding_box(lat, lon, radius_miles)
    lat_bits, lon_bits = _bits(precision)
    n_lat, n_lon = 1 << lat_bits, 1 << lon_bits
    height, width = 180.0 / n_lat, 360.0 / n_lon
    first_row = min(n_lat - 1, int((box.south + 90.0) // height))
    last_row = min(n_lat - 1, int((box.north + 90.0) // height))
    first_col = int((box.west + 180.0) // width)
    last_col = int((box.east + 180.0) // width)
    if box.west > box.east:
        last_col += n_lon  # across the antimeridian: walk on and wrap the column number
    last_col = min(last_col, first_col + n_lon - 1)
    # Box edges are computed in floating point: widen by one cell and let the exact distance
    # test below decide, rather than miss a cell whose edge the circle only just touches.
    first_row, last_row = max(0, first_row - 1), min(n_lat - 1, last_row + 1)
    if last_col - first_col < n_lon - 1:
        first_col -= 1
        last_col = min(last_col + 1, first_col + n_lon - 1)
    cells = set()
    # A hair of slack so points exactly on the circle keep their cell despite rounding.
    reach = radius_miles * (1 + 1e-9) + 1e-9
    for row in range(first_row, last_row + 1):
        south = -90.0 + row * height
        for col in range(first_col, last_col + 1):
            col %= n_lon
            west = -180.0 + col * width
            cell = BoundingBox(south, west, south + height, west + width)
            if _distance_to_cell(lat, lon, cell) <= reach:
                cells.add(_hash_from_indices(row, col, precision))
    return cells


def choose_precision(radius_miles: float) -> int:
    """Return the finest geohash precision (3-6) at which a circle spans a few cells."""
    for precision, cell_miles in _PRECISION_FOR_RADIUS:
        if radius_miles <= cell_miles:
            return precision
    return MIN_PRECISION
