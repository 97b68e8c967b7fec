"""The Meeting Guide feeds served under /api/v1: every fellowship, and one per fellowship."""

from __future__ import annotations

from collections import Counter

import pytest

from directory.core import vocabulary
from directory.datafile.load import load_catalog
from tests.conftest import SAMPLE
from tests.formats.meeting_guide_rules import check_meeting_guide_record


@pytest.fixture(scope="module")
def sample():
    return load_catalog(SAMPLE)


@pytest.fixture(scope="module")
def feed(sample_app):
    response = sample_app.test_client().get("/api/v1/meetings.json")
    assert response.status_code == 200
    return response.get_json()


def test_every_record_has_a_place_and_online_ones_only_an_area(feed, sample):
    assert len(feed) > 400
    for record in feed:
        check_meeting_guide_record(record)
    online = [r for r in feed if r["attendance_option"] == "online" and "TC" not in r["types"]]
    assert len(online) > 30
    # No group of these meets in person elsewhere, so they carry the directory's area.
    assert Counter(r["formatted_address"] for r in online) == {"Portland, OR, US": len(online)}
    assert all(r["city"] == "Portland" and r["state"] == "OR" for r in online)


def test_the_feed_of_all_names_each_fellowship_and_speaks_the_specs_codes(feed, sample):
    counts = Counter(r["fellowship"] for r in feed)
    meetings = [r for r in sample.active() if r.is_meeting]
    assert set(counts) == {r.fellowship for r in meetings}
    parents = [r for r in feed if r["slug"].startswith("parents-al-anon")]
    assert parents and all(r["fellowship"] == "Al-Anon" for r in parents)
    for record in parents:
        # Read as A.A.'s codes, POA would be Proof of Attendance: left out, kept aside.
        assert "POA" not in record["types"]
        assert "POA" in record["fellowship_types"]
    aa = [r for r in feed if r["fellowship"] == "AA"]
    assert not any("fellowship_types" in r for r in aa)


@pytest.mark.parametrize("fellowship", ["AA", "NA", "Al-Anon", "SMART Recovery"])
def test_a_fellowships_feed_has_only_its_meetings_with_its_own_codes(sample_app, feed, fellowship):
    client = sample_app.test_client()
    path = f"/api/v1/meetings/{fellowship.lower().replace(' ', '-')}.json"
    response = client.get(path)
    assert response.status_code == 200
    own = response.get_json()
    assert own == client.get("/api/v1/meetings.json", query_string={"fellowship": fellowship}).json
    assert own and {r["fellowship"] for r in own} == {fellowship}
    assert len(own) == sum(r["fellowship"] == fellowship for r in feed)
    known = vocabulary.known_types(fellowship)
    for record in own:
        check_meeting_guide_record(record)
        assert "fellowship_types" not in record
        assert set(record["types"]) <= known | {"TC"}
    if fellowship == "Al-Anon":
        parents = [r for r in own if r["slug"].startswith("parents-al-anon")]
        assert parents and all("POA" in r["types"] for r in parents)
        assert vocabulary.type_name("Al-Anon", "POA") == "Parents of Alcoholics"


def test_fellowship_names_are_case_and_spelling_tolerant_in_the_query(sample_app):
    client = sample_app.test_client()
    base = client.get("/api/v1/meetings.json?fellowship=Al-Anon").json
    assert client.get("/api/v1/meetings.json?fellowship=al-anon").json == base
    assert client.get("/api/v1/meetings.json?fellowship=AL-ANON").json == base


def test_an_unknown_fellowship_is_a_400_in_the_query_and_a_404_as_a_path(sample_app):
    client = sample_app.test_client()
    response = client.get("/api/v1/meetings.json?fellowship=Gamblers")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["parameter"] == "fellowship" and "Al-Anon" in error["message"]
    assert client.get("/api/v1/meetings/gamblers.json").status_code == 404
    # Only the canonical path name is a feed address; spellings are for the query string.
    assert client.get("/api/v1/meetings/AA.json").status_code == 404
    too_long = client.get("/api/v1/meetings.json", query_string={"fellowship": "x" * 61})
    assert too_long.status_code == 400


def test_feeds_are_cached_by_data_version(sample_app):
    client = sample_app.test_client()
    first = client.get("/api/v1/meetings/na.json")
    assert first.headers["ETag"] and "max-age=300" in first.headers["Cache-Control"]
    again = client.get("/api/v1/meetings/na.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
