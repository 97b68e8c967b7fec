"""The one function that maps a Resource to an index document: its text, field by field."""

from __future__ import annotations

from directory.core.model import Resource
from directory.core.vocabulary import (
    category_label,
    fellowship_name,
    label,
    language_name,
    type_name,
)

# The index is in the labels' English, whatever language the request that builds it speaks:
# other languages' words reach it through their synonyms files (synonyms.<code>.yaml).
INDEX_LANGUAGE = "en"


def keywords_text(r: Resource) -> str:
    """Return the labels a resource is tagged with, in words, as one line."""
    en = INDEX_LANGUAGE
    words: list[str] = [category_label(r.category, en)]
    if r.fellowship:
        words += [r.fellowship, fellowship_name(r.fellowship, en)]
    words += [type_name(r.fellowship, code, en) for code in r.types]
    words += [label("service", s, en) for s in r.services]
    words += [label("medication", m, en) for m in r.medications]
    words += list(r.tags)
    words += [label("population", p, en) for p in r.populations]
    words += [label("payment", p, en) for p in r.payment]
    words += [label("accessibility", a, en) for a in r.accessibility]
    # English is the default; other languages are worth finding by name ("Spanish").
    words += [language_name(code, en) for code in r.languages if code != "en"]
    seen: dict[str, None] = {}
    for word in words:
        seen.setdefault(word, None)
    return ", ".join(seen)


def description_text(r: Resource) -> str:
    """Return the resource's free text: description, who runs it, where it is."""
    location = r.location
    parts = [r.description, r.organization, r.group, r.eligibility, r.hours_notes]
    # The same texts in other languages: a Spanish search finds a listing by its Spanish words.
    for texts in r.translations.values():
        parts += [texts.get("name"), texts.get("description"), texts.get("hours_notes")]
    if location is not None:
        parts += [location.name, location.city, location.region, location.sub_region]
    return "\n".join(p for p in parts if p)


def document_for(r: Resource) -> dict[str, str]:
    """Return the index document of a resource."""
    return {
        "id": r.id,
        "name": r.name,
        "keywords": keywords_text(r),
        "description": description_text(r),
    }
