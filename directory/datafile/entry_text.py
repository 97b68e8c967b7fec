"""New entries written as ruamel.yaml would write them, and the file read back as the app reads it.

An import adds thousands of entries at once. ruamel.yaml takes about 5 ms to write an entry and
12 ms to read one back (100,000 meetings: over half an hour, and gigabytes of its node trees),
so `editing` writes new entries here instead and checks the edited file by streaming libyaml's
events, one entry at a time:

- `entry_lines` writes an entry in exactly the text ruamel.yaml gives it with `editing`'s
  settings and styles (block mappings, flow lists of scalars, flow mappings for small items of a
  list, literal blocks for text with line breaks, quoted times and number-like codes). Each
  scalar's style is ruamel.yaml's own choice (`choose_style` follows its emitter's rules and asks
  its resolver); anything this module does not write the same way (long text that ruamel.yaml
  would fold, characters it escapes, empty values, deep structures) returns None, and `editing`
  lets ruamel.yaml write that entry. tests/datafile/test_entry_text.py holds the two equal.
- `read_items` yields the items of one top-level key as `datafile.load` reads them (YAML 1.2
  core scalars, dates as text, anchors, aliases and `<<` merges), holding one item at a time.
- `same` compares what was meant with what was read: a date and its ISO text are the same.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from functools import lru_cache
from typing import Any

import yaml
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver

from directory.datafile.yaml_lines import _scalar as _app_scalar  # the app's reading of one

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
STR_TAG = "tag:yaml.org,2002:str"
WIDTH = 4000  # below editing's 4096: past it ruamel.yaml folds a line, which is not done here
_TIME = re.compile(r"^\d{2}:\d{2}$")
_NUMBER_LIKE = re.compile(r"^[\d+\-. ]+$")
# Characters ruamel.yaml writes as they are (allow_unicode): printable ASCII and Unicode, but
# not U+FEFF, the C1 controls, the surrogates or the line and paragraph separators (U+2028,
# U+2029: line breaks to it, so a scalar holding one is quoted and broken).
_PRINTABLE = re.compile(
    r"^[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*$"
)
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FLOW_MARK = re.compile(r"[,\[\]{}]")
_FLOAT = re.compile(r"^-?\d+\.\d+$")
_RESOLVER = VersionedResolver()
# First characters for which ruamel.yaml's resolver might read a plain scalar as not text.
_RESOLVER_FIRST = frozenset(k for k in _RESOLVER.versioned_resolver if k)


@lru_cache(maxsize=65536)  # bounded; feeds repeat their codes, towns and words
def _is_text(value: str) -> bool:
    """True when ruamel.yaml reads `value`, written plain, back as text."""
    if value[:1] not in _RESOLVER_FIRST:
        return True
    return _RESOLVER.resolve(ScalarNode, value, (True, False)) == STR_TAG


def _plain_ok(value: str, flow: bool) -> bool:
    """ruamel.yaml's analysis (Emitter.analyze_scalar) of one line of printable text: plain?"""
    if value[0] == " " or value[-1] == " ":
        return False
    size, first = len(value), value[0]
    followed = size == 1 or value[1] == " "
    flow_marks = block_marks = value.startswith(("---", "..."))
    if first in "#,[]{}&*!|>'\"%@`" or (first == "-" and followed):
        flow_marks = block_marks = True
    if first in "?:":
        flow_marks |= size == 1
        block_marks |= followed
    if _FLOW_MARK.search(value, 1):
        flow_marks = True
    if value.find(": ", 1) != -1 or (size > 1 and value[-1] == ":") or " #" in value:
        flow_marks = block_marks = True
    return not (flow_marks if flow else block_marks)


def choose_style(value: str, flow: bool = False) -> str | None:
    """Return how ruamel.yaml writes a plain `str` here: "", "'" or '"' (None: not done here).

    The order is its emitter's `choose_scalar_style`: plain when allowed and read back as text,
    else double quotes for text with an apostrophe, else single quotes.
    """
    if not _PRINTABLE.match(value) or "\n" in value:
        return None
    if flow and value[0] in "?:" and value[1:2] == " ":
        return None  # ruamel.yaml writes it plain in a flow, which no parser reads back
    if _plain_ok(value, flow) and _is_text(value):
        return ""
    if "'" in value:
        # Double quotes escape `"` and `\`: left to ruamel.yaml.
        return '"' if '"' not in value and "\\" not in value else None
    return "'"


def _scalar(value: Any, flow: bool) -> str | None:
    """Return one scalar as ruamel.yaml writes it in `editing`'s style, or None."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        return text if _FLOAT.match(text) and math.isfinite(value) else None
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str) or not value:
        return None
    if _TIME.match(value) or _NUMBER_LIKE.match(value):
        return f'"{value}"'  # editing.to_node quotes these, as the format's examples do
    style = choose_style(value, flow)
    if style is None:
        return None
    return f"{style}{value}{style}"


def _flat(value: Any) -> bool:
    return isinstance(value, list | tuple) and all(
        not isinstance(v, Mapping | list | tuple) for v in value
    )


def _flow_list(values: Sequence[Any]) -> str | None:
    if not values:
        return None
    parts = [_scalar(v, flow=True) for v in values]
    return None if None in parts else f"[{', '.join(parts)}]"


def _flow_mapping(mapping: Mapping[str, Any]) -> str | None:
    from directory.datafile.editing import RESOURCE_KEY_ORDER, _ordered  # noqa: PLC0415  # why: editing imports this module

    parts = []
    for key in _ordered(mapping.keys(), RESOURCE_KEY_ORDER):  # as editing.to_node orders them
        value = mapping[key]
        name = _key(key, flow=True)
        text = _flow_list(value) if isinstance(value, list | tuple) else _scalar(value, flow=True)
        if name is None or text is None:
            return None
        parts.append(f"{name}: {text}")
    return "{" + ", ".join(parts) + "}" if parts else None


def _key(key: Any, flow: bool = False) -> str | None:
    if not isinstance(key, str) or not _KEY.match(key) or not _is_text(key):
        return None
    return key


def _literal(value: str, pad: str) -> list[str] | None:
    """Return a text with line breaks as ruamel.yaml's literal block (`|-`), or None."""
    if value[0] in " \n" or value.endswith("\n") or not _PRINTABLE.match(value.replace("\n", "")):
        return None
    if any(line.endswith(" ") for line in value.split("\n")):
        return None  # ruamel.yaml would not keep such a block as it is: left to it
    return [f"{pad}{line}\n" if line else "\n" for line in value.split("\n")]


def _mapping_lines(
    mapping: Mapping[str, Any], indent: int, order: Sequence[str], first: str | None = None
) -> list[str] | None:
    """Return the lines of a block mapping at `indent`; `first` opens its first line ("- ")."""
    from directory.datafile.editing import LOCATION_KEY_ORDER, _ordered  # noqa: PLC0415  # why: editing imports this module

    lines: list[str] = []
    pad = " " * indent
    for n, key in enumerate(_ordered(mapping.keys(), order)):
        name = _key(key)
        if name is None:
            return None
        value = mapping[key]
        lead = first if (n == 0 and first is not None) else pad
        head = f"{lead}{name}:"
        if isinstance(value, Mapping):
            inner = _mapping_lines(
                value, indent + 2, LOCATION_KEY_ORDER if key == "location" else ()
            )
            if not inner:
                return None
            lines.append(head + "\n")
            lines.extend(inner)
        elif isinstance(value, list | tuple):
            if _flat(value):
                text = _flow_list(value)
                if text is None:
                    return None
                lines.append(f"{head} {text}\n")
            elif value and all(isinstance(v, Mapping) for v in value):
                # Small mappings in a list (schedule windows) go one to a line, in flow style.
                lines.append(head + "\n")
                for item in value:
                    if not all(
                        not isinstance(v, Mapping | list | tuple) or _flat(v) for v in item.values()
                    ):
                        return None
                    text = _flow_mapping(item)
                    if text is None:
                        return None
                    lines.append(f"{pad}  - {text}\n")
            else:
                return None
        elif isinstance(value, str) and "\n" in value:
            block = _literal(value, pad + "  ")
            if block is None:
                return None
            lines.append(f"{head} |-\n")
            lines.extend(block)
        else:
            text = _scalar(value, flow=False)
            if text is None:
                return None
            lines.append(f"{head} {text}\n")
    if any(len(line) > WIDTH for line in lines):
        return None  # ruamel.yaml folds long lines
    return lines


def entry_lines(record: Mapping[str, Any], indent: int) -> list[str] | None:
    """Return a new resource entry's lines as an item of `resources:` at `indent`, or None."""
    from directory.datafile.editing import RESOURCE_KEY_ORDER  # noqa: PLC0415  # why: see above

    if not record:
        return None
    return _mapping_lines(record, indent + 2, RESOURCE_KEY_ORDER, first=" " * indent + "- ")


# --- reading the file back, as the app reads it ------------------------------------------------

_NO_KEY = object()


_MERGE = object()  # the key `<<`, written plain: merge the mapping(s) it names


class _Chunks:
    """The text handed to libyaml a piece at a time: given the whole, it copies it as UTF-8."""

    def __init__(self, text: str) -> None:
        self.text, self.at = text, 0

    def read(self, size: int = -1) -> str:
        size = len(self.text) if size < 0 else size
        piece = self.text[self.at : self.at + size]
        self.at += len(piece)
        return piece


def read_items(text: str, key: str) -> Iterator[Any]:
    """Yield the items of the file's top-level `key`, as `datafile.load` reads them.

    A list's items, or a mapping's (key, value) pairs; nothing when the key is missing or
    empty. Only one item is held at a time (and the values anchors name). Raise ValueError when
    the text is not YAML.
    """
    loader = _LOADER(_Chunks(text))
    anchors: dict[str, Any] = {}
    # Each open collection: [container, its pending key, its anchor, mappings merged into it].
    stack: list[list[Any]] = []
    scalar, alias = yaml.ScalarEvent, yaml.AliasEvent
    opens = {yaml.MappingStartEvent: dict, yaml.SequenceStartEvent: list}
    closes = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    try:
        while loader.check_event():
            event = loader.get_event()
            kind = type(event)
            if kind is scalar:
                value, anchor = _app_scalar(event), event.anchor
            elif kind in opens:
                stack.append([opens[kind](), _NO_KEY, event.anchor, []])
                continue
            elif kind in closes:
                value, _, anchor, merges = stack.pop()
                for source in merges:  # `<<: *defaults` fills in the keys not set here
                    for k, v in source.items():
                        value.setdefault(k, v)
            elif kind is alias:
                if event.anchor not in anchors:
                    raise ValueError(f"alias *{event.anchor} names no anchor")
                value, anchor = anchors[event.anchor], None
            else:
                continue  # the stream's and the document's start and end
            if anchor:
                anchors[anchor] = value
            if not stack:
                continue  # the whole document
            parent = stack[-1]
            in_key = len(stack) == 2 and stack[0][1] == key
            if type(parent[0]) is dict:
                if parent[1] is _NO_KEY:
                    if kind is scalar and not event.style and event.value == "<<":
                        parent[1] = _MERGE
                    elif not isinstance(value, str | int | float | bool) or value is None:
                        parent[1] = str(value)
                    else:
                        parent[1] = value
                    continue
                name, parent[1] = parent[1], _NO_KEY
                if name is _MERGE:
                    merged = value if isinstance(value, list) else [value]
                    parent[3].extend(v for v in merged if isinstance(v, dict))
                elif in_key:
                    yield name, value
                elif name not in parent[0]:  # a repeated key: the first counts, as in load
                    parent[0][name] = value
            elif in_key:
                yield value
            else:
                parent[0].append(value)
    except yaml.YAMLError as exc:
        raise ValueError(str(exc)) from exc
    finally:
        loader.dispose()


def same(meant: Any, read: Any) -> bool:
    """True when data read back is the data meant (a date reads back as its ISO text)."""
    if type(meant) is str and type(read) is str:  # most values
        return meant == read
    if isinstance(meant, date):
        meant = meant.isoformat()
    if isinstance(read, date):
        read = read.isoformat()
    if isinstance(meant, Mapping):
        return (
            isinstance(read, Mapping)
            and len(meant) == len(read)
            and all(k in read and same(v, read[k]) for k, v in meant.items())
        )
    if isinstance(meant, list | tuple):
        return (
            isinstance(read, list | tuple)
            and len(meant) == len(read)
            and all(same(a, b) for a, b in zip(meant, read, strict=True))
        )
    if isinstance(meant, str) or isinstance(read, str):
        return isinstance(meant, str) and isinstance(read, str) and str(meant) == str(read)
    if isinstance(meant, float) and isinstance(read, float) and math.isnan(meant):
        return math.isnan(read)
    # true is not 1, nor 1.0 the same value as 1 in the file.
    return type(meant) is type(read) and meant == read
