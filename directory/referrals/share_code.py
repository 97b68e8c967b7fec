"""Short share codes: which listings are on a list, in a few characters each, and nothing else.

A share address must be short enough to type from paper, and must carry nothing about the
person. Each resource id is hashed (BLAKE2b, unsalted, so every server and every restart agrees)
and written in Crockford's base 32; a resource's code is the shortest prefix of its hash, at
least MIN_LENGTH characters, that no other resource in the data shares. Codes are joined with
dashes, in the list's order: `k3m9-x2p8-q1za`.

A code stays readable while the data changes: it is looked up as a prefix, so a resource keeps
its code when others are added, unless a new resource happens to share that prefix (about one
chance in a million per new resource for a 4-character code); then the code reads as "could not
be read" rather than as the wrong listing. Like the resource ids it replaces, a code is not
secret: anyone with the public data can tell which listings it names.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Iterable

from directory.core.model import Catalog

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base 32: no i, l, o or u
MIN_LENGTH = 4  # 20 bits: unique for all but about one in a hundred of 10,000 resources
HASH_LENGTH = 12  # 60 bits: longer codes than this are never needed
SEPARATOR = "-"
MAX_TEXT = 1000  # longer share codes are not read at all
# What people may type instead: capitals, and the letters Crockford's alphabet leaves out.
_TYPED = str.maketrans("ilo", "110")


def resource_hash(resource_id: str) -> str:
    """Return the base-32 hash a resource's codes are prefixes of."""
    number = int.from_bytes(hashlib.blake2b(resource_id.encode(), digest_size=8).digest(), "big")
    digits = []
    for _ in range(HASH_LENGTH):
        number, digit = divmod(number, 32)
        digits.append(ALPHABET[digit])
    return "".join(digits)


class ShareCodes:
    """The codes of every resource in one version of the data, both ways."""

    def __init__(self, resource_ids: Iterable[str]):
        pairs = sorted((resource_hash(rid), rid) for rid in dict.fromkeys(resource_ids))
        self._hashes = [h for h, _ in pairs]
        self._ids = [rid for _, rid in pairs]
        self._codes: dict[str, str] = {}
        for n, (hashed, rid) in enumerate(pairs):
            shared = max(
                _common(hashed, pairs[n - 1][0]) if n > 0 else 0,
                _common(hashed, pairs[n + 1][0]) if n + 1 < len(pairs) else 0,
            )
            self._codes[rid] = hashed[: max(MIN_LENGTH, shared + 1)]

    def code(self, resource_ids: Iterable[str]) -> str:
        """Return the share code of resource_ids (ids not in the data are left out)."""
        return SEPARATOR.join(self._codes[rid] for rid in resource_ids if rid in self._codes)

    def resource_ids(self, text: object, limit: int) -> tuple[list[str], int]:
        """Return the ids a share code names, in order and without repeats (at most limit),
        and how many parts could not be read (unknown, ambiguous, malformed or over the limit)."""
        if not isinstance(text, str) or len(text) > MAX_TEXT:
            return [], 1 if text else 0
        ids: list[str] = []
        unread = 0
        for part in text.split(SEPARATOR):
            typed = part.strip().lower().translate(_TYPED)
            if not typed:
                continue
            found = self._lookup(typed)
            if found in ids:
                continue
            if found is None or len(ids) >= limit:
                unread += 1
            else:
                ids.append(found)
        return ids, unread

    def _lookup(self, prefix: str) -> str | None:
        if not MIN_LENGTH <= len(prefix) <= HASH_LENGTH or prefix.strip(ALPHABET):
            return None
        n = bisect_left(self._hashes, prefix)
        if n == len(self._hashes) or not self._hashes[n].startswith(prefix):
            return None
        if n + 1 < len(self._hashes) and self._hashes[n + 1].startswith(prefix):
            return None  # two resources share it: better unread than the wrong listing
        return self._ids[n]


def _common(a: str, b: str) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return n


# The codes for each version of the data are built once: hashing 100,000 ids takes a tenth of a
# second. Keyed by the catalog's fingerprint (its content), the last two versions only.
_BUILT: dict[str, ShareCodes] = {}


def share_codes(catalog: Catalog) -> ShareCodes:
    """Return the share codes of every resource in catalog, inactive ones included (a link to
    one then says it is no longer in the directory)."""
    codes = _BUILT.get(catalog.fingerprint)
    if codes is None:
        codes = ShareCodes(r.id for r in catalog.resources)
        _BUILT[catalog.fingerprint] = codes
        while len(_BUILT) > 2:
            _BUILT.pop(next(iter(_BUILT)), None)
    return codes
