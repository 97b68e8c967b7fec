"""YAML with line numbers, read the way a maintainer expects."""

from __future__ import annotations

import math

import pytest

from directory.datafile.yaml_lines import YAMLSyntaxError, load
from tests.conftest import FIXTURES, SAMPLE

FIXTURE_FILES = (*FIXTURES.rglob("*.yaml"), SAMPLE)


def test_lines_of_keys_and_items():
    doc, dups = load("a: 1\nb:\n  - x\n  - {c: 2}\n")
    assert dups == []
    assert doc.lines == {"a": 1, "b": 2}
    assert doc["b"].lines == [3, 4]
    assert doc["b"][1].lines == {"c": 4}


def test_yaml_1_2_scalars():
    doc, _ = load(
        "t: 19:00\ny: yes\nn: null\ne:\nb: true\ni: 42\nf: 4.5\nd: 2026-01-31\n"
        "q: '7'\nz: 02134\ninf: .inf\nnan: .NaN\n"
    )
    assert doc["t"] == "19:00" and doc["y"] == "yes" and doc["n"] is None and doc["e"] is None
    assert doc["b"] is True and doc["i"] == 42 and doc["f"] == 4.5
    assert doc["d"] == "2026-01-31" and doc["q"] == "7"
    assert doc["z"] == 2134  # the validator asks for quotes when a leading zero is lost
    assert doc["inf"] == math.inf and math.isnan(doc["nan"])


def test_duplicate_keys_are_reported_with_both_lines():
    _, dups = load("a: 1\nb: 2\na: 3\n")
    assert [(d.key, d.line, d.first_line) for d in dups] == [("a", 3, 1)]


def test_anchors_and_merge_keys():
    doc, _ = load("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\nsame: *b\n")
    assert doc["use"] == {"x": 1, "y": 3}
    assert doc["same"] is doc["base"]


@pytest.mark.parametrize("text", ["a: [1, 2", "a: b: c", "- a\nb: c", "\t- x", "a: *nope"])
def test_syntax_errors_carry_a_line(text):
    with pytest.raises(YAMLSyntaxError) as info:
        load(text)
    assert info.value.line >= 1


def test_explicit_str_tag_keeps_text():
    doc, _ = load("a: !!str 123\nb: 123\n")
    assert doc == {"a": "123", "b": 123}


def _general(text: str, max_chars: int | None):
    """The general path alone: libyaml's node tree, checked, then converted."""
    import yaml

    from directory.datafile import yaml_lines

    node = yaml.compose(text, Loader=yaml_lines._LOADER)
    duplicates, long_texts = [], []
    yaml_lines.check_structure(node)
    converter = yaml_lines._Converter(duplicates, long_texts, max_chars)
    return converter.convert(node), duplicates, long_texts


def _shape(value):
    """A value with every line it carries, comparable with ==."""
    if isinstance(value, dict):
        items = sorted((repr(k), _shape(v)) for k, v in value.items())
        return ("map", value.line, sorted(value.lines.items(), key=repr), items)
    if isinstance(value, list):
        return ("seq", value.line, list(value.lines), [_shape(v) for v in value])
    return (type(value).__name__, repr(value))


TRICKY = (
    "a: 1\nb: 01\nc: 08\nd: 1e5\ne: 1.5\nf: .5\ng: -3\nh: 0x1f\ni: 1_000\nj: 3.\nk: 0b101\n",
    "a: yes\nb: No\nc: TRUE\nd: null\ne: ~\nf:\ng: .inf\nh: -.Inf\ni: .NaN\nj: 0o17\n",
    "t: 19:00\nd: 2026-01-31\nq: '7'\nr: \"8\"\ns: !!str 9\nl: |\n  two\n  lines\n",
    "a: 1\na: {b: [x" + ", x" * 3 + "], b: 2}\nc: {d: 1, d: " + "y" * 30 + "}\n1: x\ntrue: y\n",
    "resources:\n  - id: a\n    name: " + "n" * 40 + "\n    " + "k" * 30 + ": v\n  -\n    id: b\n",
)


@pytest.mark.parametrize("name", [*sorted(p.name for p in FIXTURE_FILES), *range(len(TRICKY))])
def test_the_fast_path_reads_exactly_what_the_general_path_reads(name):
    from directory.datafile.yaml_lines import _load_events

    path = next((p for p in FIXTURE_FILES if p.name == name), None)
    text = path.read_text() if path else TRICKY[name]
    for max_chars in (None, 20):
        fast = _load_events(text, max_chars)
        if fast is None:  # aliases, merges, tags or errors: only the general path reads them
            assert path is None or name in ("yaml-syntax.yaml", "hand_edited.yaml")
            continue
        document, duplicates, long_texts = _general(text, max_chars)
        assert _shape(fast[0]) == _shape(document)
        assert (fast[1], fast[2]) == (duplicates, long_texts)


def test_aliases_and_merges_are_read_the_general_way():
    from directory.datafile.yaml_lines import _load_events

    assert _load_events("a: &x 1\nb: *x\n", None) is None
    assert _load_events("a: {x: 1}\nb:\n  <<: {y: 2}\n", None) is None
    assert _load_events("a: !custom 1\n", None) is None


_WORDS = ("a", "id", "x", "<<", "'<<'", "null", "~", "", "''", "true", "No", "1", "01", "-2.5",
          ".inf", "-.NaN", "0x1f", "19:00", "2026-01-31", '"q\\n"', "'it''s'", "!!str 7", "&k v",
          "!odd 1", "*k", "1e5", "+.5", "long" * 8, '"' + "é" * 30 + '"')  # fmt: skip


def _random_node(rng, depth: int, indent: int) -> str:
    """A random block or flow node, text to follow `key:` or `- ` (hostile bits included)."""
    roll = rng.random()
    if depth > 3 or roll < 0.45:
        return " " + rng.choice(_WORDS)
    pad = " " * (indent + 2)
    if roll < 0.6:
        inner = ", ".join(rng.choice(_WORDS) for _ in range(rng.randrange(4)))
        return f" [{inner}]" if rng.random() < 0.5 else " {" + inner.replace(",", ": v,") + "}"
    if roll < 0.8:
        keys = [rng.choice(("a", "b", "c", "a", "1", "null", "'x'", "<<")) for _ in range(3)]
        return "".join(f"\n{pad}{k}:{_random_node(rng, depth + 1, indent + 2)}" for k in keys)
    count = rng.randrange(1, 4)
    return "".join(f"\n{pad}-{_random_node(rng, depth + 1, indent + 2)}" for _ in range(count))


def test_the_fast_path_reads_random_documents_exactly_as_the_general_path():
    import random

    import yaml

    from directory.datafile.yaml_lines import _load_events

    rng = random.Random(16)
    fast_read = 0
    for _ in range(1500):
        text = "".join(f"k{i}:{_random_node(rng, 0, 0)}\n" for i in range(rng.randrange(1, 5)))
        if rng.random() < 0.1:
            text = "- " + text.replace("\n", "\n  ")
        if rng.random() < 0.05:
            text += "---\nb: 1\n"
        for max_chars in (None, 0, 5):
            fast = _load_events(text, max_chars)
            if fast is None:
                continue
            fast_read += 1
            try:
                document, duplicates, long_texts = _general(text, max_chars)
            except yaml.composer.ComposerError as exc:
                # An anchor given twice and never used: the fast path reads it (as since it
                # exists), libyaml's composer refuses it.
                assert "duplicate anchor" in str(exc)
                continue
            assert _shape(fast[0]) == _shape(document), text
            assert (fast[1], fast[2]) == (duplicates, long_texts), text
    assert fast_read > 1000  # most documents take the fast path: the comparison means something
