"""bench/search.py: the SQLite baseline answers as our search does, and the run reports it."""

from __future__ import annotations

import dataclasses
import sqlite3

import pytest

from bench import search as bench
from directory.core.model import Location, Online
from directory.search import build_index, open_index
from tests.factories import generate


@pytest.fixture(scope="module")
def both_sides(tmp_path_factory):
    """Our search over a real index and the SQLite baseline in a real file, same directory."""
    folder = tmp_path_factory.mktemp("search-bench")
    resources = _with_odd_places(generate(800))
    build_index(resources, folder / "index", "bench-test")
    searcher = open_index(folder / "index", bench._Catalog(resources, "bench-test"))
    baseline = bench.SqliteBaseline(resources, folder / "baseline.sqlite")
    yield searcher, baseline, folder / "baseline.sqlite"
    baseline.close()
    searcher.close()


def _with_odd_places(resources):
    """Add what the generator never makes: doors with no point (never inside a radius), groups
    based in a town with no door (joined from anywhere), hybrid with no point, closed ones."""
    out = []
    for i, r in enumerate(resources):
        city = r.location.city if r.location else "Denver"
        if i % 23 == 1:
            r = dataclasses.replace(r, location=Location(address="1 Main St", city=city))
        elif i % 23 == 2:
            r = dataclasses.replace(r, location=Location(city=city), online=None)
        elif i % 23 == 3:
            online = Online(url=f"https://meet.example.org/odd-{i}")
            r = dataclasses.replace(r, location=Location(address="2 Main St"), online=online)
        elif i % 23 == 4:
            r = dataclasses.replace(r, status="temporarily-closed")
        out.append(r)
    kinds = {(r.attendance, r.location is not None and r.location.is_place_to_go) for r in out}
    assert {("in_person", True), ("hybrid", True), ("inactive", True)} <= kinds
    return out


@pytest.mark.parametrize("kind", bench.KINDS)
def test_the_baseline_gives_our_totals_and_facet_counts(both_sides, kind):
    searcher, baseline, _ = both_sides
    batch = bench.requests(kind, 24)
    agreed = bench.agreement(searcher, baseline, batch)
    assert agreed["first_difference"] is None
    assert agreed["totals"] == agreed["facets"] == len(batch)
    assert agreed["pages"] == agreed["ordered"]  # by distance: the same ids in the same order
    totals = [baseline.search(r, searcher.plan(r.q)).total for r in batch]
    assert sum(totals) > 0  # something was compared


def test_a_radius_with_nothing_located_inside_widens_on_both_sides(both_sides):
    searcher, baseline, _ = both_sides
    city = bench.CITIES[0]
    far = bench.Place("nowhere", city[2] + 3.0, city[3] + 3.0, "city")
    request = bench.SearchRequest(near=far, radius_miles=5.0, at=bench.MONDAY_EVENING)
    ours = searcher.search(request)
    theirs = baseline.search(request, searcher.plan(""))
    assert ours.notice and ours.total > ours.online_count  # widened to the nearest farther away
    assert (theirs.total, theirs.online_count) == (ours.total, ours.online_count)
    assert [row[0] for row in theirs.page] == [hit.resource.id for hit in ours.hits]


def test_the_baseline_is_analyzed_and_prepared(both_sides):
    _, _, path = both_sides
    with sqlite3.connect(path) as db:
        analyzed = {row[0] for row in db.execute("SELECT tbl FROM sqlite_stat1")}
    assert {"docs", "doc_values", "windows"} <= analyzed


def test_the_benchmark_reports_each_kind_against_sqlite():
    lines: list[str] = []
    figures = bench.bench_size(300, queries=5, check=5, out=lines.append)
    for kind in bench.KINDS:
        row = figures[kind]
        assert row["p95"] > 0 and row["sqlite_p95"] > 0 and row["sqlite_cpu"] > 0
        assert row["agreement"]["totals"] == 5
    assert any(line.startswith("text+geo+filters+time") for line in lines)
