"""The table kept with each index generation, and a searcher reopened after a fork."""

from __future__ import annotations

import json
import os
import pickle
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from directory.core.places import Place
from directory.search import SearchRequest, build_index, open_index
from directory.search.index import current_generation, reopen_index
from directory.search.query import Searcher
from directory.search.stored_table import DATA, META
from directory.search.table import ResourceTable
from tests.factories import generate

AT = datetime(2025, 6, 4, 18, 40, tzinfo=ZoneInfo("America/Los_Angeles"))  # a Wednesday evening
PORTLAND = Place("Portland, OR", 45.5152, -122.6784, "city")
REQUESTS = [
    SearchRequest(at=AT),
    SearchRequest(q="meeting", at=AT),
    SearchRequest(q="food pantry", near=PORTLAND, radius_miles=10, at=AT),
    SearchRequest(near=PORTLAND, radius_miles=5, sort="distance", at=AT),
    SearchRequest(filters={"category": ("meeting",)}, open_now=True, at=AT),
    SearchRequest(filters={"category": ("meeting",)}, starting_within=120, at=AT),
    SearchRequest(filters={"day": ("mon", "wed"), "time_of_day": ("evening",)}, at=AT),
    SearchRequest(q="recovery", filters={"language": ("es",)}, sort="soonest", at=AT),
    SearchRequest(day_offset=1, at=AT, per_page=50),
    SearchRequest(q="housing", page=2, per_page=10, at=AT),
]


class Catalog:
    def __init__(self, resources, fingerprint):
        self.resources = tuple(resources)
        self.fingerprint = fingerprint


CATALOG = Catalog(generate(300, seed=11), "stored-table-test")


def answers(searcher: Searcher) -> list:
    """Return what each request answers: hits in order, totals and facet counts."""
    out = []
    for request in REQUESTS:
        result = searcher.search(request)
        hits = [(h.resource.id, h.distance_miles) for h in result.hits]
        out.append((hits, result.total, result.online_count, result.facets))
    return out


def walked(searcher: Searcher) -> Searcher:
    """The same generation with its table built by walking the catalog, as before."""
    table = ResourceTable(searcher.table.resources)
    return Searcher(
        table, searcher.scorer, fingerprint=searcher.fingerprint, generation=searcher.generation
    )


@pytest.fixture
def generation(tmp_path):
    return build_index(CATALOG.resources, tmp_path, CATALOG.fingerprint)


def test_a_build_stores_the_table_and_opening_reads_it_back(tmp_path, generation):
    assert (generation / DATA).is_file() and (generation / META).is_file()
    searcher = open_index(tmp_path, CATALOG)
    assert not searcher.table.lat.flags.writeable  # mapped from table.bin, not built
    assert answers(searcher) == answers(walked(searcher))
    assert any(hits for hits, *_ in answers(searcher))
    searcher.close()


def _damage(path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "damage",
    [
        lambda g: _damage(g / DATA, len((g / DATA).read_bytes()) // 2),
        lambda g: (g / DATA).write_bytes((g / DATA).read_bytes()[:-100]),
        lambda g: (g / META).write_text("{", encoding="utf-8"),
        lambda g: (g / DATA).unlink(),
        lambda g: (g / META).unlink(),  # a generation built before tables were stored
    ],
    ids=["flipped-byte", "truncated", "broken-json", "no-data", "no-meta"],
)
def test_a_damaged_or_missing_table_is_built_again_never_served(tmp_path, generation, damage):
    reference = answers(open_index(tmp_path, CATALOG))
    damage(generation)
    searcher = open_index(tmp_path, CATALOG)
    assert searcher.table.lat.flags.writeable  # built by walking the catalog
    assert answers(searcher) == reference
    # ... and stored again, whole: the next open reads it back.
    again = open_index(tmp_path, CATALOG)
    assert not again.table.lat.flags.writeable
    assert answers(again) == reference


def test_a_table_made_from_other_data_is_not_used(tmp_path, generation):
    meta = json.loads((generation / META).read_text(encoding="utf-8"))
    meta["ids"] = "0" * 64  # another order of documents
    (generation / META).write_text(json.dumps(meta), encoding="utf-8")
    searcher = open_index(tmp_path, CATALOG)
    assert searcher.table.lat.flags.writeable
    assert answers(searcher) == answers(walked(searcher))


def test_a_read_only_generation_serves_with_a_walked_table(tmp_path, generation):
    (generation / META).unlink()
    os.chmod(generation, 0o555)
    try:
        if os.access(generation, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        searcher = open_index(tmp_path, CATALOG)
        assert answers(searcher) == answers(walked(searcher))
    finally:
        os.chmod(generation, 0o755)


def test_a_worker_after_fork_serves_the_same_results_with_the_inherited_table(tmp_path, generation):
    parent = open_index(tmp_path, CATALOG)
    expected = answers(parent)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: what a gunicorn worker does in post_worker_init
        code = 1
        try:
            os.close(read)
            child = reopen_index(tmp_path, parent, CATALOG)
            parent.close()  # its own copies of the parent's files only
            same_table = child.table is parent.table
            own_files = child._text_index is not parent._text_index
            with os.fdopen(write, "wb") as out:
                pickle.dump((answers(child), same_table, own_files), out)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as incoming:
        got, same_table, own_files = pickle.load(incoming)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert got == expected
    assert same_table and own_files
    assert answers(parent) == expected  # the parent's files are still its own and open
    parent.close()


def test_reopen_opens_afresh_when_a_new_generation_is_current(tmp_path, generation):
    old = open_index(tmp_path, CATALOG)
    newer = Catalog(generate(120, seed=12), "newer")
    build_index(newer.resources, tmp_path, newer.fingerprint)
    reopened = reopen_index(tmp_path, old, newer)
    assert reopened.generation == current_generation(tmp_path).name != old.generation
    assert reopened.resource_count == sum(r.active for r in newer.resources)
    old.close()
    reopened.close()
