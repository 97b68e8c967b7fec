"""Loading and validating the resource file."""

from __future__ import annotations

import pytest

from directory.datafile.load import CatalogError, load_catalog, validate_file, validate_text
from tests.conftest import FIXTURES, SAMPLE

BROKEN = FIXTURES / "broken"

# fixture, severity, line, field, words the message must contain
CASES = [
    ("yaml-syntax.yaml", "error", 8, None, "YAML syntax error"),
    ("unknown-key.yaml", "error", 7, "phnoe", "did you mean 'phone'"),
    ("missing-required.yaml", "error", 4, "name", "required key is missing"),
    ("duplicate-id.yaml", "error", 10, "id", "also used by the resource at line 4"),
    ("duplicate-id.yaml", "error", 4, "id", "also used by the resource at line 10"),
    ("bad-slug.yaml", "error", 4, "id", "must be a slug"),
    ("unknown-category.yaml", "error", 6, "category", "'sober-living' is not a known category"),
    ("meeting-without-fellowship.yaml", "error", 4, "fellowship", "a meeting needs a fellowship"),
    ("bad-time.yaml", "error", 9, "schedule[0].start", "25:00"),
    ("bad-time.yaml", "error", 10, "schedule[1].start", "7pm"),
    ("bad-day.yaml", "error", 9, "schedule[0].days", "tues"),
    ("bad-timezone.yaml", "error", 8, "timezone", "not an IANA time zone"),
    ("lat-out-of-range.yaml", "error", 9, "location.lat", "lat and lon look swapped"),
    ("far-point.yaml", "warning", 9, "location", "miles from the directory's centre"),
    ("unknown-location.yaml", "error", 10, "location", "did you mean 'st-marks-hall'"),
    ("bad-url.yaml", "error", 7, "website", "not a web address"),
    ("bad-phone.yaml", "error", 7, "phone", "not a valid phone number"),
    ("bad-language.yaml", "error", 7, "languages[1]", "not an ISO 639-1 language code"),
    ("unknown-type.yaml", "warning", 8, "types", "'ZZZ' is not a meeting type code known for AA"),
    ("future-verified.yaml", "error", 7, "last_verified", "in the future"),
    ("bad-date.yaml", "error", 7, "last_verified", "is not a date"),
]


@pytest.mark.parametrize(("name", "severity", "line", "field", "words"), CASES)
def test_broken_fixture_names_the_problem_and_line(name, severity, line, field, words):
    problems = validate_file(BROKEN / name)
    matching = [p for p in problems if words in p.message]
    assert matching, f"no problem mentions {words!r}: {[str(p) for p in problems]}"
    problem = matching[0] if len(matching) == 1 else next(p for p in matching if p.line == line)
    assert (problem.severity, problem.line, problem.field) == (severity, line, field)
    assert str(problem).startswith(f"{BROKEN / name}:{line}: {severity}")


def test_every_problem_is_reported_in_one_run():
    problems = validate_file(BROKEN / "many-problems.yaml")
    found = {(p.line, p.resource_id, p.field) for p in problems}
    assert found == {(6, "one", "category"), (7, "two", "name"), (12, "three", "phone")}


def test_errors_refuse_the_file_and_warnings_do_not():
    with pytest.raises(CatalogError) as info:
        load_catalog(BROKEN / "many-problems.yaml")
    assert len(info.value.problems) == 3
    catalog = load_catalog(BROKEN / "unknown-type.yaml")
    assert [w.field for w in catalog.warnings] == ["types"]


def test_message_format_names_file_line_resource_and_field():
    problems = validate_file(BROKEN / "bad-phone.yaml")
    assert str(problems[0]) == (
        f"{BROKEN / 'bad-phone.yaml'}:7: error: resource 'harbor-house': phone: "
        "'123-4567' is not a valid phone number"
    )


def test_minimal_fixture_loads_into_domain_objects():
    catalog = load_catalog(FIXTURES / "minimal.yaml")
    assert catalog.warnings == ()
    meeting = catalog.by_id("hawthorne-serenity-aa")
    assert meeting.location.name == "St. Mark's Parish Hall"
    assert meeting.location.id == "st-marks-hall"
    assert meeting.location.line == 12
    assert meeting.dimensions == ("community",)
    assert meeting.timezone == "America/Los_Angeles"
    assert meeting.attendance == "in_person"
    assert meeting.line == 22
    assert catalog.by_id("online-dawn-na").attendance == "online"
    clinic = catalog.by_id("eastside-bridge-clinic")
    assert clinic.dimensions == ("health",)
    assert clinic.languages == ("en", "es")
    assert [r.id for r in catalog.active()] == [
        "hawthorne-serenity-aa",
        "online-dawn-na",
        "eastside-bridge-clinic",
    ]
    assert catalog.directory.crisis_lines[0].phone == "988"
    assert catalog.regions() == {"Hawthorne": (45.5122, -122.647)}
    assert len(catalog.fingerprint) == 64


@pytest.mark.parametrize(
    "text",
    [
        "",
        "just a string",
        "- a\n- list",
        "format: 1\n",
        "format: 2\ndirectory: {name: x, timezone: UTC}\nresources: []\n",
        "format: 1\ndirectory: 7\nresources: {}\n",
        "format: 1\ndirectory: {name: x, timezone: UTC}\nresources: [1, null, [a]]\n",
        "format: 1\ndirectory: {name: x, timezone: UTC}\nresources:\n  - {id: 5, name: {a: b}}\n",
        "\x00\x01binary",
        "format: 1\ndirectory: {name: x, timezone: UTC}\nresources:\n  - &a {id: x}\n  - *a\n",
        "format: 1\ndirectory: {name: x, timezone: UTC}\nresources:\n  - {id: x, id: y}\n",
        "format: 1\ndirectory: {name: x, timezone: UTC}\nlocations: [x]\nresources: []\n",
        "format: 1\ndirectory: {name: x, timezone: UTC, center: {lat: .nan, lon: .inf}}\n"
        "resources: []\n",
        "format: 1\ndirectory: {name: x, timezone: ../../etc/passwd}\nresources: []\n",
    ],
)
def test_hostile_files_give_errors_not_exceptions(text):
    problems = validate_text(text, "hostile.yaml")
    assert any(p.severity == "error" for p in problems)
    assert all(p.message for p in problems)


def test_non_utf8_file_is_an_error_with_a_line(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"format: 1\nname: caf\xe9\n")
    (problem,) = validate_file(path)
    assert (problem.line, problem.message) == (2, "the file is not UTF-8 text")


def test_missing_file_is_reported(tmp_path):
    (problem,) = validate_file(tmp_path / "nope.yaml")
    assert "cannot read the file" in problem.message


def test_shipped_sample_is_clean():
    problems = validate_file(SAMPLE)
    assert [str(p) for p in problems] == []
    catalog = load_catalog(SAMPLE)
    active = catalog.active()
    assert len(active) >= 300
    meetings = [r for r in active if r.is_meeting]
    assert len(meetings) >= 150
    assert len({r.fellowship for r in meetings}) >= 5
    assert {r.attendance for r in meetings} >= {"in_person", "online", "hybrid"}
    days = {w.day for r in meetings for w in r.schedule.windows}
    assert days == set(range(7))
    mat = [r for r in active if r.category == "mat"]
    assert len(mat) >= 25
    assert {m for r in mat for m in r.medications} == {"buprenorphine", "methadone", "naltrexone"}
    assert {r.category for r in active} >= {
        "meeting", "mat", "treatment", "counseling", "harm-reduction", "crisis", "wellness",
        "housing", "food", "peer-support", "faith", "family", "employment", "legal",
        "transportation",
    }  # fmt: skip
    assert any(r.status == "temporarily-closed" for r in catalog.resources)
    assert any(r.status == "inactive" for r in catalog.resources)
    assert "sample data" in catalog.directory.name.lower()


def test_coordinate_pair_is_reported_alongside_other_location_problems():
    text = (
        "format: 1\ndirectory: {name: T, timezone: UTC}\nresources:\n"
        "  - id: a\n    name: A\n    category: food\n    location:\n"
        "      postal_code: []\n      lat: 45.5\n"
    )
    fields = {p.field for p in validate_text(text, "t.yaml")}
    assert {"location.postal_code", "location.lon"} <= fields


def test_translations_are_validated_field_by_field(tmp_path):
    head = "format: 1\ndirectory: {name: T, timezone: UTC}\nresources:\n"
    good = head + (
        "  - id: a\n    name: Food Box\n    category: food\n    description: Weekly boxes.\n"
        "    translations:\n      es: {name: Caja de comida, description: Cajas cada semana.}\n"
    )
    assert validate_text(good, "t.yaml") == []
    path = tmp_path / "t.yaml"
    path.write_text(good)
    resource = load_catalog(path).by_id("a")
    assert resource.text_in("description", "es") == ("Cajas cada semana.", "es")
    assert resource.text_in("description", "vi") == ("Weekly boxes.", "en")
    bad = head + (
        "  - id: a\n    name: A\n    category: food\n    text_language: spanish\n"
        "    translations:\n      xx: {name: A}\n      es: {phone: '503', name: ''}\n"
    )
    problems = [str(p) for p in validate_text(bad, "t.yaml")]
    text = "\n".join(problems)
    assert "text_language" in text and "'spanish' is not an ISO 639-1" in text
    assert "'xx' is not an ISO 639-1" in text
    assert "phone" in text and "name" in text
    assert all(p.startswith("t.yaml:") for p in problems), problems


def test_a_repeated_phone_number_is_judged_the_same_each_time(monkeypatch):
    """Phone fields remember each number's verdict (schemas.PHONE_VERDICTS), even when full."""
    from directory.datafile import schemas

    monkeypatch.setattr(schemas, "PHONE_VERDICTS", 2)  # forget often: the verdicts still hold
    head = "format: 1\ndirectory: {name: T, timezone: America/New_York}\nresources:\n"
    entries = "".join(
        f"  - id: r{i}\n    name: R\n    category: food\n    phone: '{phone}'\n"
        for i, phone in enumerate(["123-4567", "503-555-0153", "123-4567", "503-555-0153",
                                   "not a number", "123-4567", "988"])
    )  # fmt: skip
    problems = validate_text(head + entries, "t.yaml")
    assert [(p.line, p.resource_id, p.message) for p in problems] == [
        (7, "r0", "'123-4567' is not a valid phone number"),
        (15, "r2", "'123-4567' is not a valid phone number"),
        (23, "r4", "'not a number' is not a phone number"),
        (27, "r5", "'123-4567' is not a valid phone number"),
        (31, "r6", "'988' is not a valid phone number"),
    ]


def test_equal_schedules_are_built_once_and_keep_their_own_time_zone(tmp_path):
    from directory.core.schedule import Schedule

    head = "format: 1\ndirectory: {name: T, timezone: America/New_York}\nresources:\n"
    item = "    schedule:\n      - {days: [mon, wed], start: '09:00', end: '17:00'}\n"
    text = head + (
        f"  - id: a\n    name: A\n    category: food\n{item}"
        f"  - id: b\n    name: B\n    category: food\n{item}"
        f"  - id: c\n    name: C\n    category: food\n    timezone: America/Denver\n{item}"
        "  - id: d\n    name: D\n    category: meeting\n    fellowship: AA\n"
        "    schedule:\n      - {days: [mon, wed], start: '09:00'}\n"
    )
    path = tmp_path / "t.yaml"
    path.write_text(text)
    catalog = load_catalog(path)
    a, b, c, d = (catalog.by_id(rid).schedule for rid in "abcd")
    expected = Schedule.from_items(
        [{"days": ["mon", "wed"], "start": "09:00", "end": "17:00"}], "America/New_York"
    )
    assert a == expected and a is b
    assert c.timezone == "America/Denver" and c.windows == a.windows
    assert d == Schedule.from_items(
        [{"days": ["mon", "wed"], "start": "09:00"}], "America/New_York", default_minutes=60
    )


SOURCE_CASES = [
    "{id: a, name: A, tags: [x, 1, 2.5, true, null]}",
    "{id: a, extra: {1: one, '1': text, 2.5: x, true: yes, false: no, null: n, .inf: i}}",
    "{id: a, extra: {x: [.nan, .inf, -.inf, {y: .NaN}]}}",
    '{id: a, lat: .inf, name: "caf\\xe9 \\u2028 \\U0001F600 \\0 \\x7f"}',
    "{id: a, extra: {a: [[[{b: '\"true\":'}]]]}}",
    "{id: a, extra: {deep: {1: {2: [3]}}}}",
    "{id: a, last_verified: 2026-01-02, extra: {'': ''}}",
]


@pytest.mark.parametrize("text", SOURCE_CASES)
def test_an_entry_kept_as_json_is_what_its_plain_copy_gives(text):
    import json
    from datetime import date

    from directory.datafile import load
    from directory.datafile.yaml_lines import load as read

    node = read(text)[0]
    variants = [node, {**node, "when": date(2026, 1, 2)}, {**node, "pair": (1, 2)},
                {**node, "nested": [{"d": date(2026, 1, 2)}, ("t",)]}]  # fmt: skip
    for variant in variants:
        plain = json.dumps(load._plain(variant), ensure_ascii=False, separators=(",", ":"))
        assert load._source(variant) == plain.encode("utf-8", "surrogatepass")


@pytest.mark.parametrize("digits", ["1" * 4400, "1" * 5000 + "x", "1" * 6000, "-" + "9" * 4301])
@pytest.mark.parametrize("alias", [False, True])  # the fast reader, and the general one
def test_a_number_with_more_digits_than_python_reads_is_text_not_a_crash(digits, alias):
    tail = "    extra: {a: &n 1, b: *n}\n" if alias else ""
    text = (
        "format: 1\ndirectory: {name: T, timezone: UTC}\nresources:\n"
        f"  - id: a\n    name: {digits}\n    category: food\n{tail}"
    )
    problems = validate_text(text, "t.yaml")
    long = len(digits) > 5000
    assert [p.line for p in problems] == ([5] if long else [])
    assert all("characters long" in p.message for p in problems)


def test_text_and_choice_fields_read_each_kind_of_value_as_before():
    from marshmallow import ValidationError

    from directory.datafile.schemas import Choice, Text

    class Word(str):
        def __str__(self):
            return "  other  "

    text = Text()
    assert [text.deserialize(v) for v in (" a ", 7, 2.5, Word("w"))] == ["a", "7", "2.5", "other"]
    for value, message in (
        (True, "must be text"),
        ([1], "must be text"),
        ("  ", "must not be empty"),
    ):
        with pytest.raises(ValidationError, match=message):
            text.deserialize(value)
    choice = Choice(("b", "a"), "letter")
    assert choice.deserialize(" a") == "a"
    with pytest.raises(ValidationError, match="'c' is not a known letter; use one of: b, a"):
        choice.deserialize("c")
