"""The second half of a large file read in a second process gives exactly a serial parse."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

from bench import load as synthetic
from directory.datafile import parallel
from directory.datafile.entry_cache import KEY
from directory.datafile.isolated import _resident_kb, parse_isolated
from directory.datafile.load import _Checker, parse_bytes
from directory.datafile.yaml_lines import YAMLSyntaxError
from tests.conftest import SAMPLE
from tests.datafile.test_entry_cache import LIMITS, PATH, _edits


def _in_two(text: str) -> bool:
    """Return whether the file is read with its second half in a second process."""
    checker = _Checker(PATH, None, LIMITS, None, processes=2)
    try:
        document = checker.read(text)[0]
        return any(type(item) is parallel.Elsewhere for item in document[KEY])
    except YAMLSyntaxError:
        return False
    finally:
        checker.close()


def test_two_processes_give_the_problems_and_catalog_of_one_over_many_edits():
    text = SAMPLE.read_text(encoding="utf-8")
    halves = 0
    for what, edited, _ in _edits(text):
        data = edited.encode()
        serial = parse_bytes(data, PATH, LIMITS, processes=1)
        both = parse_bytes(data, PATH, LIMITS, processes=2)
        assert both[1] == serial[1], what  # every problem, its line, in the same order
        assert both[0] == serial[0], what  # the catalog, every resource's line included
        halves += _in_two(edited)
    assert halves >= 15  # most edits really were read in two (not an alias, a syntax error)


def test_a_broken_file_has_the_same_problems_both_ways():
    text = SAMPLE.read_text(encoding="utf-8")
    at = text.index("\n  - id: ", len(text) * 3 // 4) + 1  # an entry in the second half
    broken = text[:at] + "  - id: Not A Slug\n    phone: 12\n    website: nowhere\n" + text[at:]
    broken = broken.replace("    name: ", "    name: \n    name: ", 1)  # and one in the first
    assert _in_two(broken)
    serial = parse_bytes(broken.encode(), PATH, LIMITS, processes=1)
    both = parse_bytes(broken.encode(), PATH, LIMITS, processes=2)
    assert serial[0] is None and len(serial[1]) >= 4
    assert both == serial


def test_a_second_process_that_fails_is_replaced_by_this_one():
    text = SAMPLE.read_text(encoding="utf-8")

    def fails(document, items):
        raise RuntimeError("a bug in the second process")

    (document, _, _), second = parallel.read_in_two(text, LIMITS.max_field_chars, fails)
    items = document[KEY]
    elsewhere = [item for item in items if type(item) is parallel.Elsewhere]
    assert elsewhere
    seen = []
    verdict = second.verdict(0, lambda entry, line: seen.append((entry["id"], line)) or "here")
    assert verdict == "here" and len(seen) == len(elsewhere)  # every entry of the half, here
    assert seen[0][1] == items.lines[len(items) - len(elsewhere)]  # with the file's lines
    second.close()


def test_a_file_with_windows_line_ends_or_no_list_is_read_whole():
    text = SAMPLE.read_text(encoding="utf-8")
    assert parallel.split(text.replace("\n", "\r\n")) is None
    assert parallel.split("format: 1\nresources: []\n") is None
    assert parallel.split(text) is not None


def test_the_second_process_dies_with_its_parent():
    script = textwrap.dedent(f"""
        import os, sys, time
        sys.path.insert(0, {str(SAMPLE.parent.parent)!r})
        from directory.datafile import parallel
        text = open({str(SAMPLE)!r}, encoding="utf-8").read()
        read, second = parallel.read_in_two(text, None, lambda d, i: time.sleep(60))
        print(second.pid, flush=True)
        time.sleep(60)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    try:
        pid = int(parent.stdout.readline())
        os.kill(pid, 0)  # alive while its parent is
        assert _resident_kb(parent.pid) > _resident_kb(pid)  # the watch counts both
    finally:
        parent.kill()
        parent.wait()
        parent.stdout.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split(") ")[1].startswith("Z"):
                    break  # dead, waiting for init to reap it
        except FileNotFoundError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the second process outlived its parent")


def test_the_isolated_parse_of_a_large_file_agrees_with_a_serial_one(tmp_path):
    path = tmp_path / "resources.yaml"
    synthetic.write_resource_file(path, synthetic.resource_file(parallel.MIN_ENTRIES))
    data = path.read_bytes()
    halves = parallel.split(data.decode())
    assert halves is not None and sum(halves.counts) >= parallel.MIN_ENTRIES  # read in two
    catalog, problems = parse_isolated(data, str(path))
    serial, serial_problems = parse_bytes(data, str(path), processes=1)
    assert problems == serial_problems
    assert catalog == serial
