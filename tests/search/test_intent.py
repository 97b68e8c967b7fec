"""Words typed in the search box that describe filters become those filters."""

from __future__ import annotations

import pytest

from directory.search.intent import load_words, read_intent

TOWNS = {"gresham", "campbell", "willow glen", "san jose"}  # the directory's own areas
WITH_STATE = {"portland, or", "kansas city mo"}
ZIPS = {"97214"}


def known(text: str, explicit: bool) -> bool:
    """A stand-in for the service's test: towns of the directory, ZIPs, town with state."""
    text = text.lower()
    return text in TOWNS | WITH_STATE | ZIPS or (explicit and text in {"bend"})


WORDS = load_words().extended(["Eating Disorders Anonymous"])


def read(text: str):
    return read_intent(text, known, WORDS)


@pytest.mark.parametrize(
    ("typed", "q", "expected"),
    [
        ("na meeting tonight", "",
         {"fellowships": ("NA",), "meetings": True, "day_offset": 0,
          "times_of_day": ("evening", "night")}),
        ("food pantry open now", "food pantry", {"now": True}),
        ("meeting now", "", {"meetings": True, "now": True}),
        ("suboxone near 97214", "suboxone", {"near": "97214"}),
        ("suboxone 97214", "suboxone", {"near": "97214"}),
        ("AA meeting in Gresham", "", {"fellowships": ("AA",), "meetings": True,
                                        "near": "Gresham"}),
        ("aa near portland, or tomorrow morning", "",
         {"fellowships": ("AA",), "near": "portland, or", "day_offset": 1,
          "times_of_day": ("morning",)}),
        ("meetings near me", "", {"meetings": True, "near_me": True}),
        ("meetings in spanish", "", {"meetings": True, "languages": ("es",)}),
        ("help in crisis", "help in crisis", {}),
        ("tomorrowland", "tomorrowland", {}),
        ("now-and-then group", "now-and-then group", {}),
        ("", "", {}),
        ("   \t  ", "", {}),
        ("((AND OR*: near", "((AND OR*: near", {}),
        # A place at the start or the end, with no "near".
        ("aa meetings campbell", "", {"fellowships": ("AA",), "meetings": True,
                                      "near": "campbell"}),
        ("aa meeting kansas city mo", "", {"fellowships": ("AA",), "meetings": True,
                                           "near": "kansas city mo"}),
        ("willow glen big book", "", {"near": "willow glen", "types": ("B",)}),
        ("downtown san jose meeting", "downtown", {"near": "san jose", "meetings": True}),
        ("serenity group", "serenity group", {}),  # no place, no filter: words
        ("meetings bend", "bend", {"meetings": True}),  # not a town here, and no "in"
        ("meetings in bend", "", {"meetings": True, "near": "bend"}),
        # Days, parts of the day, attendance, languages, fellowships, meeting types.
        ("sunday morning meeting", "", {"days": ("sun",), "times_of_day": ("morning",),
                                        "meetings": True}),
        ("sat aa", "", {"days": ("sat",), "fellowships": ("AA",)}),
        ("weekend meetings", "", {"days": ("sat", "sun"), "meetings": True}),
        ("online aa meeting", "", {"attendance": ("online",), "fellowships": ("AA",),
                                   "meetings": True}),
        ("in-person meeting", "", {"attendance": ("in_person",), "meetings": True}),
        ("zoom", "", {"attendance": ("online",)}),
        ("eating disorders anonymous", "", {"fellowships": ("Eating Disorders Anonymous",)}),
        ("eda online", "", {"fellowships": ("Eating Disorders Anonymous",),
                            "attendance": ("online",)}),
        ("women's meeting", "", {"types": ("W",), "meetings": True}),
        ("womens shelter", "womens shelter", {}),  # "women" is a meeting type only for meetings
        ("open meeting", "", {"types": ("O",), "meetings": True}),
        ("big book study", "", {"types": ("B",)}),  # these words only ever mean a meeting
        ("right now", "", {"now": True}),
    ],
)  # fmt: skip
def test_read_intent(typed, q, expected):
    intent = read(typed)
    assert intent.q == q
    for key, value in expected.items():
        assert getattr(intent, key) == value, key
    defaults = {"meetings": False, "now": False, "near": None, "near_me": False,
                "day_offset": None, "times_of_day": (), "days": (), "attendance": (),
                "languages": (), "fellowships": (), "types": ()}  # fmt: skip
    for key, value in defaults.items():
        if key not in expected:
            assert getattr(intent, key) == value, key


def test_what_was_read_is_said_back_with_the_words_as_typed():
    intent = read("Sunday AA meeting Campbell")
    assert [(u.kind, u.words) for u in intent.understood] == [
        ("place", "Campbell"),
        ("day", "Sunday"),
        ("fellowship", "AA"),
        ("meetings", "meeting"),
    ]


def test_long_hostile_text_is_fine():
    intent = read("near " * 400 + "tonight " * 100 + "💊" * 200)
    assert intent.q  # the rest stays as words, capped later by the planner
    assert read("tonight " * 100).day_offset == 0
