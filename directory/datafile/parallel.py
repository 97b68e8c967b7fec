"""Read and validate the second half of a large file's entries in a second process.

A national directory's cold parse is about 40 s of CPU at 100,000 entries, all of it per entry
(the YAML read, the schema checks, the Resource objects); the whole-file checks are a small
share. So the list is cut in two at an entry boundary and a forked process reads and validates
the second half while this one does the first; it sends back what `load._Checker._verdict` gave
for each of its entries (problems, Resource), pickled, which costs a second at 100,000. The
verdicts are replayed in file order with the first half's, through the same `add` as a serial
parse, so the problems and the catalog are exactly a serial parse's
(tests/datafile/test_parallel.py compares them on broken files). On a loaded machine with no
second core free it costs what the serial parse costs, plus the pickle.

The cut is made only where it is safe, as `entry_cache.split_document` decides for its entries:
a top-level `resources:` with a block list, each half read alone (after as many blank lines as
put its first entry on its own line, so every line number is the file's) by the fast event reader
without an error, an alias or a tag, and holding exactly its share of entries; the rest of the
file is read with the list's lines left blank. Anything else returns None and the file is read
whole, as before. If the second process fails in any way, this one reads and validates the second
half itself: the answer never depends on the second process.

Only a process with one thread forks (the isolated parser's child, the CLI, the benchmark): a
thread holding a lock at the fork could leave the copy waiting forever. The second process dies
with its parent (PR_SET_PDEATHSIG), so the isolated parser's time limit still stops both, and
its memory watch counts both (isolated.py).
"""

from __future__ import annotations

import ctypes
import os
import pickle
import re
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from directory.datafile.entry_cache import (
    _BLANK_OR_COMMENTS,
    _FIRST_ITEM,
    _KEY_LINE,
    KEY,
    WRAP,
)
from directory.datafile.yaml_lines import DuplicateKey, LongText, Mapping, Sequence, _load_events

MIN_ENTRIES = 4_000  # below this a serial parse takes about a second: not worth a fork
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies

Read = tuple[Any, list[DuplicateKey], list[LongText]]
# In the second process: (the skeleton's document, its half's items) -> one verdict per item.
Work = Callable[[Any, list], list]


@dataclass
class Halves:
    """A file cut for two readers; each text keeps the file's line numbers."""

    skeleton: str  # the file with the list's lines blank
    first: str  # blank lines, `resources:`, then the first half of the entries
    second: str  # the same for the second half
    counts: tuple[int, int]  # entries in each half
    key_line: int  # the line of `resources:`
    first_line: int  # the first entry's line


class Elsewhere:
    """An entry of the list that the second process reads and validates: its place in its half."""

    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index


def wanted(text: str, processes: int | None) -> bool:
    """Return whether to try two processes: asked for, or left to us and worth it here."""
    if processes is not None:
        return processes > 1
    return (
        (os.cpu_count() or 1) > 1
        and hasattr(os, "fork")
        and threading.active_count() == 1
        and text.count("\n  - ", 0, len(text)) >= MIN_ENTRIES  # a cheap guess; split checks
    )


def split(text: str) -> Halves | None:
    """Cut the file's `resources:` list in two halves of entries; None where it is not safe."""
    if "\r" in text:
        return None
    key = _KEY_LINE.search(text)
    if key is None:
        return None
    header_end = key.end() + 1
    if header_end > len(text):
        return None
    first = _FIRST_ITEM.match(text, header_end)
    if first is None:
        return None
    indent, start = first.group(1), first.start(1)
    if not _BLANK_OR_COMMENTS.fullmatch(text, header_end, start):
        return None
    end = re.compile(rf"^(?!{indent}-(?: |$)|{indent} | *#| *$)", re.M).search(text, start)
    trailer = end.start() if end is not None else len(text)
    items = re.compile(rf"^{indent}-(?: |$)", re.M)
    starts = [m.start() for m in items.finditer(text, start, trailer)]
    if len(starts) < 2 or starts[0] != start:
        return None
    middle = starts[len(starts) // 2]
    key_line = text.count("\n", 0, key.start()) + 1
    first_line = text.count("\n", 0, start) + 1
    middle_line = first_line + text.count("\n", start, middle)

    def part(line: int, begin: int, stop: int) -> str:
        return "\n" * (line - 2) + WRAP + text[begin:stop]

    skeleton = text[:header_end] + "\n" * text.count("\n", header_end, trailer) + text[trailer:]
    return Halves(
        skeleton,
        part(first_line, start, middle),
        part(middle_line, middle, trailer),
        (len(starts) // 2, len(starts) - len(starts) // 2),
        key_line,
        first_line,
    )


def _items(text: str, count: int, max_chars: int | None) -> Read | None:
    """Read one half: its Sequence of entries, duplicate keys and long texts; None: not safe."""
    read = _load_events(text, max_chars)
    if read is None:
        return None
    document, duplicates, long_texts = read
    items = document.get(KEY) if isinstance(document, Mapping) else None
    if not isinstance(items, Sequence) or len(items) != count or len(document) != 1:
        return None
    return items, duplicates, long_texts


def _skeleton(halves: Halves, max_chars: int | None) -> Read | None:
    read = _load_events(halves.skeleton, max_chars)
    if read is None:
        return None
    document = read[0]
    if (
        not isinstance(document, Mapping)
        or document.get(KEY, 0) is not None
        or document.lines.get(KEY) != halves.key_line
    ):
        return None  # `resources:` was not the top-level key it looked like
    return read


class SecondHalf:
    """The second process: its half's lines and problems of reading, then its verdicts."""

    def __init__(self, halves: Halves, max_chars: int | None, work: Work):
        self.halves, self.max_chars = halves, max_chars
        self._verdicts: list | None = None
        read, write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the second process: never returns
            os.close(read)
            _second_process(write, halves, max_chars, work)
        os.close(write)
        self._pipe = os.fdopen(read, "rb")

    def receive_lines(self) -> None:
        """Wait for the half's item lines, duplicate keys and long texts (raise _Failed)."""
        try:
            self.lines, self.duplicates, self.long_texts = pickle.load(self._pipe)
        except Exception:  # it could not read its half: read the file whole
            self.close()
            raise _Failed from None

    def verdict(self, index: int, validate_here: Callable[[Any, int], Any]) -> Any:
        """Return the verdict of the half's entry `index` (validated here if the process failed)."""
        if self._verdicts is None:
            try:
                self._verdicts = pickle.load(self._pipe)
                if len(self._verdicts) != self.halves.counts[1]:
                    raise ValueError("not one verdict per entry")
            except Exception:  # noqa: BLE001  # why: whatever went wrong there, read it here
                read = _items(self.halves.second, self.halves.counts[1], self.max_chars)
                if read is None:  # it read there: it reads here
                    raise RuntimeError("the second half of the file cannot be read") from None
                items = read[0]
                self._verdicts = [validate_here(item, line) for item, line in
                                  zip(items, items.lines, strict=True)]  # fmt: skip
            self.close()
        return self._verdicts[index]

    def close(self) -> None:
        if self._pipe.closed:
            return
        self._pipe.close()
        try:
            os.kill(self.pid, signal.SIGKILL)  # done, or no longer wanted
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)


class _Failed(Exception):
    pass


def _second_process(write: int, halves: Halves, max_chars: int | None, work: Work) -> None:
    """Read the second half, send its lines, validate it, send the verdicts; exit."""
    status = 1
    try:
        die_with_parent()
        with os.fdopen(write, "wb") as out:
            skeleton = _skeleton(halves, max_chars)
            read = _items(halves.second, halves.counts[1], max_chars)
            if skeleton is None or read is None:
                return
            items, duplicates, long_texts = read
            pickle.dump((list(items.lines), duplicates, long_texts), out, pickle.HIGHEST_PROTOCOL)
            out.flush()
            verdicts = work(skeleton[0], items)
            pickle.dump(verdicts, out, pickle.HIGHEST_PROTOCOL)
        status = 0
    except BaseException:  # noqa: BLE001  # why: the parent reads the half itself
        pass
    finally:
        os._exit(status)  # nothing of the parent's (atexit, buffers, objects) runs or is freed


def die_with_parent() -> None:
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the line above: nobody waits for us
        os._exit(1)


def read_in_two(text: str, max_chars: int | None, work: Work) -> tuple[Read, SecondHalf] | None:
    """Read the file with its list's second half in a second process; None: read it whole.

    Returns what `yaml_lines.load_bounded` returns, with the second half's entries as
    `Elsewhere` items (ask the SecondHalf for their verdicts), and the SecondHalf.
    """
    halves = split(text)
    if halves is None:
        return None
    try:
        second = SecondHalf(halves, max_chars, work)
    except (_Failed, OSError):
        return None
    try:
        skeleton = _skeleton(halves, max_chars)
        first = _items(halves.first, halves.counts[0], max_chars)
        if skeleton is None or first is None:
            second.close()
            return None
        second.receive_lines()
    except _Failed:
        return None
    except BaseException:
        second.close()
        raise
    document, outer_duplicates, outer_long = skeleton
    items, duplicates, long_texts = first
    sequence = Sequence(items)
    sequence.line = halves.first_line
    sequence.lines = [*items.lines, *second.lines]
    sequence.extend(Elsewhere(i) for i in range(halves.counts[1]))
    sequence.elsewhere = second
    document[KEY] = sequence
    # In file order: what comes before the list, the entries', then what follows it.
    at = halves.first_line
    long_texts = [t for t in outer_long if t.line < at] + long_texts + second.long_texts
    long_texts += [t for t in outer_long if t.line >= at]
    duplicates = [d for d in outer_duplicates if d.line < at] + duplicates + second.duplicates
    duplicates += [d for d in outer_duplicates if d.line >= at]
    return (document, duplicates, long_texts), second
