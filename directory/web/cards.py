"""Result cards rendered once per data version and language, the moment's parts filled in.

A result page shows about fourteen cards, and rendering each through the `card` macro of
templates/_card.html was a third of a page's cost. Most of a card depends only on the listing
and the page's language (its name, badge, links, buttons); a few parts depend on the request
or the minute: the pin number on the map, "Next: Tue 7 pm", the distance and the snippet
around the words asked for. So a card's skeleton is rendered by the same macro with those
parts replaced by markers, split at the markers and kept; each request joins the skeleton's
pieces with its own parts, escaped as the macro escapes them.

A skeleton is keyed by everything else the macro reads: the card's fields (listed in
CARD_FIELDS; a field not listed stops the skeleton, so a template change cannot be kept
wrongly: that card is rendered fresh and an error is logged), the discrete states that steer
its branches (open now, farther than asked, added to the list, checked recently), the heading
level and the language. A kept skeleton therefore
holds nothing a request brought: no words asked for, no place, no referral list. The skeletons
are kept on the data version's snapshot (dropped with it), at most CARDS_KEPT of them.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import Flask, current_app
from markupsafe import Markup, escape

from directory.core import translation
from directory.core.bounded import BoundedCache

if TYPE_CHECKING:
    from directory.web.state import Snapshot

log = logging.getLogger(__name__)

CARDS_KEPT = 4096  # skeletons per worker and version: about 2 KB each
MARK = "\x00"  # never in a listing's text (a skeleton holding one is not kept)
# What the macro reads of a result; the moment's fields are HOLES or STATES below.
CARD_FIELDS = (
    "id", "url", "name", "name_lang", "attendance", "attendance_label", "category_label",
    "fellowship", "area", "approximate", "phone", "directions_url", "online_url", "online_phone",
    "beyond_radius",
)  # fmt: skip
WHEN_FIELDS = ("state", "zone")  # of r.when; its text is a hole
CHECKED_FIELDS = ("text", "stale")  # of r.checked: the same all day


class Hole(str):
    """A marker the macro prints where a request's own text goes."""

    def __new__(cls, name: str):
        return super().__new__(cls, MARK + name + MARK)


def one_decimal(value) -> str:
    """Format miles with one decimal ("2.4"); a hole stays a hole (the `one_decimal` filter)."""
    return value if isinstance(value, Hole) else f"{value:.1f}"


class Strict(dict):
    """A result's fields for a skeleton: reading one the key does not cover is an error."""

    def __init__(self, values: dict, allowed: tuple[str, ...]):
        super().__init__(values)
        self.allowed = allowed

    def __getitem__(self, name):
        if name not in self.allowed:
            raise RuntimeError(f"the card macro reads {name!r}: add it to CARD_FIELDS or a hole")
        return super().__getitem__(name)

    def __getattr__(self, name):
        if name in self.allowed or name.startswith("__"):
            raise AttributeError(name)  # Jinja then reads the item
        return self[name]


MISSING = ("missing",)  # a field the result does not have (the macro reads it as undefined)
# Each hole: the field it stands for, and how the macro prints it.
HOLES = {
    "when_text": ("when", "text"),
    "miles": (None, "distance_miles"),
    "snippet_html": (None, "snippet_html"),
    "snippet_lang": (None, "snippet_lang"),
}


def _moment(r: dict) -> dict[str, object]:
    """Return the request's own values by hole name (MISSING when the result has no such field)."""
    when = r.get("when") or {}
    return {
        name: (when if outer else r).get(field, MISSING) for name, (outer, field) in HOLES.items()
    }


def _present(value) -> bool:
    """True when a value is worth a hole (absent or empty values render as they are)."""
    return value is not MISSING and value is not None and value != "" and value is not False


def _fill(name: str, r: dict, pins: dict) -> str:
    """Return a hole's text, escaped as the macro escapes it."""
    if name == "when_text":
        return escape(r["when"]["text"])
    if name == "miles":
        return escape(f"{r['distance_miles']:.1f}")
    if name == "snippet_html":
        return str(r["snippet_html"])  # `|safe`: the snippet escapes the listing's text itself
    if name == "snippet_lang":
        return escape(r["snippet_lang"])
    return escape(pins[r["id"]])  # "pin"


class KeptCards:
    """The card skeletons of one data version."""

    def __init__(self, max_entries: int = CARDS_KEPT):
        self.skeletons: BoundedCache[tuple] = BoundedCache(max_entries)

    def card(self, macro, language: str, r: dict, heading: str, referral_ids, pins=None) -> Markup:
        """Return the card `macro(r, heading, referral_ids, pins)` renders, from a skeleton."""
        pins = pins or {}
        pinned = r.get("id") in pins
        added = r.get("id") in referral_ids
        moment = _moment(r)
        holes = {name for name, value in moment.items() if _present(value)}
        if pinned:
            holes.add("pin")
        when, checked = r.get("when", MISSING), r.get("checked", MISSING)
        key = (
            language,
            heading,
            pinned,
            added,
            tuple(r.get(f, MISSING) for f in CARD_FIELDS),
            when if when is MISSING else tuple(when.get(f, MISSING) for f in WHEN_FIELDS),
            checked if checked is MISSING else tuple(checked.get(f) for f in CHECKED_FIELDS),
            tuple(True if name in holes else value for name, value in moment.items()),
        )
        try:
            hash(key)
        except TypeError:  # a field that is not plain text: render it as it is
            return macro(r, heading, referral_ids, pins)
        skeleton = self.skeletons.get(key, lambda: _skeleton(macro, r, heading, added, holes))
        if not skeleton:  # the listing's own text holds the marker: rendered as it is
            return macro(r, heading, referral_ids, pins)
        parts = [skeleton[0]]
        for i in range(1, len(skeleton), 2):
            parts.append(_fill(skeleton[i], r, pins))
            parts.append(skeleton[i + 1])
        return Markup("".join(parts))


def _skeleton(macro, r: dict, heading: str, added: bool, holes: set[str]) -> tuple[str, ...]:
    """Render the card with markers for its holes; return its pieces (text, hole, text, ...)."""
    fields = {f: r[f] for f in CARD_FIELDS if f in r}
    for outer, allowed in (("when", (*WHEN_FIELDS, "text")), ("checked", CHECKED_FIELDS)):
        if outer in r:
            fields[outer] = Strict({f: r[outer][f] for f in allowed if f in r[outer]}, allowed)
    if any(MARK in str(v) for v in [*fields.values(), *fields.get("when", {}).values(),
                                    *fields.get("checked", {}).values()]):  # fmt: skip
        return ()
    for name, (outer, field) in HOLES.items():
        target = fields[outer] if outer else fields
        if name in holes:
            dict.__setitem__(target, field, Hole(name))
        elif not outer and field in r:
            fields[field] = r[field]
    marked = Strict(fields, (*CARD_FIELDS, "when", "checked",
                             *(f for outer, f in HOLES.values() if not outer)))  # fmt: skip
    pins = {r["id"]: Hole("pin")} if "pin" in holes else {}
    try:
        pieces = tuple(str(macro(marked, heading, {r["id"]} if added else (), pins)).split(MARK))
    except RuntimeError as exc:  # the macro reads a field the key does not cover
        # Never a wrong card, never a failed page: this one is rendered fresh every time (the
        # empty skeleton is kept, so this is logged once per card). Names a field, no request.
        log.error("result card not kept: %s", exc)
        return ()
    if len(pieces) % 2 == 0 or not set(pieces[1::2]) <= holes:
        return ()
    return pieces


def card_renderer(snapshot: Snapshot) -> Callable[..., Markup]:
    """Return what renders a result card in templates: kept skeletons, or the macro itself."""
    macro = current_app.jinja_env.get_template("_card.html").module.card
    if not current_app.config["KEEP_RESULT_CARDS"]:
        return macro
    return functools.partial(snapshot.cards.card, macro, translation.code())


def init_app(app: Flask) -> None:
    app.add_template_filter(one_decimal)
