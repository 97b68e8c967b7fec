"""bench/memory.py reads a process's memory, and runs end to end on a small directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench import memory


def test_smaps_reads_this_process_memory():
    figures = memory.smaps(os.getpid())
    assert figures["rss"] > 1 and 0 < figures["pss"] <= figures["rss"]
    assert figures["shared"] + figures["private"] == pytest.approx(figures["rss"], rel=0.05)
    assert memory.smaps(2**22 + 12345) == {}  # no such process


@pytest.mark.slow
def test_the_memory_benchmark_reports_each_figure(tmp_path):
    figures = memory.bench_size(200, memory.ROOT, Path(tmp_path), workers=2)
    assert figures["answered"] > 0
    assert len(figures["fork_to_ready"]) == 2 and len(figures["reload_fork_to_ready"]) >= 2
    for name in ("cold", "restarted_idle", "steady", "after_reload"):
        assert figures[name]["total_pss"] > 0 and "worker 2" in figures[name]
    assert figures["reload_peak_pss"] >= figures["after_reload"]["master"]["pss"]
