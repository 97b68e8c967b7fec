"""Our Meeting Guide feed read back by our importer: the same meetings (write.py -> read.py).

Every field of every active meeting in the shipped sample is compared with what comes back.
What cannot survive the format, and why (docs/maintainers.md says the same):

- `website`: the format has one `url`, the meeting's page where the feed comes from (the
  spec's meaning), and the importer reads it as the meeting's website; our feed's `url` is the
  meeting's page in this directory, so a meeting comes back with that page as its website.
- `types`: a code the feed adds from another field (`S` from `languages: [es]`, `BA` from
  `accessibility: [childcare]`) comes back in `types` as well; a file may write it either way,
  and the codes a meeting is shown with (`write.meeting_types`) are the same.
- `status: temporarily-closed` on a meeting that still meets online comes back as an active
  meeting with `TC` (its place is closed), the same attendance: the feed says both the same
  way (none in the sample; `test_attendance_comes_back` shows it).
- Not in the format at all, so not compared: inactive meetings (not published), and the
  fields no meeting in the sample has (`organization`, `phone`, `text`, `email`, `payment`,
  `services`, `medications`, `tags`, `eligibility`, `dimensions` other than community).
  `extra` gains the importer's own `source` and `feed` (what `--prune` goes by).
"""

from __future__ import annotations

import dataclasses
import json

import pytest
import yaml
from click.testing import CliRunner

from directory.cli.imports import meeting_guide_command
from directory.datafile.load import load_catalog
from directory.formats.meeting_guide import read, write
from tests.conftest import SAMPLE
from tests.formats.conftest import url_of

# Every other Resource field must come back equal; these two are checked on their own below.
NOT_COMPARED = {"line", "source", "types", "website"}


@pytest.fixture(scope="module")
def sample():
    return load_catalog(SAMPLE)


@pytest.fixture(scope="module")
def sample_document():
    return yaml.load(SAMPLE.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


def _import_back(catalog, document, feed, tmp_path):
    """Import `feed` into the sample in place of its meetings; return the result and catalog."""
    result = read.convert(
        feed,
        "AA",  # every record names its own fellowship: this one is never used
        timezone=catalog.directory.timezone,
        country=catalog.directory.country,
        feed="sample",
        existing_entries=document["resources"],
        locations=document["locations"],
    )
    others = [e for e in document["resources"] if e["category"] != "meeting"]
    back = {**document, "resources": others + result.records}
    path = tmp_path / "back.yaml"
    # PyYAML writes it quickly; the importer's own edits of the file are the command's test.
    path.write_text(yaml.dump(back, Dumper=yaml.CSafeDumper, sort_keys=False), encoding="utf-8")
    return result, load_catalog(path)


def _compare(original, back, venue_ids: bool = True) -> list[str]:
    """Return every field of an original meeting that came back different, with both values."""
    differences = []
    for field in dataclasses.fields(original):
        if field.name in NOT_COMPARED:
            continue
        before, after = getattr(original, field.name), getattr(back, field.name)
        if field.name == "location" and before is not None and after is not None:
            before = dataclasses.replace(before, line=0, id=before.id if venue_ids else None)
            after = dataclasses.replace(after, line=0)
        if before != after:
            differences.append(f"{original.id}: {field.name}: {before!r} came back as {after!r}")
    return differences


def _meetings(catalog, fellowship=None):
    return [
        r
        for r in catalog.active()
        if r.is_meeting and (fellowship is None or r.fellowship == fellowship)
    ]


def _check_types_and_website(original, again) -> None:
    assert again.website == url_of(original)
    # Codes added from other fields come back in `types`; the codes shown are the same.
    assert write.meeting_types(again) == write.meeting_types(original), original.id
    added = set(again.types) - set(original.types)
    assert added <= set(write.meeting_types(original)) - set(original.types), original.id


@pytest.mark.parametrize("fellowship", [None, "AA", "Al-Anon", "NA"])
def test_the_whole_sample_comes_back_field_by_field(sample, sample_document, tmp_path, fellowship):
    """The feed of all (a mixed feed, spec codes) and per-fellowship feeds (their own codes)."""
    feed = write.meeting_guide_feed(sample, url_of, fellowship=fellowship)
    result, back = _import_back(sample, sample_document, feed, tmp_path)

    assert result.problems == []  # not one record skipped, not one field noted as lost
    meetings = _meetings(sample, fellowship)
    assert len(result.records) == len(meetings) < len(feed)  # weekly times regrouped
    differences = []
    for original in meetings:
        again = back.by_id(original.id)
        assert again is not None, original.id
        differences += _compare(original, again)
        _check_types_and_website(original, again)
    assert differences == []


def test_what_the_sample_puts_through_the_round_trip(sample):
    """The cases the comparison above covers are really in the sample, so it proves them."""
    meetings = [r for r in sample.active() if r.is_meeting]
    assert len({r.fellowship for r in meetings}) >= 8
    assert any(len(r.schedule.windows) == 7 for r in meetings)
    assert any(w.end > 24 * 60 for r in meetings for w in r.schedule.windows)  # past midnight
    assert {r.attendance for r in meetings} == {"in_person", "online", "hybrid", "inactive"}
    assert any("TC" in r.types and r.attendance == "online" for r in meetings)
    assert {"wheelchair", "childcare", "asl"} <= {a for r in meetings for a in r.accessibility}
    assert {"es", "ru", "uk", "zh"} <= {lang for r in meetings for lang in r.languages}
    assert any(r.populations for r in meetings)
    assert all(r.last_verified for r in meetings)
    assert any(r.location and r.location.id for r in meetings)  # shared venues come back by id
    assert any(r.group for r in meetings) and any(
        r.timezone != "America/Los_Angeles" for r in meetings
    )
    assert any("POA" in r.types and r.fellowship == "Al-Anon" for r in meetings)


def test_attendance_comes_back(edges, tmp_path):
    feed = write.meeting_guide_feed(edges, url_of)
    result = read.convert(feed, "AA", timezone="America/Los_Angeles")
    assert not result.skipped
    back = {r["id"]: r for r in result.records}
    # The place of a temporarily closed meeting that still meets online is kept; its closure
    # is said by TC (the status it had in the file says the same; the feed cannot tell them).
    closed_online = back["closed-online"]
    assert closed_online["online"]["url"] == "https://meet.example/abc"
    assert closed_online["location"]["address"] == "10 Main St"
    assert "TC" in closed_online["types"] and "status" not in closed_online
    # Nowhere to meet: closed, which the status says.
    assert back["closed-only"]["status"] == "temporarily-closed"
    assert "TC" not in back["closed-only"].get("types", [])
    # Two weekly times, one past midnight, are one entry again, with its Spanish.
    hybrid = back["hybrid-spanish"]
    assert hybrid["schedule"] == [
        {"days": ["sat"], "start": "09:00", "end": "10:00"},
        {"days": ["sat"], "start": "23:00", "end": "01:00"},
    ]
    assert hybrid["languages"] == ["es"]
    assert hybrid["location"]["address"] == "10 Main St"
    assert hybrid["location"]["address_2"] == "Room 4"
    assert hybrid["online"] == {"phone": "+1 503 555 0100", "notes": "PIN 9"}
    # By appointment, in its own town: no schedule, the town and its point kept.
    appointment = back["by-appointment"]
    assert appointment["fellowship"] == "NA" and "schedule" not in appointment
    assert appointment["location"]["city"] == "Gresham"


def test_an_online_meeting_gets_no_place_it_never_had(tmp_path):
    text = """\
format: 1
directory: {name: Online, timezone: America/Los_Angeles, country: US}
resources:
  - id: in-town
    name: In Town
    category: meeting
    fellowship: NA
    group: Hope Group
    location: {address: 1 Elm St, city: Beaverton, state: OR, lat: 45.48, lon: -122.8}
    schedule: [{days: [mon], start: "19:00"}]
  - id: group-online
    name: Hope Online
    category: meeting
    fellowship: NA
    group: Hope Group
    online: {url: "https://meet.example/hope"}
    schedule: [{days: [tue], start: "19:00"}]
  - id: own-town-online
    name: Salem Online
    category: meeting
    fellowship: NA
    location: {city: Salem, state: OR, region: Mid-Valley}
    online: {url: "https://meet.example/salem"}
    schedule: [{days: [wed], start: "19:00"}]
"""
    path = tmp_path / "online.yaml"
    path.write_text(text)
    catalog = load_catalog(path)
    feed = {r["slug"]: r for r in write.meeting_guide_feed(catalog, url_of)}
    # The group's city stands in, and says so; the meeting's own town does not need to.
    assert feed["group-online"]["city"] == "Beaverton"
    assert feed["group-online"]["stand_in_place"] == "yes"
    assert feed["own-town-online"]["formatted_address"] == "Salem, OR, US"
    assert "stand_in_place" not in feed["own-town-online"]
    back = {r["id"]: r for r in read.convert(list(feed.values()), "NA").records}
    assert "location" not in back["group-online"]
    assert back["own-town-online"]["location"] == {
        "city": "Salem",
        "state": "OR",
        "region": "Mid-Valley",
    }


def test_the_command_imports_our_feed_into_a_new_file_once(sample, tmp_path):
    feed_path = tmp_path / "meetings.json"
    feed_path.write_text(json.dumps(write.meeting_guide_feed(sample, url_of)))
    target = tmp_path / "resources.yaml"
    args = [str(feed_path), "--fellowship", "AA", "--into", str(target), "--no-diff"]
    first = CliRunner().invoke(
        meeting_guide_command, [*args, "--timezone", "America/Los_Angeles", "--write"]
    )
    assert first.exit_code == 0, first.output
    assert "438 records read, 195 taken, 0 skipped, 0 with notes" in first.output
    text = target.read_text()
    back = load_catalog(target)
    differences = []
    for original in _meetings(sample):
        # A new file has no shared venues: each place is written out, with the same fields.
        differences += _compare(original, back.by_id(original.id), venue_ids=False)
        _check_types_and_website(original, back.by_id(original.id))
    assert differences == []
    # Re-importing is idempotent.
    again = CliRunner().invoke(meeting_guide_command, [*args, "--write"])
    assert again.exit_code == 0, again.output
    assert "0 added, 0 changed, 195 unchanged, 0 removed" in again.output
    assert target.read_text() == text
