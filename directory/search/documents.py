"""The one function that maps a Resource to an index document: its text, field by field."""

from __future__ import annotations

from directory.core.model import TRANSLATED_FIELDS, Resource
from directory.core.vocabulary import (
    category_label,
    fellowship_name,
    label,
    language_name,
    type_name,
)
from directory.search.engine import LANGUAGE_FIELDS

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


def text_in_language(r: Resource, language: str) -> str:
    """Return the resource's texts written in `language`: its own, when the file's text is in
    that language (said by `text_language`, or by a meeting held in that language alone, whose
    feed seldom says what language its notes are in), and its translations into it."""
    parts: list[str | None] = []
    if r.text_language == language or r.languages == (language,):
        parts += [r.name, r.description, r.group, r.organization, r.eligibility, r.hours_notes]
    texts = r.translations.get(language) or {}
    parts += [texts.get(name) for name in TRANSLATED_FIELDS]
    return "\n".join(p for p in parts if p)


def document_for(r: Resource) -> dict[str, str]:
    """Return the index document of a resource."""
    document = {
        "id": r.id,
        "name": r.name,
        "keywords": keywords_text(r),
        "description": description_text(r),
    }
    for language, name in LANGUAGE_FIELDS.items():
        document[name] = text_in_language(r, language)
    return document
