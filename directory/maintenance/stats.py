"""Counts of a catalog by category, dimension, fellowship, attendance and verification age."""

from __future__ import annotations

from collections import Counter
from datetime import date

from directory.core.model import Catalog


def catalog_stats(catalog: Catalog, today: date) -> dict[str, dict[str, int]]:
    """Return the counts `stats` prints, as plain dictionaries."""
    active = catalog.active()
    meetings = [r for r in active if r.is_meeting]
    by_age: Counter = Counter()
    for resource in active:
        if resource.last_verified is None:
            by_age["never verified"] += 1
            continue
        days = (today - resource.last_verified).days
        bucket = next(
            label
            for limit, label in (
                (90, "within 90 days"),
                (180, "91-180 days ago"),
                (365, "181-365 days ago"),
                (10**9, "more than a year ago"),
            )
            if days <= limit
        )
        by_age[bucket] += 1
    return {
        "Resources": {
            "in the file": len(catalog.resources),
            "active": sum(r.status == "active" for r in catalog.resources),
            "temporarily closed": sum(r.status == "temporarily-closed" for r in catalog.resources),
            "inactive (hidden)": sum(r.status == "inactive" for r in catalog.resources),
            "missing coordinates": sum(r.point is None and r.location is not None for r in active),
        },
        "By category": dict(Counter(r.category for r in active).most_common()),
        "By dimension": dict(Counter(d for r in active for d in r.dimensions).most_common()),
        "Meetings by fellowship": dict(Counter(r.fellowship for r in meetings).most_common()),
        "By attendance": dict(Counter(r.attendance for r in active).most_common()),
        "Last verified": dict(by_age.most_common()),
    }
