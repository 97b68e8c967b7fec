"""bench/api.py runs both code versions over the same directories and prints their figures."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_the_api_benchmark_compares_two_versions_on_the_real_data_directory():
    answer = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "api.py"), "--before", "HEAD", "--directories",
         "real", "--rounds", "1", "--repeats", "1"],
        capture_output=True, text=True, timeout=600, check=False, cwd=ROOT,
    )  # fmt: skip
    assert answer.returncode == 0, answer.stderr[-2000:]
    rows = [line for line in answer.stdout.splitlines() if line.startswith("real")]
    assert [row.split()[1:3] for row in rows] == [["result", "page"], ["API", "search"]]
    for row in rows:  # now and before, p50 / p95 each, then the ratios
        assert len(re.findall(r"\d+\.\d+ / +\d+\.\d+", row)) == 3, row
