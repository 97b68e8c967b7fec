"""What Meeting Guide type codes say about other fields: languages, accessibility, attendance.

The writer adds a code for what a resource's own fields say (`languages: [es]` -> `S`,
`accessibility: [wheelchair]` -> `X`, a temporarily closed place -> `TC`); the reader turns
those codes back into the fields. Both go through this module, so the two directions cannot
drift apart. Codes are read with their fellowship: a code that means something else there
(Al-Anon's `POA`) says nothing about languages or accessibility.
"""

from __future__ import annotations

from functools import cache

from directory.core import vocabulary

LEGACY_ONLINE_TYPE = "ONL"  # "online": said by the conference fields; never written
CLOSED_TYPE = "TC"  # the place is temporarily closed; the meeting may still meet online
# Accessibility words that a Meeting Guide type code says (the others travel in `accessibility`).
ACCESSIBILITY_TYPES: dict[str, str] = {
    "wheelchair": "X",
    "accessible-restroom": "XB",
    "asl": "ASL",
    "fragrance-free": "FF",
    "childcare": "BA",
}
_SPEC_NAME = {code: vocabulary.type_name(None, code, "en") for code in ACCESSIBILITY_TYPES.values()}


def language_type(language: str, fellowship: str | None, known: frozenset[str]) -> str | None:
    """Return the type code naming a language the meeting is held in ("es" -> "S"), if any."""
    if language == "en":
        return None  # the default; Meeting Guide readers assume it
    name = vocabulary.language_name(language, "en").lower()
    for code in sorted(known):
        if vocabulary.type_name(fellowship, code, "en").lower() == name:
            return code
    return None


@cache
def _languages_by_name() -> dict[str, str]:
    """Return ISO 639-1 codes by their language's English name, lowercased."""
    import pycountry  # noqa: PLC0415  # why: its database loads lazily, only for imports

    return {
        lang.name.lower(): lang.alpha_2
        for lang in pycountry.languages
        if getattr(lang, "alpha_2", None)
    }


@cache
def type_language(fellowship: str | None, code: str) -> str | None:
    """Return the ISO 639-1 code of the language a type code names ("RUS" -> "ru"), if any."""
    return _languages_by_name().get(vocabulary.type_name(fellowship, code, "en").lower())


def type_accessibility(fellowship: str | None, code: str) -> str | None:
    """Return the accessibility word a type code says ("X" -> "wheelchair"), if any."""
    for word, spec_code in ACCESSIBILITY_TYPES.items():
        if code == spec_code and vocabulary.type_name(fellowship, code, "en") == _SPEC_NAME[code]:
            return word
    return None
