"""BMLT GetSearchResults answers -> resource entries (formats/bmlt.py, `import bmlt`).

The fixture is built from BMLT's documented fields (bmlt-server's api-docs-semantic.json and
its TSML test): weekday 1 = Sunday, HH:MM:SS times, venue types, format keys with world ids.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from directory.cli.imports import bmlt_command
from directory.datafile import editing
from directory.datafile.load import validate_text
from directory.formats import bmlt
from directory.formats.common import FeedError
from tests.conftest import FIXTURES

ANSWER = FIXTURES / "import" / "bmlt" / "search.json"
ZONE = "America/Los_Angeles"


@pytest.fixture(scope="module")
def result():
    return bmlt.import_answer(str(ANSWER), timezone=ZONE)


def _by_id(result):
    return {r["id"]: r for r in result.records}


def test_meetings_become_entries_that_validate(result):
    assert result.total == 8
    assert list(_by_id(result)) == ["sunday-serenity-101", "night-owls-102", "noon-hybrid-103"]
    doc = editing.new_document("Test", ZONE)
    editing.upsert_resources(doc, result.records, bmlt.OWNED_KEYS)
    assert [str(p) for p in validate_text(doc.text, "t.yaml") if p.severity == "error"] == []


def test_weekday_one_is_sunday_and_the_end_is_start_plus_duration(result):
    meetings = _by_id(result)
    assert meetings["sunday-serenity-101"]["schedule"] == [
        {"days": ["sun"], "start": "19:30", "end": "21:00"}
    ]
    # Saturday 23:00 for 90 minutes ends the next day; 00:00:00 is the default hour.
    assert meetings["night-owls-102"]["schedule"] == [
        {"days": ["sat"], "start": "23:00", "end": "00:30"}
    ]
    assert meetings["noon-hybrid-103"]["schedule"] == [
        {"days": ["tue"], "start": "12:00", "end": "13:00"}
    ]


def test_format_codes_are_read_by_their_world_id(result):
    serenity = _by_id(result)["sunday-serenity-101"]
    assert serenity["types"] == ["O", "LIT", "X"]
    assert serenity["languages"] == ["es"]
    owls = _by_id(result)["night-owls-102"]
    assert owls["types"] == ["C"] and owls["extra"]["unknown_formats"] == ["Zz"]


def test_place_attendance_and_anonymity(result):
    meetings = _by_id(result)
    serenity = meetings["sunday-serenity-101"]
    assert serenity["location"] == {
        "name": "St. Mark's Hall",
        "address": "1234 SE Hawthorne Blvd",
        "city": "Portland",
        "state": "OR",
        "postal_code": "97214",
        "region": "Hawthorne",
        "notes": "Side door\n14",
        "lat": 45.5163,
        "lon": -122.649,
    }
    assert "Pat" not in str(serenity) and "503-555-0199" not in str(serenity)
    owls = meetings["night-owls-102"]
    assert "location" not in owls  # virtual: no place to go to, and 0,0 is no point
    assert owls["online"] == {
        "url": "https://zoom.us/j/123",
        "phone": "+1 253 215 8782,,123#",
        "notes": "Passcode 4321",
    }
    hybrid = meetings["noon-hybrid-103"]
    assert (hybrid["location"]["lat"], hybrid["location"]["lon"]) == (45.52, -122.68)
    assert hybrid["online"]["url"] == "https://meet.example/noon"


def test_bad_records_are_skipped_with_their_reason(result):
    skipped = {p.key: p.message for p in result.skipped}
    assert skipped["104"] == "weekday_tinyint '9' is not 1-7"
    assert "start_time '7pm' is not HH:MM:SS" in skipped["105"]
    assert "24 hours or more" in skipped["106"]
    assert skipped["107"] == "not published"
    assert any(p.message == "not a JSON object" for p in result.skipped)


def test_broken_answers_are_refused_whole(tmp_path):
    for text in ("{not json", '{"meetings": 3}', "[" * 100000):
        path = tmp_path / "bad.json"
        path.write_text(text)
        with pytest.raises(FeedError):
            bmlt.import_answer(str(path))


def test_the_command_dry_runs_then_writes_and_a_second_import_changes_nothing(tmp_path):
    into = tmp_path / "resources.yaml"
    runner = CliRunner()
    args = [str(ANSWER), "--into", str(into), "--timezone", ZONE]
    dry = runner.invoke(bmlt_command, args)
    assert dry.exit_code == 0, dry.output
    assert "would be 3 added, 0 changed" in dry.output
    assert "skipped record 4 (id '104')" in dry.output and not into.exists()
    wrote = runner.invoke(bmlt_command, [*args, "--write"])
    assert wrote.exit_code == 0, wrote.output
    again = runner.invoke(bmlt_command, [*args, "--write"])
    assert again.exit_code == 0 and "nothing to write" in again.output
    # A renamed meeting keeps its id: the server's id_bigint is what matches.
    (tmp_path / "later").mkdir()
    renamed = tmp_path / "later" / "search.json"  # the same feed, fetched again
    renamed.write_text(ANSWER.read_text().replace("Sunday Serenity", "Sunday Serenity Group"))
    moved = runner.invoke(bmlt_command, [str(renamed), "--into", str(into)])
    assert "1 changed" in moved.output and "sunday-serenity-group-101" not in moved.output


def test_without_a_directory_zone_every_meeting_keeps_its_own():
    # Asked without the directory's zone (a new file, a script), nothing is taken for it.
    records = bmlt.import_answer(str(ANSWER)).records
    assert len(records) == 3 and all("extra" in r for r in records)
