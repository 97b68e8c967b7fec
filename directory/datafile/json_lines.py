"""Read a feed file's entries, one JSON object a line, without a YAML parser; the same result.

`flask sync` writes each entry of a feed file on one line as JSON (maintenance/feed_sync.py's
`render`), which is YAML too. Reading those lines with libyaml's events costs about 0.2 ms an
entry, most of it Python handling a few hundred events per entry; `json.loads` reads the same
line in a few microseconds. This module reads such a line into the `Mapping` and `Sequence`
nodes `yaml_lines.load_bounded` gives, every key and item on the entry's line, and gives up
(None) whenever the two readers could disagree, so that the YAML reader decides instead:

- a character YAML does not take as it is (not printable, a line break YAML 1.1 folds, a byte
  order mark), a carriage return, an escape YAML reads differently (`\\/`, a surrogate `\\u`),
- a duplicate key, a text longer than `max_chars` (YAML reports both), nesting past what YAML's
  fast path reads, `NaN` or `Infinity`,
- a line that is not `- {...}` exactly as `json.dumps` writes it (its spacing, its numbers),
  or a layout other than the generated one (a header, then `resources:`, then entry lines).

Numbers go through `yaml_lines`' own reading of plain scalars (`1e5` is text there, as YAML
1.1 says), and `true`, `false`, `null` are YAML's too. tests/datafile/test_json_lines.py checks
the result against `load_bounded` over generated feed files and odd lines.
"""

from __future__ import annotations

import json
import re
from typing import Any

from directory.datafile.yaml_lines import (
    MAX_DEPTH,
    DuplicateKey,
    LongText,
    Mapping,
    Sequence,
    _load_events,
    _plain_scalar,
)

# Any character the YAML reader refuses or reads otherwise: anything not printable, \x85 and
# \u2028-\u2029 (line breaks to YAML 1.1), \ufeff (a byte order mark), and \r and \t.
_NOT_PLAIN = re.compile(
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
# Escapes JSON and YAML read differently: `\/` (not YAML 1.1's) and surrogate halves.
_ODD_ESCAPE = re.compile(r"\\/|\\u[dD][89a-fA-F]")
_KEY_LINE = "\nresources:\n"
_DEEP = MAX_DEPTH - 4  # brackets on a line past which its nesting is measured


class Entry(Mapping):
    """An entry read from one line of JSON: only JSON's values in it, its keys all text."""


class _GiveUp(Exception):
    """The YAML reader must read this."""


def read_file(
    text: str, max_chars: int | None = None
) -> tuple[Any, list[DuplicateKey], list[LongText]] | None:
    """Return what `load_bounded(text, max_chars)` returns for a generated feed file; else None.

    The header (everything before the entries) is read by YAML, with the entries left out;
    the entries, every line after `resources:`, by `entry`.
    """
    at = text.find(_KEY_LINE)
    if at < 0 or not text.endswith("\n") or "\r" in text:
        return None
    body = at + len(_KEY_LINE)
    if body == len(text) or not text.startswith("- {", body):
        return None
    header = text[:body]
    read = _load_events(header, max_chars)
    if read is None:
        return None
    document, duplicates, long_texts = read
    key_line = header.count("\n")
    if (
        not isinstance(document, Mapping)
        or "resources" not in document
        or document["resources"] is not None
        or document.lines["resources"] != key_line
        or any(d.key == "resources" for d in duplicates)
    ):
        return None
    lines = text[body:-1].split("\n")
    items = Sequence()
    items.line = key_line + 1
    items.lines = list(range(key_line + 1, key_line + 1 + len(lines)))
    for number, line in enumerate(lines, start=key_line + 1):
        node = entry(line, number, max_chars)
        if node is None:
            return None
        items.append(node)
    document["resources"] = items
    return document, duplicates, long_texts


def entry(line: str, number: int, max_chars: int | None = None) -> Entry | None:
    """Return the entry on one line `- {...}` (no line end) as YAML reads it, or None."""
    if not line.startswith("- {") or _NOT_PLAIN.search(line) or _ODD_ESCAPE.search(line):
        return None
    text = line[2:]
    try:
        value = _decode(text)
    except (_GiveUp, ValueError, RecursionError):
        return None
    # The spacing and numbers json.dumps writes, which is what YAML was checked on; a key
    # given twice, or a number written another way, reads back otherwise.
    if type(value) is not Mapping or _encode(value) != text:
        return None
    if line.count("{") + line.count("[") > _DEEP and _depth(value) > _DEEP:
        return None
    if max_chars is not None and len(text) > max_chars and _longest(value) > max_chars:
        return None  # YAML reports it and cuts it short
    return _placed(Entry(value), number)


def _float(token: str) -> Any:
    """Read a JSON number with a fraction or exponent as YAML reads that plain scalar."""
    return _plain_scalar(token)  # `1e-05` is text to YAML 1.1, `0.5` a number


def _give_up(token: str) -> Any:
    raise _GiveUp  # NaN, Infinity: not JSON, and not YAML's spelling either


_decode = json.JSONDecoder(object_hook=Mapping, parse_float=_float, parse_constant=_give_up).decode
_encode = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(value, ensure_ascii=False)


def _placed(node: Mapping, number: int) -> Mapping:
    """Give a mapping read by json, and everything in it, its line; lists become Sequences."""
    node.line = number
    node.lines = dict.fromkeys(node, number)
    for key, value in node.items():
        kind = type(value)
        if kind is Mapping:
            _placed(value, number)
        elif kind is list:
            node[key] = _sequence(value, number)
    return node


def _sequence(items: list, number: int) -> Sequence:
    node = Sequence(items)
    node.line = number
    node.lines = [number] * len(node)
    for index, value in enumerate(node):
        kind = type(value)
        if kind is Mapping:
            _placed(value, number)
        elif kind is list:
            node[index] = _sequence(value, number)
    return node


def _depth(node: Any) -> int:
    if isinstance(node, dict):
        return 1 + max((_depth(v) for v in node.values()), default=0)
    if isinstance(node, list):
        return 1 + max((_depth(v) for v in node), default=0)
    return 0


def _longest(node: Any) -> int:
    """The longest text in a node, keys included (YAML limits every scalar)."""
    if isinstance(node, dict):
        return max((max(len(str(k)), _longest(v)) for k, v in node.items()), default=0)
    if isinstance(node, list):
        return max((_longest(v) for v in node), default=0)
    return len(node) if isinstance(node, str) else len(json.dumps(node))
