"""Remember each entry's verdict, so a changed file only validates the entries that changed.

A one-entry change to a 100,000-entry file used to cost a whole parse (most of a minute): the
YAML read of every entry, the schema checks and the Resource objects. `EntryCache` keeps, for
each entry's own text (a BLAKE2 digest of the lines from its `- ` to the next entry's), what
validating it gave: the problems it adds, the Resource it builds and what the YAML read reported
(long texts, duplicate keys). Lines are kept relative to the entry's first line and shifted to
where the entry is now, so an entry that moved keeps its verdict with the right line numbers.

What an entry's verdict depends on besides its text is the *context*: the directory's settings
(time zone, centre), the shared locations (without their lines: a reference is resolved again to
the Location in service), today's date (a `last_verified` in the future), the longest text
allowed and the code that validates (cache.code_fingerprint). Another context validates every
entry again. Whole-file checks (duplicate ids, feed prefixes, counts, limits) run over every
entry each time: `load._Checker` replays the verdicts in file order through the same `add` as a
full parse, so the problems and the catalog are exactly a full parse's
(tests/datafile/test_entry_cache.py compares them over many edits).

`split_document` reads a file this way only when its layout makes that safe: a top-level
`resources:` followed by a block list, each entry read alone (after a `resources:` line, so at the
same depth and indentation as in the file) by the fast event reader without aliases, anchors'
uses, tags or errors, and the rest of the file read with the entries' lines left blank. Anything
else (a flow list, an alias across entries, a syntax error, Windows line ends) returns None and
the file is read whole, as before: the messages of broken YAML are the whole read's.

The cache lives in memory, in the process that reloads the file (web/state.py's DirectoryState):
it holds the Resource objects the catalog holds anyway, plus a digest and a few small tuples per
entry. gunicorn's master keeps it too: its isolated parser's child (datafile/isolated.py) is told
which digests the master knows, reads and validates only the others, and sends back their
verdicts with each file's `Split` (datafile/isolated_entries.py); the master assembles them here.
"""

from __future__ import annotations

import hashlib
import marshal
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from directory.datafile import json_lines
from directory.datafile.yaml_lines import (
    DuplicateKey,
    LongText,
    Mapping,
    Sequence,
    _load_events,
)

KEY = "resources"
WRAP = f"{KEY}:\n"  # an entry is read after this line: the same depth and indentation as in place
_KEY_LINE = re.compile(rf"^{KEY}:[ \t]*(?:#.*)?$", re.M)
_FIRST_ITEM = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\n)*( *)-(?: |$)", re.M)
_BLANK_OR_COMMENTS = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\n)*")

Add = tuple[int, str, Any, Any, str]  # the arguments of one _Checker.add: line first


@dataclass(slots=True)
class Verdict:
    """What reading and validating one entry gave, its lines relative to the entry."""

    line: int  # the item's line (of its mapping), relative: the file line is line + offset
    long_texts: tuple[LongText, ...]
    duplicates: tuple[DuplicateKey, ...]
    is_mapping: bool = False
    rid: str | None = None
    schema_adds: tuple[Add, ...] = ()
    resource_adds: tuple[Add, ...] = ()
    # The Resource, as last placed in a file (its line there; `line` + the offset where it is
    # now gives its line in the new file). One object per entry, shared with the catalog.
    resource: Any = None
    location_ref: str | None = None  # the shared location it names, resolved again on use
    validated: bool = False


class NotReadHere(Exception):
    """An entry read by another process needs validating again here (its context changed)."""


@dataclass(slots=True)
class Chunk:
    """One entry of the list: its digest, where it is, and its YAML node when read."""

    digest: bytes
    text: str | None  # None: read in another process (the isolated parser's child)
    offset: int  # file line = line in the wrapped text + offset
    verdict: Verdict
    node: Any = None


@dataclass
class EntryCache:
    """Verdicts by entry digest for one context; replaced by each parse with its own entries."""

    context: str | None = None
    max_chars: int | None = None
    # Whether feed files' entries are kept too (a server reloading them), or only the curated
    # file's (a sync, which validates each feed file once: its lines are read as JSON instead).
    feed_entries: bool = True
    verdicts: dict[bytes, Verdict] = field(default_factory=dict)
    # Filled by the parse in progress, installed by `finish`.
    _next: dict[bytes, Verdict] = field(default_factory=dict)
    _next_context: str | None = None
    hits: int = 0
    misses: int = 0

    def start(self, max_chars: int | None) -> None:
        if max_chars != self.max_chars:
            self.verdicts, self.context, self.max_chars = {}, None, max_chars
        self._next, self._next_context, self.hits, self.misses = {}, None, 0, 0

    def set_context(self, context: str) -> None:
        self._next_context = context

    def verdict_for(self, chunk: Chunk) -> Verdict | None:
        """Return the chunk's validated verdict when its text was seen in this context."""
        verdict = chunk.verdict
        if verdict.validated and self._next_context == self.context:
            self.hits += 1
            self._next[chunk.digest] = verdict
            return verdict
        self.misses += 1
        return None

    def adopt(self, context: str) -> None:
        """Take the verdicts to come as validated in `context` (by the isolated parser's child).

        The parse in progress gives a hit only for entries validated in its own context, as
        always: a child that found another context validated every entry again.
        """
        if context != self.context:
            self.verdicts, self.context = {}, context

    def keep(self, chunk: Chunk, verdict: Verdict) -> None:
        """Remember the verdict just computed for a chunk."""
        chunk.verdict = verdict
        self._next[chunk.digest] = verdict

    def finish(self) -> None:
        """Keep this parse's entries (a failed parse's too: its good entries come back).

        A file read whole (an alias, a syntax error...) leaves the verdicts as they were.
        """
        if self.hits or self.misses:
            self.verdicts, self.context = self._next, self._next_context
        self._next = {}

    def read_node(self, chunk: Chunk) -> Any:
        """Return the chunk's item node (read again when its verdict came from the cache)."""
        if chunk.node is None:
            if chunk.text is None:  # read in another process, which validated it elsewhere
                raise NotReadHere
            read = _load_events(WRAP + chunk.text, self.max_chars)
            chunk.node = read[0][KEY][0]  # read once before: it reads the same way again
        return chunk.node


def context_of(info: Any, locations: dict, max_chars: int | None) -> str:
    """Return the fingerprint of what an entry's verdict depends on besides its own text."""
    from directory.datafile.cache import code_fingerprint  # noqa: PLC0415  # why: cache imports load, which imports this

    shared = sorted((key, repr(_without_line(value))) for key, value in locations.items())
    parts = repr((code_fingerprint(), max_chars, date.today().isoformat(), repr(info), shared))
    return hashlib.blake2b(parts.encode(), digest_size=16).hexdigest()


def _without_line(location: Any) -> Any:
    import dataclasses  # noqa: PLC0415  # why: only here

    return dataclasses.replace(location, line=0)


@dataclass(slots=True)
class Split:
    """A file read entry by entry, without its entries: what the isolated parser sends back.

    `chunks` gives each entry's digest and offset in file order; with a verdict for every
    digest, `assemble` turns it into what `split_document` returns.
    """

    document: Any  # the rest of the file (the list's lines left blank), `resources` None
    duplicates: list[DuplicateKey]  # of the rest of the file
    long_texts: list[LongText]
    first_line: int  # the first entry's line
    chunks: list[tuple[bytes, int]]  # (digest, offset) of each entry


def split_document(
    text: str, max_chars: int | None, cache: EntryCache
) -> tuple[Any, list[DuplicateKey], list[LongText]] | None:
    """Read `text` entry by entry (see the module's docstring); None: read it whole instead.

    Returns what `yaml_lines.load_bounded` returns, except that the items of `resources` are
    `Chunk`s, with `Sequence.lines` giving each item's line in the file.
    """
    read = read_entries(text, max_chars, cache.verdicts)
    return None if read is None else assemble(*read)


def read_entries(text: str, max_chars: int | None, known: Any) -> tuple[Split, list[Chunk]] | None:
    """Cut `text` into entries and read those whose digest is not in `known`; None: not safe.

    `known` maps a digest to its Verdict (or holds it, for a process that only needs to know
    which entries it may skip: their chunks then have no verdict, no text and no node). The
    read entries' chunks carry their node and a verdict of reading (lines, duplicate keys, long
    texts).
    """
    cut = cut_entries(text, max_chars)
    if cut is None:
        return None
    split, bounds = cut
    chunks: list[Chunk] = []
    lookup = known.get if isinstance(known, dict) else None
    for (digest, offset), (at, stop) in zip(split.chunks, bounds, strict=True):
        if lookup is None and digest in known:
            chunk = Chunk(digest, None, offset, None)  # its text is not needed: no copy kept
        else:
            verdict = lookup(digest) if lookup is not None else None
            chunk = Chunk(digest, text[at:stop], offset, verdict)
            if chunk.verdict is None and not read_chunk(chunk, max_chars):
                return None  # an alias, a tag, a syntax error...: the whole read says what
        chunks.append(chunk)
    return split, chunks


def cut_entries(text: str, max_chars: int | None) -> tuple[Split, list[tuple[int, int]]] | None:
    """Cut `text` into entries and read the rest of it; None: not safe. No entry is read.

    Returns the Split and where each entry is in `text` (start, end); `read_chunk` reads an
    entry, and must succeed for the cut to be safe.
    """
    if "\r" in text:
        return None
    key = _KEY_LINE.search(text)
    if key is None:
        return None
    header_end = key.end() + 1  # past the key line's "\n"
    if header_end > len(text):
        return None
    first = _FIRST_ITEM.match(text, header_end)
    if first is None:
        return None
    indent = first.group(1)
    start = first.start(1)
    # The list ends at the first line that is neither an item, nor deeper, nor blank, nor a
    # comment; what follows (other top-level keys) is read with the rest of the file.
    end_pattern = re.compile(rf"^(?!{indent}-(?: |$)|{indent} | *#| *$)", re.M)
    items = re.compile(rf"^{indent}-(?: |$)", re.M)
    end = end_pattern.search(text, start)
    trailer = end.start() if end is not None else len(text)
    starts = [m.start() for m in items.finditer(text, start, trailer)]
    if not starts or starts[0] != start:
        return None
    if not _BLANK_OR_COMMENTS.fullmatch(text, header_end, start):
        return None
    key_line = text.count("\n", 0, key.start()) + 1
    line = key_line + 1 + text.count("\n", header_end, start)  # the first item's line
    first_line = line
    chunk_list: list[tuple[bytes, int]] = []
    bounds = list(zip(starts, [*starts[1:], trailer], strict=True))
    for at, stop in bounds:
        piece = text[at:stop]
        digest = hashlib.blake2b(piece.encode(), digest_size=16).digest()
        chunk_list.append((digest, line - 2))  # the entry's first line is line 2 of the wrap
        line += piece.count("\n")
    skeleton = text[:header_end] + "\n" * text.count("\n", header_end, trailer) + text[trailer:]
    read = _load_events(skeleton, max_chars)
    if read is None:
        return None
    document, outer_dups, outer_longs = read
    if (
        not isinstance(document, Mapping)
        or document.get(KEY, 0) is not None
        or document.lines.get(KEY) != key_line
    ):
        return None  # `resources:` was not the top-level key it looked like
    return Split(document, outer_dups, outer_longs, first_line, chunk_list), bounds


def read_chunk(chunk: Chunk, max_chars: int | None) -> bool:
    """Read a chunk's entry alone: its node and a verdict of reading; False: not safe alone."""
    piece = chunk.text
    if piece.endswith("\n") and piece.count("\n") == 1:
        node = json_lines.entry(piece[:-1], 2, max_chars)  # a feed file's line of JSON
        if node is not None:
            chunk.node, chunk.verdict = node, Verdict(2, (), ())
            return True
    read = _load_events(WRAP + piece, max_chars)
    if read is None:
        return False
    document, dups, longs = read
    items_read = document.get(KEY) if isinstance(document, Mapping) else None
    if not isinstance(items_read, Sequence) or len(items_read) != 1 or len(document) != 1:
        return False
    chunk.node = items_read[0]
    chunk.verdict = Verdict(items_read.lines[0], tuple(longs), tuple(dups))
    return True


def assemble(split: Split, chunks: list[Chunk]) -> tuple[Any, list[DuplicateKey], list[LongText]]:
    """Return what `split_document` returns, from a Split and a chunk with a verdict per entry."""
    first_line = split.first_line
    sequence = Sequence()
    sequence.lines = []
    sequence.line = first_line
    long_texts: list[LongText] = []
    duplicates: list[DuplicateKey] = []
    for chunk in chunks:
        verdict, offset = chunk.verdict, chunk.offset
        sequence.append(chunk)
        sequence.lines.append(verdict.line + offset)
        if verdict.long_texts:
            long_texts += [LongText(t.line + offset, t.length) for t in verdict.long_texts]
        if verdict.duplicates:
            duplicates += [
                DuplicateKey(d.key, d.line + offset, d.first_line + offset)
                for d in verdict.duplicates
            ]
    document = split.document
    document[KEY] = sequence
    outer_longs, outer_dups = split.long_texts, split.duplicates
    # In file order: what comes before the list, the entries', then what follows it.
    long_texts = [t for t in outer_longs if t.line < first_line] + long_texts
    long_texts += [t for t in outer_longs if t.line >= first_line]
    duplicates = [d for d in outer_dups if d.line < first_line] + duplicates
    duplicates += [d for d in outer_dups if d.line >= first_line]
    return document, duplicates, long_texts


# --- kept with the catalog cache, so that a restart's first change reads few entries too ------

VERDICTS_FORMAT = 1


def dump_verdicts(cache: EntryCache, resources: tuple) -> bytes | None:
    """Return the verdicts of a valid file's parse, to keep beside its catalog (None: not those).

    A valid file's verdicts hold no problem but warnings, and each entry's Resource is one of
    `resources` (the catalog the parse gave): what is kept is each digest, the index of its
    Resource, its lines, id, shared location and warnings. Verdicts that are not exactly the
    catalog's entries (a file read whole leaves the last ones) give None.
    """
    where = {id(resource): index for index, resource in enumerate(resources)}
    rows = []
    for digest, verdict in cache.verdicts.items():
        index = where.pop(id(verdict.resource), None)
        if (
            index is None
            or not verdict.validated
            or not verdict.is_mapping
            or verdict.long_texts
            or verdict.duplicates
            or verdict.schema_adds
            or any(add[4] != "warning" for add in verdict.resource_adds)
        ):
            return None
        rows.append((digest, index, verdict.line, verdict.rid, verdict.location_ref,
                     verdict.resource_adds))  # fmt: skip
    if where or cache.context is None:
        return None
    return marshal.dumps((VERDICTS_FORMAT, cache.context, cache.max_chars, rows))


def load_verdicts(cache: EntryCache, data: bytes, resources: tuple) -> bool:
    """Fill `cache` from `dump_verdicts` of the same catalog; False (and nothing) if it is not."""
    try:
        kind, context, max_chars, rows = marshal.loads(data)
        if kind != VERDICTS_FORMAT or len(rows) != len(resources):
            return False
        verdicts = {}
        for digest, index, line, rid, ref, adds in rows:
            resource = resources[index]
            if len(digest) != 16 or resource.id != rid or digest in verdicts:
                return False
            verdicts[digest] = Verdict(line, (), (), True, rid, (), tuple(adds), resource, ref,
                                       True)  # fmt: skip
    except (ValueError, TypeError, EOFError, IndexError, AttributeError):
        return False  # damaged or of another shape: the next change validates every entry
    if len({id(v.resource) for v in verdicts.values()}) != len(resources):
        return False
    cache.verdicts, cache.context, cache.max_chars = verdicts, context, max_chars
    return True
