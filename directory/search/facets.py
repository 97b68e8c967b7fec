"""The filters of a search, declared once, and the directory's words they use."""

from __future__ import annotations

from typing import Any

from directory.core import vocabulary
from directory.core.model import Catalog
from directory.core.schedule import DAY_LABELS, DAYS


def vocabularies(catalog: Catalog) -> dict[str, Any]:
    """Return every code the directory uses with its plain name, for filters and documentation."""
    active = catalog.active()
    in_use = {r.fellowship for r in active if r.is_meeting and r.fellowship}
    fellowships = list(vocabulary.KNOWN_FELLOWSHIPS) + sorted(
        in_use - set(vocabulary.KNOWN_FELLOWSHIPS)
    )
    languages = sorted({code for r in active for code in r.languages})
    regions = sorted({r.location.region for r in active if r.location and r.location.region})

    def pairs(table: dict[str, str]) -> list[dict[str, str]]:
        return [{"code": code, "name": name} for code, name in table.items()]

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
        "attendance": pairs(vocabulary.ATTENDANCE),
        "services": pairs(vocabulary.SERVICES),
        "payment": pairs(vocabulary.PAYMENT),
        "populations": pairs(vocabulary.POPULATIONS),
        "accessibility": pairs(vocabulary.ACCESSIBILITY),
        "medications": [
            {
                "code": code,
                "name": name,
                "explanation": vocabulary.MEDICATION_EXPLANATIONS.get(code),
            }
            for code, name in vocabulary.MEDICATIONS.items()
        ],
        "days": [{"code": code, "name": DAY_LABELS[i]} for i, code in enumerate(DAYS)],
        "time_of_day": pairs(vocabulary.TIME_OF_DAY),
        "languages": [{"code": c, "name": vocabulary.language_name(c)} for c in languages],
        "regions": regions,
    }
