"""Search behaviour over a real Whoosh index built from small hand-written resources."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from babel import Locale
from ruamel.yaml import YAML

from directory.core.geo import haversine_miles
from directory.core.model import Location, Online, Resource
from directory.core.places import Place
from directory.core.schedule import Schedule
from directory.core.vocabulary import default_dimension
from directory.search import SearchRequest, analysis, build_index, open_index
from directory.search.analysis import (
    MAX_QUERY_WORDS,
    load_synonyms,
    parse_synonyms,
    read_synonym_file,
)
from directory.search.facets import VALUE_FACETS
from directory.search.table import STARTED_GRACE_MINUTES, ResourceTable
from directory.search.text import SNOWBALL_NAMES
from tests.factories import generate

PORTLAND = Place("Portland, OR", 45.5152, -122.6784, "city")
GRESHAM = (45.4987, -122.4302)  # about 12 miles east of PORTLAND
SALEM = (44.9429, -123.0351)  # about 45 miles south


def resource(rid: str, name: str, category: str = "meeting", **kw) -> Resource:
    """Build a Resource the way the catalog would, with a schedule from file-style items."""
    kw.setdefault("timezone", "America/Los_Angeles")
    items = kw.pop("hours", None)
    if items:
        kw["schedule"] = Schedule.from_items(items, kw["timezone"])
    point = kw.pop("at", None)
    if point is not None:
        kw["location"] = Location(
            lat=point[0], lon=point[1], region=kw.pop("region", None), city=kw.pop("city", None)
        )
    kw.setdefault("dimensions", (default_dimension(category),))
    return Resource(id=rid, name=name, category=category, **kw)


def P(lat: float, lon: float) -> tuple[float, float]:
    return (lat, lon)


RESOURCES = [
    resource(
        "downtown-big-book",
        "Downtown Big Book Group",
        fellowship="AA",
        types=("O", "B", "X"),
        at=P(45.5190, -122.6790),
        region="Downtown",
        hours=[{"days": ["mon", "wed"], "start": "19:00"}],
        accessibility=("wheelchair",),
    ),
    resource(
        "saturday-night-live",
        "Saturday Night Live",
        fellowship="AA",
        types=("C", "SP"),
        at=P(45.5300, -122.6500),
        region="Northeast",
        hours=[{"days": ["sat"], "start": "23:30", "end": "00:30"}],
    ),
    resource(
        "clean-and-serene",
        "Clean and Serene",
        fellowship="NA",
        types=("O", "D"),
        at=P(45.5000, -122.6600),
        region="Southeast",
        hours=[{"days": ["tue"], "start": "12:00"}],
    ),
    resource(
        "hope-online",
        "Hope Online",
        fellowship="NA",
        types=("O", "ONL"),
        online=Online(url="https://example.org/join"),
        hours=[{"days": "daily", "start": "07:00"}],
    ),
    resource(
        "new-york-online",
        "Big Apple Online Speaker Meeting",
        fellowship="AA",
        types=("O", "SP", "ONL"),
        online=Online(url="https://example.org/nyc"),
        timezone="America/New_York",
        hours=[{"days": ["sun"], "start": "10:00"}],
    ),
    resource(
        "al-anon-hope",
        "Hope for Today Al-Anon",
        fellowship="Al-Anon",
        types=("POA",),
        at=P(45.5120, -122.6800),
        region="Downtown",
        hours=[{"days": ["thu"], "start": "18:30"}],
    ),
    resource(
        "harbor-clinic",
        "Harbor Clinic",
        "mat",
        description="Same-day starts on buprenorphine. Walk in weekdays; we take the Oregon "
        "Health Plan. <script>alert(1)</script>",
        medications=("buprenorphine", "naltrexone"),
        payment=("medicaid", "sliding-scale"),
        services=("outpatient", "telehealth"),
        at=P(45.5230, -122.6700),
        region="Downtown",
        hours=[{"days": "weekdays", "start": "08:00", "end": "17:00"}],
    ),
    resource(
        "eastside-otp",
        "Eastside Opioid Treatment Program",
        "mat",
        description="Daily methadone dosing and counseling.",
        medications=("methadone",),
        payment=("medicaid",),
        at=GRESHAM,
        region="Gresham",
        hours=[{"days": "daily", "start": "05:30", "end": "13:00"}],
    ),
    resource(
        "salem-detox",
        "Willamette Withdrawal Management",
        "treatment",
        description="Medically monitored withdrawal management, 24 hours a day.",
        services=("detox", "residential"),
        at=SALEM,
        hours=[{"days": "daily", "start": "00:00", "end": "24:00"}],
    ),
    resource(
        "oxford-house-alder",
        "Oxford House Alder",
        "housing",
        description="Peer-run recovery housing for men. Drug and alcohol free.",
        services=("sober-living",),
        populations=("men",),
        at=P(45.5400, -122.6400),
        region="Northeast",
    ),
    resource(
        "st-francis-pantry",
        "St. Francis Dining Hall",
        "food",
        description="Hot meals every weekday and a food pantry on Fridays.",
        services=("meals", "food-pantry"),
        languages=("en", "es"),
        at=P(45.5180, -122.6550),
        region="Southeast",
    ),
    resource(
        "crisis-line",
        "County Crisis Line",
        "crisis",
        description="Call any time for help in a mental health or substance use crisis.",
    ),
    resource(
        "description-mentions-methadone",
        "Northside Counseling",
        "counseling",
        description="Counseling for people on methadone or buprenorphine.",
        at=P(45.5600, -122.6700),
    ),
    resource(
        "closed-down",
        "Old Methadone Place",
        "mat",
        status="inactive",
        medications=("methadone",),
        at=P(45.5152, -122.6784),
    ),
]
SUNDAY_NOON = datetime(2025, 6, 1, 12, 0, tzinfo=ZoneInfo("America/Los_Angeles"))


class Catalog:
    def __init__(self, resources, fingerprint="test-fingerprint"):
        self.resources = tuple(resources)
        self.fingerprint = fingerprint


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    catalog = Catalog(RESOURCES)
    folder = tmp_path_factory.mktemp("index")
    build_index(catalog.resources, folder, catalog.fingerprint)
    s = open_index(folder, catalog)
    yield s
    s.close()


def ids(result) -> list[str]:
    return [h.resource.id for h in result.hits]


def search(searcher, **kw):
    kw.setdefault("at", SUNDAY_NOON)
    kw.setdefault("per_page", 100)
    return searcher.search(SearchRequest(**kw))


# --- words ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("suboxone", "harbor-clinic"),  # brand name -> buprenorphine
        ("bupe", "harbor-clinic"),
        ("vivitrol", "harbor-clinic"),  # -> naltrexone
        ("narcan", None),  # nobody here offers naloxone: no false friends either
        ("methadone clinic", "eastside-otp"),
        ("OTP", "eastside-otp"),
        ("detox", "salem-detox"),  # -> withdrawal management
        ("sober living", "oxford-house-alder"),
        ("halfway house", "oxford-house-alder"),
        ("food bank", "st-francis-pantry"),
        ("free food", "st-francis-pantry"),
        ("alcoholics anonymous", "downtown-big-book"),
    ],
)
def test_synonyms_find_the_words_people_type(searcher, q, expected):
    found = ids(search(searcher, q=q))
    if expected is None:
        assert found == []
    else:
        assert expected in found


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("methodone", "eastside-otp"),  # one edit, after stemming
        ("alchoholics", "downtown-big-book"),  # listed misspelling; also one edit from the stem
        ("suboxen", "harbor-clinic"),  # two edits: in the misspellings table
        ("buprenorfine", "harbor-clinic"),
        ("withdrawl", "salem-detox"),  # one edit, not in any table
        ("narcotics anonymus", "clean-and-serene"),
    ],
)
def test_typos_are_forgiven(searcher, q, expected):
    assert expected in ids(search(searcher, q=q))


def test_short_words_are_not_fuzzy(searcher):
    # "na" is NA; "ne" is one edit from it but too short to be corrected.
    assert "clean-and-serene" in ids(search(searcher, q="na"))
    assert ids(search(searcher, q="ne")) == []
    # Four letters: no correction either ("meal" is a word; "mael" is not corrected to it).
    assert ids(search(searcher, q="mael ")) == []


def test_twelve_step_finds_aa_and_na_but_aa_does_not_find_na(searcher):
    twelve = set(ids(search(searcher, q="12-step")))
    assert {"downtown-big-book", "clean-and-serene", "al-anon-hope"} <= twelve
    aa = set(ids(search(searcher, q="aa")))
    assert "downtown-big-book" in aa
    assert "clean-and-serene" not in aa


def test_stemming_matches_word_forms(searcher):
    assert "st-francis-pantry" in ids(search(searcher, q="meal"))
    assert "salem-detox" in ids(search(searcher, q="monitoring"))


def test_name_matches_rank_above_description_matches(searcher):
    found = ids(search(searcher, q="methadone"))
    # The inactive "Old Methadone Place" would win on its name, but is never indexed.
    assert "closed-down" not in found
    assert found.index("eastside-otp") < found.index("description-mentions-methadone")


def test_last_word_is_read_as_a_prefix(searcher):
    assert "eastside-otp" in ids(search(searcher, q="metha"))
    assert "salem-detox" in ids(search(searcher, q="willam"))
    # "meetin" stems differently from "meeting": the stem "meet" is still found.
    assert "hope-online" in ids(search(searcher, q="online meetin"))
    # A trailing space means the word is finished.
    assert ids(search(searcher, q="willam ")) == []


def test_every_word_must_match_unless_none_does(searcher):
    result = search(searcher, q="methadone pantry")
    assert result.notice and "some" in result.notice
    assert {"eastside-otp", "st-francis-pantry"} <= set(ids(result))
    strict = search(searcher, q="methadone counseling")
    assert strict.notice is None
    assert set(ids(strict)) == {"eastside-otp", "description-mentions-methadone"}


HOSTILE = [
    '"unclosed quote',
    "((((",
    "AND OR NOT",
    "methadone AND NOT",
    "*",
    "meth*",
    "name:harbor",
    "id:harbor-clinic",
    "~2 ^3 [a TO z] {x}",
    "\\",
    "'; DROP TABLE resources; --",
    "<script>alert(1)</script>",
    "🙂🙂🙂 🙏",
    "\x00\x01\x02",
    "\ud800 lone surrogate",
    "ａｌｃｏｈｏｌｉｃｓ",  # full width
    "x" * 2000,
    "help " * 400,
    " ".join(random.Random(1).choice(["aa", "%", "OR", "(", "*", ":", "the"]) for _ in range(700)),
    "",
    "   ",
]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_text_gives_an_answer_not_an_error(searcher, q):
    result = search(searcher, q=q, near=PORTLAND, radius_miles=10)
    assert result.total >= 0
    assert len(searcher.plan(q).concepts) <= MAX_QUERY_WORDS


def test_query_syntax_is_just_words(searcher):
    # "name:harbor" is the words "name" and "harbor", not a field query.
    assert "harbor-clinic" in ids(search(searcher, q="name:harbor"))
    assert "harbor-clinic" in ids(search(searcher, q='"harbor" (clinic)'))
    assert search(searcher, q="ａｌｃｏｈｏｌｉｃｓ").total > 0


def test_emoji_and_stop_words_only_browse_everything(searcher):
    assert search(searcher, q="🙂 the and").total == search(searcher).total


def test_synonym_table_is_two_way_for_groups_and_one_way_for_also():
    table = parse_synonyms(
        {"same": {"a b": ["c"]}, "also": {"d": ["e"]}, "misspellings": {"cc": "c"}}
    )
    assert ("a", "b") in table.lookup(("c",))
    assert ("c",) in table.lookup(("a", "b"))
    assert ("e",) in table.lookup(("d",))
    assert table.lookup(("e",)) is None
    assert ("a", "b") in table.lookup(("cc",))


def test_shipped_synonym_table_loads():
    table = load_synonyms()
    assert ("buprenorphine",) in table.lookup(("suboxone",))
    assert ("recovery", "housing") in table.lookup(("sober", "living"))


def test_shipped_synonym_files_read_as_ruamel_yaml_reads_them():
    """The quick libyaml reading (every scalar as text) means what a YAML 1.2 safe load means."""
    yaml = YAML(typ="safe")  # refuses duplicate keys, which a quick read would let pass
    folder = Path(analysis.__file__).parent
    files = sorted(folder.glob("synonyms*.yaml"))
    assert len(files) >= 2
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert stringified(read_synonym_file(text)) == stringified(yaml.load(text)), path.name
    for language, name in SNOWBALL_NAMES.items():  # the names Babel gives
        assert Locale.parse(language).english_name.lower() == name


def stringified(value):
    """Return a YAML value as parse_synonyms reads it: text, lists and mappings of text."""
    if isinstance(value, dict):
        return {str(k): stringified(v) for k, v in value.items()}
    if isinstance(value, list):
        return [stringified(v) for v in value]
    return "" if value is None else str(value)


# --- geography --------------------------------------------------------------------------------


def test_distances_match_brute_force_haversine(searcher):
    result = search(searcher, near=PORTLAND, radius_miles=20)
    located = [h for h in result.hits if h.distance_miles is not None]
    expected = {
        r.id: haversine_miles(PORTLAND.lat, PORTLAND.lon, r.point.lat, r.point.lon)
        for r in RESOURCES
        if r.active and not r.online_only
    }
    inside = {rid for rid, d in expected.items() if d <= 20}
    assert {h.resource.id for h in located} == inside
    for h in located:
        assert h.distance_miles == pytest.approx(expected[h.resource.id], abs=1e-6)
    assert [h.distance_miles for h in located] == sorted(h.distance_miles for h in located)


def test_random_points_against_brute_force(tmp_path):
    rng = random.Random(7)
    points = [(45 + rng.uniform(-1, 1), -122 + rng.uniform(-1, 1)) for _ in range(300)]
    resources = [
        resource(f"r{i}", f"Place {i}", "food", at=point) for i, point in enumerate(points)
    ]
    catalog = Catalog(resources)
    build_index(resources, tmp_path, catalog.fingerprint)
    s = open_index(tmp_path, catalog)
    for _ in range(5):
        lat, lon, radius = 45 + rng.uniform(-1, 1), -122 + rng.uniform(-1, 1), rng.uniform(2, 40)
        result = s.search(
            SearchRequest(near=Place("x", lat, lon, "coordinates"), radius_miles=radius,
                          per_page=100)
        )  # fmt: skip
        want = sorted(
            (haversine_miles(lat, lon, *p), f"r{i}")
            for i, p in enumerate(points)
            if haversine_miles(lat, lon, *p) <= radius
        )
        if not want:
            continue
        assert result.total == len(want)
        got = [(h.distance_miles, h.resource.id) for h in result.hits]
        assert [g[1] for g in got] == [w[1] for w in want[:100]]
    s.close()


def test_online_resources_are_never_hidden_by_distance(searcher):
    result = search(searcher, near=PORTLAND, radius_miles=1)
    found = ids(result)
    online = {"hope-online", "new-york-online", "crisis-line"}
    assert online <= set(found)
    assert result.online_count == 3
    # Located first, then the ones with no distance.
    first_online = min(found.index(i) for i in online)
    assert all(h.distance_miles is not None for h in result.hits[:first_online])
    assert all(h.distance_miles is None for h in result.hits[first_online:])
    assert "salem-detox" not in found


def test_nothing_inside_the_radius_gives_the_nearest_beyond(searcher):
    far_away = Place("Bend, OR", 44.0582, -121.3153, "city")
    result = search(searcher, q="withdrawal", near=far_away, radius_miles=5)
    assert result.notice and "Nothing within 5 miles of Bend, OR" in result.notice
    assert ids(result) == ["salem-detox"]
    assert result.hits[0].beyond_radius
    assert result.hits[0].distance_miles > 5
    everything = search(searcher, near=far_away, radius_miles=5)
    located = [h for h in everything.hits if h.distance_miles is not None]
    assert located and all(h.beyond_radius for h in located)
    assert [h.distance_miles for h in located] == sorted(h.distance_miles for h in located)
    assert all(not h.beyond_radius for h in everything.hits if h.distance_miles is None)


def test_no_notice_when_something_is_inside(searcher):
    result = search(searcher, near=PORTLAND, radius_miles=5)
    assert result.notice is None
    assert not any(h.beyond_radius for h in result.hits)


def test_relevance_sort_near_a_place_still_shows_distances(searcher):
    result = search(searcher, q="methadone", near=PORTLAND)
    assert ids(result)[0] == "eastside-otp"
    assert all(h.distance_miles is not None for h in result.hits)
    by_distance = search(searcher, q="methadone", near=PORTLAND, sort="distance")
    assert ids(by_distance)[0] == "description-mentions-methadone"


# --- filters and facets -----------------------------------------------------------------------


def facet(result, key) -> dict[str, int]:
    return dict(result.facets[key])


def test_or_within_a_facet_and_across_facets(searcher):
    either = search(searcher, filters={"fellowship": ("AA", "NA")})
    assert {"downtown-big-book", "clean-and-serene", "hope-online"} <= set(ids(either))
    assert "al-anon-hope" not in ids(either)
    both = search(searcher, filters={"fellowship": ("AA", "NA"), "attendance": ("online",)})
    assert set(ids(both)) == {"hope-online", "new-york-online"}


def test_each_facet_counts_without_its_own_filter(searcher):
    result = search(searcher, filters={"category": ("mat",), "payment": ("medicaid",)})
    assert set(ids(result)) == {"harbor-clinic", "eastside-otp"}
    # Category counts apply the payment filter but not the category filter.
    assert facet(result, "category") == {"mat": 2}
    # Payment counts apply the category filter but not the payment filter.
    assert facet(result, "payment") == {"medicaid": 2, "sliding-scale": 1}
    # Other facets apply both.
    assert facet(result, "medication") == {"buprenorphine": 1, "naltrexone": 1, "methadone": 1}
    unfiltered = search(searcher)
    assert facet(unfiltered, "category")["meeting"] == 6
    assert facet(unfiltered, "category")["mat"] == 2


def test_meeting_types_are_read_with_their_fellowship(searcher):
    result = search(searcher, filters={"type": ("Al-Anon:POA",)})
    assert ids(result) == ["al-anon-hope"]
    assert facet(search(searcher), "type")["AA:SP"] == 2


def test_selected_values_are_listed_even_with_no_results(searcher):
    result = search(searcher, filters={"region": ("Nowhere",)})
    assert result.total == 0
    assert ("Nowhere", 0) in result.facets["region"]


def test_hybrid_counts_as_in_person_and_online(tmp_path):
    hybrid = resource(
        "hybrid", "Hybrid Group", fellowship="AA", at=P(45.5, -122.6),
        online=Online(url="https://example.org"),
    )  # fmt: skip
    catalog = Catalog([hybrid])
    build_index(catalog.resources, tmp_path, catalog.fingerprint)
    s = open_index(tmp_path, catalog)
    for value in ("hybrid", "in_person", "online"):
        assert s.search(SearchRequest(filters={"attendance": (value,)})).total == 1
    s.close()


def test_unknown_filter_keys_are_refused(searcher):
    with pytest.raises(ValueError, match="unknown filter"):
        search(searcher, filters={"colour": ("red",)})
    with pytest.raises(ValueError, match="sort"):
        search(searcher, sort="random")
    with pytest.raises(ValueError, match="aware"):
        searcher.search(SearchRequest(at=datetime(2025, 1, 1)))


def test_day_and_time_of_day_are_read_together(searcher):
    monday_evening = search(searcher, filters={"day": ("mon",), "time_of_day": ("evening",)})
    assert "downtown-big-book" in ids(monday_evening)
    assert "clean-and-serene" not in ids(monday_evening)  # Tuesday midday
    tuesday_evening = search(searcher, filters={"day": ("tue",), "time_of_day": ("evening",)})
    assert "downtown-big-book" not in ids(tuesday_evening)
    # Day counts apply the time of day filter; time counts apply the day filter.
    assert facet(monday_evening, "day")["wed"] >= 1
    assert "tue" not in facet(monday_evening, "day") or "clean-and-serene" not in ids(
        search(searcher, filters={"day": ("tue",), "time_of_day": ("evening",)})
    )
    assert facet(monday_evening, "time_of_day")["morning"] >= 1  # Hope Online, daily 07:00
    saturday_night = search(searcher, filters={"day": ("sat",), "time_of_day": ("night",)})
    assert "saturday-night-live" in ids(saturday_night)


# --- time -------------------------------------------------------------------------------------

LA = ZoneInfo("America/Los_Angeles")


def test_saturday_late_meeting_is_in_progress_just_after_midnight(searcher):
    at = datetime(2025, 6, 8, 0, 5, tzinfo=LA)  # Sunday 00:05
    result = search(searcher, open_now=True, at=at)
    assert "saturday-night-live" in ids(result)
    hit = next(h for h in result.hits if h.resource.id == "saturday-night-live")
    assert hit.open_now and hit.in_progress
    assert hit.current_occurrence.start == datetime(2025, 6, 7, 23, 30, tzinfo=LA)
    assert hit.next_occurrences[0].start == datetime(2025, 6, 14, 23, 30, tzinfo=LA)


def test_starting_within_wraps_the_week(searcher):
    at = datetime(2025, 6, 7, 23, 10, tzinfo=LA)  # Saturday 23:10
    assert "saturday-night-live" in ids(search(searcher, starting_within=30, at=at))
    assert "saturday-night-live" not in ids(search(searcher, starting_within=10, at=at))
    # Started up to ten minutes ago still counts; eleven does not.
    late = datetime(2025, 6, 7, 23, 30 + STARTED_GRACE_MINUTES, tzinfo=LA)
    assert "saturday-night-live" in ids(search(searcher, starting_within=0, at=late))
    assert "saturday-night-live" not in ids(
        search(searcher, starting_within=0, at=late + timedelta(minutes=1))
    )
    # Hope Online meets daily at 07:00: from Saturday 23:10 that is tomorrow, 7h50m away.
    assert "hope-online" in ids(search(searcher, starting_within=8 * 60, at=at))
    assert "hope-online" not in ids(search(searcher, starting_within=7 * 60, at=at))


def test_new_york_meeting_seen_from_denver(searcher):
    denver = ZoneInfo("America/Denver")
    at = datetime(2025, 6, 1, 8, 15, tzinfo=denver)  # 10:15 in New York
    result = search(searcher, open_now=True, at=at, filters={"fellowship": ("AA",)})
    assert ids(result) == ["new-york-online"]
    hit = result.hits[0]
    assert hit.in_progress
    assert hit.current_occurrence.start.astimezone(denver).hour == 8
    before = datetime(2025, 6, 1, 7, 55, tzinfo=denver)
    soon = search(searcher, starting_within=10, at=before, filters={"fellowship": ("AA",)})
    assert ids(soon) == ["new-york-online"]


def test_dst_weeks_follow_the_wall_clock(searcher):
    # 9 March 2025: New York springs forward. Sunday 10:00 EDT is 14:00 UTC, not 15:00.
    assert "new-york-online" in ids(
        search(searcher, open_now=True, at=datetime(2025, 3, 9, 14, 5, tzinfo=UTC))
    )
    assert "new-york-online" not in ids(
        search(searcher, open_now=True, at=datetime(2025, 3, 9, 15, 5, tzinfo=UTC))
    )
    # 2 November 2025: back to EST, 10:00 is 15:00 UTC.
    assert "new-york-online" in ids(
        search(searcher, open_now=True, at=datetime(2025, 11, 2, 15, 5, tzinfo=UTC))
    )


@pytest.mark.parametrize(
    "start",
    [
        datetime(2025, 3, 7, 12, tzinfo=UTC),  # spring forward in the US (9 March)
        datetime(2025, 10, 31, 12, tzinfo=UTC),  # fall back in the US (2 November)
        datetime(2025, 6, 5, 12, tzinfo=UTC),  # an ordinary week
        datetime(2025, 2, 20, 12, tzinfo=UTC),  # upcoming times reach across the change
        datetime(2025, 3, 27, 12, tzinfo=UTC),  # Europe springs forward (30 March)
    ],
)
def test_time_filters_agree_with_the_schedule_module(tmp_path, start):
    zones = ["America/New_York", "America/Los_Angeles", "Europe/London"]
    windows = [
        ("sun", "01:30", "02:30"),
        ("sun", "02:30", "03:30"),
        ("sat", "23:00", "02:00"),
        ("sun", "00:00", "24:00"),
        ("mon", "09:00", None),
        ("sat", "21:00", "07:00"),
    ]
    resources = []
    for z in zones:
        for i, (day, first, last) in enumerate(windows):
            item = {"days": [day], "start": first, **({"end": last} if last else {})}
            resources.append(
                resource(f"{z.split('/')[1].lower()}-{i}", f"M {i}", timezone=z, hours=[item])
            )
    catalog = Catalog(resources)
    build_index(resources, tmp_path, catalog.fingerprint)
    s = open_index(tmp_path, catalog)
    table = s.table
    at = start
    while at < start + timedelta(days=3):
        open_mask = table.open_at(at)
        soon_mask = table.starting_within(at, 45)
        for doc, r in enumerate(table.resources):
            assert open_mask[doc] == r.schedule.is_open(at), (r.id, at)
            soon = r.schedule.starts_between(
                at - timedelta(minutes=STARTED_GRACE_MINUTES), at + timedelta(minutes=45, seconds=1)
            )
            assert soon_mask[doc] == soon, (r.id, at)
            current, upcoming = table.schedule_answers(doc, at, 3)
            assert _instants(upcoming) == _instants(r.schedule.next_occurrences(at, 3)), (r.id, at)
            assert _instants([current] if current else []) == _instants(
                [c] if (c := r.schedule.current(at)) else []
            ), (r.id, at)
        at += timedelta(minutes=35)
    s.close()


def _instants(occurrences) -> list[tuple[datetime, datetime, str]]:
    """Return occurrences as UTC instants and zone, so wall-clock equality cannot hide a bug."""
    return [
        (o.start.astimezone(UTC), o.end.astimezone(UTC), str(o.start.tzinfo)) for o in occurrences
    ]


# --- what each hit carries --------------------------------------------------------------------


def test_hits_carry_schedule_answers(searcher):
    monday_evening = datetime(2025, 6, 2, 19, 15, tzinfo=LA)
    result = search(searcher, q="big book", at=monday_evening)
    hit = result.hits[0]
    assert hit.resource.id == "downtown-big-book"
    assert hit.open_now is True and hit.in_progress is True
    assert len(hit.next_occurrences) == 3
    assert hit.next_occurrences[0].start == datetime(2025, 6, 4, 19, 0, tzinfo=LA)
    pantry = search(searcher, q="pantry").hits[0]
    assert pantry.open_now is None and pantry.next_occurrences == ()
    clinic = search(searcher, q="harbor", at=monday_evening).hits[0]
    assert clinic.open_now is False and clinic.in_progress is False  # not a meeting


def test_snippets_mark_the_matching_words_and_escape_html(searcher):
    hit = search(searcher, q="suboxone").hits[0]
    assert hit.resource.id == "harbor-clinic"
    snippet = hit.snippet
    marked = [snippet.text[s:e] for s, e in snippet.spans]
    assert marked == ["buprenorphine"]
    html = snippet.html()
    assert "<mark>buprenorphine</mark>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_snippets_fall_back_to_labels(searcher):
    hit = search(searcher, q="speaker", filters={"fellowship": ("AA",)}).hits[0]
    assert "Speaker" in [hit.snippet.text[s:e] for s, e in hit.snippet.spans]


def test_paging(searcher):
    everything = ids(search(searcher, per_page=100))
    pages = []
    for page in (1, 2, 3, 4):
        result = searcher.search(SearchRequest(page=page, per_page=4, at=SUNDAY_NOON))
        assert result.total == len(everything)
        pages += ids(result)
    assert pages == everything
    beyond = searcher.search(SearchRequest(page=99, per_page=4))
    assert beyond.hits == () and beyond.total == len(everything)
    clamped = searcher.search(SearchRequest(page=-3, per_page=10_000))
    assert clamped.page == 1 and clamped.per_page == 100


def test_browsing_reads_in_name_order(searcher):
    names = [h.resource.name.casefold() for h in search(searcher).hits]
    assert names == sorted(names)


def test_table_columns_agree_with_the_facet_definitions(searcher):
    table = searcher.table
    for key, values_of in ((f.key, f.values_of) for f in VALUE_FACETS):
        facet = table.facets[key]
        for doc, r in enumerate(table.resources):
            have = {v for i, v in enumerate(facet.values) if doc in set(facet.docs_of[i].tolist())}
            assert have == set(values_of(r)), (key, r.id)
    for doc, r in enumerate(table.resources):
        assert table.online_only[doc] == r.online_only
        if r.point:
            assert (table.lat[doc], table.lon[doc]) == (r.point.lat, r.point.lon)


def test_facet_counts_match_a_brute_force_count():
    table = ResourceTable(generate(400, seed=5))
    rng = random.Random(3)
    for density in (0.0, 0.01, 0.05, 0.5, 1.0):  # the sparse path below 1/8, the dense above
        candidates = np.array([rng.random() < density for _ in range(table.n)], dtype=bool)
        docs = np.flatnonzero(candidates)
        for key, values_of in ((f.key, f.values_of) for f in VALUE_FACETS):
            want: dict[str, int] = {}
            for doc in docs:
                for value in set(values_of(table.resources[doc])):
                    want[value] = want.get(value, 0) + 1
            facet = table.facets[key]
            for counts in (facet.counts(candidates), facet.counts(candidates, docs)):
                got = {v: int(c) for v, c in zip(facet.values, counts, strict=True) if c}
                assert got == want, (key, density)


def test_nearest_beyond_the_radius_respects_time_filters(searcher):
    far_away = Place("Bend, OR", 44.0582, -121.3153, "city")
    monday_evening = datetime(2025, 6, 2, 19, 15, tzinfo=LA)
    result = search(
        searcher, near=far_away, radius_miles=5, open_now=True, at=monday_evening,
        filters={"fellowship": ("AA",)},
    )  # fmt: skip
    assert result.notice and "Nothing within 5 miles" in result.notice
    assert ids(result) == ["downtown-big-book"]  # the only AA meeting open then
    assert result.hits[0].beyond_radius and result.hits[0].open_now


def test_temporarily_closed_places_are_never_open_or_starting_soon(tmp_path):
    hours = [{"days": "daily", "start": "00:00", "end": "24:00"}]
    closed = resource("closed-pantry", "Closed Pantry", "food", hours=hours, at=P(45.5, -122.6),
                      status="temporarily-closed")  # fmt: skip
    closed_meeting = resource("closed-meeting", "Closed Meeting", fellowship="AA",
                              hours=[{"days": "daily", "start": "12:05"}], at=P(45.5, -122.6),
                              status="temporarily-closed")  # fmt: skip
    still_online = resource("moved-online", "Moved Online", fellowship="AA", types=("TC",),
                            hours=[{"days": "daily", "start": "12:05"}], at=P(45.5, -122.6),
                            online=Online(url="https://example.org/j"))  # fmt: skip
    open_pantry = resource("open-pantry", "Open Pantry", "food", hours=hours, at=P(45.5, -122.6))
    catalog = Catalog([closed, closed_meeting, still_online, open_pantry])
    build_index(catalog.resources, tmp_path, catalog.fingerprint)
    s = open_index(tmp_path, catalog)
    try:
        assert ids(search(s, open_now=True)) == ["open-pantry"]
        assert ids(search(s, starting_within=30)) == ["moved-online"]
        hits = {h.resource.id: h for h in search(s).hits}
        assert hits["closed-pantry"].open_now is False
        assert hits["closed-meeting"].next_occurrences == ()
        assert hits["moved-online"].next_occurrences
    finally:
        s.close()
