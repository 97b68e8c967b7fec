"""Tile settings: which source, the one origin the CSP may add, and what stops the start."""

from __future__ import annotations

import pytest

from directory.maps import tiles
from tests.maps import pmtiles_file


def test_no_setting_is_no_tiles_and_no_extra_origin():
    assert tiles.source_of({}) is None
    assert tiles.csp_sources({}) == ""


@pytest.mark.parametrize(
    ("url", "kind", "origin"),
    [
        ("https://tiles.example.org/{z}/{x}/{y}.png", "raster", "https://tiles.example.org"),
        ("https://Tiles.Example.org:8443/v/{z}/{x}/{y}.mvt", "vector",
         "https://tiles.example.org:8443"),
        ("https://tiles.example.org/region.pmtiles", "pmtiles", "https://tiles.example.org"),
        ("/tiles/region.pmtiles", "pmtiles", None),
    ],
)  # fmt: skip
def test_a_tile_url_names_its_kind_and_origin(url, kind, origin):
    source = tiles.source_of({"MAP_TILES_URL": url, "MAP_TILES_ATTRIBUTION": "© OSM"})
    assert (source.kind, source.origin, source.url) == (kind, origin, url)
    assert tiles.csp_sources({"MAP_TILES_URL": url}) == (origin or "")


def test_both_settings_at_once_are_refused(tmp_path):
    with pytest.raises(tiles.TileSettingError, match="both set"):
        tiles.source_of({"MAP_PMTILES_FILE": str(tmp_path / "a"), "MAP_TILES_URL": "/a.pmtiles"})


def test_a_pmtiles_file_is_read_for_its_zooms(tmp_path):
    path = tmp_path / "region.pmtiles"
    pmtiles_file.build(path)
    source = tiles.source_of({"MAP_PMTILES_FILE": str(path)})
    assert (source.kind, source.url, source.origin) == ("pmtiles", tiles.PMTILES_PATH, None)
    assert source.max_zoom == max(pmtiles_file.ZOOMS)
    assert tiles.csp_sources({"MAP_PMTILES_FILE": str(path)}) == ""


def test_a_raster_pmtiles_file_is_refused(tmp_path):
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import write

    path = tmp_path / "raster.pmtiles"
    with write(str(path)) as writer:
        writer.write_tile(zxy_to_tileid(0, 0, 0), b"\x89PNG not really")
        writer.finalize({"tile_type": TileType.PNG, "tile_compression": Compression.NONE}, {})
    with pytest.raises(tiles.TileSettingError, match="PNG tiles"):
        tiles.pmtiles_header(path)
