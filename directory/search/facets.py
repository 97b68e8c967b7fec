"""The filters of a search, each declared once, and the directory's words they use.

A `Facet` says everything about one filter: its query-string key, its title in the filter
panel, how a resource's values are read, whether its values are a closed vocabulary, how long a
value may be, and how values typed in a query string are read. From `FACETS` come the index
table's columns (`table.py`), the argument schema of pages and API and so the OpenAPI document
(`arguments.py`), the facet counts of a search, the filter panel, and the API's vocabularies.
Labels come from `core.vocabulary.label`, under the facet's key.

Adding a filter: its words (if new) in core/vocabulary.py, one `Facet` here, and a test.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from directory.core import vocabulary
from directory.core.model import Catalog, Resource
from directory.core.schedule import DAY_LABELS, DAYS, TIME_OF_DAY
from directory.core.translation import N_, _

NO_MATCH = "none"  # a selected value that names nothing: keeps the filter on, matching nothing


def _attendance(r: Resource) -> tuple[str, ...]:
    # A hybrid meeting can be attended either way, so it answers both filters as well.
    attendance = r.attendance
    return ("hybrid", "in_person", "online") if attendance == "hybrid" else (attendance,)


def _day(values: Sequence[str]) -> tuple[str, ...]:
    days = tuple(dict.fromkeys(v.lower()[:3] for v in values))
    return tuple(d for d in days if d in DAYS) or ((NO_MATCH,) if days else ())


def _bucket(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(v for v in values if v in TIME_OF_DAY) or ((NO_MATCH,) if values else ())


@dataclass(frozen=True)
class Facet:
    key: str  # the query-string key, the index column and the label kind
    title: str  # its heading in the filter panel
    # A resource's values; None for the schedule facets (day, time of day), read from windows.
    values_of: Callable[[Resource], Sequence[str]] | None
    choices: tuple[str, ...] | None = None  # a closed vocabulary: other values are refused
    max_length: int = 60  # of one value in a query string
    normalize: Callable[[Sequence[str]], tuple[str, ...]] | None = None  # typed -> indexed

    @property
    def from_schedule(self) -> bool:
        return self.values_of is None

    def label(self, value: str) -> str:
        return vocabulary.label(self.key, value)

    def read(self, values: Sequence[str]) -> tuple[str, ...]:
        """Return the values to filter by, as a request gave them (deduplicated, in order)."""
        given = tuple(dict.fromkeys(str(v) for v in values if v is not None and str(v) != ""))
        return self.normalize(given) if self.normalize else given

    @property
    def description(self) -> str:
        return f"Filter by {self.title.lower()}; repeat for several (any of them)."


FACETS: tuple[Facet, ...] = (
    Facet("category", N_("What"), lambda r: (r.category,), tuple(vocabulary.CATEGORIES)),
    Facet(
        "dimension", N_("Part of recovery"), lambda r: r.dimensions, tuple(vocabulary.DIMENSIONS)
    ),
    Facet("fellowship", N_("Fellowship"), lambda r: (r.fellowship,) if r.fellowship else ()),
    # Codes mean different things in different fellowships, so a value is "<fellowship>:<code>".
    Facet(
        "type",
        N_("Meeting type"),
        lambda r: tuple(f"{r.fellowship or ''}:{code}" for code in r.types),
        max_length=60,
    ),
    Facet("attendance", N_("How to attend"), _attendance, tuple(vocabulary.ATTENDANCE)),
    Facet("day", N_("Day"), None, DAYS, normalize=_day),
    Facet("time_of_day", N_("Time of day"), None, tuple(TIME_OF_DAY), normalize=_bucket),
    Facet("language", N_("Language"), lambda r: r.languages, max_length=2),
    Facet("medication", N_("Medication"), lambda r: r.medications, tuple(vocabulary.MEDICATIONS)),
    Facet("service", N_("Services"), lambda r: r.services),
    Facet("payment", N_("Payment"), lambda r: r.payment, tuple(vocabulary.PAYMENT)),
    Facet("population", N_("Who it is for"), lambda r: r.populations),
    Facet("accessibility", N_("Accessibility"), lambda r: r.accessibility),
    Facet(
        "region",
        N_("Area"),
        lambda r: (r.location.region,) if r.location and r.location.region else (),
        max_length=100,
    ),
    Facet(
        "town",
        N_("Town"),
        lambda r: (r.location.city,) if r.location and r.location.city else (),
        max_length=100,
    ),  # fmt: skip
)
BY_KEY: dict[str, Facet] = {f.key: f for f in FACETS}
FACET_KEYS: tuple[str, ...] = tuple(BY_KEY)
VALUE_FACETS: tuple[Facet, ...] = tuple(f for f in FACETS if not f.from_schedule)


def read_filters(filters) -> dict[str, tuple[str, ...]]:
    """Return {facet: values} for a search; an unknown facet raises ValueError."""
    out: dict[str, tuple[str, ...]] = {}
    for key, values in (filters or {}).items():
        facet = BY_KEY.get(key)
        if facet is None:
            raise ValueError(f"unknown filter {key!r}; use one of {', '.join(FACET_KEYS)}")
        cleaned = facet.read((values,) if isinstance(values, str) else values)
        if cleaned:
            out[key] = cleaned
    return out


PANEL_VALUES = 24  # the most common values of a facet the panel offers (selected ones always)


def _by_code(pairs: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Fold "<fellowship>:<code>" meeting types into one value per code ("W": every W)."""
    folded: dict[str, int] = {}
    for value, count in pairs:
        code = value.rpartition(":")[2]
        folded[code] = folded.get(code, 0) + count
    return sorted(folded.items(), key=lambda p: (-p[1], p[0]))


def panel(counts: dict[str, list[tuple[str, int]]], filters: dict) -> dict[str, dict]:
    """Return each facet's title and values (label, count, selected), in the panel's order.

    With no fellowship chosen, meeting types are offered by code across fellowships; each facet
    offers its PANEL_VALUES most common values, and every selected one.
    """
    out = {}
    for facet in FACETS:
        selected = set(filters.get(facet.key, ()))
        pairs = list(counts.get(facet.key, ()))
        if facet.key == "type" and not filters.get("fellowship"):
            pairs = _by_code(pairs)
            selected = {v.rpartition(":")[2] for v in selected}
        pairs = [p for i, p in enumerate(pairs) if i < PANEL_VALUES or p[0] in selected]
        out[facet.key] = {
            "title": _(facet.title),
            "values": [
                {
                    "value": value,
                    "label": facet.label(value),
                    "count": count,
                    "selected": value in selected,
                }
                for value, count in pairs
            ],
        }
    return out


def vocabularies(catalog: Catalog) -> dict[str, Any]:
    """Return every code the directory uses with its plain name, for filters and documentation."""
    active = catalog.active()
    in_use = {r.fellowship for r in active if r.is_meeting and r.fellowship}
    fellowships = list(vocabulary.KNOWN_FELLOWSHIPS) + sorted(
        in_use - set(vocabulary.KNOWN_FELLOWSHIPS)
    )
    languages = sorted({code for r in active for code in r.languages})
    regions = sorted({r.location.region for r in active if r.location and r.location.region})

    def pairs(key: str) -> list[dict[str, str]]:
        facet = BY_KEY[key]
        return [{"code": code, "name": facet.label(code)} for code in facet.choices or ()]

    def labelled(key: str, codes) -> list[dict[str, str]]:
        return [{"code": code, "name": vocabulary.label(key, code)} for code in codes]

    return {
        "categories": [
            {"code": code, "name": label, "dimension": dimension}
            for code, (label, dimension) in vocabulary.CATEGORIES.items()
        ],
        "dimensions": [
            {"code": code, "name": name, "description": vocabulary.DIMENSION_DESCRIPTIONS[code]}
            for code, name in vocabulary.DIMENSIONS.items()
        ],
        "fellowships": [
            {"code": f, "name": vocabulary.fellowship_name(f), "in_use": f in in_use}
            for f in fellowships
        ],
        "meeting_types": [
            {
                "fellowship": fellowship,
                "types": [
                    {
                        "code": code,
                        "name": vocabulary.type_name(fellowship, code),
                        "explanation": vocabulary.type_explanation(fellowship, code),
                    }
                    for code in sorted(vocabulary.known_types(fellowship))
                ],
            }
            for fellowship in [None, *fellowships]
        ],
        "attendance": pairs("attendance"),
        "services": labelled("service", vocabulary.SERVICES),
        "payment": pairs("payment"),
        "populations": labelled("population", vocabulary.POPULATIONS),
        "accessibility": labelled("accessibility", vocabulary.ACCESSIBILITY),
        "medications": [
            {
                "code": code,
                "name": vocabulary.label("medication", code),
                "explanation": vocabulary.MEDICATION_EXPLANATIONS.get(code),
            }
            for code in vocabulary.MEDICATIONS
        ],
        "days": [{"code": code, "name": DAY_LABELS[i]} for i, code in enumerate(DAYS)],
        "time_of_day": pairs("time_of_day"),
        "languages": labelled("language", languages),
        "regions": regions,
    }
