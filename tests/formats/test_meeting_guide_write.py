"""The Meeting Guide feed written from a Catalog (formats/meeting_guide/write.py)."""

from __future__ import annotations

from directory.formats.meeting_guide import write as mg_write
from tests.formats.conftest import by_slug, url_of
from tests.formats.meeting_guide_rules import check_meeting_guide_record


def test_feed_has_one_record_per_weekly_time_with_unique_slugs(minimal):
    feed = mg_write.meeting_guide_feed(minimal, url_of)
    for record in feed:
        check_meeting_guide_record(record)
    slugs = by_slug(feed)
    assert len(slugs) == len(feed) == 10
    assert slugs["hawthorne-serenity-aa-mon-1900"]["day"] == 1
    assert {s for s in slugs if s.startswith("online-dawn-na-")} == {
        f"online-dawn-na-{d}-0630" for d in ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
    }


def test_a_meeting_with_one_time_keeps_its_id_as_slug(edges):
    feed = by_slug(mg_write.meeting_guide_feed(edges, url_of))
    assert feed["closed-online"]["day"] == 2
    assert feed["closed-online"]["url"] == "https://directory.example/resources/closed-online"


def test_attendance_is_said_the_way_the_spec_says_it(edges):
    feed = by_slug(mg_write.meeting_guide_feed(edges, url_of))
    for record in feed.values():
        check_meeting_guide_record(record)
    closed_online = feed["closed-online"]
    assert "TC" in closed_online["types"] and closed_online["conference_url"]
    assert closed_online["conference_url_notes"] == "Code 123"
    assert closed_online["formatted_address"]  # the closed place, so readers can say so
    closed_only = feed["closed-only"]
    assert "TC" in closed_only["types"] and "conference_url" not in closed_only
    hybrid = feed["hybrid-spanish-sat-2300"]
    assert "TC" not in hybrid["types"]
    assert hybrid["conference_phone"] == "+1 503 555 0100"
    assert hybrid["conference_phone_notes"] == "PIN 9"
    assert hybrid["address"] == "10 Main St"  # the street alone: geocoders stumble on rooms
    assert hybrid["formatted_address"] == "10 Main St, Room 4, Portland, OR 97204, US"
    assert hybrid["location_notes"] == "Side door"


def test_types_carry_the_language_and_never_onl(edges):
    feed = by_slug(mg_write.meeting_guide_feed(edges, url_of))
    assert feed["hybrid-spanish-sat-0900"]["types"] == ["C", "S"]


def test_times_past_midnight_and_default_lengths(edges):
    feed = by_slug(mg_write.meeting_guide_feed(edges, url_of))
    late = feed["hybrid-spanish-sat-2300"]
    # TSML UI reads end_time on the start's day (23:00 to 01:00 would last -22 hours); without
    # it readers assume 60 minutes, and the real end travels in an extension field.
    assert (late["day"], late["time"], late["end_time_next_day"]) == (6, "23:00", "01:00")
    assert "end_time" not in late
    morning = feed["hybrid-spanish-sat-0900"]
    assert (morning["time"], morning["end_time"]) == ("09:00", "10:00")


def test_no_schedule_is_one_record_without_day_or_time(edges):
    record = by_slug(mg_write.meeting_guide_feed(edges, url_of))["by-appointment"]
    assert "day" not in record and "time" not in record
    assert record["approximate"] == "yes" and "address" not in record
    assert record["formatted_address"] == "Gresham, OR, US"
    assert record["region"] == "East County"


def test_services_and_inactive_entries_are_not_meetings(edges):
    feed = mg_write.meeting_guide_feed(edges, url_of)
    assert {r["slug"].split("-sat-")[0] for r in feed} == {
        "closed-online",
        "closed-only",
        "hybrid-spanish",
        "by-appointment",
    }


GROUPS = """\
format: 1
directory: {name: Groups, timezone: America/Los_Angeles, country: US}
resources:
  - id: hope-in-person
    name: Hope Group
    category: meeting
    fellowship: NA
    group: Hope Group
    location: {address: 1 Elm St, city: Beaverton, state: OR, lat: 45.48, lon: -122.8}
    schedule: [{days: [mon], start: "19:00"}]
  - id: hope-online
    name: Hope Group Online
    category: meeting
    fellowship: NA
    group: hope group
    online: {url: "https://meet.example/hope"}
    schedule: [{days: [tue], start: "19:00"}]
  - id: other-online
    name: Other Online
    category: meeting
    fellowship: NA
    group: Elsewhere Group
    online: {url: "https://meet.example/other"}
    schedule: [{days: [tue], start: "20:00"}]
  - id: pantry
    name: Pantry
    category: food
    location: {address: 2 Oak St, city: Portland, state: OR, lat: 45.5, lon: -122.6}
  - id: pantry-2
    name: Pantry Two
    category: food
    location: {address: 3 Oak St, city: Portland, state: OR, lat: 45.5, lon: -122.6}
"""


def test_an_online_meeting_is_placed_where_its_group_meets_else_in_the_directorys_area(tmp_path):
    from directory.datafile.load import load_catalog

    path = tmp_path / "groups.yaml"
    path.write_text(GROUPS)
    feed = by_slug(mg_write.meeting_guide_feed(load_catalog(path), url_of))
    for record in feed.values():
        check_meeting_guide_record(record)
    assert feed["hope-online"]["formatted_address"] == "Beaverton, OR, US"
    assert feed["hope-online"]["approximate"] == "yes"
    # The directory's area: the city most of its located entries are in.
    assert feed["other-online"]["formatted_address"] == "Portland, OR, US"
    assert feed["hope-in-person"]["attendance_option"] == "in_person"
    assert "approximate" not in feed["hope-in-person"]
