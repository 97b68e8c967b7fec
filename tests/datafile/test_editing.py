"""Round-trip, atomic edits to the resource file (directory/editing.py)."""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from directory.datafile import editing
from directory.datafile.load import validate_text
from tests.conftest import FIXTURES, ROOT

FIXTURE = FIXTURES / "import" / "hand_edited.yaml"
ORIGINAL = FIXTURE.read_text(encoding="utf-8")


@pytest.fixture
def resource_file(tmp_path: Path) -> Path:
    path = tmp_path / "resources.yaml"
    shutil.copyfile(FIXTURE, path)
    return path


def _entry(doc: editing.Document, rid: str) -> dict:
    return next(e for e in editing.resource_entries(doc) if e["id"] == rid)


def _split_around(text: str, start_marker: str, end_marker: str) -> tuple[str, str]:
    start = text.index(start_marker)
    end = text.index(end_marker, start)
    return text[:start], text[end:]


def test_editing_one_entry_leaves_every_other_line_byte_for_byte(resource_file):
    doc = editing.load_document(resource_file)
    record = _entry(doc, "food-bank") | {"hours_notes": "Walk-ins until 2 pm"}

    changes = editing.upsert_resources(doc, [record])

    assert changes.changed == ["food-bank"] and not changes.added
    before = _split_around(ORIGINAL, "  - id: food-bank", "\n\n  - {id: flow-entry")
    after = _split_around(doc.text, "  - id: food-bank", "\n\n  - {id: flow-entry")
    assert after == before
    assert "    hours_notes: Walk-ins until 2 pm\n" in doc.text
    # The block-style schedule of the edited entry is kept as it was, quotes included.
    assert "        start: '10:00'\n" in doc.text


def test_upserting_identical_data_changes_nothing(resource_file):
    doc = editing.load_document(resource_file)
    records = editing.resource_entries(doc)

    changes = editing.upsert_resources(doc, records)

    assert changes.unchanged == [r["id"] for r in records]
    assert not changes
    assert doc.text == ORIGINAL and not doc.modified


def test_new_entry_is_appended_in_house_style_before_the_closing_comment(resource_file):
    doc = editing.load_document(resource_file)
    record = {
        "id": "new-meeting",
        "name": "New Meeting",
        "category": "meeting",
        "fellowship": "AA",
        "types": ["O", "D"],
        "schedule": [{"days": ["tue"], "start": "19:00", "end": "20:00"}],
        "location": {"name": "Hall", "city": "Portland", "postal_code": "97214"},
        "extra": {"notes": "line one\nline two"},
    }

    changes = editing.upsert_resources(doc, [record])

    assert changes.added == ["new-meeting"]
    assert doc.text.startswith(ORIGINAL[: ORIGINAL.index("# end of file comment")])
    assert doc.text.endswith("# end of file comment\n")
    assert '      - {days: [tue], start: "19:00", end: "20:00"}\n' in doc.text
    assert '      postal_code: "97214"\n' in doc.text
    assert "      notes: |-\n        line one\n        line two\n" in doc.text
    assert _entry(doc, "new-meeting") == record


def test_owned_keys_leave_a_maintainers_own_keys_alone(resource_file):
    doc = editing.load_document(resource_file)
    # The importer owns name/category/tags, not description or phone.
    record = {"id": "harbor-house", "name": "Harbor House", "category": "housing"}

    editing.upsert_resources(doc, [record], owned_keys={"name", "category", "tags"})

    entry = _entry(doc, "harbor-house")
    assert "tags" not in entry
    assert entry["phone"] == "503-555-0100"
    assert entry["description"] == "A sober-living house near the river.\n"


def test_extra_is_merged_not_replaced(resource_file):
    doc = editing.load_document(resource_file)
    record = _entry(doc, "food-bank") | {"extra": {"source": "hsds"}}
    editing.upsert_resources(doc, [record])
    record = _entry(doc, "food-bank") | {"extra": {"feed": "x"}}
    editing.upsert_resources(doc, [record], owned_keys={"extra"})
    assert _entry(doc, "food-bank")["extra"] == {"source": "hsds", "feed": "x"}


def test_changing_the_entry_that_defines_an_anchor_keeps_the_alias_working(resource_file):
    doc = editing.load_document(resource_file)
    record = _entry(doc, "morning-serenity") | {"name": "Morning Serenity Group"}

    editing.upsert_resources(doc, [record])

    assert "    extra: &shared-extra\n" in doc.text
    assert "    extra: *shared-extra\n" in doc.text
    assert "  - id: morning-serenity        # keep this comment\n" in doc.text
    assert _entry(doc, "harbor-house")["extra"]["note"] == "kept by a maintainer"


def test_remove_takes_out_only_that_entry(resource_file):
    doc = editing.load_document(resource_file)

    changes = editing.remove_resources(doc, ["flow-entry", "not-there"])

    assert changes.removed == ["flow-entry"]
    assert doc.text == ORIGINAL.replace(
        "  - {id: flow-entry, name: \"Flow Entry\", category: crisis, phone: '988'}\n\n", ""
    )


def test_remove_every_entry_leaves_an_empty_list(resource_file):
    doc = editing.load_document(resource_file)
    ids = [e["id"] for e in editing.resource_entries(doc)]
    editing.remove_resources(doc, ids)
    assert editing.resource_entries(doc) == []
    assert "resources: []\n" in doc.text
    assert "# end of file comment\n" in doc.text


def test_shared_locations_are_upserted_by_id(resource_file):
    doc = editing.load_document(resource_file)
    changes = editing.upsert_locations(
        doc, {"new-hall": {"name": "New Hall", "city": "Portland", "lat": 45.5, "lon": -122.6}}
    )
    assert changes.added == ["new-hall"]
    assert editing.location_entries(doc)["st-marks"]["name"] == "St. Mark's Parish Hall"
    assert "  new-hall:\n    name: New Hall\n" in doc.text
    assert doc.text.count("st-marks: &stmarks\n") == 1


def test_a_new_document_takes_resources_and_validates(tmp_path):
    doc = editing.new_document("Test Directory", "America/Chicago")
    editing.upsert_resources(
        doc, [{"id": "a", "name": "A", "category": "food", "hours_notes": "Call first"}]
    )
    path = tmp_path / "new" / "resources.yaml"

    assert editing.write_document(doc, path) is None  # nothing to back up
    assert [p for p in validate_text(path.read_text(), str(path)) if p.severity == "error"] == []
    assert editing.resource_entries(editing.load_document(path))[0]["id"] == "a"


def test_broken_yaml_is_refused(tmp_path):
    path = tmp_path / "resources.yaml"
    path.write_text("resources:\n  - id: [unclosed\n")
    with pytest.raises(editing.EditError, match="not valid YAML"):
        editing.load_document(path)


def test_flow_style_resources_are_refused_rather_than_reflowed(tmp_path):
    path = tmp_path / "resources.yaml"
    path.write_text("format: 1\nresources: [{id: a, name: A, category: food}]\n")
    doc = editing.load_document(path)
    with pytest.raises(editing.EditError, match="flow style"):
        editing.upsert_resources(doc, [{"id": "b", "name": "B", "category": "food"}])


def test_duplicate_ids_in_one_upsert_are_refused(resource_file):
    doc = editing.load_document(resource_file)
    record = {"id": "x", "name": "X", "category": "food"}
    with pytest.raises(editing.EditError, match="given twice"):
        editing.upsert_resources(doc, [record, record])
    assert doc.text == ORIGINAL


def test_diff_shows_the_change():
    diff = editing.diff_text("a: 1\nb: 2\n", "a: 1\nb: 3\n", "resources.yaml")
    assert "-b: 2\n+b: 3\n" in diff and diff.startswith("--- a/resources.yaml")


def test_write_keeps_a_timestamped_backup_and_the_file_mode(resource_file):
    os.chmod(resource_file, 0o640)
    doc = editing.load_document(resource_file)
    editing.upsert_resources(doc, [_entry(doc, "last-one") | {"name": "Renamed"}])

    backup = editing.write_document(doc, validate=False)

    assert backup is not None and backup.read_text() == ORIGINAL
    assert backup.name.startswith("resources.yaml.") and backup.name.endswith(".bak")
    assert resource_file.read_text() == doc.text
    assert resource_file.stat().st_mode & 0o777 == 0o640
    second = editing.write_document(doc, validate=False)
    assert second != backup  # two writes within a second do not overwrite the first backup


def test_a_result_that_does_not_validate_is_not_written(resource_file):
    doc = editing.load_document(resource_file)
    editing.upsert_resources(doc, [{"id": "bad-one", "name": "Bad", "category": "nonsense"}])

    with pytest.raises(editing.EditError) as caught:
        editing.write_document(doc)

    assert "nonsense" in str(caught.value)
    assert resource_file.read_text() == ORIGINAL
    assert sorted(p.name for p in resource_file.parent.iterdir()) == ["resources.yaml"]


def test_a_failing_replace_leaves_the_original_and_no_temp_file(resource_file, monkeypatch):
    doc = editing.load_document(resource_file)
    editing.upsert_resources(doc, [_entry(doc, "last-one") | {"name": "Renamed"}])

    def refuse(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        editing.write_document(doc, validate=False, backup=False)

    assert resource_file.read_text() == ORIGINAL
    assert [p.name for p in resource_file.parent.iterdir()] == ["resources.yaml"]


def test_a_write_killed_half_way_leaves_the_original_intact(resource_file):
    # The child writes a new version and is killed while it is being flushed to disk.
    child = textwrap.dedent(
        f"""
        import os, sys, time
        from directory.datafile import editing
        doc = editing.load_document({str(resource_file)!r})
        doc.text = doc.text.replace("Last One", "Renamed") + "# padding\\n" * 20_000
        def stall(fd):
            print("writing", flush=True)
            time.sleep(60)
        os.fsync = stall
        editing.write_document(doc, validate=False, backup=False)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", child],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        text=True,
    )
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "the child never started writing"
        assert proc.stdout.readline() == "writing\n"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()

    assert resource_file.read_text() == ORIGINAL
    leftovers = [p for p in resource_file.parent.iterdir() if p.name != "resources.yaml"]
    assert all(p.name.startswith(".resources.yaml.") for p in leftovers)


def test_the_next_write_removes_what_a_killed_write_left(resource_file):
    stray = resource_file.parent / ".resources.yaml.abc123.tmp"
    stray.write_text("half a file")
    half_backup = resource_file.parent / ".resources.yaml.2026-01-01T000000.bak.k9.tmp"
    half_backup.write_text("half a backup")
    doc = editing.load_document(resource_file)
    editing.upsert_resources(doc, [_entry(doc, "last-one") | {"name": "Renamed"}])
    backup = editing.write_document(doc, validate=False)
    names = sorted(p.name for p in resource_file.parent.iterdir())
    assert names == sorted(["resources.yaml", backup.name])
    assert backup.read_text() == ORIGINAL  # whole


def test_a_backup_is_written_atomically_too(resource_file):
    # Killed while the backup is being flushed: no .bak may exist half-written.
    child = textwrap.dedent(
        f"""
        import os, time
        from directory.datafile import editing
        doc = editing.load_document({str(resource_file)!r})
        doc.text = doc.text.replace("Last One", "Renamed")
        real_fsync = os.fsync
        def stall(fd):
            print("writing", flush=True)
            time.sleep(60)
        os.fsync = stall
        editing.write_document(doc, validate=False)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", child], stdout=subprocess.PIPE, cwd=ROOT, text=True
    )
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready and proc.stdout.readline() == "writing\n"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
    assert resource_file.read_text() == ORIGINAL
    assert [p for p in resource_file.parent.glob("*.bak")] == []  # never a partial backup


CRLF = ORIGINAL.replace("\n", "\r\n")


@pytest.mark.parametrize(
    "original",
    [CRLF.encode(), b"\xef\xbb\xbf" + CRLF.encode(), b"\xef\xbb\xbf" + ORIGINAL.encode()],
    ids=["crlf", "bom+crlf", "bom"],
)
def test_a_windows_file_keeps_its_line_endings_and_bom(resource_file, original):
    resource_file.write_bytes(original)
    doc = editing.load_document(resource_file)
    editing.upsert_resources(doc, [_entry(doc, "last-one") | {"name": "Renamed"}])
    diff = editing.diff_text(doc.original, doc.text)
    assert diff.count("\n-") == 1 and "Renamed" in diff and "\r" not in diff
    editing.write_document(doc, validate=False)  # the fixture is hand-written, not all valid
    written = resource_file.read_bytes()
    assert written.startswith(b"\xef\xbb\xbf") == original.startswith(b"\xef\xbb\xbf")
    newline = b"\r\n" if b"\r\n" in original else b"\n"
    assert written.count(newline) == written.count(b"\n")  # every line as the file had it
    before, after = original.split(newline), written.split(newline)
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b]
    assert len(before) == len(after) and len(changed) == 1  # only the renamed line
    assert b"Renamed" in after[changed[0]]


def test_a_file_that_is_not_utf8_is_an_edit_error(resource_file):
    resource_file.write_bytes(b"format: 1\nname: caf\xe9\n")
    with pytest.raises(editing.EditError, match="not UTF-8"):
        editing.load_document(resource_file)
