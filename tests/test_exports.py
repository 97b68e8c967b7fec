"""Open-data exports: Meeting Guide records and HSDS 3.0 tables from a Catalog, and the CLI."""

from __future__ import annotations

import csv
import json
import uuid
from pathlib import Path

import pytest

from directory.datafile.load import load_catalog
from directory.formats.hsds import write as hsds_write
from directory.formats.meeting_guide import read as meeting_guide
from directory.formats.meeting_guide import write as mg_write
from directory.search import facets

from .test_api import check_meeting_guide_record

FIXTURES = Path(__file__).parent / "fixtures"

# Meetings and services with the cases an export has to get right.
EDGES = """\
format: 1
directory:
  name: Edge Directory
  timezone: America/Los_Angeles
  country: US
locations:
  church:
    name: First Church
    address: 10 Main St
    address_2: Room 4
    city: Portland
    state: OR
    postal_code: "97204"
    lat: 45.52
    lon: -122.67
    notes: Side door
resources:
  - id: closed-online
    name: Closed Building Still Online
    category: meeting
    fellowship: AA
    status: temporarily-closed
    types: [O]
    location: church
    online: {url: "https://meet.example/abc", notes: "Code 123"}
    schedule: [{days: [tue], start: "12:00"}]
  - id: closed-only
    name: Closed Building
    category: meeting
    fellowship: AA
    status: temporarily-closed
    location: church
    schedule: [{days: [thu], start: "12:00"}]
  - id: hybrid-spanish
    name: Grupo Hibrido
    category: meeting
    fellowship: AA
    types: [C]
    languages: [es]
    location: church
    online: {phone: "+1 503 555 0100", notes: "PIN 9"}
    schedule:
      - {days: [sat], start: "23:00", end: "01:00"}
      - {days: [sat], start: "09:00"}
  - id: by-appointment
    name: Step Sponsorship Circle
    category: meeting
    fellowship: NA
    location:
      city: Gresham
      state: OR
      region: East County
      approximate: true
      lat: 45.5
      lon: -122.43
  - id: shelter
    name: Night Shelter
    category: housing
    organization: Harbor Services
    phone: (503) 555-0101
    text: "503-555-0102"
    location:
      city: Portland
      state: OR
      approximate: true
      lat: 45.5
      lon: -122.6
    schedule: [{days: daily, start: "00:00", end: "24:00"}]
    services: [shelter]
    populations: [men]
    eligibility: Sober on arrival
  - id: pantry
    name: Church Pantry
    category: food
    organization: Harbor Services
    location: church
    schedule: [{days: [mon, wed], start: "10:00", end: "14:00"}]
    payment: [free]
    last_verified: 2026-09-01
  - id: telehealth
    name: Video Counseling
    category: counseling
    online: {url: "https://tele.example/", phone: "503-555-0103"}
    hours_notes: By appointment
    languages: [en, es]
  - id: gone
    name: Gone Clinic
    category: mat
    status: inactive
"""


def url_of(resource) -> str:
    return f"https://directory.example/resources/{resource.id}"


@pytest.fixture
def edges(tmp_path):
    path = tmp_path / "edges.yaml"
    path.write_text(EDGES)
    return load_catalog(path)


@pytest.fixture
def minimal():
    return load_catalog(FIXTURES / "minimal.yaml")


def by_slug(feed: list[dict]) -> dict[str, dict]:
    return {r["slug"]: r for r in feed}


# --- Meeting Guide -------------------------------------------------------------------------------


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
    assert hybrid["address"] == "10 Main St, Room 4"
    assert hybrid["location_notes"] == "Side door"


def test_types_carry_the_language_and_never_onl(edges):
    feed = by_slug(mg_write.meeting_guide_feed(edges, url_of))
    assert feed["hybrid-spanish-sat-0900"]["types"] == ["C", "S"]


def test_times_past_midnight_and_default_lengths(edges):
    feed = by_slug(mg_write.meeting_guide_feed(edges, url_of))
    late = feed["hybrid-spanish-sat-2300"]
    assert (late["day"], late["time"], late["end_time"]) == (6, "23:00", "01:00")
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


def test_the_importer_reads_the_feed_back_to_the_same_attendance(edges):
    feed = mg_write.meeting_guide_feed(edges, url_of)
    result = meeting_guide.convert(
        [r for r in feed if r["slug"] != "by-appointment"], "AA", timezone="America/Los_Angeles"
    )
    assert not result.skipped
    back = {r["id"]: r for r in result.records}
    assert back["closed-online"]["online"]["url"] == "https://meet.example/abc"
    assert "location" in back["closed-online"] and "status" not in back["closed-online"]
    assert back["closed-only"]["status"] == "temporarily-closed"
    assert back["hybrid-spanish-sat-2300"]["languages"] == ["es"]
    assert back["hybrid-spanish-sat-2300"]["schedule"] == [
        {"days": ["sat"], "start": "23:00", "end": "01:00"}
    ]
    assert back["hybrid-spanish-sat-2300"]["location"]["address"] == "10 Main St, Room 4"


# --- HSDS ----------------------------------------------------------------------------------------


def test_hsds_has_every_active_service_and_no_meetings(edges):
    tables = hsds_write.hsds_tables(edges)
    names = {row["name"] for row in tables["service"]}
    assert names == {"Night Shelter", "Church Pantry", "Video Counseling"}
    for table, rows in tables.items():
        for row in rows:
            assert list(row) == list(hsds_write.HSDS_COLUMNS[table])
            uuid.UUID(row["id"])


def test_hsds_ids_are_stable_and_derived_from_resource_ids(edges, tmp_path):
    first = hsds_write.hsds_tables(edges)
    again = hsds_write.hsds_tables(load_catalog(_copy(tmp_path, EDGES)))
    assert first == again
    shelter = next(r for r in first["service"] if r["name"] == "Night Shelter")
    assert shelter["id"] == hsds_write.hsds_id("service", "shelter")


def _copy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "again.yaml"
    path.write_text(text)
    return path


def test_hsds_references_resolve(edges):
    tables = hsds_write.hsds_tables(edges)
    ids = {table: {row["id"] for row in rows} for table, rows in tables.items()}
    for table, keys in hsds_write.FOREIGN_KEYS.items():
        for row in tables[table]:
            for column, target in keys.items():
                if row[column] is not None:
                    assert row[column] in ids[target], (table, column)
    for table, rows in tables.items():
        assert len(ids[table]) == len(rows), f"duplicate ids in {table}"


def test_hsds_organizations_are_shared_by_name(edges):
    tables = hsds_write.hsds_tables(edges)
    harbor = [o for o in tables["organization"] if o["name"] == "Harbor Services"]
    assert len(harbor) == 1
    run_by = {s["name"]: s["organization_id"] for s in tables["service"]}
    assert run_by["Night Shelter"] == run_by["Church Pantry"] == harbor[0]["id"]
    assert run_by["Video Counseling"] != harbor[0]["id"]  # its own organization
    assert all(o["description"] is not None for o in tables["organization"])


def test_hsds_locations_addresses_and_privacy(edges):
    tables = hsds_write.hsds_tables(edges)
    locations = {row["name"]: row for row in tables["location"]}
    assert locations["First Church"]["location_type"] == "physical"
    assert locations["Video Counseling (online)"]["location_type"] == "virtual"
    assert locations["Video Counseling (online)"]["url"] == "https://tele.example/"
    shelter = locations["Night Shelter"]
    assert shelter["description"].startswith("Approximate")
    addresses = {row["location_id"]: row for row in tables["address"]}
    assert shelter["id"] not in addresses  # an approximate place publishes no street
    church = addresses[locations["First Church"]["id"]]
    assert (church["address_1"], church["address_2"], church["country"]) == (
        "10 Main St",
        "Room 4",
        "US",
    )


def test_hsds_schedules_phones_and_languages(edges):
    tables = hsds_write.hsds_tables(edges)
    service = {row["name"]: row["id"] for row in tables["service"]}
    shelter = [s for s in tables["schedule"] if s["service_id"] == service["Night Shelter"]]
    assert len(shelter) == 7
    assert {(s["opens_at"], s["closes_at"]) for s in shelter} == {("00:00", "23:59")}
    assert {s["byday"] for s in shelter} == {"SU", "MO", "TU", "WE", "TH", "FR", "SA"}
    assert all(s["freq"] == "WEEKLY" and "America/Los_Angeles" in s["notes"] for s in shelter)
    pantry = [s for s in tables["schedule"] if s["service_id"] == service["Church Pantry"]]
    assert sorted((s["byday"], s["opens_at"], s["closes_at"]) for s in pantry) == [
        ("MO", "10:00", "14:00"),
        ("WE", "10:00", "14:00"),
    ]
    tele = [s for s in tables["schedule"] if s["service_id"] == service["Video Counseling"]]
    assert [s["description"] for s in tele] == ["By appointment"]
    phones = {(p["number"], p["type"]) for p in tables["phone"]}
    assert {("(503) 555-0101", "voice"), ("503-555-0102", "text")} <= phones
    assert ("503-555-0103", "voice") in phones
    codes = {
        p["code"] for p in tables["language"] if p["service_id"] == service["Video Counseling"]
    }
    assert codes == {"en", "es"}
    services = {row["name"]: row for row in tables["service"]}
    assert services["Night Shelter"]["eligibility_description"] == "Sober on arrival; Men"
    assert services["Church Pantry"]["fees_description"] == "Free"
    assert services["Church Pantry"]["assured_date"] == "2026-09-01"


def test_write_hsds_gives_csv_files_a_datapackage_describes(edges, tmp_path):
    folder = tmp_path / "out"
    counts = hsds_write.write_hsds(edges, folder)
    package = json.loads((folder / "datapackage.json").read_text())
    assert {r["path"] for r in package["resources"]} == {f"{t}.csv" for t in counts}
    for resource in package["resources"]:
        with (folder / resource["path"]).open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        header = [f["name"] for f in resource["schema"]["fields"]]
        assert rows == [] or list(rows[0]) == header
        assert len(rows) == counts[resource["name"]]
    assert counts["service"] == 3
    assert not list(folder.glob("*.partial"))


# --- the command ---------------------------------------------------------------------------------


def _with_export(app):
    return app


def test_export_hsds_command_writes_the_folder(app, tmp_path):
    folder = tmp_path / "hsds"
    result = _with_export(app).test_cli_runner().invoke(args=["export", "hsds", str(folder)])
    assert result.exit_code == 0, result.output
    assert "1 service" in result.output
    assert (folder / "datapackage.json").exists() and (folder / "service.csv").exists()


def test_export_hsds_refuses_a_broken_file(app, data_path, tmp_path):
    data_path.write_text(data_path.read_text().replace("category: food", "category: fod"))
    folder = tmp_path / "hsds"
    result = _with_export(app).test_cli_runner().invoke(args=["export", "hsds", str(folder)])
    assert result.exit_code == 1
    assert "closed-pantry" in result.output and "category" in result.output
    assert not folder.exists()


# --- vocabularies --------------------------------------------------------------------------------


def test_vocabularies_name_fellowships_in_use_beyond_the_known_ones(tmp_path):
    text = EDGES.replace("fellowship: NA", "fellowship: Gamblers Anonymous")
    catalog = load_catalog(_copy(tmp_path, text))
    words = facets.vocabularies(catalog)
    names = [f["code"] for f in words["fellowships"]]
    assert names[-1] == "Gamblers Anonymous"
    assert next(f for f in words["fellowships"] if f["code"] == "AA")["in_use"] is True
    assert next(f for f in words["fellowships"] if f["code"] == "NA")["in_use"] is False
    assert words["regions"] == ["East County"]
