"""A directory built from real Meeting Guide feeds with our own importer, and its raw records.

`build(folder)` imports every feed listed in `tests/fixtures/real/feeds.yaml` (or in another
folder of the same shape, such as a full set of feeds) and writes one resource file; `records`
pairs each imported resource id with the raw feed record it came from, so judged queries can
be checked against what the feeds themselves say.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from directory.formats.meeting_guide import read as mg
from tests.conftest import FIXTURES

REAL = FIXTURES / "real"


@dataclass(frozen=True)
class Raw:
    resource_id: str
    feed: str  # the file's stem
    zone: str  # the feed's time zone
    record: dict[str, Any]


def _manifest(folder: Path) -> dict:
    return yaml.safe_load((folder / "feeds.yaml").read_text(encoding="utf-8"))


def build(out: Path, folder: Path = REAL) -> tuple[Path, list[Raw]]:
    """Write `out`/resources.yaml from the feeds; return its path and the raw records."""
    manifest = _manifest(folder)
    info = manifest["directory"]
    resources: list[dict] = []
    raws: list[Raw] = []
    for feed in manifest["feeds"]:
        path = folder / feed["file"]
        meetings = mg.parse_feed(path.read_bytes(), str(path))
        result = mg.convert(
            meetings,
            feed["fellowship"],
            id_prefix=feed["prefix"],
            timezone=info["timezone"],
            country=info.get("country", "US"),
            feed=path.stem,
            feed_timezone=feed["timezone"],
        )
        skipped = {p.index for p in result.skipped}
        taken = [m for i, m in enumerate(meetings, start=1) if i not in skipped]
        for meeting, record in zip(taken, result.records, strict=True):
            raws.append(Raw(record["id"], path.stem, feed["timezone"], meeting))
        resources.extend(result.records)
    document = {"format": 1, "directory": info, "resources": resources}
    target = out / "resources.yaml"
    target.write_text(
        yaml.dump(document, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    return target, raws
