"""A generation derived from the previous one searches exactly as a full rebuild of the data."""

from __future__ import annotations

import dataclasses
import random

from directory.core.places import Place
from directory.search import (
    SearchRequest,
    build_index,
    current_generation,
    index_update,
    open_index,
)
from directory.search.index_update import FINGERPRINTS
from directory.search.whoosh.update import DOCORDER, whoosh_files
from tests import factories

NEAR = Place("Portland, OR", 45.52, -122.68, "city")


class Catalog:
    def __init__(self, resources, fingerprint):
        self.resources = tuple(resources)
        self.fingerprint = fingerprint


def _queries(resources) -> list[SearchRequest]:
    rng = random.Random(7)
    words = sorted({w.strip(".,").lower() for r in resources for w in r.name.split() if len(w) > 3})
    picks = rng.sample(words, 25)
    typos = [w[:2] + w[3:] for w in picks[:8]]  # a letter missing: typo correction
    prefixes = [w[:3] for w in picks[8:14]]
    texts = picks + typos + prefixes + [f"{a} {b}" for a, b in zip(picks, picks[1:], strict=False)]
    requests = [SearchRequest(q=q, per_page=50) for q in [*texts, "", "meeting", "zzzz"]]
    requests += [SearchRequest(q=q, near=NEAR, radius_miles=10, per_page=50) for q in picks[:6]]
    requests += [SearchRequest(q=q, sort="distance", near=NEAR, per_page=50) for q in picks[6:10]]
    return requests


def _answers(searcher, requests) -> list:
    out = []
    for request in requests:
        result = searcher.search(request)
        hits = [(h.resource.id, round(h.score, 9), h.distance_miles) for h in result.hits]
        out.append((request.q, hits, result.total, result.facets))
        out.append(("plan", request.q, searcher.plan(request.q)))
    return out


def _edits(resources: list):
    """Yield successive versions of the resource list, each a few edits from the last."""
    rng = random.Random(11)
    current = list(resources)
    for step in range(8):
        current = list(current)
        n = rng.randrange(len(current))
        current[n] = dataclasses.replace(current[n], name=current[n].name + f" Zephyrine{step}")
        del current[rng.randrange(len(current))]  # removed: its words may leave the index
        added = factories.generate(3, seed=100 + step)
        current.insert(
            rng.randrange(len(current)), dataclasses.replace(added[0], id=f"added-{step}")
        )
        m = rng.randrange(len(current))
        current[m] = dataclasses.replace(current[m], description="Quixotic unique words here")
        if step == 4:
            k = rng.randrange(len(current))
            current[k] = dataclasses.replace(current[k], status="inactive")
        yield step, current


def test_derived_generations_search_exactly_as_full_rebuilds(tmp_path):
    base = factories.generate(300)
    build_index(base, tmp_path / "live", "v0")
    requests = _queries(base)
    previous = base
    for step, resources in _edits(base):
        catalog = Catalog(resources, f"v{step + 1}")
        folder = build_index(resources, tmp_path / "live", catalog.fingerprint, previous=previous)
        assert (folder / DOCORDER).exists(), "the generation was not derived from the last one"
        full = tmp_path / f"full-{step}"
        build_index(resources, full, catalog.fingerprint)
        assert (folder / FINGERPRINTS).read_text() == (
            current_generation(full) / FINGERPRINTS
        ).read_text()
        derived, rebuilt = open_index(tmp_path / "live", catalog), open_index(full, catalog)
        try:
            assert _answers(derived, requests) == _answers(rebuilt, requests)
        finally:
            derived.close()
            rebuilt.close()
        previous = resources


def test_the_previous_generation_is_left_as_it_was(tmp_path):
    base = factories.generate(120)
    old_catalog = Catalog(base, "v0")
    build_index(base, tmp_path, "v0")
    old = open_index(tmp_path, old_catalog)
    before = _answers(old, _queries(base))
    changed = [dataclasses.replace(base[0], name="Entirely different")] + base[1:]
    folder = build_index(changed, tmp_path, "v1", previous=base)
    assert (folder / DOCORDER).exists()
    assert _answers(old, _queries(base)) == before  # a searcher on the old one reads on
    old.close()


def test_a_damaged_previous_generation_falls_back_to_a_full_build(tmp_path):
    base = factories.generate(120)
    generation = build_index(base, tmp_path, "v0")
    for path in whoosh_files(generation):
        if path.suffix == ".seg":
            path.write_bytes(path.read_bytes()[:100])  # a segment cut short
    changed = [dataclasses.replace(base[0], name="Entirely different")] + base[1:]
    catalog = Catalog(changed, "v1")
    folder = build_index(changed, tmp_path, "v1", previous=base)
    assert not (folder / DOCORDER).exists()  # built whole
    full = tmp_path / "full"
    build_index(changed, full, "v1")
    derived, rebuilt = open_index(tmp_path, catalog), open_index(full, catalog)
    requests = _queries(changed)
    assert _answers(derived, requests) == _answers(rebuilt, requests)
    derived.close()
    rebuilt.close()


def test_many_changes_build_the_index_whole(tmp_path):
    base = factories.generate(200)
    build_index(base, tmp_path, "v0")
    changed = [dataclasses.replace(r, name=r.name + " renamed") for r in base]
    folder = build_index(changed, tmp_path, "v1", previous=base)
    assert not (folder / DOCORDER).exists()


def test_without_the_previous_resources_the_index_is_built_whole(tmp_path):
    base = factories.generate(50)
    build_index(base, tmp_path, "v0")
    changed = [dataclasses.replace(base[0], name="Entirely different")] + base[1:]
    assert not (build_index(changed, tmp_path, "v1") / DOCORDER).exists()


def test_a_word_only_a_changed_document_had_finds_nothing_and_fails_nothing(tmp_path):
    base = factories.generate(80)
    base[0] = dataclasses.replace(base[0], name="Xylophonic Fellowship")
    build_index(base, tmp_path, "v0")
    changed = [dataclasses.replace(base[0], name="Another name"), *base[1:]]
    folder = build_index(changed, tmp_path, "v1", previous=base)
    assert (folder / DOCORDER).exists()
    searcher = open_index(tmp_path, Catalog(changed, "v1"))
    try:
        # Its postings are all of a deleted document: an empty list, not an error.
        assert searcher.search(SearchRequest(q="xylophonic")).hits == ()
    finally:
        searcher.close()


def test_after_a_restart_the_generation_in_service_gives_its_fingerprints(tmp_path, monkeypatch):
    """A fresh process knows no document: it takes the unchanged ones' from the generation."""
    base = factories.generate(200)
    build_index(base, tmp_path / "live", "v0")
    monkeypatch.setattr(index_update, "MEMO", index_update.FingerprintMemo())  # a new process
    changed = list(base)
    changed[7] = dataclasses.replace(base[7], name=base[7].name + " Zephyrine")
    changed[9] = dataclasses.replace(base[9], description="Quixotic unique words here")
    catalog = Catalog(changed, "v1")
    folder = build_index(changed, tmp_path / "live", "v1", previous=base, previous_fingerprint="v0")
    assert (folder / DOCORDER).exists()
    full = tmp_path / "full"
    build_index(changed, full, "v1")
    kept = (current_generation(full) / FINGERPRINTS).read_text()
    assert (folder / FINGERPRINTS).read_text() == kept
    derived, rebuilt = open_index(tmp_path / "live", catalog), open_index(full, catalog)
    try:
        assert _answers(derived, _queries(changed)) == _answers(rebuilt, _queries(changed))
    finally:
        derived.close()
        rebuilt.close()
