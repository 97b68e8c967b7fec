"""HSDS 3.0 tables written from a Catalog (formats/hsds/write.py)."""

from __future__ import annotations

import csv
import json
import uuid

from directory.datafile.load import load_catalog
from directory.formats.hsds import write as hsds_write
from tests.conftest import FIXTURES
from tests.formats.conftest import EDGES, write_catalog_file

HSDS_30 = FIXTURES / "hsds-3.0"


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
    again = hsds_write.hsds_tables(load_catalog(write_catalog_file(tmp_path, EDGES)))
    assert first == again
    shelter = next(r for r in first["service"] if r["name"] == "Night Shelter")
    assert shelter["id"] == hsds_write.hsds_id("service", "shelter")


def test_hsds_references_resolve(edges):
    """Every foreign key the official package declares points at a row we wrote."""
    package = json.loads((HSDS_30 / "datapackage.json").read_text())
    tables = hsds_write.hsds_tables(edges)
    ids = {table: {row["id"] for row in rows} for table, rows in tables.items()}
    checked = 0
    for resource in package["resources"]:
        for key in resource["schema"].get("foreignKeys", []):
            target = key["reference"]["resource"]
            for row in tables[resource["name"]]:
                if row[key["fields"]] is not None:
                    assert row[key["fields"]] in ids[target], (resource["name"], key["fields"])
                    checked += 1
    assert checked > 20
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
    shelter = next(r for r in tables["location"] if r["id"] == hsds_write.hsds_id(
        "location", "resource", "shelter"))  # fmt: skip
    assert shelter["name"] is None  # the place has no name of its own
    assert shelter["description"].startswith("Approximate")
    addresses = {row["location_id"]: row for row in tables["address"]}
    assert shelter["id"] not in addresses  # no street, and no ZIP code to say where it is
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
    assert {(s["opens_at"], s["closes_at"]) for s in shelter} == {("00:00:00", "23:59:59")}
    assert {s["byday"] for s in shelter} == {"SU", "MO", "TU", "WE", "TH", "FR", "SA"}
    assert all(s["freq"] == "WEEKLY" and "America/Los_Angeles" in s["notes"] for s in shelter)
    pantry = [s for s in tables["schedule"] if s["service_id"] == service["Church Pantry"]]
    assert sorted((s["byday"], s["opens_at"], s["closes_at"]) for s in pantry) == [
        ("MO", "10:00:00", "14:00:00"),
        ("WE", "10:00:00", "14:00:00"),
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


def test_write_hsds_gives_every_official_file_a_datapackage_describes(edges, tmp_path):
    folder = tmp_path / "out"
    counts = hsds_write.write_hsds(edges, folder)
    official = json.loads((HSDS_30 / "datapackage.json").read_text())
    package = json.loads((folder / "datapackage.json").read_text())
    assert [r["path"] for r in package["resources"]] == [r["path"] for r in official["resources"]]
    for resource, theirs in zip(package["resources"], official["resources"], strict=True):
        with (folder / resource["path"]).open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
        header = [f["name"] for f in theirs["schema"]["fields"]]
        assert reader.fieldnames == header == [f["name"] for f in resource["schema"]["fields"]]
        assert [f["type"] for f in resource["schema"]["fields"]] == [
            f["type"] for f in theirs["schema"]["fields"]
        ]
        assert len(rows) == counts.get(resource["name"], 0)
    assert counts["service"] == 3
    assert not list(folder.glob("*.partial"))


def test_phone_numbers_with_extensions_are_split():
    assert hsds_write.split_phone("(503) 555-0100 x12", "US") == ("(503) 555-0100", 12)
    assert hsds_write.split_phone("503-555-0100 ext. 7", "US") == ("503-555-0100", 7)
    assert hsds_write.split_phone("+44 1234 234567 #100", "GB") == ("+44 1234 234567", 100)
    assert hsds_write.split_phone("503-555-0100", "US") == ("503-555-0100", None)
    assert hsds_write.split_phone("not a number", "US") == ("not a number", None)
