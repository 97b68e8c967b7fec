"""Meeting Guide feeds -> resource entries (directory/importers/meeting_guide.py, commands.py)."""

from __future__ import annotations

import http.server
import shutil
import threading
from datetime import date

import pytest
from click.testing import CliRunner

from directory.cli.imports import meeting_guide_command
from directory.datafile import editing
from directory.datafile.load import validate_text
from directory.formats.meeting_guide import read as mg
from tests.conftest import FIXTURES

FEEDS = FIXTURES / "import" / "meeting-guide"
ZONE = "America/Chicago"


def _import(name: str, fellowship: str = "AA", **options) -> mg.ImportResult:
    return mg.import_feed(str(FEEDS / name), fellowship, timezone=ZONE, **options)


def _by_id(result: mg.ImportResult) -> dict[str, dict]:
    return {r["id"]: r for r in result.records}


def _messages(result: mg.ImportResult, kind: str = "skipped") -> list[str]:
    return [str(p) for p in result.problems if p.kind == kind]


def _errors(records: list[dict]) -> list[str]:
    doc = editing.new_document("Test", ZONE)
    editing.upsert_resources(doc, records, mg.OWNED_KEYS)
    return [str(p) for p in validate_text(doc.text, "test.yaml") if p.severity == "error"]


@pytest.mark.parametrize(
    "name",
    sorted(
        p.name for p in FEEDS.glob("*.json") if "invalid" not in p.name and "not_a" not in p.name
    ),
)
def test_every_fixture_imports_to_entries_that_validate(name):
    result = _import(name)
    assert result.records
    assert _errors(result.records) == []


def test_a_plain_meeting(tmp_path):
    meeting = _by_id(_import("basic.json"))["morning-serenity"]
    assert meeting["schedule"] == [{"days": ["mon"], "start": "07:00", "end": "08:00"}]
    assert meeting["types"] == ["O", "D"]
    assert meeting["fellowship"] == "AA" and meeting["group"] == "Serenity Group"
    assert meeting["description"] == "Side door.\n\nCoffee at 6:45."
    assert meeting["location"] == {
        "name": "St. Mark's Hall",
        "address": "1234 SE Example St",
        "city": "Portland",
        "state": "OR",
        "postal_code": "97214",
        "lat": 45.5163,
        "lon": -122.649,
        "region": "Southeast",
        "notes": "Basement",
    }
    assert meeting["website"] == "https://example.org/meetings/morning-serenity"
    # Anonymity: a member's phone and e-mail in the feed never reach the public file.
    assert "503-555-0199" not in str(meeting) and "someone@" not in str(meeting)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("19:00", "19:00"),
        ("7:05", "07:05"),
        ("19:00:00", "19:00"),
        ("8:00 PM", "20:00"),
        ("8pm", "20:00"),
        ("12:00 AM", "00:00"),
        ("12:30 p.m.", "12:30"),
        ("Noon", "12:00"),
    ],
)
def test_times_in_the_shapes_feeds_use(given, expected):
    assert mg.parse_time(given) == expected


@pytest.mark.parametrize("given", ["25:99", "13:00 PM", "0:00 AM", "", None, 1900, "7.30"])
def test_nonsense_times_are_refused(given):
    with pytest.raises(mg.RecordError, match="is not a time"):
        mg.parse_time(given)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (0, ["sun"]),
        ("6", ["sat"]),
        ("Monday", ["mon"]),
        ("tues", ["tue"]),
        ([3, 1, 3], ["mon", "wed"]),
    ],
)
def test_days_in_the_shapes_feeds_use(given, expected):
    assert mg.parse_days(given) == expected


@pytest.mark.parametrize("given", [7, -1, "funday", True, [1, "x"], 2.5])
def test_nonsense_days_are_refused(given):
    with pytest.raises(mg.RecordError, match="is not a day"):
        mg.parse_days(given)


def test_days_and_times_fixture_reports_each_record_it_cannot_take():
    result = _import("days_and_times.json")
    meetings = _by_id(result)
    assert meetings["day-string"]["schedule"] == [{"days": ["tue"], "start": "19:00"}]
    assert meetings["day-array"]["schedule"] == [
        {"days": ["mon", "wed"], "start": "20:00", "end": "21:15"}
    ]
    assert meetings["day-name"]["schedule"][0] == {"days": ["sat"], "start": "12:00"}
    assert meetings["twelve-am"]["schedule"][0]["start"] == "00:00"
    assert "end" not in meetings["same-end"]["schedule"][0]
    assert "end" not in meetings["bad-end"]["schedule"][0]
    assert _messages(result) == [
        "record 5 (slug 'bad-time'): time '25:99' is not a time",
        # The feed also uses 0 for Sunday, so its 7 cannot be the ISO Sunday.
        "record 6 (slug 'bad-day'): day 7 is not a day (0 = Sunday ... 6 = Saturday; this feed"
        " uses 0 too, so its 7 cannot be Sunday)",
        "record 7 (slug 'no-time'): day 4 given without a time",
    ]
    assert len(_messages(result, "note")) == 2


def test_types_are_read_with_the_fellowship():
    result = _import("types.json")
    meetings = _by_id(result)
    assert meetings["types-string"]["types"] == ["O", "ST", "W"]
    assert meetings["types-words"]["types"] == ["O"]  # "open" is the English name of O
    assert meetings["types-lower"]["types"] == ["C", "12x12"]
    assert meetings["types-lower"]["extra"]["unknown_types"] == ["zz"]
    assert meetings["types-spanish"]["languages"] == ["es"]
    assert "languages" not in meetings["types-list"]
    assert _messages(result, "note") == [
        "record 4 (slug 'types-lower'): type code 'zz' not known for AA; "
        "kept under extra.unknown_types"
    ]
    # AL-AN is no meeting type in Al-Anon itself; POA is (Parents of Alcoholics) and stays.
    al_anon = _by_id(mg.convert([{"slug": "x", "name": "X", "types": ["POA", "AL-AN"]}], "Al-Anon"))
    assert al_anon["x"]["types"] == ["POA"]
    assert al_anon["x"]["extra"]["unknown_types"] == ["AL-AN"]


def test_attendance_online_hybrid_and_temporarily_closed():
    result = _import("attendance.json")
    meetings = _by_id(result)
    online = meetings["online-only"]
    # "San Jose, CA" is where the group is based, not a place to go to: the town stays (so the
    # meeting is found by place name), the street and the point do not.
    assert online["location"] == {"city": "San Jose", "state": "CA"}
    assert online["types"] == ["O"]  # ONL is said by `online`
    assert online["online"]["url"] == "https://zoom.us/j/123"
    assert online["online"]["phone"] == "+16699009128"
    assert "Password: 1" in online["online"]["notes"]
    assert "location" in meetings["hybrid"] and "online" in meetings["hybrid"]
    assert "status" not in meetings["tc-online"] and "TC" in meetings["tc-online"]["types"]
    assert meetings["tc-closed"]["status"] == "temporarily-closed"
    assert "online" not in meetings["bad-links"]
    assert meetings["hybrid"]["location"]["approximate"] is True  # at ZIP 95005's centre
    assert "lat" not in meetings["bad-links"]["location"]  # ZIP 12345 is not in Oklahoma
    assert _messages(result, "note") == [
        "record 2 (slug 'hybrid'): no usable coordinates; placed at the centre of ZIP code 95005"
        " (approximate)",
        "record 3 (slug 'tc-online'): no usable coordinates; placed at the centre of ZIP code"
        " 95005 (approximate)",
        "record 4 (slug 'tc-closed'): no usable coordinates; placed at the centre of ZIP code"
        " 95005 (approximate)",
        "record 5 (slug 'onl-no-link'): type ONL (online) but no conference_url or "
        "conference_phone to join by",
        "record 5 (slug 'onl-no-link'): no usable coordinates; placed at the centre of ZIP code"
        " 95005 (approximate)",
        "record 6 (slug 'bad-links'): conference_url 'zoom meeting 123' is not a web address",
        "record 6 (slug 'bad-links'): conference_phone 'call Bob' is not a phone number",
        "record 6 (slug 'bad-links'): no usable coordinates and no known town or ZIP code:"
        " cannot be placed",
    ]


def test_addresses_slugs_and_time_zones():
    result = _import("addresses.json", id_prefix="KC ")
    meetings = _by_id(result)
    assert meetings["kc-6"]["location"] == {
        "name": "Strathcona Baptist Church",
        "address": "8318 104 St",
        "city": "Edmonton",
        "state": "Alberta",
        "postal_code": "T6E 4E8",
        "country": "CA",
        # No coordinates in the feed: Edmonton's centre, from GeoNames, marked approximate.
        "lat": 53.55014,
        "lon": -113.46871,
        "approximate": True,
    }
    kansas = meetings["kc-254"]
    assert kansas["location"]["postal_code"] == "64113" and "country" not in kansas["location"]
    assert kansas["extra"]["slug"] == "254"
    city_only = meetings["kc-city-only"]
    assert city_only["location"]["city"] == "San Francisco"
    assert city_only["location"]["approximate"] is True
    assert 37.7 < city_only["location"]["lat"] < 37.8
    assert city_only["timezone"] == "America/Los_Angeles"
    assert meetings["kc-other-zone"]["timezone"] == "America/New_York"
    assert "timezone" not in meetings["kc-bad-zone"]
    assert "lat" not in meetings["kc-bad-coords"].get("location", {})
    assert _messages(result, "note") == [
        "record 1 (slug '6'): no usable coordinates; placed at the centre of Edmonton, Alberta"
        " (approximate)",
        "record 3 (slug 'city-only'): no usable coordinates; placed at the centre of San"
        " Francisco (approximate)",
        "record 4 (slug 'other-zone'): no usable coordinates; placed at the centre of"
        " Philadelphia (approximate)",
        "record 5 (slug 'bad-zone'): no usable coordinates and no known town or ZIP code:"
        " cannot be placed",
        "record 5 (slug 'bad-zone'): timezone 'Mars/Base' is not an IANA time zone; "
        "the feed's is used",
        "record 6 (slug 'bad-coords'): coordinate 'north' is not a number; coordinates left out",
    ]


def test_the_feed_timezone_applies_to_meetings_without_their_own():
    result = _import("basic.json", feed_timezone="America/Denver")
    assert {r["timezone"] for r in result.records} == {"America/Denver"}
    with pytest.raises(mg.FeedError, match="not an IANA time zone"):
        _import("basic.json", feed_timezone="Denver")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("San Jose, CA, USA", {"city": "San Jose", "state": "CA", "country": "US"}),
        ("London, UK", {"city": "London", "country": "GB"}),
        (
            "9636 CA-9, Ben Lomond, CA 95005, USA",
            {
                "address": "9636 CA-9",
                "city": "Ben Lomond",
                "state": "CA",
                "postal_code": "95005",
                "country": "US",
            },
        ),
        (
            "1 Main St, Suite 2, Anytown, OK 12345",
            {
                "address": "1 Main St",
                "address_2": "Suite 2",
                "city": "Anytown",
                "state": "OK",
                "postal_code": "12345",
            },
        ),
        ("Portland", {"city": "Portland"}),
    ],
)
def test_split_address(text, expected):
    assert mg.split_address(text) == expected


def test_slugs_ids_and_records_without_them():
    result = _import("slugs.json")
    assert [r["id"] for r in result.records] == ["pass-it-on", "pass-it-on-2", "name-unicode"]
    assert _messages(result) == [
        "record 3: no slug; an id cannot be made",
        "record 4 (slug '!!!'): slug '!!!' has no letters or digits; an id cannot be made",
        "record 5 (slug 'no-name'): no name",
        "record 6: not a JSON object",
    ]
    assert _messages(result, "note") == [
        "record 2 (slug 'pass-it-on'): slug also used by record 1; imported as 'pass-it-on-2'"
    ]


def test_meetings_by_appointment_are_kept_without_a_schedule():
    meetings = _by_id(_import("appointment.json"))
    for meeting in meetings.values():
        assert "schedule" not in meeting
        assert meeting["hours_notes"] == "By appointment"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("invalid.json", "not valid JSON: Extra data at line 5, column 1"),
        ("not_a_list.json", "a Meeting Guide feed is a JSON list of meetings"),
        ("missing.json", "cannot read the feed"),
    ],
)
def test_feeds_that_cannot_be_read_are_a_clear_error(name, message):
    with pytest.raises(mg.FeedError, match=message):
        _import(name)


def test_sources_are_capped_and_limited_to_files_and_http(tmp_path):
    with pytest.raises(mg.FeedError, match="larger than"):
        mg.read_source(str(FEEDS / "basic.json"), max_bytes=100)
    with pytest.raises(mg.FeedError, match="only files and http"):
        mg.read_source("ftp://example.org/feed.json")
    assert mg.parse_feed(b'{"meetings": [{"slug": "a"}]}') == [{"slug": "a"}]
    with pytest.raises(mg.FeedError, match="not UTF-8"):
        mg.parse_feed(b"[\xff]")


@pytest.fixture
def feed_server():
    handler = lambda *args: http.server.SimpleHTTPRequestHandler(  # noqa: E731  # why: one-off
        *args, directory=str(FEEDS)
    )
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.RequestHandlerClass.log_message = lambda *args: None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_feed_over_http(feed_server):
    result = mg.import_feed(f"{feed_server}/basic.json", "AA", timezone=ZONE)
    assert [r["id"] for r in result.records] == ["morning-serenity", "friday-speaker"]
    assert result.records[0]["extra"]["feed"] == "127.0.0.1:" + feed_server.rsplit(":", 1)[1]
    with pytest.raises(mg.FeedError, match="could not fetch"):
        mg.read_source(f"{feed_server}/nothing-here.json")


# --- the command -------------------------------------------------------------------------------


def _run(*args: str):
    return CliRunner().invoke(meeting_guide_command, [str(a) for a in args])


def test_dry_run_then_write_then_reimport_changes_nothing(tmp_path):
    target = tmp_path / "resources.yaml"
    feed = FEEDS / "basic.json"

    dry = _run(feed, "--fellowship", "AA", "--into", target, "--timezone", ZONE)
    assert dry.exit_code == 0, dry.output
    assert "would be 2 added, 0 changed, 0 unchanged, 0 removed" in dry.output
    assert "+  - id: morning-serenity" in dry.output
    assert not target.exists()

    wrote = _run(feed, "--fellowship", "AA", "--into", target, "--timezone", ZONE, "--write")
    assert wrote.exit_code == 0, wrote.output
    assert [
        p for p in validate_text(target.read_text(), str(target)) if p.severity == "error"
    ] == []
    first = target.read_text()

    again = _run(feed, "--fellowship", "AA", "--into", target, "--write")
    assert again.exit_code == 0, again.output
    assert "0 added, 0 changed, 2 unchanged, 0 removed" in again.output
    assert "nothing to write" in again.output
    assert target.read_text() == first


def test_reimport_keeps_a_maintainers_edits_and_prunes_only_its_own(tmp_path):
    target = tmp_path / "resources.yaml"
    feed = tmp_path / "county.json"
    shutil.copyfile(FEEDS / "basic.json", feed)
    assert (
        _run(feed, "--fellowship", "AA", "--into", target, "--timezone", ZONE, "--write").exit_code
        == 0
    )
    text = target.read_text().replace(
        "    name: Morning Serenity\n",
        "    name: Morning Serenity\n    tags: [coffee]  # added by hand\n",
    )
    text += "\n  - id: hand-written\n    name: Hand Written\n    category: food\n"
    target.write_text(text)
    # The feed loses its second meeting.
    feed.write_text(feed.read_text().replace('"slug": "friday-speaker"', '"slug": "gone"'))
    feed.write_text("[" + feed.read_text().split("},\n  {", 1)[0].lstrip("[") + "}\n]\n")

    result = _run(feed, "--fellowship", "AA", "--into", target, "--write", "--prune")

    assert result.exit_code == 0, result.output
    assert "0 added, 0 changed, 1 unchanged, 1 removed" in result.output
    after = target.read_text()
    assert "    tags: [coffee]  # added by hand\n" in after
    assert "friday-speaker" not in after and "hand-written" in after
    (backup,) = tmp_path.glob("resources.yaml.*.bak")  # the first write had nothing to keep
    assert backup.read_text() == text


def test_invalid_json_leaves_the_file_untouched(tmp_path):
    target = tmp_path / "resources.yaml"
    assert (
        _run(
            FEEDS / "basic.json",
            "--fellowship",
            "AA",
            "--into",
            target,
            "--timezone",
            ZONE,
            "--write",
        ).exit_code
        == 0
    )
    before = target.read_text()

    result = _run(FEEDS / "invalid.json", "--fellowship", "AA", "--into", target, "--write")

    assert result.exit_code == 1
    assert "not valid JSON" in result.output
    assert target.read_text() == before


def test_a_new_file_needs_a_timezone(tmp_path):
    result = _run(FEEDS / "basic.json", "--fellowship", "AA", "--into", tmp_path / "new.yaml")
    assert result.exit_code == 1
    assert "give --timezone to create it" in result.output


def test_skipped_records_are_listed_with_their_reasons(tmp_path):
    result = _run(
        FEEDS / "days_and_times.json",
        "--fellowship",
        "AA",
        "--into",
        tmp_path / "r.yaml",
        "--timezone",
        ZONE,
        "--no-diff",
    )
    assert result.exit_code == 0, result.output
    assert "skipped record 5 (slug 'bad-time'): time '25:99' is not a time" in result.output
    assert "9 records read, 6 taken, 3 skipped, 2 with notes" in result.output
    assert "@@" not in result.output


def test_a_start_at_24_00_is_reported_not_imported():
    records = [{"slug": "late", "name": "Late", "day": 1, "time": "24:00"},
               {"slug": "ok", "name": "Ok", "day": 1, "time": "23:00"}]  # fmt: skip
    result = mg.convert(records, "AA")
    assert [r["id"] for r in result.records] == ["ok"]
    assert "time '24:00' is not a start time" in _messages(result)[0]


def test_impossible_points_are_dropped_for_the_best_offline_one():
    result = _import("places.json")
    meetings = _by_id(result)
    zip_centre = (37.3329, -121.8916)  # ZIP 95113 in the postal data
    for rid in ("zero", "lone-zero", "ocean"):
        place = meetings[rid]["location"]
        assert place["approximate"] is True, rid
        assert (round(place["lat"], 4), round(place["lon"], 4)) == zip_centre, rid
        assert place["address"] == "200 E Santa Clara St", rid  # the door is still known
    assert "approximate" not in meetings["good"]["location"]
    assert meetings["good"]["location"]["lat"] == 37.3382
    assert meetings["coords-field"]["location"]["lon"] == -121.8863
    notes = _messages(result, "note")
    assert "record 1 (slug 'zero'): coordinates 0.0, 0.0 are not a place (a zero); left out" in (
        notes
    )
    assert any(n.startswith("record 3 (slug 'ocean'): coordinates 37.3382, -131.8863 are 5")
               and "miles from ZIP code 95113; left out" in n for n in notes)  # fmt: skip


def test_online_meetings_keep_their_town_and_areas_but_no_door():
    meetings = _by_id(_import("places.json"))
    online = meetings["online-areas"]
    assert online["location"] == {
        "city": "San Jose",
        "state": "CA",
        "region": "San Jose",
        "sub_region": "Willow Glen",
    }
    assert online["online"]["url"] == "https://zoom.us/j/1"


def test_a_meeting_said_to_be_virtual_with_no_link_is_not_a_room(tmp_path):
    result = _import("places.json")
    meeting = _by_id(result)["virtual-no-link"]
    assert meeting["location"] == {
        "city": "Campbell",
        "state": "CA",
        "postal_code": "95008",
        "region": "Campbell",
    }
    assert "online" not in meeting
    assert (
        "record 7 (slug 'virtual-no-link'): says it meets online but gives no link or phone "
        "number to join by" in _messages(result, "note")
    )


def test_house_codes_and_typos_read_as_the_spec_code():
    meetings = _by_id(_import("places.json"))
    assert meetings["typo"]["types"] == ["ABSI", "B"]
    assert meetings["typo"]["extra"]["unknown_types"] == ["zz"]
    al_anon = _by_id(mg.convert([{"slug": "x", "name": "X", "types": ["AC", "POA"]}], "Al-Anon"))
    assert al_anon["x"]["types"] == ["AC", "POA"]


# --- what our own feed and other directories' feeds add to the spec ------------------------------


def _one(record: dict, fellowship: str = "AA", **options) -> tuple[dict, list[str]]:
    result = mg.convert([{"slug": "m", "name": "M", "day": 1, "time": "19:00", **record}],
                        fellowship, **options)  # fmt: skip
    assert not result.skipped, _messages(result)
    return result.records[0], [p.message for p in result.notes]


def test_a_feed_numbered_1_to_7_has_sunday_at_7_and_says_so():
    records = [{"slug": "a", "name": "A", "day": 7, "time": "19:00"},
               {"slug": "b", "name": "B", "day": "1", "time": "19:00"},
               {"slug": "c", "name": "C", "day": [6, 7], "time": "19:00"}]  # fmt: skip
    result = mg.convert(records, "AA")
    days = {r["id"]: r["schedule"][0]["days"] for r in result.records}
    assert days == {"a": ["sun"], "b": ["mon"], "c": ["sun", "sat"]}
    assert _messages(result, "note") == ["the feed numbers days 1 to 7: 7 is read as Sunday"]
    # A feed numbered 0 to 6 reads as always: 6 is Saturday, and nothing is said.
    plain = mg.convert([{"slug": "d", "name": "D", "day": 6, "time": "19:00"},
                        {"slug": "e", "name": "E", "day": 0, "time": "19:00"}], "AA")  # fmt: skip
    assert [r["schedule"][0]["days"] for r in plain.records] == [["sat"], ["sun"]]
    assert plain.problems == []


def test_coordinates_as_one_lat_lon_text():
    record, notes = _one({"coordinates": "37.3382, -121.8863", "city": "San Jose", "state": "CA",
                          "address": "1 Main St"})  # fmt: skip
    assert (record["location"]["lat"], record["location"]["lon"]) == (37.3382, -121.8863)
    assert notes == []
    _, notes = _one({"coordinates": "37.3,-121.9,37.4,-121.8", "formatted_address": "Nowhere"})
    assert notes[0] == "coordinates '37.3,-121.9,37.4,-121.8' are an area, not a point; left out"
    _, notes = _one({"coordinates": "north", "formatted_address": "Nowhere"})
    assert notes[0] == "coordinates 'north' are not \"lat,lon\"; left out"


@pytest.mark.parametrize(
    ("ends", "expected", "note"),
    [
        ({"end_time_next_day": "00:30"}, "00:30", None),
        ({"end_time_next_day": "23:30"}, None, "end_time_next_day 23:30 is not before the start"),
        ({"end_time_next_day": "soon"}, None, "end_time_next_day: time 'soon' is not a time"),
        ({"end_time": "20:00", "end_time_next_day": "01:00"}, "01:00", "both end_time and"),
        ({"end_time": "01:00"}, "01:00", None),  # before the start: past midnight too
    ],
)
def test_an_end_past_midnight(ends, expected, note):
    record, notes = _one({"time": "23:00", **ends})
    assert record["schedule"][0].get("end") == expected
    assert notes[0].startswith(note) if note else notes == [], notes


def _windows(*times, **fields) -> list[dict]:
    """The records our feed writes for one meeting that meets at several weekly times."""
    return [{"slug": f"hope-{day_name}-{time.replace(':', '')}", "name": "Hope", "day": day,
             "time": time, "url": "https://other.example/resources/hope", **fields}
            for day, day_name, time in times]  # fmt: skip


def test_one_meetings_weekly_times_come_back_as_one_entry():
    records = _windows((1, "mon", "19:00"), (3, "wed", "19:00"), (6, "sat", "09:00"))
    records.append({"slug": "other", "name": "Other", "day": 2, "time": "12:00",
                    "url": "https://other.example/resources/other"})  # fmt: skip
    result = mg.convert(records, "AA")
    assert result.problems == []
    hope = _by_id(result)["hope"]
    assert hope["schedule"] == [{"days": ["mon", "wed"], "start": "19:00"},
                                {"days": ["sat"], "start": "09:00"}]  # fmt: skip
    assert "slug" not in hope["extra"]  # the id is the source's own
    assert list(_by_id(result)) == ["hope", "other"]


def test_records_that_only_look_like_one_meeting_stay_apart():
    # Same url and slug pattern, but not the same meeting: each keeps its own entry.
    records = _windows((1, "mon", "19:00")) + _windows((3, "wed", "19:00"), notes="Different")
    result = mg.convert(records, "AA")
    assert [r["id"] for r in result.records] == ["hope", "hope-2"]
    assert _messages(result, "note") == [
        "record 2 (slug 'hope-wed-1900'): slug also used by record 1; imported as 'hope-2'"
    ]
    # A slug whose day or time is not the record's own is not one of our weekly times.
    (record,) = mg.convert(_windows((2, "mon", "19:00")), "AA").records
    assert record["id"] == "hope-mon-1900"
    # TSML sites end `url` with the whole slug: never read as weekly times of one meeting.
    tsml = [{"slug": "hope-mon-1900", "name": "Hope", "day": 1, "time": "19:00",
             "url": "https://intergroup.example/meetings/hope-mon-1900/"}]  # fmt: skip
    assert [r["id"] for r in mg.convert(tsml, "AA").records] == ["hope-mon-1900"]


def test_a_record_names_its_own_fellowship_and_codes():
    record, _ = _one({"fellowship": "Al-Anon", "types": ["O"], "fellowship_types": ["O", "POA"]})
    assert record["fellowship"] == "Al-Anon" and record["types"] == ["O", "POA"]
    record, _ = _one({"fellowship": "narcotics anonymous", "types": ["C"]})
    assert record["fellowship"] == "NA" and record["types"] == ["C"]
    record, _ = _one({"types": ["POA"]}, "AA")  # no fellowship of its own: the one given
    assert record["fellowship"] == "AA" and record["types"] == ["POA"]


def test_languages_accessibility_and_populations_from_codes_and_extensions():
    record, notes = _one({"types": ["O", "S", "RUS", "X", "BA"], "languages": ["uk", "klingon"],
                          "accessibility": ["hearing-loop", "Wheel Chair"],
                          "populations": ["veterans"]})  # fmt: skip
    assert record["types"] == ["O", "S", "RUS", "X", "BA"]
    assert record["languages"] == ["uk", "es", "ru"]
    assert record["accessibility"] == ["hearing-loop", "wheelchair", "childcare"]
    assert record["populations"] == ["veterans"]
    assert notes == [
        "languages: 'klingon' is not one; left out",
        "accessibility: 'Wheel Chair' is not one; left out",
    ]
    # English alone is the default, and is not written.
    record, _ = _one({"types": ["EN"]})
    assert "languages" not in record


def test_updated_is_when_the_meeting_was_last_verified():
    record, notes = _one({"updated": "2026-09-01 00:00:00"})
    assert record["last_verified"] == date(2026, 9, 1) and notes == []
    record, notes = _one({"updated": "2999-01-01"})
    assert "last_verified" not in record
    assert notes == ["updated 2999-01-01 is in the future; last_verified left out"]
    record, notes = _one({"updated": "last week"})
    assert notes == ["updated 'last week' is not a date; last_verified left out"]
    # A maintainer's later date stays (the key is not the importer's to remove either).
    record, _ = _one({"updated": "2026-09-01"},
                     existing_entries=[{"id": "m", "last_verified": "2026-10-01"}])  # fmt: skip
    assert "last_verified" not in record and "last_verified" not in mg.OWNED_KEYS


def test_a_stand_in_town_is_no_location():
    record, _ = _one({"conference_url": "https://zoom.us/j/1", "city": "Portland", "state": "OR",
                      "formatted_address": "Portland, OR, US", "approximate": "yes",
                      "attendance_option": "online", "stand_in_place": "yes"})  # fmt: skip
    assert "location" not in record and record["online"] == {"url": "https://zoom.us/j/1"}


def test_a_place_that_is_a_shared_venue_refers_to_it():
    venue = {"name": "Hall", "address": "1 Main St", "city": "Portland", "state": "OR",
             "postal_code": "97214", "lat": 45.5, "lon": -122.65}  # fmt: skip
    fields = {"location": "Hall", "address": "1 Main St", "city": "Portland", "state": "OR",
              "postal_code": "97214", "latitude": 45.5, "longitude": -122.65}  # fmt: skip
    record, _ = _one(fields, locations={"main-hall": venue})
    assert record["location"] == "main-hall"
    record, _ = _one(fields, locations={"main-hall": {**venue, "notes": "Side door"}})
    assert record["location"] == venue  # not the same place: written out


def test_a_closed_place_with_no_way_to_join_is_a_closed_meeting():
    record, _ = _one({"types": ["TC", "O"], "formatted_address": "1 Main St, Portland, OR 97214"})
    assert record["status"] == "temporarily-closed" and record["types"] == ["O"]
    online = {"conference_url": "https://zoom.us/j/1", "attendance_option": "online"}
    record, _ = _one({"types": ["TC", "O"], "formatted_address": "1 Main St, Portland, OR 97214",
                      **online})  # fmt: skip
    assert "status" not in record and record["types"] == ["TC", "O"]
    assert record["location"]["address"] == "1 Main St"  # its place, closed for now


def test_dates_with_slashes_are_read_the_one_way_the_feed_writes_them():
    records = [{"slug": s, "name": s, "day": 1, "time": "19:00", "updated": u}
               for s, u in (("a", "8/28/2021"), ("b", "9/6/2021 3:04:05 PM"))]  # fmt: skip
    result = mg.convert(records, "AA")
    assert [r["last_verified"] for r in result.records] == [date(2021, 8, 28), date(2021, 9, 6)]
    assert _messages(result, "note") == ["the feed writes dates month/day/year"]
    european = mg.convert([{**records[1], "updated": "28/8/2021"}, records[1]], "AA")
    assert european.records[1]["last_verified"] == date(2021, 6, 9)
    # Nothing over 12: either reading could be right, so neither is taken.
    (record,) = (result := mg.convert(records[1:], "AA")).records
    assert "last_verified" not in record
    assert _messages(result, "note") == [
        "record 1 (slug 'b'): updated '9/6/2021 3:04:05 PM': the feed's dates could be month/day"
        " or day/month; last_verified left out"
    ]
