"""A bounded, thread-safe map for values worked out once per data version.

Result cards and result summaries are kept with the version they were made from (the owner is
dropped with it) and never grow past `max_entries`: the oldest entry goes first. First in, first
out rather than least recently used: a lookup takes no lock and moves nothing, and an entry
dropped while still in use costs one rebuild.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class BoundedCache(Generic[V]):
    """Values by key, at most `max_entries` of them; `builds` counts the misses."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._values: dict[Hashable, V] = {}
        self._lock = threading.Lock()
        self.builds = 0

    def get(self, key: Hashable, build: Callable[[], V]) -> V:
        """Return the value for `key`, made with `build()` when it is not kept."""
        found = self._values.get(key)  # one dict lookup: atomic, no lock needed
        if found is not None:
            return found
        value = build()  # two threads may both build: the same value, the last one kept
        with self._lock:
            self.builds += 1
            self._values[key] = value
            while len(self._values) > self.max_entries:
                del self._values[next(iter(self._values))]
        return value

    def values(self) -> list[V]:
        return list(self._values.values())

    def __len__(self) -> int:
        return len(self._values)
