"""Round-trip, atomic edits to the resource file.

Maintainers review the resource file in git, so a tool that rewrites it must leave every entry it
did not change exactly as it was: comments, key order, quoting, flow style and anchors. ruamel.yaml
alone cannot promise that (a dump re-indents and re-flows the whole document), so edits here are
made on the text: ruamel.yaml parses the file to find where each entry starts and ends, only the
entries that change are re-rendered, and their text is spliced into the original. Before anything
is written, the new text is parsed again and checked against the intended data, then validated.

Writes are atomic: a temporary file in the same directory, fsync, `os.replace`. The previous file
is kept next to it as `<name>.<YYYY-MM-DDTHHMMSS>.bak` (see `backup_path`), written the same way,
so a kill at any moment leaves the old file, or the new one, and whole backups. A temporary file
left by such a kill is removed by the next write (under a lock on the folder, so never one that
another write is still using). The file keeps its line endings (a Windows file stays CRLF) and
its byte-order mark: edits are made on text with plain newlines and written back as found.

New entries are written by `entry_text` in the very text ruamel.yaml would give them, and the
check after each edit reads the file as the app reads it (libyaml, one entry at a time), so an
import of many thousands of entries takes seconds and memory that grows with them, not minutes
and gigabytes of node trees.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import difflib
import io
import itertools
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

try:  # POSIX; elsewhere a stray temporary file is left for the maintainer to remove
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

from directory.datafile import entry_text

# The order keys are written in for new entries, and where new keys go in existing ones.
RESOURCE_KEY_ORDER = (
    "id",
    "name",
    "category",
    "fellowship",
    "group",
    "types",
    "description",
    "organization",
    "status",
    "dimensions",
    "location",
    "online",
    "phone",
    "text",
    "email",
    "website",
    "schedule",
    "hours_notes",
    "timezone",
    "languages",
    "accessibility",
    "payment",
    "populations",
    "eligibility",
    "services",
    "medications",
    "tags",
    "last_verified",
    "extra",
)
LOCATION_KEY_ORDER = (
    "name",
    "address",
    "address_2",
    "city",
    "state",
    "postal_code",
    "country",
    "lat",
    "lon",
    "approximate",
    "region",
    "sub_region",
    "notes",
)
_TIME = re.compile(r"^\d{2}:\d{2}$")
_NUMBER_LIKE = re.compile(r"^[\d+\-. ]+$")  # postal codes, short numbers: quoted as the spec does
Validator = Callable[[str, str], Sequence[Any]]


class EditError(Exception):
    """The edit cannot be made or written; the file on disk is untouched."""

    def __init__(self, message: str, problems: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)

    def __str__(self) -> str:
        lines = [self.args[0], *(f"  {p}" for p in self.problems)]
        return "\n".join(lines)


@dataclass
class Document:
    """The resource file's text as edited so far (plain newlines), and the text it started from.

    `newline` and `bom` say how the file is written back: with the line endings and byte-order
    mark it was read with.
    """

    text: str
    original: str
    path: Path | None = None
    newline: str = "\n"
    bom: bool = False

    def encoded(self) -> bytes:
        """Return the bytes the file is written as."""
        text = self.text.replace("\n", self.newline) if self.newline != "\n" else self.text
        return (codecs.BOM_UTF8 if self.bom else b"") + text.encode("utf-8")

    # The last parse, for reading (text, tree): edits take the tree and leave none behind.
    _parsed: tuple[str, Any] | None = field(default=None, repr=False, compare=False)
    # The text an edit last checked (read back as meant): it needs no parse before writing.
    _checked: str | None = field(default=None, repr=False, compare=False)

    @property
    def modified(self) -> bool:
        return self.text != self.original


@dataclass
class Changes:
    """What an upsert or a removal did, by resource (or location) id."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def merge(self, other: Changes) -> Changes:
        """Return both sets of changes together."""
        return Changes(
            self.added + other.added,
            self.changed + other.changed,
            self.unchanged + other.unchanged,
            self.removed + other.removed,
        )

    def summary(self) -> str:
        """Return a one-line count of each kind of change."""
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, "
            f"{len(self.unchanged)} unchanged, {len(self.removed)} removed"
        )


def _yaml() -> YAML:
    yaml = YAML()  # round-trip
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never re-flow a long line: it would show as a change in review
    return yaml


def _load(text: str) -> Any:
    try:
        return _yaml().load(text)
    except YAMLError as exc:
        raise EditError(f"not valid YAML: {exc}") from exc


def load_document(path: str | os.PathLike[str]) -> Document:
    """Read the resource file at `path` for editing, noting its line endings and BOM."""
    path = Path(path)
    raw = path.read_bytes()
    bom = raw.startswith(codecs.BOM_UTF8)
    try:
        text = raw[len(codecs.BOM_UTF8) :].decode("utf-8") if bom else raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EditError(f"{path}: not UTF-8 text (at byte {exc.start})") from None
    # The file's own convention: CRLF when most of its lines end so.
    newline = "\r\n" if 2 * text.count("\r\n") > text.count("\n") else "\n"
    text = text.replace("\r\n", "\n")
    tree = _load(text)  # fail now, not after an import has been computed
    return Document(
        text=text, original=text, path=path, newline=newline, bom=bom, _parsed=(text, tree)
    )


def new_document(name: str, timezone: str, country: str = "US") -> Document:
    """Return a minimal resource file with a `directory:` block and no resources."""
    root = CommentedMap()
    root["format"] = 1
    info = CommentedMap()
    info["name"] = name
    info["timezone"] = timezone
    info["country"] = country
    root["directory"] = info
    root["resources"] = CommentedSeq()
    buf = io.StringIO()
    _yaml().dump(root, buf)
    return Document(text=buf.getvalue(), original="", path=None)


def plain(node: Any) -> Any:
    """Return ruamel.yaml data as plain dicts, lists, str, int, float, bool."""
    if isinstance(node, Mapping):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def resource_entries(doc: Document) -> list[dict[str, Any]]:
    """Return the resources of the document as plain dicts, in file order."""
    seq = _root(doc, reading=True).get("resources") or []
    return [plain(item) for item in seq if isinstance(item, Mapping)]


def location_entries(doc: Document) -> dict[str, dict[str, Any]]:
    """Return the shared locations of the document as plain dicts, by id."""
    return plain(_root(doc, reading=True).get("locations") or {})


def directory_block(doc: Document) -> dict[str, Any]:
    """Return the document's `directory:` block as a plain dict (empty when missing)."""
    info = plain(_root(doc, reading=True).get("directory"))
    return info if isinstance(info, dict) else {}


def _root(doc: Document, reading: bool = False) -> CommentedMap:
    """Return the document's tree; `reading` only reads it, so the last parse may serve."""
    if doc._parsed is not None and doc._parsed[0] is doc.text:
        root = doc._parsed[1]
    else:
        root = _load(doc.text)
    # An edit changes the tree it is given: it must not be read again as the text's.
    doc._parsed = (doc.text, root) if reading else None
    if root is None:
        return CommentedMap()
    if not isinstance(root, CommentedMap):
        raise EditError("the resource file's top level is not a mapping")
    return root


# --- building nodes for new values -------------------------------------------------------------


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, Mapping | list | tuple)


def to_node(value: Any, key: str | None = None, in_list: bool = False) -> Any:
    """Return `value` as ruamel.yaml nodes styled the way the format's examples are."""
    if isinstance(value, Mapping):
        # Entries and places get the format's key order; other mappings keep the caller's.
        order = {"location": LOCATION_KEY_ORDER, None: RESOURCE_KEY_ORDER}.get(key, ())
        node = CommentedMap()
        for k in _ordered(value.keys(), order):
            node[k] = to_node(value[k], key=k)
        # Small mappings inside lists (schedule windows, crisis lines) read best on one line.
        if in_list and all(_is_scalar(v) or _flat_list(v) for v in value.values()):
            node.fa.set_flow_style()
        return node
    if isinstance(value, list | tuple):
        seq = CommentedSeq(to_node(v, in_list=True) for v in value)
        if all(_is_scalar(v) for v in value):
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, str):
        if "\n" in value:
            return LiteralScalarString(value)
        if _TIME.match(value) or _NUMBER_LIKE.match(value):
            return DoubleQuotedScalarString(value)  # the spec writes times and codes quoted
    return value


def _flat_list(value: Any) -> bool:
    return isinstance(value, list | tuple) and all(_is_scalar(v) for v in value)


def _ordered(keys: Iterable[str], order: Sequence[str]) -> list[str]:
    rank = {k: i for i, k in enumerate(order)}
    keys = list(keys)
    return sorted(keys, key=lambda k: (rank.get(k, len(rank)), keys.index(k)))


def _update_mapping(node: CommentedMap, record: Mapping[str, Any], owned: set[str] | None) -> bool:
    """Make `node` hold `record`'s values, touching only keys that differ; return if it did."""
    changed = False
    for k, value in record.items():
        if k in node and plain(node[k]) == value:
            continue
        if k == "extra" and isinstance(node.get(k), CommentedMap) and isinstance(value, Mapping):
            # Maintainers may keep their own notes under extra: replace only the importer's keys.
            changed |= _update_mapping(node[k], value, set(value))
            continue
        new = to_node(value, key=k)
        if k in node:
            node[k] = new
        else:
            node.insert(_insert_position(node, k), k, new)
        changed = True
    removable = set(node) if owned is None else owned
    for k in [k for k in node if k in removable and k not in record]:
        del node[k]
        changed = True
    return changed


def _insert_position(node: CommentedMap, key: str) -> int:
    rank = {k: i for i, k in enumerate(RESOURCE_KEY_ORDER)}
    if key not in rank:
        return len(node)
    for i, existing in enumerate(node):
        if rank.get(existing, len(rank)) > rank[key]:
            return i
    return len(node)


# --- finding entries in the text -----------------------------------------------------------------


def _is_filler(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


@dataclass
class _Block:
    """Where the items of one top-level collection are in the text (0-based line numbers)."""

    starts: list[int]  # first line of each item
    indent: int  # column of the item's dash (sequence) or key (mapping)
    end: int  # first line after the collection

    def separated(self, lines: list[str]) -> bool:
        """True when the file puts a blank line between items (new ones follow suit)."""
        if len(self.starts) < 2:
            return True  # nothing to go by: entries read best apart
        return any(not lines[s - 1].strip() for s in self.starts[1:])


def _block_of(root: CommentedMap, key: str, lines: list[str]) -> _Block | None:
    """Locate the items of the top-level block collection `key`; None if not block-style."""
    node = root.get(key)
    keys = list(root)
    idx = keys.index(key)
    end = root.lc.key(keys[idx + 1])[0] if idx + 1 < len(keys) else len(lines)
    if isinstance(node, CommentedSeq):
        if node.fa.flow_style() and len(node):
            return None
        starts = []
        for i in range(len(node)):
            line, col = node.lc.item(i)
            # The item's content may start on a line after its dash ("-\n  id: x").
            while line > 0 and "-" not in lines[line][:col]:
                line -= 1
            starts.append(line)
        indent = lines[starts[0]].index("-") if starts else 2
    elif isinstance(node, CommentedMap):
        if node.fa.flow_style() and len(node):
            return None
        starts = [node.lc.key(k)[0] for k in node]
        indent = node.lc.key(next(iter(node)))[1] if starts else 2
    else:
        return _Block([], 2, end)
    if len(set(starts)) != len(starts):
        return None  # several items on one line: not something text splicing can handle
    return _Block(starts, indent, end)


def _span(block: _Block, i: int, lines: list[str]) -> tuple[int, int]:
    """Return the lines of item `i`, leaving the comments and blank lines after it in place."""
    start = block.starts[i]
    end = block.starts[i + 1] if i + 1 < len(block.starts) else block.end
    while end > start + 1 and _is_filler(lines[end - 1]):
        end -= 1
    return start, end


def _render(
    items: list[tuple[str, Any, tuple[int, int] | None]], indent: int, is_seq: bool
) -> list[list[str]]:
    """Return the text lines of each (id, node, span) item, at `indent`, in one dump.

    One dump for all items, split afterwards, because ruamel.yaml's per-call cost dominates
    when a feed brings hundreds of entries.
    """
    if not items:
        return []
    for _, node, span in items:
        if span is not None:
            _settle_anchors(node, span)
    buf = io.StringIO()
    if is_seq:
        _yaml().dump([node for _, node, _ in items], buf)
        lines = [
            line[2:] if line.startswith("  ") else line for line in buf.getvalue().splitlines(True)
        ]
        starts = [i for i, line in enumerate(lines) if line.startswith("- ") or line == "-\n"]
    else:
        mapping = CommentedMap((item_id, node) for item_id, node, _ in items)
        _yaml().dump(mapping, buf)
        lines = buf.getvalue().splitlines(keepends=True)
        starts = [i for i, line in enumerate(lines) if line[:1] not in (" ", "#", "\n", "")]
    if len(starts) != len(items) or (starts and starts[0] != 0):
        raise EditError("internal error: could not split the rendered entries")
    pad = " " * indent
    chunks = []
    for n, start in enumerate(starts):
        chunk = lines[start : starts[n + 1] if n + 1 < len(starts) else len(lines)]
        # ruamel hangs the comment that precedes the next item on this one; it stays put.
        while chunk and _is_filler(chunk[-1]):
            chunk.pop()
        chunks.append([pad + line if line.strip() else line for line in chunk])
    return chunks


def _settle_anchors(node: Any, span: tuple[int, int]) -> None:
    """Prepare an item that is dumped alone for the anchors in it.

    An anchor defined inside the item is kept (other entries may refer to it). An alias to an
    anchor defined elsewhere cannot be written without the definition, so it becomes a copy.
    """
    children = node.items() if isinstance(node, CommentedMap) else enumerate(node)
    for k, child in list(children):
        if not isinstance(child, CommentedMap | CommentedSeq):
            continue
        anchor = child.anchor.value
        if anchor and not span[0] <= child.lc.line < span[1]:
            node[k] = to_node(plain(child), key=k if isinstance(k, str) else None)
            continue
        if anchor:
            child.yaml_set_anchor(anchor, always_dump=True)
        _settle_anchors(child, span)


def _splice(lines: list[str], edits: list[tuple[int, int, list[str]]]) -> list[str]:
    """Replace each (start, end) line range with new lines; ranges must not overlap."""
    out = list(lines)
    for start, end, new in sorted(edits, key=lambda e: e[0], reverse=True):
        out[start:end] = new
    return out


def _ensure_newline(lines: list[str]) -> list[str]:
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines


# --- edits ---------------------------------------------------------------------------------------


def upsert_resources(
    doc: Document,
    records: Sequence[Mapping[str, Any]],
    owned_keys: Iterable[str] | None = None,
) -> Changes:
    """Add the records whose id is new and update the others in place.

    `owned_keys` are the keys the caller (an importer) is responsible for: a key in that set
    that the record lacks is removed from the entry, keys outside it (a maintainer's `tags`,
    `last_verified`, ...) are left alone. With None the record replaces the whole entry.
    """
    return _upsert(doc, "resources", [(str(r["id"]), r) for r in records], owned_keys)


def upsert_locations(doc: Document, locations: Mapping[str, Mapping[str, Any]]) -> Changes:
    """Add or update shared locations under `locations:`, by id."""
    return _upsert(doc, "locations", list(locations.items()), None)


def _upsert(
    doc: Document,
    key: str,
    items: list[tuple[str, Mapping[str, Any]]],
    owned_keys: Iterable[str] | None,
) -> Changes:
    owned = None if owned_keys is None else set(owned_keys)
    changes = Changes()
    seen: set[str] = set()
    for item_id, _ in items:
        if item_id in seen:
            raise EditError(f"{key}: id '{item_id}' given twice")
        seen.add(item_id)
    root = _root(doc)
    lines = _ensure_newline(doc.text.splitlines(keepends=True))
    if key not in root:
        root[key] = None
        lines.append(f"{key}:\n")
        doc.text = "".join(lines)
        root = _root(doc)
    block = _block_of(root, key, lines)
    collection = root[key]
    is_seq = key == "resources"
    if block is None:
        raise EditError(f"{key}: written in flow style ([...] or {{...}}); make it a block first")
    if is_seq:
        index = {}
        for i, item in enumerate(collection or []):
            if isinstance(item, Mapping) and "id" in item:
                index.setdefault(str(item["id"]), i)
    else:
        index = {str(k): i for i, k in enumerate(collection or {})}

    edits: list[tuple[int, int, list[str]]] = []
    added_lines: list[str] = []
    gap = ["\n"] if block.separated(lines) else []
    before = doc.text
    meant: dict[Any, Any] = {}  # position (a list) or key (a mapping) -> the data it now holds
    changed: list[tuple[str, Any, tuple[int, int] | None]] = []
    added: list[tuple[str, Any, list[str] | None]] = []  # (id, node or record, fast lines)
    for item_id, record in items:
        if item_id in index:
            i = index[item_id]
            node = collection[i] if is_seq else collection[item_id]
            if not isinstance(node, CommentedMap):
                raise EditError(f"{key}: entry '{item_id}' is not a mapping")
            if not _update_mapping(node, record, owned):
                changes.unchanged.append(item_id)
                continue
            changed.append((item_id, node, _span(block, i, lines)))
            changes.changed.append(item_id)
            meant[i if is_seq else item_id] = plain(node)
            continue
        changes.added.append(item_id)
        lines_of = entry_text.entry_lines(record, block.indent) if is_seq else None
        if lines_of is not None:
            # One text per entry: a list of its 25 lines each, 100,000 times, costs 200 MB.
            added.append((item_id, record, ["".join(lines_of)]))
        else:
            added.append((item_id, to_node(dict(record), key=None if is_seq else "location"), None))
    for (_, _, span), rendered in zip(changed, _render(changed, block.indent, is_seq), strict=True):
        edits.append((span[0], span[1], rendered))
    slow = iter(_render([(i, node, None) for i, node, fast in added if fast is None],
                        block.indent, is_seq))  # fmt: skip
    for _, _, fast in added:
        # No blank line between `resources:` and the first entry of an empty list.
        added_lines += (gap if block.starts or added_lines else []) + (fast or next(slow))

    if added_lines:
        if block.starts:
            _, last_end = _span(block, len(block.starts) - 1, lines)
            edits.append((last_end, last_end, added_lines))
        else:
            # An empty collection (`resources:` or `resources: []`): write it as a block.
            key_line = root.lc.key(key)[0]
            edits.append((key_line, key_line + 1, [f"{key}:\n", *added_lines]))
    if edits:
        new_text = "".join(_splice(lines, edits))
        # The new entries' text is in new_text now; the check needs only what they mean.
        tail = [(item_id, v if fast is not None else plain(v)) for item_id, v, fast in added]
        del added, added_lines, edits

        def expected() -> Iterator[Any]:
            for n, item in enumerate(entry_text.read_items(before, key)):
                where = n if is_seq else item[0]
                if where in meant:
                    yield meant[where] if is_seq else (where, meant[where])
                else:
                    yield item
            for item_id, data in tail:
                yield data if is_seq else (item_id, data)

        _check(new_text, key, expected())
        doc.text = doc._checked = new_text
    return changes


def sync_resources(
    doc: Document,
    records: Sequence[Mapping[str, Any]],
    owned_keys: Iterable[str] | None = None,
    prune: Callable[[dict[str, Any]], bool] | None = None,
) -> Changes:
    """Upsert `records`; with `prune`, also remove the entries it selects that are not in them.

    `prune` sees each existing entry as a plain dict; an importer selects its own entries
    (for example by `extra.source` and `extra.feed`), so hand-written ones are never removed.
    """
    changes = upsert_resources(doc, records, owned_keys)
    if prune is None:
        return changes
    keep = {str(r["id"]) for r in records}
    # Read as the app reads the file, one entry at a time: no second ruamel.yaml parse.
    entries = (e for e in entry_text.read_items(doc.text, "resources") if isinstance(e, dict))
    gone = [e.get("id") for e in entries if str(e.get("id")) not in keep and prune(e)]
    return changes.merge(remove_resources(doc, gone))


def remove_resources(doc: Document, ids: Iterable[str]) -> Changes:
    """Remove the resources with these ids; ids not in the file are ignored."""
    ids = {str(i) for i in ids}
    if not ids:
        return Changes()  # without parsing the file
    root = _root(doc)
    collection = root.get("resources")
    if not collection:
        return Changes()
    lines = _ensure_newline(doc.text.splitlines(keepends=True))
    block = _block_of(root, "resources", lines)
    if block is None:
        raise EditError("resources: written in flow style ([...]); make it a block first")
    changes = Changes()
    edits = []
    gone: set[int] = set()
    for i, item in enumerate(collection):
        item_id = str(item.get("id")) if isinstance(item, Mapping) else None
        if item_id in ids:
            start, end = _span(block, i, lines)
            floor = _span(block, i - 1, lines)[1] if i else start
            while start > floor and not lines[start - 1].strip():
                start -= 1  # the blank line that separated it goes with it
            edits.append((start, end, []))
            changes.removed.append(item_id)
            gone.add(i)
    if not edits:
        return changes
    before = doc.text
    if len(gone) == len(collection):
        # No items left: a bare `resources:` would read as null, which is still a valid empty list
        # for the reader, but `[]` says what is meant.
        key_line = root.lc.key("resources")[0]
        edits.append((key_line, key_line + 1, ["resources: []\n"]))
    new_text = "".join(_splice(lines, edits))
    kept = (e for n, e in enumerate(entry_text.read_items(before, "resources")) if n not in gone)
    _check(new_text, "resources", kept)
    doc.text = doc._checked = new_text
    return changes


_END = object()


def _check(text: str, key: str, expected: Iterable[Any]) -> None:
    """Read the spliced text as the app reads it; make sure it holds exactly the intended data.

    Both are streamed, an entry at a time, so the check costs what the file's text costs.
    """
    try:
        pairs = itertools.zip_longest(expected, entry_text.read_items(text, key), fillvalue=_END)
        for meant, read in pairs:
            if meant is _END or read is _END or not entry_text.same(meant, read):
                raise EditError(f"internal error: the edited {key} do not read back as intended")
    except ValueError as exc:
        raise EditError(f"internal error: the edited file is not YAML: {exc}") from exc


# --- writing ------------------------------------------------------------------------------------


def diff_text(old: str, new: str, name: str = "resources.yaml") -> str:
    """Return a unified diff of two versions of the file."""
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"a/{name}",
            tofile=f"b/{name}",
        )
    )


def backup_path(path: Path, now: dt.datetime | None = None) -> Path:
    """Return a free backup name next to `path`: `<name>.<YYYY-MM-DDTHHMMSS>.bak`."""
    stamp = (now or dt.datetime.now()).strftime("%Y-%m-%dT%H%M%S")
    candidate = path.with_name(f"{path.name}.{stamp}.bak")
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.{stamp}-{n}.bak")
    return candidate


def _default_validator() -> Validator | None:
    try:
        from directory.datafile.load import validate_text
    except ImportError:  # the catalog is not written yet; YAML is still checked
        return None
    return validate_text


def write_document(
    doc: Document,
    path: str | os.PathLike[str] | None = None,
    validate: Validator | bool = True,
    backup: bool = True,
) -> Path | None:
    """Validate the document and replace the file atomically; return the backup's path.

    Nothing is written when validation finds an error (EditError lists the problems). The old
    file is copied to a timestamped backup first; a crash at any point leaves either the old
    file or the new one in place, never a mix.
    """
    target = Path(path) if path is not None else doc.path
    if target is None:
        raise EditError("no path to write the resource file to")
    if doc._checked is not doc.text:  # an edit has just read it back; else, is it YAML?
        try:
            for _ in entry_text.read_items(doc.text, "resources"):  # libyaml, streamed
                pass
        except ValueError as exc:
            raise EditError(f"not valid YAML: {exc}") from exc
    validator = _default_validator() if validate is True else (validate or None)
    if validator is not None:
        problems = list(validator(doc.text, str(target)))
        errors = [p for p in problems if getattr(p, "severity", "error") == "error"]
        if errors:
            raise EditError(f"{target}: not written, the result does not validate", errors)
    saved = None
    with locked_folder(target.parent):
        remove_stray_temporaries(target)
        if backup and target.exists():
            saved = backup_path(target)
            atomic_write_bytes(saved, target.read_bytes(), mode=target.stat().st_mode & 0o7777)
        atomic_write_bytes(target, doc.encoded())
    doc.original = doc.text
    doc.path = target
    return saved


@contextlib.contextmanager
def locked_folder(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on a folder: one write (and clean-up) at a time in it."""
    folder.mkdir(parents=True, exist_ok=True)
    if fcntl is None:  # pragma: no cover
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def remove_stray_temporaries(target: Path) -> list[Path]:
    """Remove the temporary files a killed write of `target` (or its backup) left behind.

    Call with the folder locked (locked_folder): then no write is using them.
    """
    removed = []
    for stray in target.parent.glob(f".{target.name}.*.tmp"):
        with contextlib.suppress(OSError):
            stray.unlink()
            removed.append(stray)
    return removed


def atomic_write_bytes(
    target: str | os.PathLike[str], data: bytes, mode: int | None = None
) -> None:
    """Replace `target` with `data` in one step: a reader sees the old file or the new one.

    The new file keeps the old one's mode (or takes `mode`, or 0o644 for a new file).
    """
    target = Path(target)
    directory = target.parent
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if mode is None:
            # mkstemp makes the file private; keep the mode the web server reads it with.
            mode = target.stat().st_mode & 0o7777 if target.exists() else 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:  # some systems cannot open a directory; the rename is still atomic
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
