"""Per-generation columns of the indexed resources, aligned with Whoosh document numbers.

Filters, facets, distances and time questions are answered here with numpy over every document
at once; Whoosh only supplies the text matches. A table is built once per index generation from
the catalog's Resource objects, stored with the generation (stored_table.py) and read back by
every process that opens it; it is never modified, so threads (and forked workers) share it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from directory.core.geo import bounding_box, haversine_miles_array
from directory.core.model import Resource
from directory.core.places import area_key
from directory.core.schedule import (
    DAYS,
    MINUTES_PER_DAY,
    MINUTES_PER_WEEK,
    TIME_OF_DAY,
    Occurrence,
    time_of_day,
)
from directory.search.facets import VALUE_FACETS

NO_TIME = 1e8  # the schedule place of what has no time to go to: after any real one
STARTED_GRACE_MINUTES = 10  # a meeting that began this recently still counts as "starting"
STEADY_DAYS_AHEAD = 29  # next occurrences of a weekly window lie within four weeks
DST_SLACK_MINUTES = 90.0  # how far a clock change can move a window against the wall clock
BUCKETS: tuple[str, ...] = tuple(TIME_OF_DAY)  # morning, midday, evening, night


@dataclass(frozen=True)
class FacetColumn:
    """One facet as sparse (document, value) pairs, with each value's documents."""

    values: tuple[str, ...]
    index: dict[str, int]
    pair_docs: np.ndarray  # int32, one entry per (document, value) pair
    pair_values: np.ndarray  # int32
    docs_of: tuple[np.ndarray, ...]  # value number -> int32 document numbers

    def mask(self, selected: Iterable[str], n: int) -> np.ndarray:
        """Return the documents having any of the selected values."""
        out = np.zeros(n, dtype=bool)
        for value in selected:
            i = self.index.get(value)
            if i is not None:
                out[self.docs_of[i]] = True
        return out

    by_doc_start: np.ndarray  # int64, n + 1: the values of document d are
    by_doc_values: np.ndarray  # by_doc_values[by_doc_start[d]:by_doc_start[d + 1]]

    def counts(self, candidates: np.ndarray, docs: np.ndarray | None = None) -> np.ndarray:
        """Return how many candidate documents have each value (docs: the candidates' numbers)."""
        if docs is not None and len(docs) * 8 < len(candidates):
            # Few candidates: gather their own values rather than test every pair.
            first = self.by_doc_start[docs]
            lengths = self.by_doc_start[docs + 1] - first
            total = int(lengths.sum())
            if not total:
                return np.zeros(len(self.values), dtype=np.int64)
            offsets = np.repeat(first - np.cumsum(lengths) + lengths, lengths)
            chosen = self.by_doc_values[np.arange(total) + offsets]
        else:
            chosen = self.pair_values[candidates[self.pair_docs]]
        return np.bincount(chosen, minlength=len(self.values))


def _column(docs_by_value: dict[str, list[int]], n: int) -> FacetColumn:
    values = tuple(sorted(docs_by_value))
    docs_of = tuple(np.asarray(docs_by_value[v], dtype=np.int32) for v in values)
    pair_docs = np.concatenate(docs_of) if docs_of else np.zeros(0, dtype=np.int32)
    pair_values = np.repeat(
        np.arange(len(values), dtype=np.int32), [len(d) for d in docs_of]
    ).astype(np.int32)
    order = np.argsort(pair_docs, kind="stable")
    by_doc_start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(pair_docs, minlength=n), out=by_doc_start[1:])
    return FacetColumn(
        values,
        {v: i for i, v in enumerate(values)},
        pair_docs,
        pair_values,
        docs_of,
        by_doc_start,
        pair_values[order],
    )


def facet_column(
    values: Sequence[str],
    pair_docs: np.ndarray,
    pair_values: np.ndarray,
    by_doc_start: np.ndarray,
    by_doc_values: np.ndarray,
) -> FacetColumn:
    """Return a column from its arrays (as stored): each value's documents are views."""
    counts = np.bincount(pair_values, minlength=len(values)) if len(pair_values) else None
    ends = np.cumsum(counts) if counts is not None else np.zeros(len(values), dtype=np.int64)
    starts = ends - (counts if counts is not None else 0)
    docs_of = tuple(pair_docs[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True))
    return FacetColumn(
        tuple(values),
        {v: i for i, v in enumerate(values)},
        pair_docs,
        pair_values,
        docs_of,
        by_doc_start,
        by_doc_values,
    )


def _bucket_bits() -> tuple[int, ...]:
    """Return, per minute of the day, the bit of its time-of-day bucket."""
    return tuple(1 << BUCKETS.index(time_of_day(minute)) for minute in range(MINUTES_PER_DAY))


def cell_bit(day: int, bucket: int) -> int:
    """Return the bit of a (day, time of day) cell in a schedule mask."""
    return 1 << (day * len(BUCKETS) + bucket)


# The per-document arrays of a table (all but `areas` and `facets`), by attribute name.
COLUMNS: tuple[str, ...] = (
    "lat", "lon", "online_only", "remote", "closed", "cells", "doc_zone", "win_doc", "win_start",
    "win_end", "win_zone", "verified", "name_rank",
)  # fmt: skip


@dataclass(frozen=True)
class TableColumns:
    """What a table is made of: built by walking the resources, or read back (stored_table.py)."""

    n: int
    arrays: dict[str, np.ndarray]  # COLUMNS
    zones: tuple[str, ...]  # the time zone names doc_zone and win_zone number
    areas: FacetColumn
    facets: dict[str, FacetColumn]


class ResourceTable:
    """Columns over the documents of one index generation (document number = position)."""

    def __init__(self, resources: Sequence[Resource], columns: TableColumns | None = None):
        self.resources: tuple[Resource, ...] = tuple(resources)
        n = self.n = len(self.resources)
        if columns is None:
            columns = walk_resources(self.resources)
        if columns.n != n or set(columns.arrays) != set(COLUMNS):
            raise ValueError(f"the columns are not those of {n} documents")
        self.columns = columns
        self.all = np.ones(n, dtype=bool)
        arrays = columns.arrays
        self.lat = arrays["lat"]
        self.lon = arrays["lon"]
        self.online_only = arrays["online_only"]  # no distance to measure
        self.located = ~self.online_only
        self.remote = arrays["remote"]  # inside any radius: joined from anywhere
        self.areas = columns.areas  # town, region and sub-region names, as area keys
        # Temporarily closed with no way to join from afar: never "open now" or "starting soon".
        self.closed = arrays["closed"]
        self.facets = columns.facets
        self.cells = arrays["cells"]  # (day, time of day) cells windows start in
        self.doc_zone = arrays["doc_zone"]
        self.zones = tuple(ZoneInfo(name) for name in columns.zones)
        self.win_doc = arrays["win_doc"]
        self.win_start = arrays["win_start"]
        self.win_end = arrays["win_end"]
        self.win_zone = arrays["win_zone"]
        # Day numbers (proleptic ordinal) of each listing's last check; 0 when never checked.
        self.verified = arrays["verified"]
        # Rank by name so ties and browsing read in a stable, human order.
        self.name_rank = arrays["name_rank"]

    def _local_minutes(self, at: datetime) -> np.ndarray:
        """Return, per timezone, the wall-clock minute of the week (Sunday 00:00 = 0) at `at`."""
        out = np.empty(len(self.zones))
        for i, zone in enumerate(self.zones):
            local = at.astimezone(zone)
            day = (local.weekday() + 1) % 7  # Python counts from Monday; the week here from Sunday
            out[i] = day * MINUTES_PER_DAY + local.hour * 60 + local.minute + local.second / 60
        return out

    def _changing_zones(self, at: datetime) -> list[int]:
        """Return the timezones whose UTC offset changes within two days of `at` (DST)."""
        changing = []
        for i, zone in enumerate(self.zones):
            before = (at - timedelta(days=2)).astimezone(zone).utcoffset()
            after = (at + timedelta(days=2)).astimezone(zone).utcoffset()
            if before != after:
                changing.append(i)
        return changing

    def _windows_mask(self, at: datetime, test, exact, candidates: np.ndarray | None) -> np.ndarray:
        """Return candidate documents with a window passing `test(start, end, minute, slack)`.

        The test reads wall-clock minutes of the week, which is exact except near a DST change;
        in zones whose offset changes within two days, the windows passing with an hour of slack
        are settled by `exact(schedule)`, which reads the schedule instant by instant.
        """
        out = np.zeros(self.n, dtype=bool)
        if candidates is None:
            chosen = np.arange(len(self.win_doc))
        else:
            chosen = np.flatnonzero(candidates[self.win_doc])
        if not len(chosen):
            return out
        win_doc, win_zone = self.win_doc[chosen], self.win_zone[chosen]
        start, end = self.win_start[chosen], self.win_end[chosen]
        minute = self._local_minutes(at)[win_zone]

        def passing(slack: float) -> np.ndarray:
            hit = np.zeros(len(chosen), dtype=bool)
            for shift in (-MINUTES_PER_WEEK, 0, MINUTES_PER_WEEK):
                hit |= test(start + shift, end + shift, minute, slack)
            return hit

        out[win_doc[passing(0.0)]] = True
        changing = self._changing_zones(at)
        if changing:
            in_changing = np.isin(win_zone, changing)
            out[win_doc[in_changing]] = False
            for doc in np.unique(win_doc[in_changing & passing(DST_SLACK_MINUTES)]):
                out[doc] = exact(self.resources[doc].schedule)
        return out

    def open_at(self, at: datetime, candidates: np.ndarray | None = None) -> np.ndarray:
        """Return the (candidate) documents with an occurrence in progress at `at`."""
        return ~self.closed & self._windows_mask(
            at,
            lambda s, e, m, slack: (s - slack <= m) & (m < e + slack),
            lambda schedule: schedule.is_open(at),
            candidates,
        )

    def starting_within(
        self, at: datetime, minutes: int, candidates: np.ndarray | None = None
    ) -> np.ndarray:
        """Return (candidate) documents with an occurrence starting in [at - grace, at + N]."""
        grace = STARTED_GRACE_MINUTES
        first = at - timedelta(minutes=grace)
        last = at + timedelta(minutes=minutes, microseconds=1)
        return ~self.closed & self._windows_mask(
            at,
            lambda s, e, m, slack: (s >= m - grace - slack) & (s <= m + minutes + slack),
            lambda schedule: schedule.starts_between(first, last),
            candidates,
        )

    def schedule_answers(
        self, doc: int, at: datetime, n: int
    ) -> tuple[Occurrence | None, tuple[Occurrence, ...]]:
        """Return the occurrence in progress at `at` and the next n, as the schedule would.

        Reading the weekly windows on a steady wall clock is much quicker than asking the
        schedule; near a clock change (within the weeks the answer spans) the schedule answers.
        """
        schedule = self.resources[doc].schedule
        if schedule is None or self.closed[doc]:
            return None, ()
        clock = self._steady_clock(int(self.doc_zone[doc]), at)
        if clock is None:
            return schedule.current(at), tuple(schedule.next_occurrences(at, n))
        week_start, minute = clock
        windows = schedule.weekly_minutes()
        current = None
        for shift in (-MINUTES_PER_WEEK, 0):
            for start, end in windows:
                if start + shift <= minute < end + shift:
                    key = (end + shift, -(start + shift))
                    if current is None or key > current:
                        current = key
        upcoming = sorted(
            (start + shift, end + shift)
            for shift in range(0, MINUTES_PER_WEEK * (n + 1), MINUTES_PER_WEEK)
            for start, end in windows
            if start + shift >= minute
        )[:n]

        def occurrence(start: int, end: int) -> Occurrence:
            return Occurrence(
                week_start + timedelta(minutes=start), week_start + timedelta(minutes=end)
            )

        now = occurrence(-current[1], current[0]) if current is not None else None
        return now, tuple(occurrence(s, e) for s, e in upcoming)

    @functools.lru_cache(maxsize=1024)  # noqa: B019  # why: one table per generation, few zones
    def _steady_clock(self, zone_number: int, at: datetime) -> tuple[datetime, float] | None:
        """Return (local Sunday 00:00, minute of the week) at `at`, or None near a clock change."""
        zone = self.zones[zone_number]
        offsets = {
            (at + timedelta(days=days)).astimezone(zone).utcoffset()
            for days in (-2, 0, STEADY_DAYS_AHEAD)
        }
        if len(offsets) != 1:
            return None
        local = at.astimezone(zone)
        day = (local.weekday() + 1) % 7
        week_start = datetime(local.year, local.month, local.day, tzinfo=zone) - timedelta(days=day)
        minute = day * MINUTES_PER_DAY + local.hour * 60 + local.minute
        return week_start, minute + (local.second + local.microsecond / 1e6) / 60

    def relative_day_mask(
        self, at: datetime, offset: int, buckets: Sequence[str], candidates: np.ndarray
    ) -> np.ndarray:
        """Return the candidates meeting `offset` days after `at`'s date in their own zone.

        Today (offset 0) leaves out what has already ended: "tonight" at 8 pm is not 6 pm.
        """
        out = np.zeros(self.n, dtype=bool)
        for number, zone in enumerate(self.zones):
            local = at.astimezone(zone)
            day = DAYS[(local.isoweekday() + offset) % 7]
            in_zone = candidates & (self.doc_zone == number)
            out |= in_zone & self.schedule_mask([day], buckets)
        if offset == 0:
            out &= ~self.closed & self._not_ended_today(at, out)
        return out

    def _not_ended_today(self, at: datetime, candidates: np.ndarray) -> np.ndarray:
        """Return candidates with a window of today (local) that ends after `at`."""
        return self._windows_mask(
            at,
            lambda s, e, m, slack: (e + slack > m) & (s - slack < (m // MINUTES_PER_DAY + 1)
                                                      * MINUTES_PER_DAY),
            lambda schedule: schedule.current(at) is not None
            or bool(schedule.occurrences_between(at, _end_of_day(at, schedule))),
            candidates,
        )  # fmt: skip

    def soonest(self, at: datetime, docs: np.ndarray) -> np.ndarray:
        """Return, per document, its place in a schedule read at `at`, smaller first.

        In progress first, the most recently started first (a large negative number plus the
        minutes since it started), then upcoming by minutes until the next start (wrapping
        the week), then what has no time to go to (NO_TIME). Wall-clock minutes of the
        week: near a clock change the order can be off by the change, never the times shown.
        """
        best = np.full(self.n, NO_TIME)
        chosen = np.flatnonzero(np.isin(self.win_doc, docs))
        if len(chosen):
            win_doc = self.win_doc[chosen]
            start, end = self.win_start[chosen], self.win_end[chosen]
            minute = self._local_minutes(at)[self.win_zone[chosen]]
            key = np.mod(start - minute, MINUTES_PER_WEEK)
            for shift in (-MINUTES_PER_WEEK, 0):
                running = (start + shift <= minute) & (minute < end + shift)
                key = np.where(running, -1e6 + (minute - start - shift), key)
            np.minimum.at(best, win_doc, key)
        best[self.closed] = NO_TIME
        return best[docs]

    def stale(self, at: datetime, after_days: int, docs: np.ndarray) -> np.ndarray:
        """Return which documents were last checked more than `after_days` ago (or never)."""
        today = at.date().toordinal()
        verified = self.verified[docs]
        return (verified == 0) | (today - verified > after_days)

    def area_mask(self, key: str) -> np.ndarray:
        """Return the documents in a town, region or sub-region (by area key)."""
        return self.areas.mask((key,), self.n)

    def schedule_mask(self, days: Iterable[str], buckets: Iterable[str]) -> np.ndarray:
        """Return documents with a window starting on one of the days, in one of the buckets."""
        return (self.cells & np.uint32(cell_mask(days, buckets))) != 0

    def schedule_counts(
        self, candidates: np.ndarray, days: Sequence[str], buckets: Sequence[str]
    ) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
        """Return (day counts given the buckets, bucket counts given the days)."""
        cells = self.cells[candidates]
        by_day = [
            (day, int(np.count_nonzero(cells & np.uint32(cell_mask([day], buckets)))))
            for day in DAYS
        ]
        by_bucket = [
            (bucket, int(np.count_nonzero(cells & np.uint32(cell_mask(days, [bucket])))))
            for bucket in BUCKETS
        ]
        return by_day, by_bucket

    # --- geography ----------------------------------------------------------------------------

    def within(self, lat: float, lon: float, radius: float, candidates: np.ndarray) -> np.ndarray:
        """Return the candidate located documents within radius miles of a point."""
        box = bounding_box(lat, lon, radius)
        inside = candidates & self.located & (self.lat >= box.south) & (self.lat <= box.north)
        if box.west <= box.east:
            inside &= (self.lon >= box.west) & (self.lon <= box.east)
        else:  # the box crosses the antimeridian
            inside &= (self.lon >= box.west) | (self.lon <= box.east)
        docs = np.flatnonzero(inside)
        out = np.zeros(self.n, dtype=bool)
        if len(docs):
            distance = haversine_miles_array(lat, lon, self.lat[docs], self.lon[docs])
            out[docs[distance <= radius]] = True
        return out

    def distances(self, lat: float, lon: float, docs: np.ndarray) -> np.ndarray:
        """Return the distance in miles to each document (NaN for online-only ones)."""
        out = np.full(len(docs), np.nan)
        located = self.located[docs]
        if located.any():
            chosen = docs[located]
            out[located] = haversine_miles_array(lat, lon, self.lat[chosen], self.lon[chosen])
        return out


def walk_resources(resources: Sequence[Resource]) -> TableColumns:
    """Return the columns of documents in order, reading every resource once."""
    n = len(resources)
    lat, lon = [math.nan] * n, [math.nan] * n
    online_only = [False] * n
    remote = [False] * n
    area_docs: dict[str, list[int]] = {}
    facets = [(f.key, f.values_of) for f in VALUE_FACETS]
    facet_docs: dict[str, dict[str, list[int]]] = {key: {} for key, _ in facets}
    cells = [0] * n
    zones: dict[str, int] = {}
    doc_zone = [-1] * n
    docs, starts, ends, tzs = [], [], [], []
    bucket_bits = _BUCKET_BITS
    # One pass over the documents: this runs when a generation is built (or its stored table
    # is missing or damaged), never on every open.
    for doc, r in enumerate(resources):
        location = r.location
        attendance = r.attendance
        if location is not None and location.lat is not None and location.lon is not None:
            lat[doc], lon[doc] = location.lat, location.lon
            online_only[doc] = attendance == "online"
        else:
            online_only[doc] = True
        # Reached from anywhere: online, joined online with no point to measure, or with no
        # door at all (a phone line). A door with no point is not: it is never in a radius.
        door = location is not None and location.is_place_to_go
        remote[doc] = attendance == "online" or (
            online_only[doc] and (attendance == "hybrid" or not door)
        )
        if location is not None:
            for name in {location.city, location.region, location.sub_region}:
                if name:
                    docs_of_area = area_docs.setdefault(area_key(name), [])
                    if not docs_of_area or docs_of_area[-1] != doc:
                        docs_of_area.append(doc)
        for key, values_of in facets:
            values = values_of(r)
            table = facet_docs[key]
            for value in values:
                found = table.get(value)
                if found is None:
                    table[value] = [doc]
                elif found[-1] != doc:  # a value listed twice counts once
                    found.append(doc)
        schedule = r.schedule
        if schedule is None or not schedule.windows:
            continue
        zone = zones.get(schedule.timezone)
        if zone is None:
            zone = zones[schedule.timezone] = len(zones)
        doc_zone[doc] = zone
        mask = 0
        for window in schedule.windows:
            mask |= bucket_bits[window.start] << (window.day * len(BUCKETS))
            first = window.day * MINUTES_PER_DAY
            docs.append(doc)
            starts.append(first + window.start)
            ends.append(first + window.end)
            tzs.append(zone)
        cells[doc] = mask
    names = np.asarray([r.name.casefold() for r in resources])
    order = np.argsort(names, kind="stable")
    name_rank = np.empty(n, dtype=np.int32)
    name_rank[order] = np.arange(n, dtype=np.int32)
    arrays = {
        "lat": np.asarray(lat, dtype=np.float64),
        "lon": np.asarray(lon, dtype=np.float64),
        "online_only": np.asarray(online_only, dtype=bool),
        "remote": np.asarray(remote, dtype=bool),
        "closed": np.asarray([r.attendance == "inactive" for r in resources], dtype=bool),
        "cells": np.asarray(cells, dtype=np.uint32),
        "doc_zone": np.asarray(doc_zone, dtype=np.int32),
        "win_doc": np.asarray(docs, dtype=np.int32),
        "win_start": np.asarray(starts, dtype=np.float64),
        "win_end": np.asarray(ends, dtype=np.float64),
        "win_zone": np.asarray(tzs, dtype=np.int32),
        "verified": np.asarray(
            [r.last_verified.toordinal() if r.last_verified else 0 for r in resources],
            dtype=np.int64,
        ),
        "name_rank": name_rank,
    }
    return TableColumns(
        n,
        arrays,
        tuple(zones),
        _column(area_docs, n),
        {key: _column(facet_docs[key], n) for key, _ in facets},
    )


def _end_of_day(at: datetime, schedule) -> datetime:
    """Return the next local midnight after `at` in the schedule's zone."""
    local = at.astimezone(ZoneInfo(schedule.timezone))
    return datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), local.tzinfo)


def cell_mask(days: Iterable[str], buckets: Iterable[str]) -> int:
    """Return the schedule-cell bits for every (day, bucket) pair; empty means all of them."""
    day_numbers = [DAYS.index(d) for d in days if d in DAYS] if days else range(7)
    bucket_numbers = [BUCKETS.index(b) for b in buckets if b in BUCKETS] if buckets else range(4)
    if days and not day_numbers or buckets and not bucket_numbers:
        return 0
    mask = 0
    for day in day_numbers:
        for bucket in bucket_numbers:
            mask |= cell_bit(day, bucket)
    return mask


_BUCKET_BITS = _bucket_bits()
