"""Read YAML fast (libyaml) into dicts and lists that remember the line of every key and item.

Scalars follow the YAML 1.2 core schema, as a maintainer would expect: `19:00` is the text
"19:00" (not YAML 1.1's 1140 minutes) and `yes` is the text "yes". Dates stay text, so a bad
date is a validation message rather than a crash. Duplicate keys are reported, not dropped.

Anchors and aliases are allowed (`<<: *defaults` saves typing) but bounded before anything
expands them: the composed document is walked once, sharing counted, not copied, so a recursive
alias, an alias "bomb" (a kilobyte that expands to billions of values) or absurd nesting is a
YAMLSyntaxError, not a crash. Text longer than `max_chars` is reported and cut short.

Speed: most files (every generated feed file, most hand-written ones) use no alias, merge key or
explicit tag. Those are read straight from libyaml's events into the dicts and lists, about
ten times quicker than composing libyaml's node tree, checking it and converting it. Anything
else (an alias, `<<`, a tag, absurd nesting, a syntax error) is read the general way, which
gives the same document and every message exactly as before.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_NULL = {"", "~", "null", "Null", "NULL"}
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_SPECIAL_FLOATS = {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}
MERGE_TAG = "tag:yaml.org,2002:merge"
STR_TAG = "tag:yaml.org,2002:str"
MAX_DEPTH = 32  # a resource file nests 6 deep; far deeper is a mistake or an attack
# Aliases may add at most this many values to the document, or as many as it has itself.
ALIAS_ALLOWANCE = 100_000


class Mapping(dict):
    """A mapping with `line` (its own) and `lines` (each key's line), 1-based."""

    line: int = 0
    lines: dict


class Sequence(list):
    """A list with `line` (its own) and `lines` (each item's line), 1-based."""

    line: int = 0
    lines: list


@dataclass(frozen=True)
class DuplicateKey:
    key: str
    line: int
    first_line: int


@dataclass(frozen=True)
class LongText:
    line: int
    length: int  # characters in the file; the document holds the first max_chars of them


class YAMLSyntaxError(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


class YAMLStructureError(YAMLSyntaxError):
    """Valid YAML that no resource file needs: recursion, an alias bomb, absurd nesting."""


def load(text: str, max_chars: int | None = None) -> tuple[object, list[DuplicateKey]]:
    """Parse `text`; return the document and any duplicate keys found in it.

    With `max_chars`, longer scalars are cut to that length and listed in `long_texts` of the
    returned duplicates' companion: use `load_bounded` to get both.
    """
    document, duplicates, _ = load_bounded(text, max_chars)
    return document, duplicates


def load_bounded(
    text: str, max_chars: int | None = None
) -> tuple[object, list[DuplicateKey], list[LongText]]:
    """Parse `text`; return the document, its duplicate keys and its over-long scalars."""
    fast = _load_events(text, max_chars)
    if fast is not None:
        return fast
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YAMLSyntaxError(mark.line + 1 if mark else 0, exc.problem or str(exc)) from None
    except yaml.YAMLError as exc:
        raise YAMLSyntaxError(0, str(exc)) from None
    except RecursionError:
        raise YAMLStructureError(0, f"nested more than {MAX_DEPTH} levels deep") from None
    duplicates: list[DuplicateKey] = []
    long_texts: list[LongText] = []
    if node is None:
        return None, duplicates, long_texts
    check_structure(node)
    converter = _Converter(duplicates, long_texts, max_chars)
    return converter.convert(node), duplicates, long_texts


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def check_structure(root: yaml.Node, allowance: int = ALIAS_ALLOWANCE) -> None:
    """Refuse a recursive alias, aliases that expand too far, or nesting past MAX_DEPTH.

    One iterative walk over the composed nodes: each node is visited once however many aliases
    point at it, its expanded size and height memoised, so an alias bomb costs what its text
    costs. Raise YAMLSyntaxError naming the line.
    """
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            children = _children(node)
            size[key] = 1 + sum(size[id(c)] for c in children)
            height[key] = 1 + max((height[id(c)] for c in children), default=0)
            on_path.discard(key)
            line = node.start_mark.line + 1
            if height[key] > MAX_DEPTH:
                raise YAMLStructureError(line, f"nested more than {MAX_DEPTH} levels deep")
            if size[key] > len(size) + max(allowance, len(size)):
                raise YAMLStructureError(
                    line,
                    f"aliases (*name) here expand to {size[key]:,} values or more; an anchor may"
                    " repeat a block, not multiply the file (refused before expanding it)",
                )
            continue
        if key in size:
            continue
        on_path.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_path:
                raise YAMLStructureError(
                    child.start_mark.line + 1,
                    "an alias (*name) refers to the block that contains it; a resource file"
                    " cannot refer to itself",
                )
            if id(child) not in size:
                stack.append((child, False))


class _Converter:
    def __init__(
        self,
        duplicates: list[DuplicateKey],
        long_texts: list[LongText] | None = None,
        max_chars: int | None = None,
    ):
        self.duplicates = duplicates
        self.long_texts = long_texts if long_texts is not None else []
        self.max_chars = max_chars
        self.done: dict[int, object] = {}  # anchors: one node, one object

    def convert(self, node: yaml.Node) -> object:
        key = id(node)
        if key in self.done:
            return self.done[key]
        if isinstance(node, yaml.MappingNode):
            out: object = self._mapping(node)
        elif isinstance(node, yaml.SequenceNode):
            seq = Sequence()
            seq.line = node.start_mark.line + 1
            seq.lines = []
            self.done[key] = seq
            for item in node.value:
                seq.append(self.convert(item))
                seq.lines.append(item.start_mark.line + 1)
            out = seq
        else:
            if self.max_chars is not None and len(node.value) > self.max_chars:
                self.long_texts.append(LongText(node.start_mark.line + 1, len(node.value)))
                node.value = node.value[: self.max_chars]
            out = _scalar(node)
        self.done[key] = out
        return out

    def _mapping(self, node: yaml.MappingNode) -> Mapping:
        out = Mapping()
        out.line = node.start_mark.line + 1
        out.lines = {}
        self.done[id(node)] = out
        merged: list[Mapping] = []
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                value = self.convert(value_node)
                merged.extend(v for v in (value if isinstance(value, list) else [value])
                              if isinstance(v, Mapping))  # fmt: skip
                continue
            key = self.convert(key_node)
            if not isinstance(key, str | int | float | bool) or key is None:
                key = str(key)
            line = key_node.start_mark.line + 1
            if key in out.lines:
                self.duplicates.append(DuplicateKey(str(key), line, out.lines[key]))
                continue
            out[key] = self.convert(value_node)
            out.lines[key] = line
        for source in merged:  # `<<: *anchor` fills in keys the mapping does not set itself
            for key, value in source.items():
                if key not in out:
                    out[key] = value
                    out.lines[key] = source.lines[key]
        return out


def _scalar(node: yaml.ScalarNode) -> object:
    text = node.value
    if node.style or node.tag == STR_TAG:  # quoted, literal, folded, `!!str` or plain text
        return text
    return _core_scalar(text)


def _core_scalar(text: str) -> object:
    """Return a plain scalar by the YAML 1.2 core rules: a null, a boolean, a number or text."""
    if text in _NULL:
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.fullmatch(text):
        try:
            return int(text)
        except ValueError:  # more digits than Python reads (4,300): kept as the text it is
            return text
    if _FLOAT.fullmatch(text):
        return float(text)
    if text.lower() in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[text.lower()]
    return text


# --- the fast path: libyaml's events straight into Mapping and Sequence ---------------------------


class _General(Exception):
    """The text needs the general path (aliases, merges, tags, errors, deep nesting)."""


def _plain_scalar(value: str) -> object:
    """Return a plain scalar as `_scalar` reads it, asking the YAML 1.1 resolver only when needed.

    `_scalar` keeps text that PyYAML's resolver calls a string, and otherwise applies the YAML
    1.2 core rules. Both give the text itself unless it looks like a null, a boolean or a number,
    so only those few values need the resolver's verdict.
    """
    if value in _NULL or value in _BOOL or value.lower() in _SPECIAL_FLOATS:
        pass
    elif not value or value[0] not in "+-.0123456789":
        return value
    elif not (_INT.fullmatch(value) or _FLOAT.fullmatch(value)):
        return value
    if _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) == STR_TAG:
        return value
    return _core_scalar(value)


def _cut_plain_scalar(value: str, max_chars: int) -> object:
    """Return an over-long plain scalar cut short, as `_scalar` reads it after the cut.

    The general path resolves the tag on the whole text and applies the core rules to what is
    left only when that tag is not text; the first character, the same before and after the
    cut, says when the core rules can give anything but text.
    """
    cut = value[:max_chars]
    if not value or value[0] not in _MAYBE_SPECIAL:
        return cut
    if _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) == STR_TAG:
        return cut
    return _core_scalar(cut)


_RESOLVER = yaml.resolver.Resolver()


def _load_events(
    text: str, max_chars: int | None
) -> tuple[object, list[DuplicateKey], list[LongText]] | None:
    """Read `text` from libyaml's events; None when only the general path can read it."""
    try:
        # The parser's own get_event until it says None (the stream's end), as `yaml.parse`
        # does, without a Python generator around each of a million events.
        return _from_events(iter(_LOADER(text).get_event, None), max_chars)
    except (_General, yaml.YAMLError, RecursionError):
        return None


def _from_events(
    events, max_chars: int | None
) -> tuple[object, list[DuplicateKey], list[LongText]]:
    """Build the document from the events; raise _General for what only the general path reads.

    The innermost open collection lives in local variables (the enclosing ones on `stack`): this
    loop runs once per event, a million times for a national directory, so every attribute look
    up and call saved here is seconds saved there. A scalar, three events in four, is placed
    where it is read; a mapping's value needs no line of its own (only its key's is kept).
    """
    duplicates: list[DuplicateKey] = []
    long_texts: list[LongText] = []
    scalar_event, mapping_start, sequence_start = (
        yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
    )  # fmt: skip
    mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
    plain_scalar, maybe_special, no_key, str_tag = _plain_scalar, _MAYBE_SPECIAL, _NO_KEY, STR_TAG
    # The innermost open collection: the container, its `lines`, whether it is a mapping, its
    # pending key (no_key: the next node is a key) and that key's line, and the duplicates and
    # long texts before a duplicate key's value (rolled back: the general path never reads it).
    container: Any = None
    lines: Any = None
    is_map = False
    key: Any = no_key
    key_line = 0
    rollback: tuple[int, int] | None = None
    stack: list[tuple] = []  # the enclosing collections' saved variables
    push, pop = stack.append, stack.pop
    root: object = None
    documents = 0
    for event in events:
        kind = type(event)
        if kind is scalar_event:
            item: Any = event.value
            tag = event.tag
            if tag is not None:
                if tag != str_tag:
                    raise _General
                if max_chars is not None and len(item) > max_chars:
                    if item == "<<":  # a key `<<` cut short: whether it merges, generally
                        raise _General
                    long_texts.append(LongText(event.start_mark.line + 1, len(item)))
                    item = item[:max_chars]
            elif max_chars is not None and len(item) > max_chars:
                if item == "<<":
                    raise _General
                long_texts.append(LongText(event.start_mark.line + 1, len(item)))
                item = item[:max_chars] if event.style else _cut_plain_scalar(item, max_chars)
            elif not event.style and (not item or item[0] in maybe_special):
                item = plain_scalar(item)
            # An anchor no alias uses changes nothing; an alias sends us the general way.
            if is_map:
                if key is no_key:  # this scalar is a key
                    if item == "<<":
                        # A plain `<<` is a merge key; a quoted one is text. Tell them apart
                        # generally.
                        raise _General
                    if item is None:
                        item = "None"
                    key, key_line = item, event.start_mark.line + 1
                    if item in lines:
                        rollback = (len(duplicates), len(long_texts))
                elif rollback is None:
                    container[key] = item
                    lines[key] = key_line
                    key = no_key
                else:  # the value of a duplicate key: reported, then dropped with its parts
                    del duplicates[rollback[0] :]
                    del long_texts[rollback[1] :]
                    duplicates.append(DuplicateKey(str(key), key_line, lines[key]))
                    key, rollback = no_key, None
            elif container is not None:
                container.append(item)
                lines.append(event.start_mark.line + 1)
            else:
                root = item
        elif kind is mapping_start or kind is sequence_start:
            if len(stack) >= MAX_DEPTH - 1:
                raise _General
            if is_map and key is no_key:
                raise _General  # a collection as a key
            push((container, lines, is_map, key, key_line, rollback))
            if kind is mapping_start:
                container = Mapping()
                container.lines = lines = {}
                is_map = True
            else:
                container = Sequence()
                container.lines = lines = []
                is_map = False
            container.line = event.start_mark.line + 1
            key, key_line, rollback = no_key, 0, None
        elif kind is mapping_end or kind is sequence_end:
            item = container
            container, lines, is_map, key, key_line, rollback = pop()
            if container is None:
                root = item
            elif not is_map:
                container.append(item)
                lines.append(item.line)
            elif rollback is None:  # a collection is never a key: this is a value
                container[key] = item
                lines[key] = key_line
                key = no_key
            else:
                del duplicates[rollback[0] :]
                del long_texts[rollback[1] :]
                duplicates.append(DuplicateKey(str(key), key_line, lines[key]))
                key, rollback = no_key, None
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _General  # "expected a single document": the general path says so
        elif kind is yaml.AliasEvent:
            raise _General
        # else stream and document ends
    return root, duplicates, long_texts


_NO_KEY = object()
# The first characters of the plain scalars that may not be text: numbers, nulls, booleans and
# the special floats. Any other plain scalar is its own text, without asking `_plain_scalar`.
_MAYBE_SPECIAL = frozenset("+-.0123456789~nNtTfF")
