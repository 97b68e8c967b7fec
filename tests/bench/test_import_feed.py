"""A 100,000-meeting feed imports in well under 1 GB (bench/import_feed.py; issue 12, item 6).

The import runs in a child process, as `flask import meeting-guide` runs it, from a generated
feed through parsing, converting and checking every entry to the written resource file; the
child reports its own peak memory (VmHWM). The whole file's validation by datafile.load is
left out here: it is the validator's cost, not the importer's (see the README's figures).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench import import_feed
from directory.datafile import entry_text
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

MEETINGS = 100_000
PEAK_MB = 800  # measured 664 MB on the 2-core development machine; 1 GB was the requirement


def test_a_100000_meeting_feed_imports_in_well_under_1_gb(tmp_path):
    feed, into = tmp_path / "feed.json", tmp_path / "resources.yaml"
    feed.write_text(json.dumps(import_feed.generate_feed(MEETINGS)), encoding="utf-8")
    answer = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "import_feed.py"), "--child", str(feed), str(into),
         "--write", "--no-validate"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert answer.returncode == 0, answer.stderr[-2000:]
    stages = json.loads(answer.stdout.splitlines()[-1])
    peak = max(mb for _, _, mb in stages)
    assert peak < PEAK_MB, stages
    assert any(name.startswith(f"convert ({MEETINGS:,} taken, 0 skipped)") for name, *_ in stages)
    written = sum(1 for _ in entry_text.read_items(into.read_text(encoding="utf-8"), "resources"))
    assert written == MEETINGS
