"""Read YAML fast (libyaml) into dicts and lists that remember the line of every key and item.

Scalars follow the YAML 1.2 core schema, as a maintainer would expect: `19:00` is the text
"19:00" (not YAML 1.1's 1140 minutes) and `yes` is the text "yes". Dates stay text, so a bad
date is a validation message rather than a crash. Duplicate keys are reported, not dropped.
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


class YAMLSyntaxError(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def load(text: str) -> tuple[object, list[DuplicateKey]]:
    """Parse `text`; return the document and any duplicate keys found in it."""
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YAMLSyntaxError(mark.line + 1 if mark else 0, exc.problem or str(exc)) from None
    except yaml.YAMLError as exc:
        raise YAMLSyntaxError(0, str(exc)) from None
    duplicates: list[DuplicateKey] = []
    if node is None:
        return None, duplicates
    return _Converter(duplicates).convert(node), duplicates


class _Converter:
    def __init__(self, duplicates: list[DuplicateKey]):
        self.duplicates = duplicates
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
