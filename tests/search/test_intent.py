"""Time, place and "meeting" words typed in the search box become filters."""

from __future__ import annotations

import pytest

from directory.search.intent import read_intent

PLACES = {"97214", "gresham", "portland, or"}


def known(text: str) -> bool:
    return text.lower() in PLACES


@pytest.mark.parametrize(
    ("typed", "q", "expected"),
    [
        ("na meeting tonight", "na",
         {"meetings": True, "day_offset": 0, "times_of_day": ("evening", "night")}),
        ("food pantry open now", "food pantry", {"open_now": True}),
        ("meeting now", "", {"meetings": True, "starting_soon": True}),
        ("suboxone near 97214", "suboxone", {"near": "97214"}),
        ("suboxone 97214", "suboxone", {"near": "97214"}),
        ("AA meeting in Gresham", "AA", {"meetings": True, "near": "Gresham"}),
        ("aa near portland, or tomorrow morning", "aa near portland, or",
         {"day_offset": 1, "times_of_day": ("morning",)}),
        ("meetings near me", "", {"meetings": True, "near_me": True}),
        ("meetings in spanish", "in spanish", {"meetings": True}),  # not a place: words stay
        ("help in crisis", "help in crisis", {}),
        ("tomorrowland", "tomorrowland", {}),
        ("now-and-then group", "now-and-then group", {}),
        ("", "", {}),
        ("   \t  ", "", {}),
        ("((AND OR*: near", "((AND OR*: near", {}),
    ],
)  # fmt: skip
def test_read_intent(typed, q, expected):
    intent = read_intent(typed, known)
    assert intent.q == q
    for key, value in expected.items():
        assert getattr(intent, key) == value, key
    defaults = {"meetings": False, "open_now": False, "starting_soon": False, "near": None,
                "near_me": False, "day_offset": None, "times_of_day": ()}  # fmt: skip
    for key, value in defaults.items():
        if key not in expected:
            assert getattr(intent, key) == value, key


def test_long_hostile_text_is_fine():
    intent = read_intent("near " * 400 + "tonight " * 100 + "💊" * 200, known)
    assert intent.day_offset == 0
