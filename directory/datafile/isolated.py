"""Parse an untrusted resource file in a child process with its memory and time capped.

The server's master process must survive any file a maintainer (or a half-finished copy) puts in
place. The limits in `DataLimits` refuse what is known to blow up before any work grows, but a
parse can still fail in ways no check foresees (a bug in a C extension, a new kind of input).
So the server parses in a fresh interpreter that may use `parse_memory_mb` of memory and
`parse_seconds` of time: the parent watches both and kills it past either (a process near an
address-space limit can crawl for minutes while libraries swallow MemoryError, so the cap is
enforced from outside), and the server gets a clear reason instead of a crash.

The parent sends the bytes it read once from one open file (so what is validated is what gets
fingerprinted). Without an entry cache it receives the pickled Catalog and problems. With one
(gunicorn's master keeps one, web/state.py), it also sends the digests of the entries it has
verdicts for and their context; the child reads and validates only the other entries and sends
back their verdicts and each file's outline (isolated_entries.py), and the parent runs the
whole-file checks over them: a one-entry change costs the child one entry, and neither the child
nor the pipe ever holds the whole catalog. The parts are written to the child one after
another and its answer is pickled straight into the pipe and unpickled as it comes, so that
neither process holds the answer's bytes beside its objects (a whole new file's verdicts are
the whole catalog). Unpickling is trusted: the child is this module, and it sends only what
`parse_bytes` or `read_new_entries` returned (and the postal tables it built, for a parent
that has none).
"""

from __future__ import annotations

import contextlib
import json
import logging
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any

from directory.core import places
from directory.core.model import Catalog
from directory.datafile.entry_cache import EntryCache, NotReadHere
from directory.datafile.isolated_entries import read_new_entries
from directory.datafile.limits import DEFAULT_LIMITS, DataLimits
from directory.datafile.load import Problem, parse_bytes

log = logging.getLogger(__name__)

DIGEST_BYTES = 16  # entry_cache's BLAKE2 digests, sent one after another
OUT_OF_MEMORY = 3  # the child's exit status when it ran out of memory
POLL_SECONDS = 0.05  # how often the parent looks at the child's memory and time


class ParseFailed(RuntimeError):
    """The child could not finish: out of memory, out of time, or it crashed."""


def parse_isolated(
    data: bytes,
    path: str,
    limits: DataLimits = DEFAULT_LIMITS,
    feed_files: Mapping[str, bytes] | None = None,
    entries: EntryCache | None = None,
) -> tuple[Catalog | None, list[Problem]]:
    """Return parse_bytes(data, path, limits, feed_files), computed in a capped child process.

    With `entries`, the child reads and validates only the entries it has no verdict for, and
    `entries` is updated as `parse_bytes(..., entries)` updates it; the answer is the same.
    Raise ParseFailed with a reason a maintainer can act on when the child does not finish.
    """
    feed_files = dict(feed_files or {})
    if entries is None:
        return _exchange(data, path, limits, feed_files, None)[1]
    if entries.max_chars != limits.max_field_chars:
        entries.start(limits.max_field_chars)  # another length limit: no verdict holds
    kind, answer = _exchange(data, path, limits, feed_files, entries)
    if kind == "whole":
        return answer  # the file could not be read entry by entry: the cache stays as it was
    count = sum(len(split.chunks) for split in answer.files.values())
    log.info(
        "%s: %d of %d entries read and validated, the others' verdicts kept",
        path,
        len(answer.verdicts),
        count,
    )
    try:
        return parse_bytes(data, path, limits, feed_files, entries, received=answer)
    except NotReadHere:  # the context changed between the child and here (midnight): again
        log.info("%s: entries validated in another context; validating all of them", path)
        entries.start(limits.max_field_chars)
        entries.verdicts, entries.context = {}, None
        kind, answer = _exchange(data, path, limits, feed_files, entries)
        if kind == "whole":
            return answer
        try:
            return parse_bytes(data, path, limits, feed_files, entries, received=answer)
        except NotReadHere:
            return _exchange(data, path, limits, feed_files, None)[1]


def _exchange(
    data: bytes,
    path: str,
    limits: DataLimits,
    feed_files: dict[str, bytes],
    entries: EntryCache | None,
) -> tuple[str, Any]:
    """Run the child; return ("whole", (catalog, problems)) or ("entries", its Answer)."""
    header: dict[str, Any] = {"path": path, "limits": limits.__dict__}
    parts: list[tuple[str, bytes]] = [("data", data)]
    parts += [(f"feed:{name}", body) for name, body in feed_files.items()]
    if entries is not None:
        header["context"] = entries.context
        parts.append(("known", b"".join(entries.verdicts)))
        tables = places.postal_tables()  # the child need not build them again (seconds)
        if tables is not None:
            parts.append(("postal", tables))
    header["parts"] = [[name, len(body)] for name, body in parts]
    sent = {name for name, _ in parts}
    command = [sys.executable, "-m", "directory.datafile.isolated"]
    try:
        child = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
    except OSError as exc:
        raise ParseFailed(f"cannot start the parser: {exc.strerror or exc}") from None
    answer: dict[str, Any] = {}

    def send() -> None:  # the parts one after another, never joined into one copy
        try:
            child.stdin.write(json.dumps(header).encode("utf-8") + b"\n")
            for _, body in parts:
                child.stdin.write(body)
        except OSError:  # the child stopped reading (it failed, or was stopped): said below
            pass
        with contextlib.suppress(OSError):
            child.stdin.close()

    def drain() -> None:
        with child.stderr:
            answer["err"] = child.stderr.read()

    received = threading.Event()

    def supervise() -> None:
        answer["stopped"] = _supervise(child, received, limits)

    threads = [threading.Thread(target=work, daemon=True) for work in (send, drain, supervise)]
    for thread in threads:
        thread.start()
    # Unpickled as it comes (the answer's bytes are never all held), and in this thread: the
    # catalog's objects go where this thread's allocations go (in the gunicorn master at start,
    # the main heap, which its workers share), not into a helper thread's malloc arena.
    with child.stdout:
        try:
            answer["parsed"] = pickle.load(child.stdout)
        except Exception as exc:  # a truncated answer: the child died while writing it
            answer["broken"] = exc
        child.stdout.read()  # nothing more is expected; wait for the end of it
    received.set()
    for thread in threads:
        thread.join()
    child.wait()
    stopped = answer.get("stopped")
    if stopped:
        raise ParseFailed(stopped)
    if child.returncode in (OUT_OF_MEMORY, -signal.SIGKILL):
        raise ParseFailed(_too_much_memory(limits))
    if child.returncode < 0:
        name = signal.Signals(-child.returncode).name
        raise ParseFailed(f"the parser stopped with {name} (out of memory or a crash)")
    if child.returncode != 0:
        text = answer.get("err", b"").decode("utf-8", "replace").strip()
        raise ParseFailed(f"the parser failed: {(text.splitlines() or ['no message'])[-1][:300]}")
    if "broken" in answer:
        raise ParseFailed(f"the parser's answer was incomplete: {answer['broken']!r}")
    kind, parsed, tables = answer.pop("parsed")
    if tables is not None and "postal" not in sent:
        places.use_postal_tables(tables)  # the child built them: this process need not
    return kind, parsed


def _too_much_memory(limits: DataLimits) -> str:
    return (
        f"reading the file needs more than {limits.parse_memory_mb:,} MB"
        " (DIRECTORY_DATA_PARSE_MEMORY_MB); it was stopped"
    )


def _supervise(child: subprocess.Popen, done: threading.Event, limits: DataLimits) -> str | None:
    """Watch the child's memory and time until `done`; kill it past either limit and say why."""
    deadline = time.monotonic() + limits.parse_seconds
    cap_kb = limits.parse_memory_mb * 1024
    while not done.is_set():
        why = None
        if time.monotonic() > deadline:
            why = (
                f"reading the file took longer than {limits.parse_seconds:g} s"
                " (DIRECTORY_DATA_PARSE_SECONDS); it was stopped"
            )
        elif _resident_kb(child.pid) > cap_kb:
            why = _too_much_memory(limits)
        if why:
            child.kill()
            return why
        done.wait(POLL_SECONDS)
    return None


def _resident_kb(pid: int) -> int:
    """Return the resident memory in KB of a process and its children (0 where /proc cannot tell).

    The child may fork a second process for half of a large file (datafile/parallel.py): the
    limit is on both together. Pages they still share are counted twice, so the watch errs on
    the side of stopping.
    """
    total = 0
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmRSS:"):
                    total = int(line.split()[1])
                    break
        with open(f"/proc/{pid}/task/{pid}/children", "rb") as children:
            for child in children.read().split():
                total += _resident_kb(int(child))
    except (OSError, ValueError, IndexError):
        pass
    return total


def _cap(limits: DataLimits) -> None:
    """Backstop for the parent's watch: cap address space and CPU time, never above the parent's.

    The parent kills the child as soon as its resident memory passes the limit; the address
    space cap is looser (allocators reserve more than they touch) and catches one huge
    allocation between two looks.
    """
    import resource

    for kind, wanted in (
        (resource.RLIMIT_AS, (2 * limits.parse_memory_mb + 512) * 1024 * 1024),
        (resource.RLIMIT_CPU, int(limits.parse_seconds) + 5),
    ):
        soft, hard = resource.getrlimit(kind)
        value = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(kind, (value, hard))


def _child(stdin: Any, stdout: Any) -> int:
    header = json.loads(stdin.readline())
    limits = DataLimits(**header["limits"])
    _cap(limits)
    parts = {name: stdin.read(size) for name, size in header["parts"]}  # in this order
    header_names = set(parts)
    data = parts.pop("data")
    feed_files = {n.removeprefix("feed:"): b for n, b in parts.items() if n.startswith("feed:")}
    try:
        read = None
        if "known" in parts:
            digests = parts.pop("known")
            known = {digests[i : i + DIGEST_BYTES] for i in range(0, len(digests), DIGEST_BYTES)}
            del digests
            if "postal" in parts:
                places.use_postal_tables(parts.pop("postal"))
            read = read_new_entries(data, header["path"], limits, feed_files, header["context"],
                                    known)  # fmt: skip
        if read is not None:
            del data
            kind, parsed = "entries", read
        else:
            kind, parsed = "whole", parse_bytes(data, header["path"], limits, feed_files)
        # The postal tables it built, for a parent that has none yet (the first parse after
        # a start from the catalog cache would build them there too).
        answer = (kind, parsed, None if "postal" in header_names else places.postal_tables())
        # Written as it is pickled, and read as it comes (_exchange): no copy of it all.
        pickle.dump(answer, stdout, pickle.HIGHEST_PROTOCOL)
        stdout.flush()
    except MemoryError:
        return OUT_OF_MEMORY
    return 0


if __name__ == "__main__":
    sys.setrecursionlimit(2000)  # nesting is refused far below this; a deep stack is a bug
    try:
        raise SystemExit(_child(sys.stdin.buffer, sys.stdout.buffer))
    except MemoryError:
        raise SystemExit(OUT_OF_MEMORY) from None
