"""The isolated parser reads only the entries the server has not validated before.

gunicorn's master parses a changed file in a capped child process (isolated.py). Sending the
whole parse back cost a full read of every entry, a pickle of the whole catalog over the pipe
and the child's memory for all of it, however small the change. Instead the master keeps the
entry cache (entry_cache.py) and tells the child which entry digests it knows and in which
context; the child cuts the file (and each declared feed file) into entries, reads the rest of
the file, works out the context as a parse does, and reads and validates only the entries
whose digest is new (all of them when the context is another), each as soon as it is read, so
that it never holds the YAML of them all. It sends back `Answer`: each
file's `Split` (the rest of the file's nodes, each entry's digest and offset) and the new
entries' verdicts. The master then runs the whole-file checks over every entry with
`load.parse_bytes(..., received=answer)`, as a full parse would, so the problems and the
catalog are exactly a full parse's (tests/datafile/test_isolated.py compares them).

What the master still does itself is small and bounded by the limits the child enforced: the
checks of the directory's settings, shared locations and feeds (schemas over a few nodes), and
the replay of every verdict. No YAML is read in the master. A file the child cannot cut safely
(an alias, a syntax error, a flow list...) is parsed whole there as before, and the whole
catalog comes back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from directory.datafile.entry_cache import (
    Chunk,
    EntryCache,
    NotReadHere,
    Split,
    Verdict,
    assemble,
    context_of,
    cut_entries,
    read_chunk,
)
from directory.datafile.feeds import feed_file
from directory.datafile.limits import DataLimits


@dataclass
class Answer:
    """What the child read: each file's Split (by its path) and the new entries' verdicts."""

    context: str
    files: dict[str, Split]
    verdicts: dict[bytes, Verdict] = field(default_factory=dict)

    def read(self, path: str, entries: EntryCache) -> tuple[Any, list, list]:
        """Return what `entry_cache.split_document` returns for the file at `path`.

        Raise NotReadHere when the child did not read that file, or an entry has no verdict:
        the caller parses the file whole in the child instead.
        """
        split = self.files.get(path)
        if split is None:
            raise NotReadHere
        entries.adopt(self.context)
        new, old = self.verdicts, entries.verdicts
        chunks = []
        for digest, offset in split.chunks:
            verdict = new.get(digest) or old.get(digest)
            if verdict is None:
                raise NotReadHere
            chunks.append(Chunk(digest, None, offset, verdict))
        return assemble(split, chunks)


def read_new_entries(
    data: bytes,
    path: str,
    limits: DataLimits,
    feed_files: dict[str, bytes],
    context: str | None,
    known: set[bytes],
) -> Answer | None:
    """In the child: read and validate the entries not in `known` (for `context`); None: whole.

    None when a file cannot be cut into entries safely, or is too large or not UTF-8: the whole
    parse reports what is wrong, with its messages.
    """
    from directory.datafile.load import _Checker  # noqa: PLC0415  # why: load imports entry_cache

    max_chars = limits.max_field_chars
    if len(data) > limits.max_bytes:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    cut = cut_entries(text, max_chars)
    if cut is None:
        return None
    checker = _Checker(path, feed_files, limits)  # its own problems are the master's to report
    split = cut[0]
    info, locations = checker._settings(split.document)
    mine = context_of(info, locations, max_chars)
    if mine != context:
        known = set()  # another context: every entry is validated again
    answer = Answer(mine, {path: split})
    files = [(text, *cut)]
    for feed in checker.feeds(split.document):
        body = feed_files.get(feed.name)
        if body is None or len(body) > limits.max_bytes:
            continue  # the master says so
        try:
            feed_text = body.decode("utf-8")
        except UnicodeDecodeError:
            continue
        feed_cut = cut_entries(feed_text, max_chars)
        if feed_cut is None:
            return None
        answer.files[str(feed_file(path, feed.name))] = feed_cut[0]
        files.append((feed_text, *feed_cut))
    verdicts = answer.verdicts
    for whole, split, bounds in files:
        for (digest, offset), (at, stop) in zip(split.chunks, bounds, strict=True):
            if digest in known or digest in verdicts:
                continue
            chunk = Chunk(digest, whole[at:stop], offset, None)
            if not read_chunk(chunk, max_chars):
                return None  # an alias, a tag, a syntax error...: the whole read says what
            # Validated as soon as read, its node then dropped: the child never holds them all.
            verdicts[digest] = checker._verdict(chunk.node, chunk.verdict, info, locations)
    return answer
