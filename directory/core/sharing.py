"""One object for each distinct immutable value, so a large catalog holds each value once.

A national directory repeats the same few values (a category, a time zone, a state, a weekly
window, a list of meeting type codes) a hundred thousand times; each read from the file is a
new object. Sharing them makes the catalog smaller in memory, and its pickle (the catalog
cache) quicker to read back: pickle writes a shared object once and refers to it after.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TypeVar

T = TypeVar("T")

SHARED_VALUES = 1 << 17  # distinct values kept; beyond, the least recently seen are forgotten


@lru_cache(maxsize=SHARED_VALUES, typed=True)  # typed: True and 1 are equal but not the same
def shared(value: T) -> T:
    """Return the first value seen equal to `value` (of the same type), or `value` itself."""
    return value


def shared_or_none(value: T | None) -> T | None:
    """Return `shared(value)` for a hashable value, else the value as it is."""
    if value is None:
        return None
    try:
        return shared(value)
    except TypeError:  # unhashable (a list from a hand-made Resource): kept as given
        return value


def share_fields(obj: object, names: tuple[str, ...]) -> None:
    """Set each named attribute of `obj` to `shared_or_none` of itself (frozen dataclasses too).

    Written into the instance's own `__dict__`, as `object.__setattr__` would, without a call
    per field: a Resource shares 17 of them, and this ran for each of 100,000.
    """
    values = obj.__dict__
    for name in names:
        value = values[name]
        if value is not None:
            try:
                values[name] = shared(value)
            except TypeError:  # unhashable (a list from a hand-made Resource): kept as given
                pass
