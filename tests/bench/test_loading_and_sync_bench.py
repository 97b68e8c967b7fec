"""bench/loading.py and bench/sync.py run end to end on small sizes and report every figure."""

from __future__ import annotations

from pathlib import Path

from bench import loading, sync


def test_the_loading_benchmark_reports_each_stage(tmp_path):
    lines: list[str] = []
    figures = loading.bench_size(300, Path(tmp_path), baseline=True, out=lines.append)
    for stage in ("yaml", "baseline", "cold", "cached", "index", "restart"):
        assert figures[stage] > 0 and stage in figures["cpu"]
    assert figures["resources"] == 300 and "restart" in lines[0]


def test_the_sync_benchmark_syncs_then_finds_nothing_changed(capsys):
    assert sync.main(["--feeds", "2", "--meetings", "30"]) == 0
    out = capsys.readouterr().out
    assert "first sync" in out and "re-sync, nothing changed" in out
    assert "cold load of the merge" in out and "438 resources" in out
