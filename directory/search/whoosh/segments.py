"""Write a whole Whoosh index straight from documents, each half of them in its own process.

Whoosh's own writer makes a tuple for every posting, sorts them all through a pool that spills
to disk, then looks up each posting's field length again while writing: at 100,000 documents
(2.4 million postings) that is most of a minute of CPU, and its two writer processes cost the
CPU of one. Here each segment's postings are gathered in plain arrays per term, in document
order, and written through the same codec objects Whoosh uses (per-document writer, field
writer, postings blocks, compound file, table of contents), so the files read exactly like
Whoosh's own: tests/search/test_whoosh_segments.py compares every term, posting, weight, value,
block statistic, field length and stored field with an index written by `IndexWriter`.

With two processes the documents are cut in two: a forked process writes the second half as a
segment of its own while this one writes the first, and the table of contents lists them in
order, so the document numbers are the documents' order either way. Only a process with one
thread forks (a lock held by another thread at the fork could stop the copy for ever), the copy
dies with its parent, and if it fails in any way this process writes its half itself.

Used only for the schema it knows (an ID field stored, our TEXT fields analysed by
`TermsTokenizer` into frequencies, nothing else): `fast_schema` says so, and the engine falls
back to Whoosh's writer otherwise.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
from array import array
from collections.abc import Mapping, Sequence

import whoosh.index
from whoosh.analysis import IDTokenizer
from whoosh.codec import default_codec
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import Schema
from whoosh.formats import Existence, Frequency
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length, length_to_byte

from directory.datafile.parallel import die_with_parent
from directory.search.text import analyze, analyze_as

MIN_HALF = 5_000  # documents: below twice this, a second process costs more than it saves
MAX_SEEN = 50_000  # texts of a field whose terms are kept for the documents that repeat them
_FREQUENCY = [pack_uint(n) for n in range(256)]  # Frequency's value of each small count


def fast_schema(schema: Schema) -> bool:
    """Return whether `write` writes this schema exactly as Whoosh's writer would."""
    from directory.search.whoosh import TermsTokenizer  # noqa: PLC0415  # why: a cycle

    if not isinstance(default_codec(), W3Codec):
        return False
    for name, field in schema.items():
        if name.startswith("_") or not field.indexed:
            return False
        if field.vector or field.column_type or field.separate_spelling():
            return False
        if type(field.format) is Existence:  # the id: one term, the value itself, stored
            if field.scorable or not field.stored or type(field.analyzer) is not IDTokenizer:
                return False
            if field.format.field_boost != 1.0:
                return False
        elif not (
            type(field.format) is Frequency
            and type(field.analyzer) is TermsTokenizer
            and field.scorable
            and not field.stored
            and field.format.field_boost == 1.0
        ):
            return False
    return True


def write(
    folder: str,
    schema: Schema,
    documents: Sequence[Mapping[str, str]],
    procs: int,
    min_half: int = MIN_HALF,
) -> None:
    """Write `documents` (in order) as a new index in the empty `folder`.

    With `procs` > 1 and at least `min_half` documents in each half, the second half is written
    by a forked process.
    """
    ix = whoosh.index.create_in(folder, schema)
    storage, name = ix.storage, ix.indexname
    temporary = storage.temp_storage(f"{name}.tmp")  # the per-document writers' (made once)
    try:
        cut = len(documents) // 2
        second = None
        if procs > 1 and cut >= min_half and hasattr(os, "fork"):
            if threading.active_count() == 1:
                second = _SecondHalf(storage, name, schema, documents, cut)
        if second is None:
            segments = [_segment(storage, name, schema, documents, 0, len(documents))]
        else:
            try:
                first = _segment(storage, name, schema, documents, 0, cut)
            except BaseException:
                second.stop()
                raise
            other, recorded = second.result()
            if other is None:  # it failed: this process writes its half too
                other = _segment(storage, name, schema, documents, cut, len(documents))
            elif recorded is not None:
                documents.record(recorded)  # what reading its half recorded there
            segments = [first, other]
        generation = ix.latest_generation() + 1
        whoosh.index.TOC(schema, segments, generation).write(storage, name)
        whoosh.index.clean_files(storage, name, generation, segments)
    finally:
        temporary.destroy()
        ix.close()


class _SecondHalf:
    """A forked process writing documents[cut:] as a segment; `result` waits for it."""

    def __init__(self, storage, name: str, schema: Schema, documents, cut: int):
        read, write_end = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the copy: never returns
            os.close(read)
            _second_process(write_end, storage, name, schema, documents, cut)
        os.close(write_end)
        self._pipe = os.fdopen(read, "rb")

    def result(self):
        """Return its segment and what its documents recorded, or (None, None) when it failed
        (its files, if any, are never listed)."""
        try:
            segment, recorded = pickle.load(self._pipe)
        except Exception:  # noqa: BLE001  # why: whatever went wrong there, write it here
            segment = recorded = None
        finally:
            self._pipe.close()
            _, status = os.waitpid(self.pid, 0)
        return (segment, recorded) if status == 0 else (None, None)

    def stop(self) -> None:
        """End it without waiting for its half (this process failed first)."""
        self._pipe.close()
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)


def _second_process(out: int, storage, name, schema, documents, cut) -> None:
    status = 1
    try:
        die_with_parent()
        segment = _segment(storage, name, schema, documents, cut, len(documents))
        recorded = documents.recorded() if hasattr(documents, "recorded") else None
        with os.fdopen(out, "wb") as pipe:
            pickle.dump((segment, recorded), pipe, pickle.HIGHEST_PROTOCOL)
        status = 0
    except BaseException:  # noqa: BLE001  # why: the parent writes the half itself
        pass
    finally:
        os._exit(status)  # nothing of the parent's (atexit, buffers, objects) runs or is freed


def _segment(storage, name: str, schema: Schema, documents, start: int, stop: int):
    """Write documents[start:stop] as one segment (numbered from 0) and return it."""
    codec = default_codec()
    segment = codec.new_segment(storage, name)
    perdoc = codec.per_document_writer(storage, segment)
    try:
        postings, lengths = _gather(perdoc, schema, documents, start, stop)
    finally:
        perdoc.close()  # as Whoosh's writer cancels too: its temporary file is closed
    writer = codec.field_writer(storage, segment)
    try:
        for field in sorted(schema.names()):
            _write_field(writer, field, schema[field], postings.pop(field), lengths.get(field))
    finally:
        writer.close()
    segment.set_doc_count(stop - start)
    segment.create_compound_file(storage)
    return segment


def _gather(perdoc, schema: Schema, documents, start: int, stop: int):
    """Give each document's stored id and lengths to `perdoc`; return the postings and lengths.

    Postings: field -> term -> (document numbers, frequencies), each in document order.
    """
    fields = sorted(schema.names())
    analyzers = {
        field: _analyzer(schema[field].analyzer.language)
        for field in fields
        if type(schema[field].format) is Frequency
    }
    postings: dict[str, dict[str, tuple[array, array]]] = {field: {} for field in fields}
    lengths: dict[str, array] = {field: array("I") for field in analyzers}
    seen: dict[str, dict[str, dict[str, int]]] = {field: {} for field in analyzers}
    for docnum in range(stop - start):
        document = documents[start + docnum]
        for key in document:
            if key not in schema:  # "_boost" and other Whoosh specials included
                raise ValueError(f"no field named {key!r} in the schema")
        perdoc.start_doc(docnum)
        for field in fields:
            value = document.get(field)
            by_term = postings[field]
            if field not in analyzers:  # the id
                if value is not None:
                    by_term.setdefault(value, (array("I"), array("I")))[0].append(docnum)
                    perdoc.add_field(field, schema[field], value, 0)
                continue
            length = 0
            if value:
                counts = seen[field].get(value)
                if counts is None:  # labels and names repeat: each text is analysed once
                    counts = {}
                    for term in analyzers[field](value):
                        counts[term] = counts.get(term, 0) + 1
                    if len(seen[field]) < MAX_SEEN:
                        seen[field][value] = counts
                for term, n in counts.items():
                    found = by_term.get(term)
                    if found is None:
                        found = by_term[term] = (array("I"), array("I"))
                    found[0].append(docnum)
                    found[1].append(n)
                    length += n
                perdoc.add_field(field, schema[field], None, length)
            lengths[field].append(length)
        perdoc.finish_doc()
    return postings, lengths


def _analyzer(language: str | None):
    if language:
        return lambda text: analyze_as(language, text)
    return analyze


def _write_field(writer, name: str, field, by_term: dict, lengths: array | None) -> None:
    """Write one field's postings, term by term in byte order, as Whoosh's writer blocks them."""
    if not by_term:
        return
    writer.start_field(name, field)
    limit = writer._postwriter._blocklimit
    # A posting carries the length read back from the length column (one byte, approximate).
    rounded = {}
    if lengths is not None:
        for n in set(lengths):
            rounded[n] = byte_to_length(length_to_byte(n)) if n else 0
        approximate = [rounded[n] for n in lengths]
    encoded = sorted((term.encode("utf-8"), term) for term in by_term)
    for btext, term in encoded:
        docs, counts = by_term[term]
        writer.start_term(btext)
        block = writer._postwriter
        for at in range(0, len(docs), limit):
            ids = docs[at : at + limit]
            block._ids = ids
            if lengths is None:  # the id: weight 1, no value, no length
                block._weights = array("f", [1.0] * len(ids))
                block._values = []
                block._maxweight = 1.0
                block._minlength, block._maxlength = None, 0
            else:
                frequencies = counts[at : at + limit]
                block._weights = array("f", frequencies)
                block._values = [_FREQUENCY[n] if n < 256 else pack_uint(n) for n in frequencies]
                block._maxweight = float(max(frequencies))
                sizes = [approximate[d] for d in ids]
                nonzero = [s for s in sizes if s]
                block._minlength = min(nonzero) if nonzero else None
                block._maxlength = max(sizes)
            if at + limit < len(docs):
                block._write_block()
        writer.finish_term()
    writer.finish_field()
