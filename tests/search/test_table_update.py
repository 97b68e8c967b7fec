"""A table derived from the previous generation's equals the table walked from the resources."""

from __future__ import annotations

import dataclasses
import json
import random

import numpy as np

from directory.core.model import Location
from directory.core.schedule import Schedule
from directory.search import build_index, current_generation
from directory.search.index import DOCIDS, _previous_table
from directory.search.stored_table import DATA, read_columns
from directory.search.table import TableColumns, walk_resources
from directory.search.table_update import derive_columns
from tests import factories


def assert_same_columns(derived: TableColumns, walked: TableColumns) -> None:
    assert derived.n == walked.n
    assert derived.zones == walked.zones
    assert set(derived.arrays) == set(walked.arrays)
    for name, array in walked.arrays.items():
        assert derived.arrays[name].dtype == array.dtype, name
        assert np.array_equal(derived.arrays[name], array, equal_nan=True), name
    pairs = [("areas", derived.areas, walked.areas)]
    pairs += [(key, derived.facets[key], walked.facets[key]) for key in walked.facets]
    assert list(derived.facets) == list(walked.facets)
    for key, a, b in pairs:
        assert a.values == b.values, key
        assert a.index == b.index, key
        for name in ("pair_docs", "pair_values", "by_doc_start", "by_doc_values"):
            x, y = getattr(a, name), getattr(b, name)
            assert x.dtype == y.dtype and np.array_equal(x, y), (key, name)
        assert len(a.docs_of) == len(b.docs_of), key
        for x, y in zip(a.docs_of, b.docs_of, strict=True):
            assert np.array_equal(x, y), key


def _edits(resources: list):
    """Yield successive versions, each a few edits of every kind a table reads."""
    rng = random.Random(5)
    current = list(resources)
    for step in range(10):
        current = list(current)
        n = rng.randrange(len(current))
        current[n] = dataclasses.replace(current[n], name=f"Aardvark {step} " + current[n].name)
        m = rng.randrange(len(current))
        location = current[m].location or Location(lat=45.0, lon=-122.0)
        current[m] = dataclasses.replace(
            current[m],
            location=dataclasses.replace(location, city=f"Newtown {step}", region=None),
        )
        k = rng.randrange(len(current))
        zone = ("Pacific/Honolulu", "America/Chicago", "Europe/Madrid")[step % 3]
        current[k] = dataclasses.replace(
            current[k],
            schedule=Schedule.from_items([{"days": "tue", "start": "19:00"}], zone)
            if step % 4
            else None,
        )
        del current[rng.randrange(len(current))]
        added = factories.generate(2, seed=500 + step)
        current.insert(rng.randrange(len(current)), dataclasses.replace(added[0], id=f"new-{step}"))
        # Every entry after an insertion moves in the file: a new line, the same row.
        current = [dataclasses.replace(r, line=r.line + 1) if i > n else r
                   for i, r in enumerate(current)]  # fmt: skip
        if step == 6:
            rng.shuffle(current)  # another document order altogether
        if step == 7:
            current[0] = dataclasses.replace(current[0], languages=("xx", "en"), services=())
        yield current


def test_derived_columns_equal_walked_columns_over_many_edits():
    previous = [r for r in factories.generate(400) if r.active]
    old = walk_resources(previous)
    for resources in _edits(previous):
        derived = derive_columns(old, previous, resources)
        walked = walk_resources(resources)
        assert_same_columns(derived, walked)
        previous, old = resources, derived


def test_derived_columns_of_no_change_no_documents_and_all_new():
    resources = [r for r in factories.generate(60) if r.active]
    old = walk_resources(resources)
    assert_same_columns(derive_columns(old, resources, resources), old)
    assert_same_columns(derive_columns(old, resources, []), walk_resources([]))
    others = [dataclasses.replace(r, id=f"other-{r.id}") for r in factories.generate(30, seed=9)]
    assert_same_columns(derive_columns(old, resources, others), walk_resources(others))
    assert_same_columns(derive_columns(walk_resources([]), [], others), walk_resources(others))


def _stored(generation):
    ids_text = (generation / DOCIDS).read_text()
    meta = json.loads((generation / "meta.json").read_text())
    return read_columns(generation, len(json.loads(ids_text)), meta["fingerprint"], ids_text)


def test_a_derived_generation_stores_the_table_a_full_build_stores(tmp_path):
    base = factories.generate(300)
    build_index(base, tmp_path / "live", "v0")
    previous, fingerprint = base, "v0"
    for step, resources in enumerate(_edits([r for r in base if r.active])):
        if step > 4:
            break
        folder = build_index(
            resources, tmp_path / "live", f"v{step + 1}", previous=previous,
            previous_fingerprint=fingerprint,
        )  # fmt: skip
        ids = json.loads((folder / DOCIDS).read_text())
        by_id = {r.id: r for r in resources}
        assert_same_columns(_stored(folder), walk_resources([by_id[i] for i in ids]))
        previous, fingerprint = resources, f"v{step + 1}"


def test_the_table_is_walked_unless_the_current_generation_is_the_previous_data(tmp_path):
    base = factories.generate(120)
    build_index(base, tmp_path, "v0")
    generation = current_generation(tmp_path)
    assert _previous_table(generation, base, "v0") is not None
    assert _previous_table(generation, base, "another version") is None
    assert _previous_table(generation, base, None) is None
    assert _previous_table(generation, base[:-5], "v0") is None  # ids it does not have
    data = generation / DATA
    damaged = bytearray(data.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    data.write_bytes(bytes(damaged))
    assert _previous_table(generation, base, "v0") is None  # checksum: never a damaged row
    # And the next generation, built with no table to take rows from, is still right.
    changed = [dataclasses.replace(base[0], name="Changed name"), *base[1:]]
    folder = build_index(changed, tmp_path, "v1", previous=base, previous_fingerprint="v0")
    ids = json.loads((folder / DOCIDS).read_text())
    by_id = {r.id: r for r in changed}
    assert_same_columns(_stored(folder), walk_resources([by_id[i] for i in ids]))
