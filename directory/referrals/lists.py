"""A participant's referral list: compact values the browser keeps, and the edits made to it.

Pure functions on plain data. A list is kept as compact strings, "<resource id>" or
"<resource id> <note>", because a cookie holds about 4 KB and ids are slugs without spaces.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MAX_ITEMS = 30  # also bounded by the cookie's size; the web layer checks both
MAX_NOTE = 280
MAX_SHARED = 40  # ids read from a share link; more are ignored with a note
MAX_ID = 100

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*", re.ASCII)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class ListItem:
    id: str
    note: str = ""


def is_resource_id(value: object) -> bool:
    """Return True when value has the shape of a resource id."""
    return isinstance(value, str) and len(value) <= MAX_ID and bool(_SLUG.fullmatch(value))


def clean_text(value: object, limit: int, multiline: bool = False) -> str:
    """Return value as tidy text: no control characters, spaces collapsed, at most limit long."""
    if not isinstance(value, str):
        return ""
    text = unicodedata.normalize("NFC", value)
    if multiline:
        lines = [_SPACES.sub(" ", _printable(line)).strip() for line in text.splitlines()]
        text = "\n".join(line for line in lines if line)
    else:
        text = _SPACES.sub(" ", _printable(text)).strip()
    return text[:limit].strip()


def _printable(text: str) -> str:
    return "".join(c if unicodedata.category(c)[0] != "C" else " " for c in text)


# The list as kept in the cookie.


def decode_list(stored: object) -> list[ListItem]:
    """Read a stored list; anything malformed counts as empty, never as an error."""
    if not isinstance(stored, list) or len(stored) > MAX_ITEMS:
        return []
    items: list[ListItem] = []
    seen: set[str] = set()
    for entry in stored:
        if not isinstance(entry, str):
            return []
        resource_id, _, note = entry.partition(" ")
        if not is_resource_id(resource_id) or resource_id in seen or len(note) > MAX_NOTE:
            return []
        seen.add(resource_id)
        items.append(ListItem(resource_id, note))
    return items


def encode_list(items: Iterable[ListItem]) -> list[str]:
    """Return the compact form of a list, for the cookie."""
    return [f"{item.id} {item.note}" if item.note else item.id for item in items]


def with_added(items: list[ListItem], resource_id: str) -> list[ListItem]:
    """Return the list with resource_id at the end (unchanged if it is already there)."""
    if any(item.id == resource_id for item in items):
        return list(items)
    return [*items, ListItem(resource_id)]


def without(items: list[ListItem], resource_id: str) -> list[ListItem]:
    """Return the list without resource_id."""
    return [item for item in items if item.id != resource_id]


def moved(
    items: list[ListItem], resource_id: str, step: int, groups: Mapping[str, str] | None = None
) -> list[ListItem]:
    """Return the list with resource_id moved step places (-1 up, +1 down), within bounds.

    With groups (id -> group), it moves among the items of its own group only, the others
    keeping their places: the list is shown and printed grouped, so that is the order people see.
    """
    ids = [item.id for item in items]
    if resource_id not in ids:
        return list(items)
    group = groups.get(resource_id) if groups is not None else None
    slots = [n for n, rid in enumerate(ids) if groups is None or groups.get(rid) == group]
    members = [items[n] for n in slots]
    here = [item.id for item in members].index(resource_id)
    there = min(max(here + step, 0), len(members) - 1)
    members.insert(there, members.pop(here))
    result = list(items)
    for slot, item in zip(slots, members, strict=True):
        result[slot] = item
    return result


def with_notes(items: list[ListItem], notes: Mapping[str, str]) -> tuple[list[ListItem], bool]:
    """Return the list with the notes given per id, and whether any note was shortened."""
    shortened = False
    result = []
    for item in items:
        if item.id in notes:
            note = clean_text(notes[item.id], 10 * MAX_NOTE)
            if len(note) > MAX_NOTE:
                shortened = True
                note = note[:MAX_NOTE].strip()
            item = ListItem(item.id, note)
        result.append(item)
    return result, shortened


def parse_shared_ids(text: object) -> tuple[list[str], int]:
    """Return the ids a share link carries (valid shape, no repeats, capped) and how many were
    dropped for their shape or the cap."""
    if not isinstance(text, str):
        return [], 0
    parts = [p.strip() for p in text.split(",") if p.strip()]
    ids: list[str] = []
    dropped = 0
    for part in parts:
        if not is_resource_id(part) or len(ids) >= MAX_SHARED:
            dropped += 1
        elif part not in ids:
            ids.append(part)
    return ids, dropped
