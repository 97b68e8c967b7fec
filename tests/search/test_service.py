"""The search service on a small directory across zones: each class of real-data mistake, at
fixed instants."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from werkzeug.datastructures import MultiDict

from directory.datafile.load import load_catalog
from directory.search.index import ensure_index
from directory.search.service import SearchService, gazetteer_for

LA = ZoneInfo("America/Los_Angeles")
SAT_7_20_PM = datetime(2026, 12, 5, 19, 20, tzinfo=LA)  # Saturday in San Jose
SAT_11_30_PM = datetime(2026, 12, 5, 23, 30, tzinfo=LA)  # already Sunday in the directory's zone

DIRECTORY = """\
format: 1
directory: {name: Two zones, timezone: America/Chicago, country: US}
resources:
  - id: sj-sunday-aa
    name: Sunday Sunrise
    category: meeting
    fellowship: AA
    timezone: America/Los_Angeles
    location:
      {address: 200 E Santa Clara St, city: San Jose, state: CA, lat: 37.3382, lon: -121.8863}
    schedule: [{days: [sun], start: "09:00"}]
  - id: sj-online-aa
    name: Zoom Sunrise
    category: meeting
    fellowship: AA
    timezone: America/Los_Angeles
    location: {city: San Jose, state: CA}
    online: {url: "https://zoom.us/j/1"}
    schedule: [{days: [sun], start: "10:00"}]
  - id: sj-no-point
    name: Hall With No Point
    category: meeting
    fellowship: AA
    timezone: America/Los_Angeles
    location: {address: 1 Market St, city: San Jose, state: CA}
    schedule: [{days: [sun], start: "11:00"}]
  - id: campbell-women
    name: Campbell Ladies
    category: meeting
    fellowship: AA
    types: [W, O]
    timezone: America/Los_Angeles
    location: {address: 1 Orchard City Dr, city: Campbell, state: CA, lat: 37.2872, lon: -121.9500}
    schedule: [{days: [sat], start: "19:00", end: "20:00"}]
  - id: campbell-name-only
    name: Saturday Women's Night
    category: meeting
    fellowship: NA
    types: [D]
    timezone: America/Los_Angeles
    location: {address: 2 Orchard City Dr, city: Campbell, state: CA, lat: 37.2873, lon: -121.9501}
    schedule: [{days: [sun], start: "19:00"}]
  - id: kc-sunday
    name: Kansas City Sunday
    category: meeting
    fellowship: AA
    location: {address: 1 Main St, city: Kansas City, state: MO, lat: 39.0997, lon: -94.5786}
    schedule: [{days: [sun], start: "08:00"}]
  - id: kc-monday
    name: Kansas City Monday
    category: meeting
    fellowship: AA
    location: {address: 2 Main St, city: Kansas City, state: MO, lat: 39.0998, lon: -94.5787}
    schedule: [{days: [mon], start: "08:00"}]
"""


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zones")
    path = folder / "resources.yaml"
    path.write_text(DIRECTORY)
    catalog = load_catalog(path)
    searcher = ensure_index(catalog, folder / "index")
    yield SearchService(catalog, searcher, gazetteer_for(catalog))
    searcher.close()


def search(service, at: datetime, **args) -> dict:
    query = MultiDict({"at": at.isoformat(), "per_page": "50", **args})
    return service.search(query, lambda r: f"https://example.org/{r.id}")


def ids(data: dict) -> list[str]:
    return [r["id"] for r in data["results"]]


def test_a_place_with_no_point_is_never_inside_a_radius(service):
    found = ids(search(service, SAT_7_20_PM, near="San Jose, CA", radius="5"))
    assert "sj-sunday-aa" in found and "sj-online-aa" in found  # online: joined from anywhere
    assert "sj-no-point" not in found
    everything = ids(search(service, SAT_7_20_PM, near="San Jose, CA"))
    assert everything.index("sj-no-point") > everything.index("kc-sunday")  # no distance: last


def test_a_town_at_the_end_is_the_place_filter_and_its_own_results_come_first(service):
    data = search(service, SAT_7_20_PM, q="aa meetings campbell")
    assert data["query"]["near"] == "campbell" and data["query"]["q"] == ""
    assert data["query"]["filters"]["fellowship"] == ["AA"]
    assert ids(data)[0] == "campbell-women"
    assert data["near"]["label"] == "Campbell, CA"


def test_a_type_and_a_day_are_filters_and_beat_a_name_with_those_words(service):
    data = search(service, SAT_7_20_PM, q="womens meeting saturday")
    assert ids(data) == ["campbell-women"]  # not the NA meeting named "Saturday Women's Night"
    assert data["query"]["filters"]["day"] == ["sat"]


def test_tomorrow_is_the_searchers_tomorrow_not_the_directorys(service):
    # 11:30 pm Saturday in San Jose is 1:30 am Sunday in the directory's zone (Chicago).
    data = search(service, SAT_11_30_PM, q="meetings tomorrow san jose")
    assert data["query"]["filters"]["day"] == ["sun"]  # San Jose's tomorrow: Sunday
    assert "sj-sunday-aa" in ids(data)
    browser = search(service, SAT_11_30_PM, q="meetings tomorrow", tz="America/Los_Angeles")
    assert browser["query"]["filters"]["day"] == ["sun"]
    # No place and no zone: each meeting's own tomorrow. Kansas City's is Monday already.
    own = search(service, SAT_11_30_PM, q="meetings tomorrow")
    assert own["query"]["day_offset"] == 1 and "day" not in own["query"]["filters"]
    assert "kc-monday" in ids(own) and "kc-sunday" not in ids(own)
    assert "sj-sunday-aa" in ids(own)


def test_now_includes_meetings_under_way(service):
    data = search(service, SAT_7_20_PM, q="meeting right now")
    assert ids(data) == ["campbell-women"]  # started 20 minutes ago
    assert data["query"]["happening_within"] == 60


def test_online_is_the_attendance_filter(service):
    data = search(service, SAT_7_20_PM, q="online aa")
    assert data["query"]["filters"]["attendance"] == ["online"]
    assert ids(data) == ["sj-online-aa"]


def test_online_meetings_are_found_by_their_town(service):
    data = search(service, SAT_7_20_PM, q="online meetings san jose")
    assert ids(data) == ["sj-online-aa"]
    assert data["results"][0]["distance_miles"] is None


def test_words_and_a_place_rank_by_relevance_fading_with_distance(service):
    near_kc = search(service, SAT_7_20_PM, q="sunday", near="Kansas City, MO")
    assert ids(near_kc)[0] == "kc-sunday"  # the near match first, the far ones after
