"""HSDS 3.0 tables written from a Catalog (formats/hsds/write.py)."""

from __future__ import annotations

import csv
import json
import uuid

from directory.datafile.load import load_catalog
from directory.formats.hsds import write as hsds_write
from tests.formats.conftest import EDGES, write_catalog_file


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
