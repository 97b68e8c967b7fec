"""The maintainers' review: what needs attention, with lines and ids, and the check command."""

from __future__ import annotations

import json
import random
from datetime import date

import pytest

from directory import create_app
from directory.core import geo
from directory.datafile.load import load_catalog
from directory.maintenance.review import Finding, fold_name, review, similar_names

TODAY = date(2026, 11, 28)

HEAD = """\
format: 1
directory:
  name: Test Directory
  timezone: America/Los_Angeles
  country: US
  center: {lat: 45.5152, lon: -122.6784}
locations:
  st-marks-hall:
    name: St. Mark's Parish Hall
    address: 1234 SE Hawthorne Blvd
    city: Portland
    state: OR
    postal_code: "97214"
    lat: 45.5122
    lon: -122.6470
resources:
"""


def entry(rid: str, name: str, category: str = "food", **fields: str) -> str:
    """Return one resource entry; values are written as given (YAML)."""
    lines = [f"  - id: {rid}", f"    name: {name}", f"    category: {category}"]
    lines += [f"    {key}: {value}" for key, value in fields.items()]
    return "\n".join(lines) + "\n"


VERIFIED = {"last_verified": "2026-10-01"}
PHONE = {"phone": "(503) 555-0100", **VERIFIED}


def catalog_of(tmp_path, *entries: str):
    path = tmp_path / "resources.yaml"
    path.write_text(HEAD + "".join(entries))
    return load_catalog(path)


def kinds(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.kind, f.resource_id) for f in findings]


def test_a_clean_file_has_nothing_to_review(tmp_path):
    catalog = catalog_of(tmp_path, entry("pantry", "Pantry", **PHONE))
    assert review(catalog, TODAY) == []


def test_verification_age(tmp_path):
    catalog = catalog_of(
        tmp_path,
        entry("fresh", "Fresh", phone="(503) 555-0101", last_verified="2026-10-01"),
        entry("old", "Old", phone="(503) 555-0102", last_verified="2026-01-15"),
        entry("never", "Never", phone="(503) 555-0103"),
        entry("hidden", "Hidden", status="inactive"),  # not shown, not reviewed
    )
    findings = review(catalog, TODAY)
    assert kinds(findings) == [("stale", "old"), ("never-verified", "never")]
    assert findings[0].message == "last verified 2026-01-15, 317 days ago (more than 180)"
    assert findings[0].line == 22
    assert str(findings[0]) == f"{tmp_path / 'resources.yaml'}:22: stale: resource 'old': " + (
        findings[0].message
    )
    assert kinds(review(catalog, TODAY, days=365)) == [("never-verified", "never")]
    # The boundary: exactly N days old is not yet stale.
    assert kinds(review(catalog, date(2026, 7, 14), days=180)) == [("never-verified", "never")]
    assert kinds(review(catalog, date(2026, 7, 15), days=180))[0] == ("stale", "old")


def test_meeting_without_times(tmp_path):
    catalog = catalog_of(
        tmp_path,
        entry(
            "no-times",
            "No Times AA",
            "meeting",
            fellowship="AA",
            location="st-marks-hall",
            **VERIFIED,
        ),
        entry(
            "timed",
            "Timed NA",
            "meeting",
            fellowship="NA",
            location="st-marks-hall",
            schedule='[{days: [tue], start: "19:00"}]',
            **VERIFIED,
        ),
    )
    assert kinds(review(catalog, TODAY)) == [("no-times", "no-times")]


@pytest.mark.parametrize(
    "fields, reachable",
    [
        ({}, False),
        ({"location": "{city: Portland, state: OR}"}, False),  # a town is not an address
        ({"location": "st-marks-hall"}, True),
        ({"phone": "(503) 555-0100"}, True),
        ({"text": "(503) 555-0100"}, True),
        ({"email": "help@example.org"}, True),
        ({"website": "https://example.org"}, True),
        ({"online": "{url: 'https://zoom.us/j/123'}"}, True),
        ({"online": "{notes: ask at the desk}"}, False),
    ],
)
def test_unreachable(tmp_path, fields, reachable):
    catalog = catalog_of(tmp_path, entry("x", "X", **fields, **VERIFIED))
    found = ("unreachable", "x") in kinds(review(catalog, TODAY))
    assert found is not reachable


def test_coordinates_far_from_their_zip(tmp_path):
    far = "{address: 1 Far St, city: Portland, state: OR, postal_code: '97214', "
    catalog = catalog_of(
        tmp_path,
        entry("far", "Far", location=far + "lat: 45.5122, lon: -122.55}", **PHONE),
        entry(
            "far-but-approx",
            "Far Approx",
            location=far + "lat: 45.5122, lon: -122.55, approximate: true}",
            **PHONE,
        ),
        entry("near", "Near", location=far + "lat: 45.5122, lon: -122.647}", **PHONE),
        entry(
            "unknown-zip",
            "Unknown Zip",
            location="{address: 1 A St, postal_code: '00000', lat: 45.5, lon: -122.5}",
            **PHONE,
        ),
    )
    findings = review(catalog, TODAY)
    assert kinds(findings) == [("far-from-zip", "far")]
    assert "4.2 miles from the centre of ZIP code 97214" in findings[0].message


def test_similar_names_nearby_are_duplicates(tmp_path):
    loc = "{{address: 1 A St, city: Portland, state: OR, lat: {lat}, lon: -122.6500}}"
    catalog = catalog_of(
        tmp_path,
        entry("harbor-1", "Harbor House Recovery", location=loc.format(lat=45.5000), **PHONE),
        entry(
            "harbor-2", "The Harbour House Recovery", location=loc.format(lat=45.5010), **PHONE
        ),  # 0.07 miles away
        entry("harbor-far", "Harbor House Recovery", location=loc.format(lat=45.5100), **PHONE),
        entry("other-name", "Eastside Food Pantry", location=loc.format(lat=45.5005), **PHONE),
    )
    findings = review(catalog, TODAY)
    assert kinds(findings) == [("duplicate", "harbor-2")]
    assert findings[0].related == ("harbor-1",)
    assert "looks like a duplicate of 'harbor-1' (line 17)" in findings[0].message


def test_meetings_at_the_same_place_and_time(tmp_path):
    monday = '[{days: [mon], start: "19:00"}]'
    zoom = "{url: 'https://zoom.us/j/555/'}"
    catalog = catalog_of(
        tmp_path,
        entry(
            "a",
            "Serenity AA",
            "meeting",
            fellowship="AA",
            location="st-marks-hall",
            schedule=monday,
            **VERIFIED,
        ),
        entry(
            "b",
            "Happy Destiny NA",
            "meeting",
            fellowship="NA",
            location="st-marks-hall",
            schedule='[{days: [sat, mon], start: "19:00"}]',
            **VERIFIED,
        ),
        entry(
            "c",
            "Later AA",
            "meeting",
            fellowship="AA",
            location="st-marks-hall",
            schedule='[{days: [mon], start: "20:00"}]',
            **VERIFIED,
        ),
        entry(
            "d", "Online One", "meeting", fellowship="AA", online=zoom, schedule=monday, **VERIFIED
        ),
        entry(
            "e",
            "Online Two",
            "meeting",
            fellowship="AA",
            online="{url: 'https://ZOOM.us/j/555'}",
            schedule=monday,
            **VERIFIED,
        ),
    )
    findings = review(catalog, TODAY)
    assert kinds(findings) == [("same-time", "b"), ("same-time", "e")]
    assert findings[0].message == ("meets at the same place and time as 'a' (line 17): Mon 7:00 pm")


def test_one_groups_meetings_on_different_days_are_not_duplicates(tmp_path):
    def meeting(rid, day):
        return entry(rid, "Serenity Group", "meeting", fellowship="AA",
                     location="st-marks-hall", schedule=f'[{{days: [{day}], start: "19:00"}}]',
                     **VERIFIED)  # fmt: skip

    catalog = catalog_of(tmp_path, meeting("mon", "mon"), meeting("wed", "wed"),
                         meeting("mon-again", "mon"))  # fmt: skip
    findings = review(catalog, TODAY)
    # Only the real duplicate, and only once (not also as "same place and time").
    assert kinds(findings) == [("duplicate", "mon-again")]
    assert findings[0].related == ("mon",)


def test_name_folding():
    assert fold_name("The Café & Co. Group") == "cafe co"  # "and" and "group" tell nothing apart
    assert similar_names("St. Mark's Hall", "St Marks Hall")
    assert not similar_names("Hope House", "Harbor House")
    assert not similar_names("", "Anything")


def test_duplicates_match_a_brute_force_search(tmp_path):
    rng = random.Random(7)
    points = [(45.5 + rng.uniform(0, 0.02), -122.65 + rng.uniform(0, 0.03)) for _ in range(150)]
    entries = [
        entry(
            f"p{i}", "Same Name", location=f"{{address: 1 A St, lat: {lat}, lon: {lon}}}", **PHONE
        )
        for i, (lat, lon) in enumerate(points)
    ]
    findings = [f for f in review(catalog_of(tmp_path, *entries), TODAY) if f.kind == "duplicate"]
    expected = {
        (f"p{i}", f"p{j}")
        for i in range(len(points))
        for j in range(i + 1, len(points))
        if geo.haversine_miles(*points[i], *points[j]) <= 0.2
    }
    assert expected  # the sample does have close pairs
    assert {(f.related[0], f.resource_id) for f in findings} == expected


# --- the check command ---------------------------------------------------------------------------


@pytest.fixture
def app(tmp_path):
    path = tmp_path / "resources.yaml"
    path.write_text(
        HEAD
        + entry("old", "Old", phone="(503) 555-0102", last_verified="2026-01-15")
        + entry("never", "Never")
    )
    app = create_app({"TESTING": True, "DATA_PATH": str(path), "INDEX_DIR": str(tmp_path / "i")})
    return app


def test_check_text(runner, tmp_path):
    result = runner.invoke(args=["check", "--today", "2026-11-28"])
    assert result.exit_code == 0, result.output
    path = tmp_path / "resources.yaml"
    assert f"{path}:17: stale: resource 'old': last verified 2026-01-15" in result.output
    assert f"{path}:22: never-verified: resource 'never'" in result.output
    assert f"{path}:22: unreachable: resource 'never'" in result.output
    assert result.output.splitlines()[-1] == f"{path}: 3 thing(s) to look at"


def test_check_json_and_days(runner):
    result = runner.invoke(
        args=["check", "--today", "2026-11-28", "--days", "400", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["count"] == 2
    assert report["by_kind"] == {"never-verified": 1, "unreachable": 1}
    assert report["findings"][0] == {
        "kind": "never-verified",
        "path": report["path"],
        "line": 22,
        "resource_id": "never",
        "message": "never verified (no last_verified)",
        "related": [],
    }


def test_check_strict_fails_only_when_something_is_found(runner, tmp_path):
    assert runner.invoke(args=["check", "--strict"]).exit_code == 1
    clean = tmp_path / "clean.yaml"
    clean.write_text(HEAD + entry("ok", "OK", phone="(503) 555-0100", last_verified="2026-11-01"))
    result = runner.invoke(args=["check", "--strict", "--today", "2026-11-28", str(clean)])
    assert result.exit_code == 0, result.output
    assert "nothing needs attention" in result.output


def test_check_on_a_broken_file_lists_its_errors(runner, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(HEAD + entry("bad", "Bad", category="nonsense"))
    result = runner.invoke(args=["check", str(broken)])
    assert result.exit_code == 1
    assert f"{broken}:19: error: resource 'bad': category" in result.output


def test_check_refuses_negative_days(runner):
    result = runner.invoke(args=["check", "--days", "-1"])
    assert result.exit_code == 2


def test_a_place_with_no_point_is_listed_as_one_that_cannot_be_placed(tmp_path):
    text = entry("hall", "Hall meeting", **PHONE).replace(
        "    phone:", "    location: {address: 1 Main St, city: Nowhere}\n    phone:"
    )
    findings = review(catalog_of(tmp_path, text), TODAY)
    assert [f.kind for f in findings] == ["cannot-be-placed"]
    assert "never found by distance" in findings[0].message


FEED = (
    "feeds:\n"
    "  - {name: east, url: 'https://feeds.example.org/east.json', fellowship: AA, prefix: ea}\n"
)


def test_check_names_the_feed_file_and_its_line_for_a_feed_entry(runner, tmp_path):
    """A finding in an imported meeting points into data/feeds/<name>.yaml, not the curated file."""
    path = tmp_path / "resources.yaml"
    path.write_text(
        HEAD + entry("old", "Old", phone="(503) 555-0102", last_verified="2026-01-15") + FEED
    )
    (tmp_path / "feeds").mkdir()
    feed = tmp_path / "feeds" / "east.yaml"
    feed.write_text(
        "format: 1\nfeed: {name: east}\nresources:\n"
        "- id: ea-quiet\n  name: Quiet Group\n  category: meeting\n  fellowship: AA\n"
        "  online: {url: 'https://meet.example.org/1'}\n"
        "  schedule:\n  - {days: [mon], start: '19:00'}\n"
        "- id: ea-twin\n  name: Quiet Group\n  category: meeting\n  fellowship: AA\n"
        "  online: {url: 'https://meet.example.org/1'}\n"
        "  schedule:\n  - {days: [mon], start: '19:00'}\n"
    )
    result = runner.invoke(args=["check", "--today", "2026-11-28", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()

    def first(start: str) -> int:
        return next(n for n, line in enumerate(lines) if line.startswith(start))

    stale = first(f"{path}:17: stale: resource 'old': last verified 2026-01-15")
    never = first(f"{feed}:4: never-verified: resource 'ea-quiet'")
    same = first(f"{feed}:11: same-time: resource 'ea-twin'")
    assert "as 'ea-quiet' (line 4)" in lines[same]
    assert stale < never < same  # the resource file's findings first, then each feed file's
    assert not any(line.startswith((f"{path}:4:", f"{path}:11:")) for line in lines)


def test_a_duplicate_across_files_names_the_other_file(tmp_path):
    path = tmp_path / "resources.yaml"
    path.write_text(
        HEAD
        + entry("pantry", "Hawthorne Pantry", **PHONE).replace(
            "    phone:",
            "    location: {address: 1 Main St, city: Portland, lat: 45.51, lon: -122.64}\n"
            "    phone:",
        )
        + FEED
    )
    (tmp_path / "feeds").mkdir()
    feed = tmp_path / "feeds" / "east.yaml"
    feed.write_text(
        "format: 1\nfeed: {name: east}\nresources:\n"
        "- id: ea-pantry\n  name: Hawthorne Pantry\n  category: food\n  phone: (503) 555-0100\n"
        "  last_verified: 2026-10-01\n"
        "  location: {address: 1 Main St, city: Portland, lat: 45.51, lon: -122.64}\n"
    )
    findings = [f for f in review(load_catalog(path), TODAY) if f.kind == "duplicate"]
    assert [(f.path, f.line, f.resource_id) for f in findings] == [(str(feed), 4, "ea-pantry")]
    assert f"'pantry' ({path}:17)" in findings[0].message
