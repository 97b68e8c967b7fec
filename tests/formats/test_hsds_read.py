"""HSDS data packages -> resource entries (directory/importers/hsds.py, commands.py)."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from directory.cli.imports import hsds_command
from directory.datafile import editing
from directory.datafile.load import validate_text
from directory.formats.common import FeedError
from directory.formats.hsds import read as hsds
from tests.conftest import FIXTURES

PACKAGE = FIXTURES / "import" / "hsds"
ZONE = "America/Los_Angeles"


@pytest.fixture(scope="module")
def result() -> hsds.ImportResult:
    return hsds.import_package(PACKAGE, timezone=ZONE)


def _by_id(result: hsds.ImportResult) -> dict[str, dict]:
    return {r["id"]: r for r in result.records}


def test_services_become_entries_that_validate(result):
    doc = editing.new_document("Test", ZONE)
    editing.upsert_resources(doc, result.records, hsds.OWNED_KEYS)
    assert [str(p) for p in validate_text(doc.text, "t.yaml") if p.severity == "error"] == []
    assert result.total == 6
    assert list(_by_id(result)) == [
        "harbor-bridge-clinic",
        "eastside-pantry-eastside-church",
        "eastside-pantry-eastside-annex",
        "harbor-counseling",
    ]


def test_a_service_with_its_joined_tables(result):
    clinic = _by_id(result)["harbor-bridge-clinic"]
    assert clinic["category"] == "mat"  # "buprenorphine" comes before "clinic" in the table
    assert clinic["description"] == "Same-day buprenorphine starts.\n\n- Walk-ins\n- Telehealth"
    assert clinic["organization"] == "Harbor Health"
    assert clinic["location"]["address"] == "100 Harbor Way"
    assert clinic["location"]["address_2"] == "Suite 2"
    assert clinic["location"]["region"] == "Downtown"
    assert (clinic["location"]["lat"], clinic["location"]["lon"]) == (45.52, -122.68)
    assert clinic["phone"] == "503-555-0100" and clinic["text"] == "503-555-0101"
    assert clinic["schedule"] == [
        {"days": ["mon", "tue", "wed"], "start": "08:00", "end": "17:00"},
        {"days": ["sat"], "start": "09:00", "end": "12:00"},  # the UTC offset is dropped
    ]
    assert clinic["languages"] == ["en", "es"]
    assert clinic["payment"] == ["medicaid", "sliding-scale"]
    assert clinic["accessibility"] == ["wheelchair"]
    assert clinic["eligibility"] == "adults 18 and over"
    assert clinic["extra"] == {
        "source": "hsds",
        "feed": "test-county",
        "hsds_id": "svc-mat",
        "hsds_location_id": "loc-1",
    }


def test_a_service_at_two_places_is_two_entries(result):
    entries = _by_id(result)
    church = entries["eastside-pantry-eastside-church"]
    annex = entries["eastside-pantry-eastside-annex"]
    assert church["schedule"] == [{"days": ["sun"], "start": "00:00", "end": "24:00"}]
    assert "schedule" not in annex
    assert church["phone"] == annex["phone"] == "503-555-0102 x12"  # the organization's
    assert "email" not in church and "website" not in church


def test_taxonomy_and_status(result):
    counseling = _by_id(result)["harbor-counseling"]
    assert counseling["category"] == "counseling"
    assert counseling["status"] == "temporarily-closed"


def test_each_service_left_out_is_reported_with_its_reason(result):
    skipped = [str(p) for p in result.skipped]
    assert skipped == [
        "record 3 (id 'svc-odd'): no category: no taxonomy, and no keyword of "
        "hsds_categories.yaml in its name or description; add a rule to place it",
        "record 5 (id 'svc-badtime'): time '25:00' is not a time",
        "record 6: no id",
    ]
    notes = [str(p) for p in result.notes]
    assert "record 1 (id 'svc-mat'): payment 'goats' has no rule in hsds_categories.yaml" in notes
    assert "record 1 (id 'svc-mat'): language 'Klingon' is not known; left out" in notes
    assert (
        notes.count("record 2 (id 'svc-food'): phone '(0123) 4567 8900' is not valid; left out")
        == 1
    )
    assert "holiday_schedules are not imported (no place for them yet)" in notes


def test_a_category_rule_places_a_service(tmp_path):
    table = tmp_path / "categories.yaml"
    table.write_text("keywords:\n  - [park, transportation]\n")
    result = hsds.import_package(PACKAGE, timezone=ZONE, categories=table)
    assert _by_id(result)["parks-disability-services"]["category"] == "transportation"
    broken = tmp_path / "broken.yaml"
    broken.write_text("keywords: [oops\n")
    with pytest.raises(FeedError, match="not valid YAML"):
        hsds.load_mapping(broken)


@pytest.mark.parametrize(
    ("value", "days"), [("1", [1]), ("7", [0]), ("0", [0]), ("MO,WE", [1, 3]), ("Friday", [5])]
)
def test_weekdays(value, days):
    assert hsds._weekdays(value) == days


def test_ids_survive_a_rename(tmp_path):
    package = tmp_path / "pkg"
    shutil.copytree(PACKAGE, package)
    first = hsds.import_package(package, timezone=ZONE)
    services = package / "services.csv"
    services.write_text(services.read_text().replace("Harbor Bridge Clinic", "Bridge Clinic"))

    second = hsds.import_package(package, timezone=ZONE, existing_entries=first.records)

    assert _by_id(second)["harbor-bridge-clinic"]["name"] == "Bridge Clinic"


def test_a_folder_without_services_is_a_clear_error(tmp_path):
    with pytest.raises(FeedError, match="no services"):
        hsds.import_package(tmp_path)
    with pytest.raises(FeedError, match="not a folder"):
        hsds.import_package(tmp_path / "missing")


def test_the_command_dry_run_write_and_reimport(tmp_path):
    target = tmp_path / "resources.yaml"
    runner = CliRunner()
    args = [str(PACKAGE), "--into", str(target), "--timezone", ZONE]

    dry = runner.invoke(hsds_command, args)
    assert dry.exit_code == 0, dry.output
    assert "would be 4 added" in dry.output and not target.exists()

    wrote = runner.invoke(hsds_command, [*args, "--write"])
    assert wrote.exit_code == 0, wrote.output
    again = runner.invoke(hsds_command, [*args, "--write", "--prune"])
    assert again.exit_code == 0, again.output
    assert "0 added, 0 changed, 4 unchanged, 0 removed" in again.output
