"""Read YAML fast (libyaml) into dicts and lists that remember the line of every key and item.

Scalars follow the YAML 1.2 core schema, as a maintainer would expect: `19:00` is the text
"19:00" (not YAML 1.1's 1140 minutes) and `yes` is the text "yes". Dates stay text, so a bad
date is a validation message rather than a crash. Duplicate keys are reported, not dropped.

Anchors and aliases are allowed (`<<: *defaults` saves typing) but bounded before anything
expands them: the composed document is walked once, sharing counted, not copied, so a recursive
alias, an alias "bomb" (a kilobyte that expands to billions of values) or absurd nesting is a
YAMLSyntaxError, not a crash. Text longer than `max_chars` is reported and cut short.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

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
    if text in _NULL:
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    if text.lower() in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[text.lower()]
    return text
