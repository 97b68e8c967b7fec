"""Broken and hostile feeds: a clear error for the feed, or the bad record left out alone.

Issue 12 (item 6): a feed nested 1,000 deep crashed the import with a traceback; one bad
character in one record blocked the whole import; a 30 MB note passed straight through. Each
case, for each importer (Meeting Guide, BMLT, HSDS), and the command around them.
"""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from click.testing import CliRunner

from directory.cli.imports import bmlt_command, hsds_command, meeting_guide_command
from directory.datafile import editing
from directory.datafile.load import load_catalog
from directory.formats import bmlt
from directory.formats.common import MAX_FIELD_CHARS, FeedError
from directory.formats.hsds import read as hsds
from directory.formats.meeting_guide import read as mg
from tests.conftest import FIXTURES

ZONE = "America/Chicago"


def _meeting(slug: str, **fields) -> dict:
    return {"slug": slug, "name": slug.title(), "day": 1, "time": "19:00",
            "formatted_address": "1 Main St, Portland, OR 97214", "latitude": 45.5163,
            "longitude": -122.649, **fields}  # fmt: skip


def _feed(*records: dict, raw: bytes | None = None) -> bytes:
    """A feed of `records` with bytes no JSON writer makes: `raw` replaces "@RAW@" in a text,
    or a whole value written "@JSON@"."""
    text = json.dumps(list(records)).encode()
    if raw is None:
        return text
    return text.replace(b'"@JSON@"', raw).replace(b"@RAW@", raw)


def _convert(data: bytes) -> mg.ImportResult:
    return mg.convert(mg.parse_feed(data, "feed.json"), "AA", timezone=ZONE)


def _skipped(result) -> list[str]:
    return [str(p) for p in result.skipped]


def _import_command(tmp_path, command, source, *options):
    into = tmp_path / "resources.yaml"
    args = [str(source), "--into", str(into), "--timezone", ZONE, "--write", *options]
    return CliRunner().invoke(command, args), into


# --- the feed as a whole -----------------------------------------------------------------------


@pytest.mark.parametrize("depth", [1_000, 100_000])
@pytest.mark.parametrize("parse", [mg.parse_feed, bmlt.parse_answer])
def test_a_feed_nested_deeply_is_a_clear_error(parse, depth):
    with pytest.raises(FeedError, match="nested too deeply to be a feed"):
        parse(b"[" * depth + b"]" * depth, "deep.json")


def test_the_command_says_so_without_a_traceback(tmp_path):
    feed = tmp_path / "deep.json"
    feed.write_bytes(b'{"meetings": ' + b"[" * 1_000 + b"]" * 1_000 + b"}")
    result, into = _import_command(tmp_path, meeting_guide_command, feed, "--fellowship", "AA")
    assert result.exit_code == 1
    assert "nested too deeply" in result.output
    assert "Traceback" not in result.output and not into.exists()


def test_a_byte_that_is_not_utf8_outside_any_text_is_a_clear_error():
    with pytest.raises(FeedError, match=r"not UTF-8 text at line 1, column 2 \(byte 0xFF\)"):
        mg.parse_feed(b"[\xff]", "feed.json")


# --- one bad record among good ones ------------------------------------------------------------


def test_a_record_nested_deeply_is_left_out_alone():
    deep = {"slug": "deep", "name": "Deep", "notes": "@JSON@"}
    data = _feed(_meeting("good"), deep, _meeting("also-good"), raw=b"[" * 900 + b"]" * 900)
    result = _convert(data)
    assert [r["id"] for r in result.records] == ["good", "also-good"]
    assert _skipped(result) == [
        "record 2 (slug 'deep'): notes[0][0][0]: nested deeper than a record can be"
    ]


def test_one_bad_byte_leaves_out_only_the_record_carrying_it(tmp_path):
    data = _feed(_meeting("good"), _meeting("latin-1", name="Caf@RAW@ Group"), _meeting("fine"),
                 raw=b"\xe9")  # fmt: skip
    result = _convert(data)
    assert [r["id"] for r in result.records] == ["good", "fine"]
    assert _skipped(result) == ["record 2 (slug 'latin-1'): name: not UTF-8 text (byte 0xE9)"]
    # The command imports the rest, says which record carried the bytes, and writes the file.
    feed = tmp_path / "feed.json"
    feed.write_bytes(data)
    command, into = _import_command(tmp_path, meeting_guide_command, feed, "--fellowship", "AA")
    assert command.exit_code == 0, command.output
    assert "skipped record 2 (slug 'latin-1'): name: not UTF-8 text (byte 0xE9)" in command.output
    assert "3 records read, 2 taken, 1 skipped" in command.output
    assert [r.id for r in load_catalog(into).resources] == ["good", "fine"]


def test_an_escape_that_is_not_text_leaves_out_its_record():
    result = _convert(_feed(_meeting("good"), _meeting("bad", notes="@JSON@"), raw=b'"\\ud800"'))
    assert [r["id"] for r in result.records] == ["good"]
    assert _skipped(result) == [
        "record 2 (slug 'bad'): notes: not text (an unpaired surrogate \\ud800)"
    ]


def test_control_characters_are_removed_and_said():
    result = _convert(_feed(_meeting("bell", name="Bell\x07 \x1b[31mGroup\x00")))
    (record,) = result.records
    assert record["name"] == "Bell [31mGroup"
    assert [p.message for p in result.notes] == ["name: control characters removed"]


def test_a_30_mb_note_is_cut_to_the_data_files_limit_and_said():
    result = _convert(_feed(_meeting("long", notes="Come early. " * 2_600_000)))
    (record,) = result.records
    assert len(record["description"]) <= MAX_FIELD_CHARS
    assert record["description"].startswith("Come early. Come early.")
    assert [p.message for p in result.notes] == [
        "notes: 31,200,000 characters, cut to the 5,000 a field of the data file may hold"
    ]


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"name": "x" * 6_000}, "name: 6,000 characters, more than the 5,000 a field of the data"
                                " file may hold"),
        ({"types": ["O"] * 10_000}, "types: 10,000 items"),
        ({"conference_url": "https://zoom.us/" + "j" * 6_000}, "conference_url: 6,016 characters"),
        ({"nested": {"a": {"b": {"c": {}}}}}, "nested.a.b.c: nested deeper than a record can be"),
    ],
)  # fmt: skip
def test_a_value_no_record_has_leaves_out_its_record(fields, reason):
    result = _convert(_feed(_meeting("good"), _meeting("bad", **fields)))
    assert [r["id"] for r in result.records] == ["good"]
    (skipped,) = _skipped(result)
    assert skipped.startswith(f"record 2 (slug 'bad'): {reason}")


def test_an_entry_the_files_validation_refuses_is_left_out_alone(tmp_path):
    # The importer takes the link (it has a host); the file's rules want a real domain.
    feed = tmp_path / "feed.json"
    feed.write_bytes(_feed(_meeting("good"), _meeting("no-tld", conference_url="https://zoom")))
    command, into = _import_command(tmp_path, meeting_guide_command, feed, "--fellowship", "AA")
    assert command.exit_code == 0, command.output
    assert (
        "skipped record 2 (slug 'no-tld'): refused by the file's validation: online.url:"
        " 'https://zoom' is not a web address" in command.output
    )
    assert "2 records read, 1 taken, 1 skipped" in command.output
    assert [r.id for r in load_catalog(into).resources] == ["good"]


def test_a_refused_entry_is_not_pruned_the_file_keeps_its_version(tmp_path):
    feed = tmp_path / "feed.json"
    feed.write_bytes(_feed(_meeting("good"), _meeting("later-broken")))
    first, into = _import_command(tmp_path, meeting_guide_command, feed, "--fellowship", "AA")
    assert first.exit_code == 0, first.output
    before = {e["id"]: e for e in editing.resource_entries(editing.load_document(into))}
    feed.write_bytes(_feed(_meeting("good"), _meeting("later-broken", conference_url="https://x")))
    again, _ = _import_command(tmp_path, meeting_guide_command, feed, "--fellowship", "AA",
                               "--prune")  # fmt: skip
    assert again.exit_code == 0, again.output
    assert "refused by the file's validation" in again.output and "0 removed" in again.output
    after = {e["id"]: e for e in editing.resource_entries(editing.load_document(into))}
    assert after == before


# --- BMLT ---------------------------------------------------------------------------------------

BMLT_ANSWER = FIXTURES / "import" / "bmlt" / "search.json"


def test_bmlt_a_bad_meeting_is_left_out_alone(tmp_path):
    answer = json.loads(BMLT_ANSWER.read_text())
    meetings = answer["meetings"] if isinstance(answer, dict) else answer
    meetings[0]["meeting_name"] = "@RAW@"
    meetings[1]["comments"] = "Use the side door. " * 1_000
    data = json.dumps(answer).encode().replace(b"@RAW@", b"Caf\xe9")
    found, formats = bmlt.parse_answer(data, "bmlt.json")
    result = bmlt.convert(found, formats, timezone=ZONE)
    first = meetings[0]["id_bigint"]
    assert f"record 1 (id '{first}')" not in str(result.skipped)  # it cannot be named by it
    assert _skipped(result)[0] == "record 1: meeting_name: not UTF-8 text (byte 0xE9)"
    cut = [p.message for p in result.notes if "comments" in p.message]
    assert cut == [
        "comments: 19,000 characters, cut to the 5,000 a field of the data file may hold"
    ]
    assert len(result.records) == len(bmlt.import_answer(str(BMLT_ANSWER)).records) - 1
    # And the command writes the rest.
    source = tmp_path / "answer.json"
    source.write_bytes(data)
    command, into = _import_command(tmp_path, bmlt_command, source)
    assert command.exit_code == 0, command.output
    assert load_catalog(into).resources


# --- HSDS ---------------------------------------------------------------------------------------


def test_hsds_a_bad_row_is_left_out_of_its_table_and_the_rest_imported(tmp_path):
    package = tmp_path / "package"
    shutil.copytree(FIXTURES / "import" / "hsds", package)
    services = package / "services.csv"
    lines = services.read_bytes().splitlines(keepends=True)
    header = lines[0].decode().strip().split(",")
    assert "description" in header and "name" in header
    bad = lines[2].replace(b",", b",Caf\xe9 ", 1)  # a Latin-1 byte in the second service
    services.write_bytes(b"".join([lines[0], lines[1], bad, *lines[3:]]))
    problems = []
    tables = hsds.read_package(package, problems)
    assert len(tables["service"]) == len(lines) - 2
    (problem,) = problems
    assert problem.kind == "skipped" and problem.message.startswith("services.csv line 3: ")
    assert problem.message.endswith("not UTF-8 text (byte 0xE9); left out")
    command, into = _import_command(tmp_path, hsds_command, package)
    assert command.exit_code == 0, command.output
    assert "skipped services.csv line 3" in command.output
    assert load_catalog(into).resources


def test_hsds_a_long_description_is_cut_and_a_long_name_leaves_out_its_row(tmp_path):
    package = tmp_path / "package"
    shutil.copytree(FIXTURES / "import" / "hsds", package)
    services = package / "services.csv"
    with services.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0])
    # Longer than csv's own 128 KB field limit, which used to stop the whole table.
    rows[0]["description"] = "Free food for anyone who asks." * 10_000  # 300,000 characters
    rows[1]["name"] = "N" * 6_000
    with services.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fields)
        writer.writeheader()
        writer.writerows(rows)
    problems = []
    tables = hsds.read_package(package, problems)
    assert len(tables["service"]) == len(rows) - 1
    assert len(tables["service"][0]["description"]) <= MAX_FIELD_CHARS
    messages = [p.message for p in problems]
    assert any("description: 300,000 characters, cut to the 5,000" in m for m in messages)
    assert any("name: 6,000 characters, more than the 5,000" in m and m.endswith("left out")
               for m in messages)  # fmt: skip


def test_hsds_a_package_description_nested_deeply_is_a_clear_error(tmp_path):
    package = tmp_path / "package"
    shutil.copytree(FIXTURES / "import" / "hsds", package)
    (package / "datapackage.json").write_bytes(b"[" * 1_000 + b"]" * 1_000)
    with pytest.raises(FeedError, match="nested too deeply to be a feed"):
        hsds.read_package(package)
    assert hsds.feed_name(package) == "package"  # named by its folder instead


def _variants(record: dict) -> list[dict]:
    """A clean record and copies of it with each thing check_record looks for."""
    deep = {"a": {"b": {"c": {"d": "x"}}}}
    return [
        record,
        {**record, "notes": "bell \x07 and tab\t, line\nend\r\n"},
        {**record, "name": "form\x0cfeed"},
        {**record, "name": "back\x08space"},
        {**record, "name": "a C1 \x85 character"},
        {**record, "name": "not text \udcff"},
        {**record, "name": "a literal \\b and \\u0041"},
        {**record, "notes": "n" * (MAX_FIELD_CHARS + 1)},
        {**record, "name": "n" * (MAX_FIELD_CHARS + 1)},
        {**record, "k" * 101: 1},
        {**record, "bell\x07": 1},
        {**record, "types": ["O"] * 501},
        {**record, "extra": deep},
        {**record, "extra": {"b": {"c": "x"}}},
        {**record, 5: "a key that is not text"},
    ]


def test_a_record_check_record_passes_at_once_is_one_its_own_loop_finds_nothing_in():
    from directory.formats.common import _check_each, _plainly_fine, check_record

    records = json.loads((FIXTURES / "real" / "kansas-city.json").read_bytes())[:40]
    fast = 0
    for record in [v for r in records for v in _variants(r)]:
        slow = _check_each(record, mg.FREE_TEXT, MAX_FIELD_CHARS)
        if _plainly_fine(record, MAX_FIELD_CHARS):
            fast += 1
            assert slow.reason is None and not slow.notes and slow.record is record
        checked = check_record(record, mg.FREE_TEXT)
        assert (checked.record, checked.reason, checked.notes) == (
            slow.record,
            slow.reason,
            slow.notes,
        )
    assert fast >= 80  # the clean ones, and those with a literal backslash or a shallow extra
