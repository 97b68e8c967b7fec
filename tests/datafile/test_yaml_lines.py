"""YAML with line numbers, read the way a maintainer expects."""

from __future__ import annotations

import math

import pytest

from directory.datafile.yaml_lines import YAMLSyntaxError, load


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
