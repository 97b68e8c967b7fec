"""The offline base: decoded from the committed file, cut to a view, and made from us-atlas."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from directory.core.geo import BoundingBox
from directory.maps import outlines

MAP_DIR = Path(__file__).parent.parent.parent / "map"
PORTLAND = BoundingBox(south=45.2, west=-123.2, north=45.8, east=-122.2)


def test_the_shipped_outlines_hold_every_state_and_county():
    base = outlines.shipped()
    states = {name for kind, name, *_ in base.labels if kind == outlines.STATE}
    counties = [name for kind, name, *_ in base.labels if kind == outlines.COUNTY]
    assert {"Oregon", "Washington", "Alaska", "Hawaii", "Puerto Rico"} <= states
    assert len(states) >= 50 and len(counties) > 3000
    assert "us-atlas 3.0.1" in base.about and "Census" in base.about
    # Decoded to real degrees: the whole file lies within the US and its territories' box.
    assert base.boxes[:, 0].min() >= -180 and base.boxes[:, 2].max() <= 180
    assert -15 < base.boxes[:, 1].min() < -14  # American Samoa
    assert 71 < base.boxes[:, 3].max() < 72  # Alaska's north coast


def test_a_view_gets_only_its_lines_and_labels():
    part = outlines.within(outlines.shipped(), PORTLAND, tolerance=0.001)
    names = {label["name"] for label in part.labels}
    assert {"Multnomah", "Washington", "Clark"} <= names
    assert part.states and part.counties
    for line in part.states + part.counties:
        # A line is cut to the segments that reach the box: its inner points are near it.
        for lon, lat in line[1:-1]:
            assert -124 < lon < -121.5 and 44.5 < lat < 46.5
    assert not any(label["name"] == "Texas" for label in part.labels)


def test_a_wide_view_is_state_lines_only_and_thinned():
    country = BoundingBox(south=24, west=-125, north=50, east=-66)
    fine = outlines.within(outlines.shipped(), country, tolerance=0.0)
    coarse = outlines.within(outlines.shipped(), country, tolerance=0.05)
    assert not fine.counties and not coarse.counties
    assert sum(map(len, coarse.states)) < sum(map(len, fine.states)) * 0.9
    assert not any(label["kind"] == "county" for label in coarse.labels)


def test_the_committed_file_is_what_build_outlines_makes(tmp_path):
    node = shutil.which("node")
    if node is None or not (MAP_DIR / "node_modules" / "us-atlas").is_dir():
        pytest.skip("Node.js and map/'s packages are needed (make vendor installs them)")
    out = tmp_path / "outlines.json"
    done = subprocess.run(
        [node, "build-outlines.mjs", str(out)], cwd=MAP_DIR, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == outlines.DATA.read_bytes()
