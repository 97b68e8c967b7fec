"""Short share codes: a few characters per listing, read back the same, never the wrong one."""

from __future__ import annotations

import re

import pytest

from directory.datafile.load import load_catalog
from directory.referrals import share_code
from directory.referrals.share_code import MIN_LENGTH, ShareCodes, resource_hash, share_codes
from tests.conftest import FIXTURES, SAMPLE

FIXTURE = FIXTURES / "referrals.yaml"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(FIXTURE)


def test_a_list_reads_back_in_order_from_a_few_characters_per_listing(catalog):
    codes = share_codes(catalog)
    ids = ["hawthorne-serenity-aa", "harbor-detox", "bridge-recovery-house", "east-coast-aa"]
    code = codes.code(ids)
    assert re.fullmatch(r"[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}", code), code
    assert codes.resource_ids(code, 40) == (ids, 0)
    # Nothing but the ids: the same list always gives the same code, on any server.
    assert ShareCodes(r.id for r in reversed(catalog.resources)).code(ids) == code
    assert len(code) < len(",".join(ids)) / 3


def test_the_sample_directorys_ten_listings_make_an_address_of_eighty_characters_at_most():
    sample = load_catalog(SAMPLE)
    ids = [r.id for r in sample.active()][:10]
    code = share_codes(sample).code(ids)
    assert len("https://recovery.example.org/r/" + code) <= 80, code
    assert share_codes(sample).resource_ids(code, 40) == (ids, 0)


def test_typed_codes_are_forgiving(catalog):
    codes = share_codes(catalog)
    code = codes.code(["harbor-detox", "peer-center"])
    assert codes.resource_ids(code.upper(), 40)[0] == ["harbor-detox", "peer-center"]
    assert codes.resource_ids(f" {code} ", 40)[0] == ["harbor-detox", "peer-center"]
    # Crockford's alphabet has no i, l, o or u: a person reading 1 as l, or 0 as o, still lands.
    confusable = code.replace("1", "l").replace("0", "o")
    assert codes.resource_ids(confusable, 40)[0] == ["harbor-detox", "peer-center"]


@pytest.mark.parametrize(
    ("typed", "unread"),
    [("", 0), ("zzzz", 1), ("ab", 1), ("a" * 13, 1), ("ab!d", 1), ("----", 0), (None, 0),
     ("x" * 2000, 1), ("<script>", 1), ("ab cd", 1)],
)  # fmt: skip
def test_what_cannot_be_read_is_counted_never_guessed(catalog, typed, unread):
    ids, count = share_codes(catalog).resource_ids(typed, 40)
    assert ids == [] and count == unread


def test_repeats_are_dropped_and_the_cap_is_kept(catalog):
    codes = share_codes(catalog)
    every = [r.id for r in catalog.resources]
    code = codes.code(every + every[:2])
    ids, unread = codes.resource_ids(code, 5)
    assert ids == every[:5] and unread == len(every) - 5  # the repeats are not counted


def test_an_inactive_listing_still_reads_so_the_page_can_say_it_is_gone(catalog):
    assert not catalog.by_id("closed-pantry").active
    codes = share_codes(catalog)
    assert codes.resource_ids(codes.code(["closed-pantry"]), 40) == (["closed-pantry"], 0)


def test_codes_are_unique_prefixes_and_grow_only_where_they_must():
    ids = [f"resource-{n}" for n in range(20_000)]
    codes = ShareCodes(ids)
    each = {rid: codes.code([rid]) for rid in ids}
    assert len(set(each.values())) == len(ids)
    assert all(codes.resource_ids(code, 1) == ([rid], 0) for rid, code in each.items())
    lengths = [len(code) for code in each.values()]
    assert min(lengths) == MIN_LENGTH and sum(lengths) / len(lengths) < MIN_LENGTH + 0.1
    for rid, code in each.items():
        assert resource_hash(rid).startswith(code)


def test_a_code_given_out_keeps_working_when_listings_are_added():
    before = ShareCodes(f"resource-{n}" for n in range(2_000))
    given = {n: before.code([f"resource-{n}"]) for n in range(2_000)}
    after = ShareCodes(f"resource-{n}" for n in range(4_000))
    still = sum(after.resource_ids(code, 1) == ([f"resource-{n}"], 0) for n, code in given.items())
    # Each of 2,000 new listings shares a given 4-character code with odds of one in a million.
    assert still >= 1_995
    # When a prefix becomes shared, it reads as unreadable, never as the other listing.
    for n, code in given.items():
        ids, _ = after.resource_ids(code, 1)
        assert ids in ([], [f"resource-{n}"])


def test_codes_are_built_once_per_version_of_the_data(catalog, monkeypatch):
    monkeypatch.setattr(share_code, "_BUILT", {})
    assert share_codes(catalog) is share_codes(catalog)
