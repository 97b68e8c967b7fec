"""A small PMTiles file made in the test: a few features as real vector tiles (MVT)."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import mapbox_vector_tile
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import write

# Portland, Oregon: a river, a park and a point, in longitude and latitude.
FEATURES = [
    ("water", "LineString", [(-122.70, 45.60), (-122.66, 45.52), (-122.65, 45.45)], "Willamette"),
    (
        "park",
        "Polygon",
        [(-122.72, 45.53), (-122.70, 45.53), (-122.70, 45.55), (-122.72, 45.53)],
        "Forest Park",
    ),  # fmt: skip
    ("places", "Point", [(-122.6765, 45.5231)], "Portland"),
]
ZOOMS = range(0, 13)
EXTENT = 4096


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def _local(lon: float, lat: float, z: int, x: int, y: int) -> tuple[int, int]:
    """Tile coordinates of a point (origin at the top left, as MVT has it)."""
    n = 2**z
    fx = (lon + 180) / 360 * n - x
    fy = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n - y
    return round(fx * EXTENT), round(fy * EXTENT)


def _wkt(kind: str, points: list[tuple[int, int]]) -> str:
    coords = ", ".join(f"{px} {py}" for px, py in points)
    if kind == "Point":
        return f"POINT ({coords})"
    if kind == "LineString":
        return f"LINESTRING ({coords})"
    return f"POLYGON (({coords}))"


def build(path: Path) -> dict[tuple[int, int, int], bytes]:
    """Write a PMTiles v3 file of gzipped MVT tiles around Portland; return the tiles."""
    tiles: dict[tuple[int, int, int], bytes] = {}
    for z in ZOOMS:
        x, y = _tile_of(-122.6765, 45.5231, z)
        layers = {}
        for layer, kind, coords, name in FEATURES:
            local = [_local(lon, lat, z, x, y) for lon, lat in coords]
            layers.setdefault(layer, []).append(
                {"geometry": _wkt(kind, local), "properties": {"name": name}}
            )
        encoded = mapbox_vector_tile.encode(
            [{"name": name, "features": features} for name, features in layers.items()],
            default_options={"y_coord_down": True, "quantize_bounds": None},
        )
        tiles[(z, x, y)] = gzip.compress(encoded, mtime=0)
    with write(str(path)) as writer:
        for (z, x, y), data in sorted(tiles.items(), key=lambda t: zxy_to_tileid(*t[0])):
            writer.write_tile(zxy_to_tileid(z, x, y), data)
        writer.finalize(
            {
                "tile_type": TileType.MVT,
                "tile_compression": Compression.GZIP,
                "min_lon_e7": int(-122.8 * 1e7),
                "min_lat_e7": int(45.4 * 1e7),
                "max_lon_e7": int(-122.5 * 1e7),
                "max_lat_e7": int(45.7 * 1e7),
                "center_zoom": 10,
                "center_lon_e7": int(-122.6765 * 1e7),
                "center_lat_e7": int(45.5231 * 1e7),
            },
            {
                "vector_layers": [
                    {"id": name, "fields": {"name": "String"}}
                    for name in ("water", "park", "places")
                ]
            },  # fmt: skip
        )
    return tiles
