"""The referral list and sheet data, as plain functions on the referral fixture file."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from directory.core.places import Gazetteer
from directory.datafile.load import load_catalog
from directory.referrals import lists
from directory.referrals import sheet as referral
from directory.referrals.lists import ListItem
from directory.referrals.sheet import SheetDetails
from tests.conftest import FIXTURES

FIXTURE = FIXTURES / "referrals.yaml"
# Monday 2 March 2026, 10:00 in Portland (18:00 UTC).
MONDAY = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(FIXTURE)


@pytest.fixture(scope="module")
def gazetteer(catalog):
    return Gazetteer(catalog.regions(), default_state="OR")


def url_for(resource) -> str:
    return f"https://directory.example/resources/{resource.id}"


def sheet_for(catalog, ids, details=None, now=MONDAY, notes=None):
    notes = notes or {}
    items = [ListItem(i, notes.get(i, "")) for i in ids]
    return referral.build_sheet(
        items, details or SheetDetails(date=now.date()), catalog, now, url_for
    )


def item_in(sheet, resource_id):
    for group in sheet["groups"]:
        for item in group["items"]:
            if item["id"] == resource_id:
                return group["dimension"], item
    raise AssertionError(f"{resource_id} is not on the sheet")


# The stored list.


def test_list_round_trips_through_its_compact_form():
    items = [ListItem("harbor-detox"), ListItem("hawthorne-serenity-aa", "ask for Sam, bring ID")]
    stored = lists.encode_list(items)
    assert stored == ["harbor-detox", "hawthorne-serenity-aa ask for Sam, bring ID"]
    assert lists.decode_list(stored) == items


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "harbor-detox",
        {"harbor-detox": ""},
        [1, 2],
        ["Harbor-Detox"],
        ["../etc/passwd"],
        ["harbor-detox", "harbor-detox"],
        ["harbor-detox " + "x" * (lists.MAX_NOTE + 1)],
        ["a"] * (lists.MAX_ITEMS + 1),
        [""],
        ["<script>alert(1)</script>"],
    ],
)
def test_a_malformed_stored_list_reads_as_empty(stored):
    assert lists.decode_list(stored) == []


def test_adding_removing_and_moving():
    items = lists.with_added([], "a")
    items = lists.with_added(items, "b")
    items = lists.with_added(items, "c")
    assert lists.with_added(items, "b") == items  # no duplicates
    assert [i.id for i in lists.moved(items, "c", -1)] == ["a", "c", "b"]
    assert [i.id for i in lists.moved(items, "a", -1)] == ["a", "b", "c"]  # already first
    assert [i.id for i in lists.moved(items, "c", +1)] == ["a", "b", "c"]  # already last
    assert [i.id for i in lists.moved(items, "a", +1)] == ["b", "a", "c"]
    assert lists.moved(items, "zzz", +1) == items
    assert [i.id for i in lists.without(items, "b")] == ["a", "c"]
    assert lists.without(items, "zzz") == items


def test_moving_within_a_group_leaves_the_other_groups_in_place():
    items = [ListItem(i) for i in ("h1", "c1", "h2", "p1", "h3")]
    groups = {"h1": "health", "h2": "health", "h3": "health", "c1": "community", "p1": "purpose"}
    ids = lambda result: [i.id for i in result]  # noqa: E731  # why: a one-line reader
    assert ids(lists.moved(items, "h3", -1, groups)) == ["h1", "c1", "h3", "p1", "h2"]
    assert ids(lists.moved(items, "h1", +1, groups)) == ["h2", "c1", "h1", "p1", "h3"]
    assert ids(lists.moved(items, "h1", -1, groups)) == ["h1", "c1", "h2", "p1", "h3"]  # first
    assert ids(lists.moved(items, "c1", +1, groups)) == ids(items)  # alone in its group
    assert ids(lists.moved(items, "h3", -5, groups)) == ["h3", "c1", "h1", "p1", "h2"]
    assert lists.moved(items, "zzz", +1, groups) == items
    # An id the groups do not know (a listing gone from the directory) moves among its kind.
    assert ids(lists.moved([*items, ListItem("x")], "x", -1, groups)) == [*ids(items), "x"]


def test_notes_are_tidied_and_shortened_with_a_flag():
    items = [ListItem("a"), ListItem("b", "old")]
    updated, shortened = lists.with_notes(items, {"a": "  bring\tphoto\x00 ID \n now "})
    assert updated == [ListItem("a", "bring photo ID now"), ListItem("b", "old")]
    assert not shortened
    updated, shortened = lists.with_notes(items, {"b": "y" * 1000})
    assert shortened and updated[1].note == "y" * lists.MAX_NOTE


def test_share_link_ids_are_checked_deduplicated_and_capped():
    ids, dropped = lists.parse_shared_ids("harbor-detox, harbor-detox,BAD!,../x,,peer-center")
    assert ids == ["harbor-detox", "peer-center"] and dropped == 2
    many = ",".join(f"r{n}" for n in range(lists.MAX_SHARED + 5))
    ids, dropped = lists.parse_shared_ids(many)
    assert len(ids) == lists.MAX_SHARED and dropped == 5
    assert lists.parse_shared_ids(None) == ([], 0)
    assert lists.parse_shared_ids("a" * (lists.MAX_ID + 1)) == ([], 1)


# The sheet details.


def test_details_are_read_and_capped(gazetteer):
    form = {
        "participant": "  Jo  " + "x" * 200,
        "goal_health": "Sleep through the night.\r\n\r\nSee a doctor.",
        "goal_home": "   ",
        "specialist": "Ana",
        "contact": "503-555-0100\nweekdays",
        "near": "97214",
        "date": "2026-03-04",
        "paper": "a4",
    }
    details, errors = referral.parse_details(form, gazetteer, date(2026, 3, 2))
    assert errors == {}
    assert details.participant.startswith("Jo x") and len(details.participant) == 60
    assert details.goals == {"health": "Sleep through the night.\nSee a doctor."}
    assert details.contact == "503-555-0100\nweekdays"
    assert details.origin is not None and details.origin.label.startswith("97214")
    assert details.date == date(2026, 3, 4) and details.paper == "a4"


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"near": "Atlantis, ZZ"}, "near"),
        ({"near": "x" * 5000}, "near"),
        ({"date": "next tuesday"}, "date"),
        ({"date": "2026-02-30"}, "date"),
        ({"date": "2031-01-01"}, "date"),
    ],
)
def test_bad_details_get_a_message_for_their_field(gazetteer, form, field):
    details, errors = referral.parse_details(form, gazetteer, date(2026, 3, 2))
    assert set(errors) == {field} and errors[field]
    assert details.date == date(2026, 3, 2)


def test_unknown_paper_falls_back_and_defaults_follow_the_country(gazetteer):
    details, _ = referral.parse_details({"paper": "tabloid"}, gazetteer, date(2026, 3, 2), "a4")
    assert details.paper == "a4"
    assert referral.default_paper("US") == "letter" and referral.default_paper("DE") == "a4"


# The sheet.


def test_items_are_grouped_under_their_first_dimension_in_list_order(catalog):
    ids = [
        "peer-center",
        "harbor-detox",
        "coaching-to-work",
        "bridge-recovery-house",
        "ged-classes",
    ]
    sheet = sheet_for(catalog, ids)
    groups = {g["dimension"]: [i["id"] for i in g["items"]] for g in sheet["groups"]}
    assert list(groups) == ["health", "home", "purpose", "community"]
    assert groups == {
        "health": ["harbor-detox"],
        "home": ["bridge-recovery-house"],
        "purpose": ["coaching-to-work", "ged-classes"],  # purpose is its first dimension
        "community": ["peer-center"],
    }
    assert sheet["count"] == 5 and sheet["ids"] == ids


def test_unknown_and_inactive_listings_are_left_off_and_counted(catalog):
    sheet = sheet_for(catalog, ["harbor-detox", "closed-pantry", "no-such-thing"])
    assert sheet["ids"] == ["harbor-detox"]
    assert sheet["missing"] == ["closed-pantry", "no-such-thing"]


def test_goals_show_their_dimension_even_with_no_listing_there(catalog):
    details = SheetDetails(date=MONDAY.date(), goals={"purpose": "Finish my GED"})
    sheet = sheet_for(catalog, ["harbor-detox"], details)
    assert [(g["dimension"], g["goal"]) for g in sheet["groups"]] == [
        ("health", ""),
        ("purpose", "Finish my GED"),
    ]


def test_meeting_times_cover_the_next_seven_days_in_local_time(catalog):
    sheet = sheet_for(catalog, ["hawthorne-serenity-aa", "dawn-patrol-na", "east-coast-aa"])
    _, hawthorne = item_in(sheet, "hawthorne-serenity-aa")
    assert hawthorne["times"] == ["Mon Mar 2, Wed Mar 4 and Fri Mar 6: 7:00 pm to 8:00 pm"]
    _, dawn = item_in(sheet, "dawn-patrol-na")
    # 6:30 on Monday 2 March has passed at 10:00, so the seven days run to Monday 9 March.
    assert dawn["times"] == ["Every day: 6:30 am to 7:30 am"]
    assert dawn["online"]["url"] == "https://zoom.us/j/81234567890"
    _, brooklyn = item_in(sheet, "east-coast-aa")
    assert brooklyn["times"] == ["Sat Mar 7 and Sun Mar 8: 9:00 am to 10:00 am"]
    assert brooklyn["zone"] == "EST, New York time"
    assert hawthorne["zone"] is None


def test_a_later_sheet_date_starts_the_seven_days_that_day(catalog):
    details = SheetDetails(date=date(2026, 3, 5))  # Thursday
    sheet = sheet_for(catalog, ["hawthorne-serenity-aa"], details)
    _, item = item_in(sheet, "hawthorne-serenity-aa")
    assert item["times"] == ["Fri Mar 6, Mon Mar 9 and Wed Mar 11: 7:00 pm to 8:00 pm"]
    assert sheet["date_text"] == "Thursday, March 5, 2026"


def test_each_listing_says_how_fresh_it_is_and_an_old_one_says_call_first(catalog):
    sheet = sheet_for(catalog, ["eastside-bridge-clinic", "hawthorne-serenity-aa", "ged-classes"])
    assert item_in(sheet, "eastside-bridge-clinic")[1]["checked"] == {
        "text": "Checked 2 weeks ago",
        "stale": False,
    }
    assert item_in(sheet, "hawthorne-serenity-aa")[1]["checked"] == {
        "text": "Checked 16 months ago",
        "stale": True,
    }
    assert item_in(sheet, "ged-classes")[1]["checked"] == {"text": "Not checked yet", "stale": True}


def test_services_show_hours_not_dates(catalog):
    sheet = sheet_for(catalog, ["northside-methadone", "willow-counseling"])
    _, methadone = item_in(sheet, "northside-methadone")
    assert methadone["times"] == []
    assert methadone["hours"] == ["Weekdays, 5:30 am to 1:00 pm", "Weekends, 7:00 am to 10:00 am"]
    _, willow = item_in(sheet, "willow-counseling")
    assert willow["hours"] == [] and willow["hours_notes"] == "By appointment"


def test_distances_addresses_and_what_each_listing_is(catalog, gazetteer):
    details = SheetDetails(date=MONDAY.date(), origin=gazetteer.resolve("97214"))
    ids = ["eastside-bridge-clinic", "bridge-recovery-house", "dawn-patrol-na", "closed-hall-ca"]
    sheet = sheet_for(catalog, ids, details, notes={"eastside-bridge-clinic": "Ask for Rosa"})
    _, clinic = item_in(sheet, "eastside-bridge-clinic")
    assert clinic["address"] == "4110 SE Division St, Portland, OR 97202"
    assert 0.5 < clinic["distance_miles"] < 2.5
    assert clinic["kind"] == "Medication for addiction treatment"
    assert clinic["phone"] == "(503) 238-4410" and clinic["note"] == "Ask for Rosa"
    assert clinic["url"] == "https://directory.example/resources/eastside-bridge-clinic"
    _, house = item_in(sheet, "bridge-recovery-house")
    assert house["address"] is None and house["approximate"]  # the street address stays private
    assert house["area"] == "Foster-Powell, Portland"
    _, online = item_in(sheet, "dawn-patrol-na")
    assert online["distance_miles"] is None and online["kind"].endswith("Narcotics Anonymous")
    _, closed = item_in(sheet, "closed-hall-ca")
    assert closed["status"] == "The place is closed for now; it still meets online."
    assert closed["distance_miles"] is None
    assert sheet["origin"].startswith("97214")


def test_the_sheet_carries_the_crisis_lines_and_what_was_typed(catalog):
    details = SheetDetails(
        date=MONDAY.date(), participant="Jo", specialist="Ana", contact="503-555-0100"
    )
    sheet = sheet_for(catalog, ["harbor-detox"], details)
    assert [line["phone"] for line in sheet["crisis_lines"]] == ["988", "1-800-662-4357"]
    assert not sheet["has_911"]
    assert (sheet["participant"], sheet["specialist"], sheet["contact"]) == (
        "Jo",
        "Ana",
        "503-555-0100",
    )
    assert sheet["date"] == "2026-03-02" and sheet["date_text"] == "Monday, March 2, 2026"


def test_an_empty_list_makes_an_empty_sheet(catalog):
    sheet = sheet_for(catalog, [])
    assert sheet["groups"] == [] and sheet["count"] == 0 and sheet["meetings"] == 0


def test_the_summary_says_when_next_and_where_in_a_few_words(catalog, gazetteer):
    details = SheetDetails(date=MONDAY.date(), origin=gazetteer.resolve("97214"))
    expected = {
        "hawthorne-serenity-aa": ("Mon Mar 2, 7:00 pm; also Wed and Fri",
                                  "1234 SE Hawthorne Blvd, Portland"),
        # 6:30 on Monday has passed at 10:00: the next is Tuesday, then every day.
        "dawn-patrol-na": ("Tue Mar 3, 6:30 am, and every day", "Online"),
        "east-coast-aa": ("Sat Mar 7, 9:00 am; also Sun (EST)", "Online or by phone"),
        "northside-methadone": ("Weekdays, 5:30 am to 1:00 pm; Weekends, 7:00 am to 10:00 am",
                                "5020 N Interstate Ave, Portland"),
        "willow-counseling": ("By appointment", "2505 SE 11th Ave, Portland"),
        "bridge-recovery-house": ("Call for hours",
                                  "Foster-Powell, Portland (address when you call)"),
        "closed-hall-ca": ("Sat Mar 7, 8:00 pm", "Online"),  # the hall is closed; online it meets
        "dharma-hybrid": ("Sun Mar 8, 5:00 pm", "2200 SE Belmont St, Portland, or online"),
    }  # fmt: skip
    sheet = sheet_for(catalog, list(expected), details)
    for resource_id, (when, where) in expected.items():
        _, item = item_in(sheet, resource_id)
        assert (item["when"], item["where"]) == (when, where), resource_id
    _, house = item_in(sheet, "bridge-recovery-house")
    assert house["distance_text"] == "about 2.8 miles"


def test_the_sheet_language_is_read_from_the_form_and_defaults_to_english(gazetteer):
    details, errors = referral.parse_details({"language": "en"}, gazetteer, date(2026, 3, 2))
    assert details.language == "en" and errors == {}
    details, errors = referral.parse_details({"language": "xx"}, gazetteer, date(2026, 3, 2))
    assert details.language == "en" and errors == {}


@pytest.mark.parametrize(
    ("description", "printed"),
    [
        ("Detox around the clock.", "Detox around the clock."),
        ("Free. Walk in any weekday morning; no appointment is needed at all. Bring ID.",
         "Free. Walk in any weekday morning; no appointment is needed at all."),
        ("A neighbourhood program near the Division stops, with friendly staff at the desk. More.",
         "A neighbourhood program near the Division stops, with friendly staff at the desk."),
        ("Dr. Okafor's team. Opens at 8.", "Dr. Okafor's team. Opens at 8."),
        ("", ""),
    ],
)  # fmt: skip
def test_the_details_print_a_descriptions_opening_sentences(description, printed):
    assert referral.first_sentences(description) == printed
