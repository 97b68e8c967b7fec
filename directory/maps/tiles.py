"""Tiles the operator hosts: which kind, where from, and the one origin the CSP must allow.

No tile server of anyone else is ever used: every tile request says where a person is looking
for help. The default is no tiles at all (maps draw on the outlines that ship with the app).
An operator can serve either

- one PMTiles file (a regional extract of a Protomaps basemap build) from this app
  (`MAP_PMTILES_FILE`, answered with HTTP range requests at PMTILES_PATH), or
- tiles of their own on a URL (`MAP_TILES_URL`): a raster template (`.../{z}/{x}/{y}.png`),
  a vector template (`.../{z}/{x}/{y}.mvt` or `.pbf`), or a `.pmtiles` file the proxy serves.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pmtiles.reader import Reader
from pmtiles.tile import TileType

PMTILES_PATH = "/map/basemap.pmtiles"
HEADER_BYTES = 127  # a PMTiles v3 header
VECTOR_SUFFIXES = (".mvt", ".pbf")
DEFAULT_MAX_ZOOM = 15  # Protomaps basemap builds stop at 15; the map zooms past it
# What a tile origin may look like before it goes into a security header: a scheme, a host
# name or address, a port. Nothing that could end the directive or add a source.
ORIGIN = re.compile(r"https?://(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?")
TEMPLATE_FIELDS = re.compile(r"\{[zxy]\}")


class TileSettingError(ValueError):
    """A map tile setting cannot be used; the message names it and says why."""


@dataclass(frozen=True)
class TileSource:
    kind: str  # "pmtiles" (vector PMTiles), "vector" (a {z}/{x}/{y} template) or "raster"
    url: str  # absolute, or a path on this site
    origin: str | None  # the other origin the browser fetches from; None: this site
    attribution: str
    max_zoom: int = DEFAULT_MAX_ZOOM


def source_of(config: Mapping) -> TileSource | None:
    """Return the tile source the settings name, or None (the outlines alone)."""
    attribution = config.get("MAP_TILES_ATTRIBUTION") or ""
    if config.get("MAP_PMTILES_FILE") and config.get("MAP_TILES_URL"):
        raise TileSettingError(
            "DIRECTORY_MAP_PMTILES_FILE and DIRECTORY_MAP_TILES_URL are both set: set one"
        )
    if config.get("MAP_PMTILES_FILE"):
        header = pmtiles_header(config["MAP_PMTILES_FILE"])
        return TileSource("pmtiles", PMTILES_PATH, None, attribution, header["max_zoom"])
    url = (config.get("MAP_TILES_URL") or "").strip()
    if not url:
        return None
    origin = tile_origin(url)
    path = urlsplit(url).path.lower()
    if path.endswith(".pmtiles"):
        kind = "pmtiles"
    elif path.endswith(VECTOR_SUFFIXES):
        kind = "vector"
    else:
        kind = "raster"
    return TileSource(kind, url, origin, attribution)


def tile_origin(url: str) -> str | None:
    """Return the origin a tile URL is on (None: a path on this site); refuse anything else."""
    if url.startswith("/") and not url.startswith("//"):
        _check_characters(url)
        return None
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    if not ORIGIN.fullmatch(origin) or parts.username or parts.password:
        raise TileSettingError(
            f"DIRECTORY_MAP_TILES_URL={url[:80]!r} is not an address on your own tile server,"
            " like https://tiles.example.org/{z}/{x}/{y}.png or"
            " https://tiles.example.org/region.pmtiles"
        )
    _check_characters(url)
    return origin.lower()


def _check_characters(url: str) -> None:
    if any(c in url for c in " ;,'\"\\<>") or any(ord(c) < 33 or ord(c) > 126 for c in url):
        raise TileSettingError(
            f"DIRECTORY_MAP_TILES_URL={url[:80]!r} holds characters an address cannot"
            " (spaces, quotes, ';' or ','); percent-encode them"
        )
    path = urlsplit(url).path.lower()
    if not path.endswith(".pmtiles") and len(set(TEMPLATE_FIELDS.findall(url))) != 3:
        raise TileSettingError(
            f"DIRECTORY_MAP_TILES_URL={url[:80]!r} needs {{z}}, {{x}} and {{y}} (a tile"
            " template) or to end in .pmtiles (one PMTiles file)"
        )


def pmtiles_header(path: str | Path) -> dict:
    """Return a PMTiles file's header; raise TileSettingError unless it holds vector tiles."""
    try:
        with open(path, "rb") as f:
            start = f.read(HEADER_BYTES)
        header = Reader(lambda offset, length: start[offset : offset + length]).header()
    except OSError as exc:
        raise TileSettingError(
            f"DIRECTORY_MAP_PMTILES_FILE={str(path)[:80]!r} cannot be read: {exc.strerror}"
        ) from None
    except Exception:  # the library's own errors for a file that is not PMTiles v3
        raise TileSettingError(
            f"DIRECTORY_MAP_PMTILES_FILE={str(path)[:80]!r} is not a PMTiles (version 3) file"
        ) from None
    if header["tile_type"] != TileType.MVT:
        raise TileSettingError(
            f"DIRECTORY_MAP_PMTILES_FILE={str(path)[:80]!r} holds {header['tile_type'].name}"
            " tiles; the map draws vector (MVT) PMTiles, such as a Protomaps basemap extract."
            " Serve raster tiles with DIRECTORY_MAP_TILES_URL instead"
        )
    return header


def csp_sources(config: Mapping) -> str:
    """Return the origin to add to img-src and connect-src, or "" (this site only)."""
    url = (config.get("MAP_TILES_URL") or "").strip()
    if not url or config.get("MAP_PMTILES_FILE"):
        return ""
    return tile_origin(url) or ""
