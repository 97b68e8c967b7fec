"""Read the plain words people put in the search box: "aa womens meeting sunday morning campbell".

Words about a day, a part of the day, "now", how to attend, a language, a fellowship, a kind of
meeting, "meeting" itself, and a place (a ZIP code, a town and state, or a town, area or region
of this directory, at the start or the end, with or without "near" or "in") become filters, so
they narrow the results instead of being searched for as text. The vocabularies are data
(`words.yaml`, and one `words.<language>.yaml` per other language, all read whatever the page's
language: "en español" on the English page, "spanish" on the Spanish one); the fellowships of
the directory's own file are added to them. Everything read
is said back (`Intent.understood`), so nothing happens silently, and the words left are searched
as text.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources as package_files

PLACE_PREPOSITIONS = ("near", "in", "around", "close to", "at")
DANGLING = frozenset({"in", "on", "at", "near", "for", "this"})
MAX_PLACE_WORDS = 4  # "st paul park mn": longer runs are not one place
MAX_TOKENS = 40  # a search box holds a few words; the rest is not read for filters
_TOKEN = re.compile(r"[^\W_]+(?:[.'’][^\W_]+)*", re.UNICODE)


@dataclass(frozen=True)
class Understood:
    """One thing read from the words: what kind, the words as typed, and the value."""

    kind: str  # place, near_me, day, relative_day, time, now, attendance, language,
    # fellowship, type, meetings
    words: str
    value: object = None
    span: tuple[int, int] = (0, 0)  # where the words stand in the text (spaces collapsed)


@dataclass(frozen=True)
class Intent:
    q: str  # the words left to search for
    near: str | None = None
    near_me: bool = False
    days: tuple[str, ...] = ()
    day_offset: int | None = None
    times_of_day: tuple[str, ...] = ()
    now: bool = False
    attendance: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    fellowships: tuple[str, ...] = ()
    types: tuple[str, ...] = ()  # bare Meeting Guide codes
    meetings: bool = False
    understood: tuple[Understood, ...] = field(default=())


def fold(text: str) -> str:
    """Return a word as phrases are matched: lower case, no accents, no apostrophes."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.replace("'", "").replace("’", "").replace(".", "")


@dataclass(frozen=True)
class Words:
    """The vocabularies, as folded phrases (tuples of words) -> (kind, value)."""

    phrases: dict[tuple[str, ...], tuple[str, object]]
    type_words_anywhere: frozenset[tuple[str, ...]]
    longest: int
    # Words before a place ("near", "cerca de"), and small words left dangling before a filter.
    prepositions: tuple[tuple[str, ...], ...] = tuple(tuple(p.split()) for p in PLACE_PREPOSITIONS)
    dangling: frozenset[str] = DANGLING

    def extended(self, fellowships: Iterable[str]) -> Words:
        """Return these words plus the names (and initials) of the directory's fellowships."""
        phrases = dict(self.phrases)
        for name in fellowships:
            words = tuple(fold(w) for w in _TOKEN.findall(name))
            if words:
                phrases.setdefault(words, ("fellowship", name))
            initials = "".join(w[0] for w in words if w not in ("of", "and", "the"))
            if len(words) > 1 and len(initials) > 1:
                phrases.setdefault((initials,), ("fellowship", name))
        longest = max(self.longest, *(len(p) for p in phrases))
        return Words(phrases, self.type_words_anywhere, longest, self.prepositions, self.dangling)


def parse_words(*files: dict) -> Words:
    """Build the vocabularies from parsed words files (English first, then other languages)."""
    phrases: dict[tuple[str, ...], tuple[str, object]] = {}
    anywhere: set[tuple[str, ...]] = set()
    prepositions = [tuple(p.split()) for p in PLACE_PREPOSITIONS]
    dangling = set(DANGLING)
    for data in files:
        _parse_one(data, phrases, anywhere)
        for text in data.get("place_prepositions") or ():
            key = tuple(fold(w) for w in _TOKEN.findall(str(text)))
            if key and key not in prepositions:
                prepositions.append(key)
        dangling |= {fold(str(w)) for w in data.get("dangling") or ()}
    longest = max((len(p) for p in phrases), default=1)
    # Longest first: "cerca de" before "cerca".
    prepositions.sort(key=len, reverse=True)
    return Words(phrases, frozenset(anywhere), longest, tuple(prepositions), frozenset(dangling))


def _parse_one(data: dict, phrases: dict, anywhere: set) -> None:

    def add(text: str, kind: str, value: object) -> tuple[str, ...]:
        key = tuple(fold(w) for w in _TOKEN.findall(str(text)))
        if key and key not in phrases:
            phrases[key] = (kind, value)
        return key

    for text in data.get("now") or ():
        add(text, "now", True)
    for text in data.get("meeting") or ():
        add(text, "meetings", True)
    for text in data.get("near_me") or ():
        add(text, "near_me", True)
    for text, day in (data.get("relative_days") or {}).items():
        times = tuple((data.get("times") or {}).get(text) or ())
        add(text, "relative_day", (int(day), times))
    for text, values in (data.get("times") or {}).items():
        add(text, "time", tuple(values))
    for text, values in (data.get("days") or {}).items():
        add(text, "day", tuple(values))
    for text, value in (data.get("attendance") or {}).items():
        add(text, "attendance", str(value))
    for text, value in (data.get("languages") or {}).items():
        add(text, "language", str(value))
    for text, value in (data.get("fellowships") or {}).items():
        add(text, "fellowship", str(value))
    types = data.get("types") or {}
    for text, codes in (types.get("anywhere") or {}).items():
        anywhere.add(add(text, "type", _codes(codes)))
    for text, codes in (types.get("with_meetings") or {}).items():
        add(text, "type", _codes(codes))


def _codes(value) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)


@functools.cache
def load_words() -> Words:
    """Load `words.yaml` and every language's `words.<code>.yaml` shipped with the package."""
    from ruamel.yaml import YAML  # noqa: PLC0415  # why: on first use, not at every start

    folder = package_files.files(__package__)
    names = ["words.yaml"] + sorted(
        p.name for p in folder.iterdir() if p.name.startswith("words.") and p.name.count(".") == 2
    )
    yaml = YAML(typ="safe")
    return parse_words(*(yaml.load(folder.joinpath(n).read_text(encoding="utf-8")) or {}
                         for n in names))  # fmt: skip


@dataclass
class _Token:
    text: str  # as typed
    folded: str
    start: int  # its span in the text
    end: int
    glued: bool = False  # joined to the next word by a hyphen ("now-and-then")
    used: bool = False


PlaceTest = Callable[[str, bool], bool]


def read_intent(
    text: str, is_place: PlaceTest = lambda place, explicit: False, words: Words | None = None
) -> Intent:
    """Split what was typed into words to search for and the filters they describe.

    `is_place(text, explicit)` tells whether some words name a place to search near;
    `explicit` is True when the person wrote "near" or "in" before them (then any place is
    meant), False for words that merely stand at the start or end of the text.
    """
    words = words or load_words()
    text = " ".join(str(text or "").split())
    understood: list[Understood] = []
    found: dict[str, object] = {}
    tokens = [
        _Token(m.group(0), fold(m.group(0)), m.start(), m.end(), text[m.end() : m.end() + 1] == "-")
        for m in _TOKEN.finditer(text)
    ][:MAX_TOKENS]
    read = _read_phrases(tokens, words)
    meeting_context = any(kind in ("meetings", "fellowship") for kind, _, _ in read) or any(
        key in words.type_words_anywhere for kind, key, _ in read if kind == "type"
    )
    lists: dict[str, list] = {}
    for kind, key, (start, end) in read:
        value = words.phrases[key][1]
        if kind == "type" and not meeting_context:
            continue  # "open", "women": meeting words only in a search for meetings
        typed = text[tokens[start].start : tokens[end - 1].end]
        span = (tokens[start].start, tokens[end - 1].end)
        for token in tokens[start:end]:
            token.used = True
        if kind == "relative_day":
            offset, times = value
            found.setdefault("day_offset", offset)
            if times:
                lists.setdefault("times_of_day", []).extend(times)
            understood.append(Understood(kind, typed, offset, span=span))
        elif kind == "time":
            lists.setdefault("times_of_day", []).extend(value)
            understood.append(Understood(kind, typed, value, span=span))
        elif kind == "day":
            lists.setdefault("days", []).extend(value)
            understood.append(Understood(kind, typed, value, span=span))
        elif kind in ("now", "meetings", "near_me"):
            found[kind] = True
            understood.append(Understood(kind, typed, span=span))
        else:
            plural = {"attendance": "attendance", "language": "languages",
                      "fellowship": "fellowships", "type": "types"}[kind]  # fmt: skip
            lists.setdefault(plural, []).extend(value if kind == "type" else (value,))
            understood.append(Understood(kind, typed, value, span=span))
    place, span = _read_place(text, tokens, is_place, words.prepositions)
    for this, following in zip(tokens, tokens[1:], strict=False):
        # "in" or "on" left in front of words read as a filter: "meetings in spanish".
        if not this.used and following.used and this.folded in words.dangling:
            this.used = True
    if place:
        found["near"] = place
        understood.insert(0, Understood("place", place, span=span))
    for key, values in lists.items():
        found[key] = tuple(dict.fromkeys(values))
    q = _rest(text, tokens)
    return Intent(q=q, understood=tuple(understood), **found)  # type: ignore[arg-type]


def _read_phrases(tokens: list[_Token], words: Words):
    """Return (kind, phrase, (start, end)) for every known phrase, longest first, no overlap."""
    out = []
    i = 0
    while i < len(tokens):
        for size in range(min(words.longest, len(tokens) - i), 0, -1):
            key = tuple(t.folded for t in tokens[i : i + size])
            hit = words.phrases.get(key)
            # A word glued to another by a hyphen is part of a name ("now-and-then group").
            glued = (i > 0 and tokens[i - 1].glued) or tokens[i + size - 1].glued
            if hit is not None and not glued:
                out.append((hit[0], key, (i, i + size)))
                i += size
                break
        else:
            i += 1
    return out


def _read_place(
    text: str,
    tokens: list[_Token],
    is_place: PlaceTest,
    prepositions: tuple[tuple[str, ...], ...] = (),
) -> tuple[str | None, tuple[int, int]]:
    """Read a place from the words not read as anything else: its last ones, else its first.

    The words of a place stand together in the text; filter words may stand around them
    ("sunday morning meeting san jose", "palo alto sunday").
    """
    free = [i for i, t in enumerate(tokens) if not t.used]
    for from_end in (True, False):
        for size in range(min(MAX_PLACE_WORDS + 1, len(free)), 0, -1):
            part = free[-size:] if from_end else free[:size]
            if part[-1] - part[0] != size - 1:
                continue  # not side by side in the text
            first = tokens[part[0]]
            preposition = _leading_preposition([tokens[i].text for i in part], prepositions)
            if preposition == 0 and size > MAX_PLACE_WORDS:
                continue
            candidate = text[tokens[part[preposition]].start : tokens[part[-1]].end]
            candidate = candidate.strip(" ,.;:")
            if candidate and not first.glued and is_place(candidate, preposition > 0):
                for i in part:
                    tokens[i].used = True
                return candidate, (tokens[part[0]].start, tokens[part[-1]].end)
    return None, (0, 0)


def _leading_preposition(texts: list[str], prepositions: tuple[tuple[str, ...], ...] = ()) -> int:
    """Return how many leading words are "near", "in", "close to"... (0 when none)."""
    folded = [fold(t) for t in texts]
    for parts in prepositions or tuple(tuple(p.split()) for p in PLACE_PREPOSITIONS):
        if tuple(folded[: len(parts)]) == parts and len(folded) > len(parts):
            return len(parts)
    return 0


def _rest(text: str, tokens: list[_Token]) -> str:
    """Return the text with the words that were read taken out, punctuation between kept."""
    used = {id(t) for t in tokens if t.used}
    out, at = [], 0
    matches = list(_TOKEN.finditer(text))
    for match, token in zip(matches, tokens, strict=False):
        if id(token) in used:
            out.append(text[at : match.start()])
            at = match.end()
    out.append(text[at:])
    rest = " ".join("".join(out).split())
    return rest.strip(" ,.;:-") if used else rest
