"""HSDS 3.0 as Open Referral defines it: our export against the official package, the official
examples through our importer, and an export read back with nothing lost.

The official files are vendored in tests/fixtures/hsds-3.0 (see its README for the commit).
"""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from click.testing import CliRunner
from frictionless import Package

from directory.cli.imports import hsds_command
from directory.datafile import editing
from directory.datafile.load import load_catalog, validate_text
from directory.formats.hsds import read as hsds
from directory.formats.hsds.write import write_hsds
from tests.conftest import FIXTURES, SAMPLE

HSDS_30 = FIXTURES / "hsds-3.0"
ZONE = "America/Los_Angeles"
# What the resource file says of a listing that the export writes.
EXPORTED = (
    "name category dimensions description organization status phone text email website "
    "schedule hours_notes timezone languages accessibility payment populations eligibility "
    "services medications tags last_verified online"
).split()
PLACE = "name address address_2 city state postal_code country lat lon approximate region notes"


def _official_errors(folder) -> list[str]:
    """Validate a folder of CSV files with Open Referral's own HSDS 3.0 data package."""
    descriptor = json.loads((HSDS_30 / "datapackage.json").read_text())
    report = Package(descriptor, basepath=str(folder)).validate()
    return [f"{task.name}: {error.message}" for task in report.tasks for error in task.errors]


@pytest.fixture(scope="module")
def sample():
    return load_catalog(SAMPLE)


@pytest.fixture(scope="module")
def exported(sample, tmp_path_factory):
    folder = tmp_path_factory.mktemp("hsds")
    write_hsds(sample, folder)
    return folder


def test_the_sample_export_validates_against_the_official_package_with_no_errors(exported):
    assert _official_errors(exported) == []


def test_the_official_validation_does_catch_what_broke_before(exported, tmp_path):
    """Times without seconds and an empty organization description: the errors seen before."""
    broken = tmp_path / "broken"
    shutil.copytree(exported, broken)
    for name, column, value in (
        ("schedules.csv", "opens_at", "05:30"),
        ("organizations.csv", "description", ""),
    ):
        with (broken / name).open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            rows, header = list(reader), reader.fieldnames
        rows[0][column] = value
        with (broken / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, header)
            writer.writeheader()
            writer.writerows(rows)
    errors = _official_errors(broken)
    assert len(errors) == 2
    assert any("opens_at" in e or "time" in e for e in errors)


def test_the_category_travels_as_a_taxonomy_term(exported, sample):
    with (exported / "taxonomy_terms.csv").open(newline="", encoding="utf-8") as handle:
        terms = {row["code"]: row for row in csv.DictReader(handle)}
    categories = {r.category for r in sample.active() if not r.is_meeting}
    assert {f"category:{c}" for c in categories} <= set(terms)
    assert terms["category:mat"]["name"] == "Medication for addiction treatment"
    with (exported / "attributes.csv").open(newline="", encoding="utf-8") as handle:
        links = [row for row in csv.DictReader(handle) if row["link_entity"] == "service"]
    mat = terms["category:mat"]["id"]
    assert sum(row["taxonomy_term_id"] == mat for row in links) == sum(
        r.category == "mat" for r in sample.active()
    )


def _place(location):
    if location is None:
        return None
    return {key: getattr(location, key) for key in PLACE.split()}


def test_an_export_imported_back_is_the_same_directory(exported, sample, tmp_path):
    result = hsds.import_package(exported, timezone=ZONE)
    assert result.problems == []
    doc = editing.new_document("Back", ZONE)
    editing.upsert_resources(doc, result.records, hsds.OWNED_KEYS)
    path = tmp_path / "back.yaml"
    path.write_text(doc.text)
    back = load_catalog(path)
    services = [r for r in sample.active() if not r.is_meeting]
    assert len(back.resources) == len(services) > 150
    for resource in services:
        again = back.by_id(resource.id)
        assert again is not None, resource.id
        for key in EXPORTED:
            assert getattr(again, key) == getattr(resource, key), (resource.id, key)
        assert _place(again.location) == _place(resource.location), resource.id


def test_the_official_30_examples_import(tmp_path):
    into = tmp_path / "resources.yaml"
    result = CliRunner().invoke(
        hsds_command,
        [str(HSDS_30 / "examples"), "--into", str(into), "--timezone", "Europe/London", "--write"],
    )
    assert result.exit_code == 0, result.output
    problems = [p for p in validate_text(into.read_text(), str(into)) if p.severity == "error"]
    assert problems == []
    (entry,) = editing.resource_entries(editing.load_document(into))
    assert entry["name"] == "Community Counselling"
    assert entry["category"] == "counseling"
    assert entry["organization"] == "Example Organization Inc."
    assert entry["phone"] == "+44 1234 234567 x100"  # quoted in the CSV, with its extension
    assert entry["languages"] == ["ur"]
    assert entry["last_verified"] == "2005-01-01"
    assert entry["hours_notes"].startswith("The service is available from 10 am")
    # What could not be taken is said, record by record, and the rest imported.
    assert "coordinates 100, 101 are not a point on Earth" in result.output
    assert "has only a postal address" in result.output
    assert "does not repeat every week" in result.output
    assert "location" not in entry and "schedule" not in entry


def test_a_package_cannot_point_outside_its_folder(tmp_path):
    from directory.formats.common import FeedError  # noqa: PLC0415

    folder = tmp_path / "package"
    shutil.copytree(HSDS_30 / "examples", folder)
    (folder / "datapackage.json").write_text(
        json.dumps({"resources": [{"name": "organization", "path": "../secret.csv"}]})
    )
    (tmp_path / "secret.csv").write_text("id,name\n1,x\n")
    with pytest.raises(FeedError, match="outside the package folder"):
        hsds.read_package(folder)
