"""A hostile or broken data file is refused cheaply: limits are checked before the work grows."""

from __future__ import annotations

import resource
import time

import pytest

from directory.datafile.limits import DEFAULT_LIMITS, MAX_PROBLEMS, DataLimits
from directory.datafile.load import parse_bytes, validate_file, validate_text
from directory.datafile.yaml_lines import MAX_DEPTH, load
from tests.conftest import FIXTURES

HEAD = "format: 1\ndirectory: {name: Test, timezone: America/Los_Angeles}\n"
ENTRY = "  - {id: %s, name: Pantry %s, category: food}\n"


def alias_bomb(levels: int = 9) -> str:
    """The "billion laughs": about 1 KB that expands to 9**levels values."""
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    names = "abcdefghijklmnop"
    for previous, name in zip(names, names[1:levels], strict=False):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def errors(text: str, limits: DataLimits = DEFAULT_LIMITS) -> list[str]:
    return [str(p) for p in validate_text(text, "t.yaml", limits) if p.severity == "error"]


def test_a_self_referencing_anchor_is_refused_with_its_line():
    (problem,) = errors(HEAD + "resources: &all\n  - *all\n")
    assert problem.startswith("t.yaml:3: error:")  # where the block that is repeated starts
    assert "refers to the block that contains it" in problem


def test_an_alias_bomb_is_refused_before_it_expands():
    bomb = alias_bomb()
    assert len(bomb) < 1200
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.process_time()
    (problem,) = errors(HEAD + bomb + "resources: []\n")
    assert "aliases (*name) here expand to" in problem
    assert "refused before expanding it" in problem
    # Expanded, 9**9 strings would be gigabytes; refused, it costs next to nothing.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KB
    assert time.process_time() - started < 5


def test_anchors_that_repeat_a_block_are_still_welcome():
    text = HEAD + "resources:\n"
    text += "  - {id: p0, name: Pantry, category: food, schedule: [&h {days: weekdays,"
    text += " start: '09:00', end: '17:00'}]}\n"
    text += "".join(f"  - {{id: p{i}, name: Pantry {i}, category: food, schedule: [*h]}}\n"
                    for i in range(1, 300))  # fmt: skip
    assert errors(text) == []


def test_nesting_deeper_than_any_resource_file_is_refused():
    (problem,) = errors(HEAD + "resources: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5))
    assert f"nested more than {MAX_DEPTH} levels deep" in problem


def test_a_file_over_the_size_limit_is_refused_without_being_parsed():
    data = (HEAD + "resources: [" + "x" * 5000 + "\n").encode()  # would be a syntax error
    catalog, problems = parse_bytes(data, "big.yaml", DataLimits(max_bytes=1000))
    assert catalog is None
    (problem,) = problems
    assert "larger than 1,000 bytes" in problem.message
    assert "DIRECTORY_DATA_MAX_BYTES" in problem.message


def test_validate_file_reads_no_more_than_the_limit(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"#" * 3_000_000)
    (problem,) = validate_file(path, DataLimits(max_bytes=10_000))
    assert "larger than 10,000 bytes" in problem.message


def test_too_many_resources_are_refused_before_validation():
    text = HEAD + "resources:\n" + "".join(ENTRY % (f"p{i}", i) for i in range(11))
    assert errors(text, DataLimits(max_resources=11)) == []
    (problem,) = errors(text, DataLimits(max_resources=10))
    assert problem.startswith("t.yaml:3: error: 11 resources; the most allowed is 10")


def test_an_over_long_value_is_an_error_and_is_cut_short():
    text = HEAD + "resources:\n  - id: p1\n    name: Pantry\n    category: food\n"
    text += "    description: " + "word " * 2000 + "\n"
    (problem,) = errors(text, DataLimits(max_field_chars=5000))
    assert problem.startswith("t.yaml:7: error: this value is 9,999 characters long")
    assert "DIRECTORY_DATA_MAX_FIELD_CHARS" in problem
    document, _ = load(text, max_chars=100)
    assert len(document["resources"][0]["description"]) == 100


def test_junk_keys_stop_validation_after_a_bounded_number_of_problems():
    text = HEAD + "".join(f"junk{i}: {i}\n" for i in range(5000)) + "resources: []\n"
    problems = validate_text(text, "junk.yaml")
    assert len(problems) == MAX_PROBLEMS + 1
    assert problems[-1].message == f"stopped after {MAX_PROBLEMS:,} problems: fix these first"


def test_warnings_never_stop_validation_past_the_bound_they_are_counted():
    meeting = "  - {id: m%s, name: M, category: meeting, fellowship: AA, types: [ZZZ]}\n"
    text = HEAD + "resources:\n" + "".join(meeting % i for i in range(MAX_PROBLEMS + 500))
    catalog, problems = parse_bytes(text.encode(), "w.yaml")
    assert catalog is not None and len(catalog.resources) == MAX_PROBLEMS + 500
    assert len(problems) == MAX_PROBLEMS + 1
    (summary,) = [p for p in problems if p.line == 0]
    assert summary.message == "500 more warnings not listed"
    assert catalog.warnings[-1] == summary


@pytest.mark.parametrize("name", ["yaml-syntax.yaml", "unknown-key.yaml"])
def test_ordinary_broken_files_are_unchanged_by_the_limits(name):
    assert any(p.severity == "error" for p in validate_file(FIXTURES / "broken" / name))
