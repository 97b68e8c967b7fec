"""Derive a generation's table from the previous generation's when few resources changed.

Walking every resource for the table costs about 60 µs each (6 s at 100,000), most of a
one-entry change. A resource equal to the one the previous table was made from (all but its
line in the file, which no column reads) has the same row, so its row is taken from the
previous table's arrays, and only the other resources are walked (table.walk_resources). The
rows are then put together in the new document order exactly as a walk would number them:
time zones in order of first use, facet values sorted, each value's documents ascending. The
result equals the walked table array for array (tests/search/test_table_update.py compares).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from directory.core.model import Resource
from directory.search.table import FacetColumn, TableColumns, facet_column, walk_resources

_PER_DOCUMENT = ("lat", "lon", "online_only", "remote", "closed", "cells", "verified")
_ROW_FIELDS = tuple(f.name for f in dataclasses.fields(Resource) if f.name != "line")


def same_row(old: Resource, new: Resource) -> bool:
    """Return True when two resources give the same table row (equal but for their line)."""
    if old is new:
        return True
    return all(getattr(old, name) == getattr(new, name) for name in _ROW_FIELDS)


def derive_columns(
    old: TableColumns, old_resources: Sequence[Resource], resources: Sequence[Resource]
) -> TableColumns:
    """Return the columns of `resources` (in document order), reusing `old`'s unchanged rows.

    `old` must be the table of `old_resources`, in that order.
    """
    if old.n != len(old_resources):
        raise ValueError("the previous table is not that of the previous resources")
    n = len(resources)
    position = {r.id: p for p, r in enumerate(old_resources)}
    source = np.full(n, -1, dtype=np.int64)
    fresh_docs: list[int] = []
    for doc, resource in enumerate(resources):
        p = position.get(resource.id)
        if p is not None and same_row(old_resources[p], resource):
            source[doc] = p
        else:
            fresh_docs.append(doc)
    fresh = walk_resources([resources[d] for d in fresh_docs])
    kept = np.flatnonzero(source >= 0)
    src = source[kept]
    new_at = np.asarray(fresh_docs, dtype=np.int64)

    arrays: dict[str, np.ndarray] = {}
    for name in _PER_DOCUMENT:
        out = np.empty(n, dtype=old.arrays[name].dtype)
        out[kept] = old.arrays[name][src]
        out[new_at] = fresh.arrays[name]
        arrays[name] = out

    # Time zones, numbered as a walk numbers them: in order of first use.
    names = list(old.zones) + [z for z in fresh.zones if z not in old.zones]
    fresh_code = np.asarray([names.index(z) for z in fresh.zones] or [0], dtype=np.int64)
    codes = np.full(n, -1, dtype=np.int64)
    codes[kept] = old.arrays["doc_zone"][src]
    fresh_zone = fresh.arrays["doc_zone"].astype(np.int64)
    codes[new_at] = np.where(fresh_zone >= 0, fresh_code[np.maximum(fresh_zone, 0)], -1)
    used = np.flatnonzero(codes >= 0)
    unique, first = np.unique(codes[used], return_index=True)
    in_order = unique[np.argsort(first, kind="stable")]
    renumber = np.full(max(len(names), 1), -1, dtype=np.int64)
    renumber[in_order] = np.arange(len(in_order))
    arrays["doc_zone"] = np.where(codes >= 0, renumber[np.maximum(codes, 0)], -1).astype(np.int32)
    zones = tuple(names[c] for c in in_order.tolist())

    # Weekly windows: each document's run of windows, from the old table or the fresh walk.
    old_win = old.arrays["win_doc"]
    fresh_win = fresh.arrays["win_doc"]
    starts = np.zeros(n, dtype=np.int64)
    ends = np.zeros(n, dtype=np.int64)
    starts[kept] = np.searchsorted(old_win, src, "left")
    ends[kept] = np.searchsorted(old_win, src, "right")
    fresh_numbers = np.arange(len(fresh_docs))
    offset = len(old_win)
    starts[new_at] = offset + np.searchsorted(fresh_win, fresh_numbers, "left")
    ends[new_at] = offset + np.searchsorted(fresh_win, fresh_numbers, "right")
    take, owner = _runs(starts, ends)
    pool_zone = np.concatenate(
        [old.arrays["win_zone"], fresh_code[fresh.arrays["win_zone"]]]
    ).astype(np.int64)
    arrays["win_doc"] = owner.astype(np.int32)
    for name in ("win_start", "win_end"):
        arrays[name] = np.concatenate([old.arrays[name], fresh.arrays[name]])[take]
    arrays["win_zone"] = renumber[pool_zone[take]].astype(np.int32)

    casefolded = np.asarray([r.name.casefold() for r in resources])
    name_rank = np.empty(n, dtype=np.int32)
    name_rank[np.argsort(casefolded, kind="stable")] = np.arange(n, dtype=np.int32)
    arrays["name_rank"] = name_rank

    def column(before: FacetColumn, now: FacetColumn) -> FacetColumn:
        return _merged_column(before, now, kept, src, new_at, n)

    facets = {key: column(old.facets[key], fresh.facets[key]) for key in fresh.facets}
    return TableColumns(n, arrays, zones, column(old.areas, fresh.areas), facets)


def _runs(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the positions of every [start, end) run in turn, and the run number of each."""
    lengths = ends - starts
    total = int(lengths.sum())
    owner = np.repeat(np.arange(len(starts)), lengths)
    first_out = np.cumsum(lengths) - lengths
    take = np.arange(total, dtype=np.int64) + np.repeat(starts - first_out, lengths)
    return take, owner


def _merged_column(
    old: FacetColumn,
    fresh: FacetColumn,
    kept: np.ndarray,
    src: np.ndarray,
    new_at: np.ndarray,
    n: int,
) -> FacetColumn:
    """Return the new documents' column: old rows for `kept`, the fresh walk's for the others."""
    names = sorted(set(old.values) | set(fresh.values))
    number = {v: i for i, v in enumerate(names)}
    old_code = np.asarray([number[v] for v in old.values] or [0], dtype=np.int64)
    fresh_code = np.asarray([number[v] for v in fresh.values] or [0], dtype=np.int64)
    starts = np.zeros(n, dtype=np.int64)
    ends = np.zeros(n, dtype=np.int64)
    starts[kept] = old.by_doc_start[src]
    ends[kept] = old.by_doc_start[src + 1]
    offset = len(old.by_doc_values)
    starts[new_at] = offset + fresh.by_doc_start[:-1]
    ends[new_at] = offset + fresh.by_doc_start[1:]
    pool = np.concatenate([old_code[old.by_doc_values], fresh_code[fresh.by_doc_values]]).astype(
        np.int64
    )
    take, docs = _runs(starts, ends)
    values = pool[take]
    used = np.unique(values)  # a value no document keeps is gone, as in a walk
    compact = np.zeros(len(names) or 1, dtype=np.int64)
    compact[used] = np.arange(len(used))
    values = compact[values]
    by_value = np.lexsort((docs, values))
    pair_docs = docs[by_value].astype(np.int32)
    pair_values = values[by_value].astype(np.int32)
    by_doc_start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(pair_docs, minlength=n), out=by_doc_start[1:])
    by_doc_values = pair_values[np.argsort(pair_docs, kind="stable")]
    kept_names = [names[i] for i in used.tolist()]
    return facet_column(kept_names, pair_docs, pair_values, by_doc_start, by_doc_values)
