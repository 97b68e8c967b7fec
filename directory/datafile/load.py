"""Load and validate the resource file into a Catalog of Resource objects.

`validate_text` lists every problem in one pass, each with its line; `load_catalog` refuses a
file with errors (warnings are reported but do not refuse it). The limits of `DataLimits` (size,
number of resources, length of each value, aliases and nesting) are checked before the work that
grows with them, so a hostile or broken file costs little to refuse.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import gc
import json
import math
from collections.abc import Mapping as AnyMapping
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from marshmallow import Schema, ValidationError

from directory.core import geo, places, vocabulary
from directory.core.model import (
    Catalog,
    CrisisLine,
    DirectoryInfo,
    Feed,
    Location,
    Online,
    Point,
    Resource,
)
from directory.core.schedule import Schedule
from directory.datafile import json_lines, parallel
from directory.datafile.entry_cache import Chunk, EntryCache, Verdict, context_of, split_document
from directory.datafile.feeds import bundle_fingerprint, feed_file, read_feed_files
from directory.datafile.limits import DEFAULT_LIMITS, MAX_PROBLEMS, DataLimits
from directory.datafile.quick_check import Loader, Slow, compile_schema
from directory.datafile.schemas import (
    SLUG,
    DirectorySchema,
    FeedSchema,
    LocationSchema,
    ResourceSchema,
)
from directory.datafile.yaml_lines import (
    Mapping,
    Sequence,
    YAMLStructureError,
    YAMLSyntaxError,
    load_bounded,
)

if TYPE_CHECKING:
    from directory.datafile.isolated_entries import Answer

TOP_LEVEL_KEYS = ("format", "directory", "locations", "feeds", "resources")
FEED_FILE_KEYS = ("format", "feed", "resources")
FEEDS_HELP = "a list of feeds, each with name, url (or path), fellowship and prefix"
SUPPORTED_FORMAT = 1
FAR_FROM_CENTER_MILES = 150  # further than this from directory.center is probably a typo
FAR_FROM_ZIP_MILES = 15  # a point this far from its ZIP code's centre is probably wrong
MEETING_MINUTES = 60  # a meeting with no end lasts an hour (spec)


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str
    resource_id: str | None = None
    field: str | None = None
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        parts = [where, self.severity]
        if self.resource_id:
            parts.append(f"resource '{self.resource_id}'")
        if self.field:
            parts.append(self.field)
        return ": ".join(parts) + ": " + self.message

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "severity": self.severity,
            "resource_id": self.resource_id,
            "field": self.field,
            "message": self.message,
        }


class CatalogError(Exception):
    """The resource file has errors; `problems` lists them all."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(f"{len(errors)} error(s) in the resource file; first: {errors[0]}")


def load_catalog(path: str | Path, limits: DataLimits = DEFAULT_LIMITS) -> Catalog:
    """Load the resource file and its feed files; raise CatalogError listing every problem."""
    feeds = read_feed_files(path, limits.max_bytes)
    catalog, problems = parse_bytes(read_limited(path, limits), str(path), limits, feeds)
    if catalog is None:
        raise CatalogError(problems)
    return catalog


def read_limited(path: str | Path, limits: DataLimits = DEFAULT_LIMITS) -> bytes:
    """Return the file's bytes, or at most one byte more than the limit (refused by the parse)."""
    with open(path, "rb") as handle:
        return handle.read(limits.max_bytes + 1)


def validate_file(path: str | Path, limits: DataLimits = DEFAULT_LIMITS) -> list[Problem]:
    """Return every problem in the file at `path` and its feed files (errors and warnings)."""
    try:
        data = read_limited(path, limits)
        feeds = read_feed_files(path, limits.max_bytes)
    except OSError as exc:
        where = exc.filename or path
        return [Problem(str(where), 0, f"cannot read the file: {exc.strerror or exc}")]
    return parse_bytes(data, str(path), limits, feeds)[1]


def validate_text(
    text: str, path: str = "<text>", limits: DataLimits = DEFAULT_LIMITS
) -> list[Problem]:
    """Return every problem in `text`, a resource file's content."""
    return parse_bytes(text.encode("utf-8"), path, limits)[1]


class _TooManyProblems(Exception):
    """Validation stops here: the maintainer has enough to fix first."""


def parse_bytes(
    data: bytes,
    path: str,
    limits: DataLimits = DEFAULT_LIMITS,
    feed_files: AnyMapping[str, bytes] | None = None,
    entries: EntryCache | None = None,
    *,
    processes: int | None = None,
    received: Answer | None = None,
) -> tuple[Catalog | None, list[Problem]]:
    """Return the catalog in a file's bytes (None if it has errors) and every problem found.

    `feed_files` holds the bytes of the feed files by feed name (datafile/feeds.py): those the
    file declares are merged in, each checked by the same rules. With `entries`, entries whose
    text was validated before in the same context are not read nor validated again
    (datafile/entry_cache.py); the result is the same. `processes`: 2 reads and validates the
    second half of a large list in a second process (datafile/parallel.py), 1 never does, None
    when the file is large and this process may fork; the result is the same. `received`:
    the entries were read and validated by the isolated parser's child (isolated_entries.py),
    which needs `entries` too; raises entry_cache.NotReadHere when they do not cover the file.

    The garbage collector is paused meanwhile: the parse makes millions of objects and no
    cycles worth collecting, and the collections it would start cost a sixth of its time.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _parse_bytes(data, path, limits, feed_files, entries, processes, received)
    finally:
        if collecting:
            gc.enable()


def _parse_bytes(data, path, limits, feed_files, entries, processes, received=None):
    if len(data) > limits.max_bytes:
        return None, [
            Problem(
                path,
                0,
                f"the file is larger than {limits.max_bytes:,} bytes, the most allowed"
                " (DIRECTORY_DATA_MAX_BYTES); refused without reading it",
            )
        ]
    checker = _Checker(path, feed_files, limits, entries, processes)
    checker.received = received
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [Problem(path, line, "the file is not UTF-8 text")]
    if entries is not None:
        entries.start(limits.max_field_chars)
    try:
        return _check_text(checker, text, data, path, limits, feed_files, entries)
    finally:
        checker.close()  # a second process no longer needed is stopped


def _check_text(checker, text, data, path, limits, feed_files, entries):
    try:
        document, duplicates, long_texts = checker.read(text)
    except YAMLStructureError as exc:
        return None, [Problem(path, exc.line, exc.message)]
    except YAMLSyntaxError as exc:
        return None, [Problem(path, exc.line, f"YAML syntax error: {exc.message}")]
    try:
        for long in long_texts[:MAX_PROBLEMS]:
            checker.add(
                long.line,
                f"this value is {long.length:,} characters long; the most allowed is"
                f" {limits.max_field_chars:,} (DIRECTORY_DATA_MAX_FIELD_CHARS)",
            )
        resources = document.get("resources") if isinstance(document, Mapping) else None
        if isinstance(resources, Sequence) and len(resources) > limits.max_resources:
            checker.add(
                _line_of(document, ["resources"]),
                f"{len(resources):,} resources; the most allowed is {limits.max_resources:,}"
                " (DIRECTORY_DATA_MAX_RESOURCES); refused before validating them",
            )
            return None, checker.problems
        for dup in duplicates:
            checker.add(
                dup.line,
                f"duplicate key '{dup.key}' (first at line {dup.first_line}); "
                "each key may appear only once in a mapping",
            )
        catalog = checker.check(document, bundle_fingerprint(data, feed_files))
        if checker.warnings > MAX_PROBLEMS:
            more = checker.warnings - MAX_PROBLEMS
            summary = Problem(path, 0, f"{more:,} more warnings not listed", severity="warning")
            checker.problems.append(summary)
            if catalog is not None:
                catalog = dataclasses.replace(catalog, warnings=(*catalog.warnings, summary))
    except _TooManyProblems:
        checker.problems.append(
            Problem(path, 0, f"stopped after {MAX_PROBLEMS:,} problems: fix these first")
        )
        return None, checker.problems
    if entries is not None:
        entries.finish()
    problems = sorted(checker.problems, key=lambda p: (p.line, p.severity))
    if any(p.severity == "error" for p in problems):
        return None, problems
    return catalog, problems


def _line_of(node: Any, path: list[Any]) -> int:
    """Return the 1-based line of the deepest node along `path` that has a position."""
    line = getattr(node, "line", 0)
    current = node
    for key in path:
        if isinstance(current, Mapping) and key in current:
            line = current.lines[key]
            current = current[key]
        elif isinstance(current, Sequence) and isinstance(key, int) and key < len(current):
            line = current.lines[key]
            current = current[key]
        else:
            break
    return line


def _flatten(messages: Any, prefix: tuple = ()) -> list[tuple[tuple, str]]:
    """Turn marshmallow's nested error dictionaries into (path, message) pairs."""
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            sub = prefix if key == "_schema" else prefix + (key,)
            out.extend(_flatten(value, sub))
        return out
    if isinstance(messages, list):
        return [pair for message in messages for pair in _flatten(message, prefix)]
    return [(prefix, str(messages))]


def _field_name(path: tuple) -> str:
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


class _Checker:
    """Collects problems while turning the YAML document into domain objects."""

    def __init__(
        self,
        path: str,
        feed_files: AnyMapping[str, bytes] | None = None,
        limits: DataLimits = DEFAULT_LIMITS,
        entries: EntryCache | None = None,
        processes: int | None = 1,
    ):
        self.path = path
        self.entries = entries
        self.processes = processes
        self.received: Answer | None = None  # entries read by the isolated parser's child
        self._halves: list[parallel.SecondHalf] = []  # second processes, stopped by close()
        self._settings_known: tuple | None = None  # (info, locations) once check() has them
        self._record: list | None = None  # an entry's add() calls, while it is validated
        self.main_path = path
        self.files: list[tuple[str, int]] = []  # (file, resources read from it), in order
        self.feed_files = feed_files or {}
        self.limits = limits
        self.problems: list[Problem] = []
        self._seen: dict[str, tuple[str, int]] = {}  # resource id -> (file, line)
        self.warnings = 0
        self._center: Point | None = None
        self._resource_schema = ResourceSchema()
        self._location_schema = LocationSchema()

    def read(self, text: str):
        """Read a file's YAML: entry by entry from the cache when possible, else whole."""
        if self.received is not None and self.entries is not None:
            return self.received.read(self.path, self.entries)
        if self.entries is not None:
            split = split_document(text, self.limits.max_field_chars, self.entries)
            if split is not None:
                return split
        elif parallel.wanted(text, self.processes):
            read = parallel.read_in_two(text, self.limits.max_field_chars, self._second_half)
            if read is not None:
                self._halves.append(read[1])
                return read[0]
        return load_bounded(text, self.limits.max_field_chars)

    def _second_half(self, document, items) -> list[Verdict]:
        """In the second process: validate the half's entries (datafile/parallel.py).

        The directory's settings and shared locations are the ones check() found when it has
        them (a feed file), else read from the skeleton as check() reads them.
        """
        info, locations = self._settings_known or self._settings(document)
        return [
            self._verdict(item, Verdict(line, (), ()), info, locations)
            for item, line in zip(items, items.lines, strict=True)
        ]

    def close(self) -> None:
        for half in self._halves:
            half.close()
        self._halves = []

    def add(self, line, message, resource_id=None, field=None, severity="error"):
        if self._record is not None:  # replayed with the entry's lines by _replay
            self._record.append((line, message, resource_id, field, severity))
            return
        if severity == "warning":
            # Warnings never stop validation (a national directory far from its centre has
            # thousands): past MAX_PROBLEMS they are counted, not listed.
            self.warnings += 1
            if self.warnings > MAX_PROBLEMS:
                return
        elif len(self.problems) - min(self.warnings, MAX_PROBLEMS) >= MAX_PROBLEMS:
            raise _TooManyProblems
        self.problems.append(Problem(self.path, line, message, resource_id, field, severity))

    def _schema_problems(self, schema: Schema, node, base: list, resource_id=None):
        """Load `node` with `schema`; record its errors; return the loaded data or None."""
        quick = _quick_loader(type(schema))
        if quick is not None:
            try:
                return quick(node)
            except Slow:
                pass  # something to report, or unusual: marshmallow's messages say what
        try:
            return schema.load(dict(node))
        except ValidationError as exc:
            for sub, message in _flatten(exc.messages):
                line = _line_of(node, list(sub))
                key = sub[-1] if sub else None
                if message == "Unknown field.":
                    message = _unknown_key(str(key), _allowed_keys(schema, sub))
                elif message == "Missing data for required field.":
                    message = "this required key is missing"
                    line = _line_of(node, list(sub[:-1]))
                self.add(line, message, resource_id, _field_name(sub) or None)
            return None

    def check(self, document: Any, fingerprint: str) -> Catalog | None:
        if not isinstance(document, Mapping):
            self.add(1, "the file must be a mapping with format, directory and resources")
            return None
        for key in document:
            if key not in TOP_LEVEL_KEYS:
                self.add(_line_of(document, [key]), _unknown_key(str(key), TOP_LEVEL_KEYS))
        if document.get("format") != SUPPORTED_FORMAT:
            line = _line_of(document, ["format"]) if "format" in document else 1
            self.add(line, f"format: must be {SUPPORTED_FORMAT} (add 'format: 1' at the top)")
        info, locations = self._settings_known = self._settings(document)
        if self.entries is not None:
            self.entries.set_context(context_of(info, locations, self.limits.max_field_chars))
        resources = self._resources(document, info, locations)
        feeds = self.feeds(document)
        if resources is not None:
            self.files = [(self.main_path, len(resources))]
            resources += self._feed_resources(document, feeds, info, locations)
        if info is None or resources is None:
            return None
        return Catalog(
            directory=info,
            resources=tuple(resources),
            locations=locations,
            fingerprint=fingerprint,
            path=self.path,
            warnings=tuple(p for p in self.problems if p.severity == "warning"),
            feeds=tuple(feeds),
            files=tuple((path, count) for path, count in self.files if count),
        )

    def _settings(self, document) -> tuple[DirectoryInfo | None, dict[str, Location]]:
        """Return the directory's settings and its shared locations, recording their problems."""
        info = self._directory(document)
        self._center = info.center if info else None
        return info, self._locations(document)

    # --- feeds: declared in the curated file, each in its own generated file ----------------

    def feeds(self, document) -> list[Feed]:
        """Return the feeds declared under `feeds:`, recording what is wrong with any."""
        node = document.get("feeds")
        if node is None:
            return []
        if not isinstance(node, Sequence):
            self.add(_line_of(document, ["feeds"]), f"feeds: {FEEDS_HELP}")
            return []
        out: list[Feed] = []
        names: dict[str, int] = {}
        prefixes: dict[str, int] = {}
        for index, item in enumerate(node):
            line = _line_of(node, [index])
            if not isinstance(item, Mapping):
                self.add(line, f"feeds[{index}]: each feed must be a mapping: {FEEDS_HELP}")
                continue
            data = self._schema_problems(_feed_schema(), item, ["feeds", index])
            if data is None:
                continue
            name, prefix = data["name"], data["prefix"]
            if name in names:
                self.add(line, f"feed '{name}' is declared twice (first at line {names[name]})")
                continue
            clash = next(
                (p for p in prefixes
                 if p == prefix or prefix.startswith(p + "-") or p.startswith(prefix + "-")),
                None,
            )  # fmt: skip
            if clash is not None:
                self.add(
                    _line_of(item, ["prefix"]),
                    f"id prefix '{prefix}' overlaps '{clash}' (line {prefixes[clash]}); each"
                    " feed needs its own, so that ids stay unique across feeds",
                    field="prefix",
                )
                continue
            names[name] = prefixes[prefix] = line
            out.append(
                Feed(
                    name=name,
                    source=data.get("url") or data["path"],
                    fellowship=data["fellowship"],
                    prefix=prefix,
                    timezone=data.get("timezone"),
                    format=data.get("format", "meeting-guide"),
                )
            )
        return out

    def _feed_resources(self, document, feeds: list[Feed], info, locations) -> list[Resource]:
        declared = {f.name for f in feeds}
        for name in sorted(set(self.feed_files) - declared):
            self.add(
                _line_of(document, ["feeds"]) if "feeds" in document else 0,
                f"{feed_file(self.main_path, name)} is not declared under feeds:; not loaded",
                severity="warning",
            )
        out: list[Resource] = []
        for index, feed in enumerate(feeds):
            data = self.feed_files.get(feed.name)
            if data is None:
                self.add(
                    _line_of(document, ["feeds", index]),
                    f"feed '{feed.name}' has no file yet ({feed_file(self.main_path, feed.name)});"
                    " `flask --app directory sync` fetches it",
                    severity="warning",
                )
                continue
            self.path = str(feed_file(self.main_path, feed.name))
            try:
                read = self._feed_file(feed, data, info, locations)
                out += read
                self.files.append((self.path, len(read)))
            finally:
                self.path = self.main_path
        total = len(self._seen)
        if total > self.limits.max_resources:
            self.add(
                0,
                f"{total:,} resources with the feeds' files; the most allowed is"
                f" {self.limits.max_resources:,} (DIRECTORY_DATA_MAX_RESOURCES)",
            )
        return out

    def _feed_file(self, feed: Feed, data: bytes, info, locations) -> list[Resource]:
        """Check one feed file (self.path names it) and return its resources."""
        limits = self.limits
        if len(data) > limits.max_bytes:
            self.add(0, f"the file is larger than {limits.max_bytes:,} bytes, the most allowed"
                        " (DIRECTORY_DATA_MAX_BYTES)")  # fmt: skip
            return []
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.add(data[: exc.start].count(b"\n") + 1, "the file is not UTF-8 text")
            return []
        try:
            # A generated file's entries are JSON lines, read without YAML unless a cache keeps
            # its entries (the cache reads each changed line that way itself).
            cached = self.entries is not None and self.entries.feed_entries
            fast = None if cached else json_lines.read_file(text, limits.max_field_chars)
            document, duplicates, long_texts = fast or self.read(text)
        except YAMLStructureError as exc:
            self.add(exc.line, exc.message)
            return []
        except YAMLSyntaxError as exc:
            self.add(exc.line, f"YAML syntax error: {exc.message}")
            return []
        for long in long_texts:
            self.add(long.line, f"this value is {long.length:,} characters long; the most"
                                f" allowed is {limits.max_field_chars:,}")  # fmt: skip
        for dup in duplicates:
            self.add(dup.line, f"duplicate key '{dup.key}' (first at line {dup.first_line})")
        if not isinstance(document, Mapping):
            self.add(1, "a feed file must be a mapping with format and resources")
            return []
        for key in document:
            if key not in FEED_FILE_KEYS:
                self.add(_line_of(document, [key]), _unknown_key(str(key), FEED_FILE_KEYS))
        if document.get("format") != SUPPORTED_FORMAT:
            self.add(_line_of(document, ["format"]), f"format: must be {SUPPORTED_FORMAT}")
        resources = self._resources(document, info, locations) or []
        start = f"{feed.prefix}-"
        for resource in resources:
            if not resource.id.startswith(start):
                self.add(
                    resource.line,
                    f"id '{resource.id}' must start with '{start}', the id prefix of feed"
                    f" '{feed.name}'",
                    resource.id,
                    "id",
                )
        return [r for r in resources if r.id.startswith(start)]

    def _directory(self, document) -> DirectoryInfo | None:
        node = document.get("directory")
        if not isinstance(node, Mapping):
            line = _line_of(document, ["directory"]) if "directory" in document else 1
            self.add(line, "directory: a mapping with name and timezone is required")
            return None
        data = self._schema_problems(DirectorySchema(), node, ["directory"])
        if data is None:
            return None
        center = data.get("center")
        return DirectoryInfo(
            name=data["name"],
            timezone=data["timezone"],
            country=data.get("country", "US"),
            center=Point(center["lat"], center["lon"]) if center else None,
            crisis_lines=tuple(CrisisLine(**line) for line in data.get("crisis_lines", ())),
            maintainers_email=data.get("maintainers_email"),
        )

    def _locations(self, document) -> dict[str, Location]:
        node = document.get("locations")
        if node is None:
            return {}
        if not isinstance(node, Mapping):
            self.add(
                _line_of(document, ["locations"]), "locations: must be a mapping of id -> place"
            )
            return {}
        out = {}
        for key, value in node.items():
            line = _line_of(node, [key])
            if not isinstance(key, str) or not SLUG.match(key):
                self.add(line, f"location id '{key}' must be a slug (like 'st-marks-hall')")
                continue
            if not isinstance(value, Mapping):
                self.add(line, f"location '{key}' must be a mapping (name, address, city, ...)")
                continue
            data = self._schema_problems(self._location_schema, value, ["locations", key])
            if data is not None:
                out[key] = Location(id=key, line=line, **data)
                self._check_point(out[key], value, None, f"locations.{key}")
        return out

    def _resources(self, document, info, locations) -> list[Resource] | None:
        node = document.get("resources")
        if not isinstance(node, Sequence):
            line = _line_of(document, ["resources"]) if "resources" in document else 1
            self.add(line, "resources: a list of resources is required")
            return None
        seen = self._seen
        out: list[Resource] = []
        elsewhere = getattr(node, "elsewhere", None)  # the second half's process, if any
        for index, item in enumerate(node):
            line = _line_of(node, [index])
            if type(item) is parallel.Elsewhere:
                verdict = elsewhere.verdict(
                    item.index,
                    lambda entry, at: self._verdict(entry, Verdict(at, (), ()), info, locations),
                )
                ref = verdict.location_ref
                if verdict.resource is not None and ref in locations:
                    # Its own copy of the shared location, read there: this one's instead.
                    object.__setattr__(verdict.resource, "location", locations[ref])
                offset = 0
            elif type(item) is Chunk:
                verdict = self.entries.verdict_for(item)
                if verdict is None:
                    verdict = self._verdict(
                        self.entries.read_node(item), item.verdict, info, locations
                    )
                    self.entries.keep(item, verdict)
                offset = item.offset
            else:
                verdict = self._verdict(item, Verdict(line, (), ()), info, locations)
                offset = 0
            if not verdict.is_mapping:
                self.add(line, f"resources[{index}]: each resource must be a mapping")
                continue
            self._replay(verdict.schema_adds, offset)
            rid = verdict.rid
            if rid is not None:
                if rid in seen:
                    other_path, other_line = seen[rid]
                    here = f"line {line}" if other_path == self.path else f"{self.path}:{line}"
                    there = f"line {other_line}" if other_path == self.path else (
                        f"{other_path}:{other_line}"
                    )  # fmt: skip
                    self.add(
                        line, f"duplicate id '{rid}': also used by the resource at {there}", rid,
                        "id",
                    )  # fmt: skip
                    path, self.path = self.path, other_path
                    try:
                        self.add(
                            other_line,
                            f"duplicate id '{rid}': also used by the resource at {here}",
                            rid,
                            "id",
                        )
                    finally:
                        self.path = path
                else:
                    seen[rid] = (self.path, line)
            self._replay(verdict.resource_adds, offset)
            resource = verdict.resource
            if resource is not None:
                # The verdict keeps one Resource, as last placed: where it still is (same line,
                # an equal location), the same object; elsewhere, a copy that it keeps instead.
                ref = verdict.location_ref
                location = locations[ref] if ref is not None else resource.location
                line = verdict.line + offset  # the Resource's line is its item's
                if resource.line != line or (
                    resource.location is not location and resource.location != location
                ):
                    resource = copy.copy(resource)
                    object.__setattr__(resource, "line", line)
                    object.__setattr__(resource, "location", location)
                    verdict.resource = resource
                out.append(resource)
        return out

    def _verdict(self, item, read: Verdict, info, locations) -> Verdict:
        """Validate one entry, recording its problems (replayed by `_resources` in order)."""
        verdict = Verdict(read.line, read.long_texts, read.duplicates, validated=True)
        if not isinstance(item, Mapping):
            return verdict
        verdict.is_mapping = True
        rid = verdict.rid = item.get("id") if isinstance(item.get("id"), str) else None
        self._record = recorded = []
        try:
            data = self._schema_problems(self._resource_schema, item, [], rid)
            verdict.schema_adds = tuple(recorded)
            if data is not None and info is not None:
                self._record = recorded = []
                verdict.resource = self._resource(data, item, verdict.line, info, locations)
                verdict.resource_adds = tuple(recorded)
                location = data.get("location")
                verdict.location_ref = location if isinstance(location, str) else None
        finally:
            self._record = None
        return verdict

    def _replay(self, adds, offset: int) -> None:
        for line, message, rid, field_name, severity in adds:
            self.add(line + offset if line else line, message, rid, field_name, severity)

    def _resource(self, data, node, line, info, locations) -> Resource | None:
        rid = data["id"]
        location = data.get("location")
        if isinstance(location, str):
            if location not in locations:
                close = difflib.get_close_matches(location, list(locations), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                self.add(
                    _line_of(node, ["location"]),
                    f"'{location}' is not an entry under locations:{hint}",
                    rid,
                    "location",
                )
                return None
            location = locations[location]
        elif isinstance(location, dict):
            location = Location(**location)
            self._check_point(location, node["location"], rid, "location")
        timezone = data.get("timezone", info.timezone)
        schedule = None
        if data.get("schedule"):
            is_meeting = data["category"] == "meeting"
            for index, item in enumerate(data["schedule"]):
                if "end" not in item and not is_meeting:
                    self.add(
                        _line_of(node, ["schedule", index]),
                        "opening hours need an end time (only meetings default to 60 minutes)",
                        rid,
                        f"schedule[{index}].end",
                        "warning",
                    )
                if "end" in item and item["end"] == item["start"]:
                    self.add(
                        _line_of(node, ["schedule", index]),
                        "end is the same as start; for 24 hours write start 00:00, end 24:00",
                        rid,
                        f"schedule[{index}].end",
                    )
                    return None
            schedule = _schedule(tuple(_schedule_item(item) for item in data["schedule"]), timezone)
        fellowship = data.get("fellowship")
        if fellowship:
            known = vocabulary.known_types(fellowship)
            for index, code in enumerate(data.get("types", ())):
                if code not in known:
                    self.add(
                        _line_of(node, ["types", index]),
                        f"'{code}' is not a meeting type code known for {fellowship}",
                        rid,
                        "types",
                        "warning",
                    )
        online = data.get("online")
        dimensions = data.get("dimensions") or [vocabulary.default_dimension(data["category"])]
        return Resource(
            id=rid,
            name=data["name"],
            category=data["category"],
            dimensions=tuple(dimensions),
            timezone=timezone,
            line=line,
            description=data.get("description"),
            organization=data.get("organization"),
            status=data.get("status", "active"),
            location=location,
            online=Online(**online) if online else None,
            phone=data.get("phone"),
            text=data.get("text"),
            email=data.get("email"),
            website=data.get("website"),
            schedule=schedule,
            hours_notes=data.get("hours_notes"),
            languages=tuple(data.get("languages") or ("en",)),
            accessibility=tuple(data.get("accessibility", ())),
            payment=tuple(data.get("payment", ())),
            populations=tuple(data.get("populations", ())),
            eligibility=data.get("eligibility"),
            services=tuple(data.get("services", ())),
            medications=tuple(data.get("medications", ())),
            tags=tuple(data.get("tags", ())),
            last_verified=data.get("last_verified"),
            fellowship=fellowship,
            types=tuple(data.get("types", ())),
            group=data.get("group"),
            text_language=data.get("text_language", "en"),
            translations={
                code: {k: v for k, v in texts.items() if v}
                for code, texts in (data.get("translations") or {}).items()
                if code != data.get("text_language", "en")
            },
            source=_source(node),
        )

    def _check_point(self, location: Location, node, rid, field_name):
        """Warn about a point far from the directory or from its own ZIP code."""
        point = location.point
        if point is None:
            return
        line = _line_of(node, ["lat"])
        center = self._center
        if center is not None:
            miles = geo.haversine_miles(center.lat, center.lon, point.lat, point.lon)
            if miles > FAR_FROM_CENTER_MILES:
                swapped = (
                    geo.is_valid_lat(point.lon)
                    and geo.haversine_miles(center.lat, center.lon, point.lon, point.lat)
                    <= FAR_FROM_CENTER_MILES
                )
                hint = "lat and lon look swapped" if swapped else "check for a typo"
                self.add(
                    line,
                    f"{point.lat}, {point.lon} is {miles:,.0f} miles from the directory's centre;"
                    f" {hint}",
                    rid,
                    field_name,
                    "warning",
                )
                return
        if location.postal_code and not location.approximate:
            zip_point = places.zip_point(location.postal_code)
            if zip_point is not None:
                miles = geo.haversine_miles(*zip_point, point.lat, point.lon)
                if miles > FAR_FROM_ZIP_MILES:
                    self.add(
                        line,
                        f"{point.lat}, {point.lon} is {miles:,.0f} miles from ZIP code "
                        f"{location.postal_code}; check the coordinates or the ZIP code",
                        rid,
                        field_name,
                        "warning",
                    )


@cache
def _feed_schema() -> FeedSchema:
    return FeedSchema()


def declared_feeds(document: Any, path: str) -> tuple[list[Feed], list[Problem]]:
    """Return the feeds a resource file's document declares, and what is wrong with them."""
    checker = _Checker(path)
    feeds = checker.feeds(document) if isinstance(document, Mapping) else []
    return feeds, checker.problems


@cache
def _quick_loader(schema_class: type[Schema]) -> Loader | None:
    return compile_schema(schema_class())


def _schedule_item(item: dict) -> tuple:
    return tuple(item["days"]), item["start"], item.get("end")


@lru_cache(maxsize=1 << 14)
def _schedule(items: tuple[tuple, ...], timezone: str) -> Schedule:
    """Return the Schedule of (days, start, end) items, built once for each distinct one.

    A directory repeats the same weekly times thousands of times (Resource shares the equal
    Schedules anyway, core/sharing.py): building each again was a seventh of the validation.
    """
    return Schedule.from_items(
        [{"days": days, "start": start, "end": end} for days, start, end in items],
        timezone,
        default_minutes=MEETING_MINUTES,
    )


def _unknown_key(key: str, allowed) -> str:
    close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown key '{key}'{hint} (free-form notes go under extra:)"


def _allowed_keys(schema: Schema, path: tuple) -> list[str]:
    """Return the keys the (possibly nested) schema at `path` accepts."""
    current = schema
    for part in path[:-1]:
        if isinstance(part, int):
            continue
        field_obj = current.fields.get(part)
        nested = getattr(field_obj, "nested", None) or getattr(
            getattr(field_obj, "inner", None), "nested", None
        )
        if nested is None:
            if part == "location":
                current = LocationSchema()
                continue
            break
        current = nested() if isinstance(nested, type) else nested
    return list(current.fields)


def _source(node: Any) -> bytes:
    """Return an entry as compact JSON, what the API gives as its `record`."""
    # A line of JSON holds nothing `_plain` would change (no dates, no odd keys or floats).
    # Nor does an entry whose keys are all text and that holds no tuple: json.dumps refuses
    # (ValueError, TypeError) the rest `_plain` changes, an infinite or NaN float, a date, a
    # value of another type. Building the plain copy was half of this function's time.
    if type(node) is json_lines.Entry:
        text = json.dumps(node, ensure_ascii=False, separators=(",", ":"))
        return text.encode("utf-8", "surrogatepass")  # as json.loads reads bytes back
    text = None
    if _text_keys(node):
        try:
            text = json.dumps(node, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError):
            pass
    if text is None:
        text = json.dumps(_plain(node), ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", "surrogatepass")


def _text_keys(node: Any) -> bool:
    """Return whether every mapping in `node` has only text keys and no tuple is inside it."""
    stack = [node]
    pop, push = stack.pop, stack.append
    while stack:
        item = pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if type(key) is not str:
                    return False
                if isinstance(value, dict | list | tuple):
                    push(value)
        elif isinstance(item, list):
            for value in item:
                if isinstance(value, dict | list | tuple):
                    push(value)
        else:
            return False  # a tuple: json.dumps writes a list, `_plain` its text
    return True


def _plain(node: Any) -> Any:
    """Return a YAML node as plain dicts, lists and scalars (for JSON output)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, float) and not math.isfinite(node):
        return None
    if isinstance(node, date):
        return node.isoformat()
    if isinstance(node, bool | int | float) or node is None:
        return node
    return str(node)
