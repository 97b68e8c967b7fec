"""Read the plain words people put in the search box: "na meeting tonight near 97214".

Words about time ("tonight", "open now"), a place ("near 97214", "in Gresham") and "meeting"
become filters, so they narrow the results instead of being searched for as text. What was
understood is said back to the person, so nothing happens silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TIME_WORDS: dict[str, tuple[int | None, tuple[str, ...]]] = {
    # phrase -> (days from today or None, times of day)
    "tonight": (0, ("evening", "night")),
    "this evening": (0, ("evening",)),
    "this morning": (0, ("morning",)),
    "this afternoon": (0, ("midday",)),
    "today": (0, ()),
    "tomorrow morning": (1, ("morning",)),
    "tomorrow night": (1, ("evening", "night")),
    "tomorrow": (1, ()),
    "late night": (None, ("night",)),
    "morning": (None, ("morning",)),
    "afternoon": (None, ("midday",)),
    "evening": (None, ("evening",)),
}
NOW_WORDS = ("open now", "open right now", "right now", "now")
MEETING_WORDS = ("meetings", "meeting")
NEAR_ME = re.compile(r"\b(?:near|close to|around)\s+me\b|\bnearby\b", re.IGNORECASE)
NEAR_PLACE = re.compile(
    r"\b(?:near|in|around|close to)\s+(\d{5}(?:-\d{4})?|[a-z][a-z .'-]*?(?:,\s*[a-z]{2})?)\s*$",
    re.IGNORECASE,
)
ZIP = re.compile(r"\b(\d{5})(?:-\d{4})?\b")


@dataclass(frozen=True)
class Intent:
    q: str  # the words left to search for
    near: str | None = None
    near_me: bool = False
    open_now: bool = False
    starting_soon: bool = False
    day_offset: int | None = None
    times_of_day: tuple[str, ...] = ()
    meetings: bool = False
    understood: tuple[str, ...] = field(default=())


def _phrase(words: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])" + re.escape(words).replace(r"\ ", r"\s+") + r"(?![\w-])", re.I)


_TIME = [(words, _phrase(words), answer) for words, answer in TIME_WORDS.items()]
_NOW = [_phrase(words) for words in NOW_WORDS]
_MEETING = [_phrase(words) for words in MEETING_WORDS]


def read_intent(text: str, place_is_known=lambda place: True) -> Intent:
    """Split what was typed into words to search for and the filters they describe.

    `place_is_known(text)` tells whether "near X" names a place; when it does not, the words
    stay in the search.
    """
    rest = " ".join(text.split())
    understood: list[str] = []
    found: dict = {}

    def cut(pattern: re.Pattern[str]) -> bool:
        nonlocal rest
        new = pattern.sub(" ", rest, count=1)
        if new == rest:
            return False
        rest = " ".join(new.split())
        return True

    if cut(NEAR_ME):
        found["near_me"] = True
    match = NEAR_PLACE.search(rest)
    if match and place_is_known(match.group(1).strip()):
        found["near"] = match.group(1).strip()
        rest = " ".join(rest[: match.start()].split())
    elif (zip_code := ZIP.search(rest)) is not None and place_is_known(zip_code.group(1)):
        found["near"] = zip_code.group(1)
        rest = " ".join((rest[: zip_code.start()] + " " + rest[zip_code.end() :]).split())
    if found.get("near"):
        understood.append(f"near {found['near']}")
    for pattern in _MEETING:
        if cut(pattern):
            found["meetings"] = True
            understood.insert(0, "meetings")
            break
    for words, pattern, (offset, buckets) in _TIME:
        if cut(pattern):
            found["day_offset"], found["times_of_day"] = offset, buckets
            understood.append(words)
            break
    for pattern in _NOW:
        if cut(pattern):
            found["starting_soon" if found.get("meetings") else "open_now"] = True
            understood.append("starting soon" if found.get("meetings") else "open now")
            break
    rest = rest.strip(" ,.;:-")
    return Intent(q=rest, understood=tuple(understood), **found)
