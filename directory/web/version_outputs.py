"""The whole-directory outputs of one data version, each built once, with its gzip.

A Meeting Guide feed of 10,000 meetings takes about half a second and 7 MiB to build, and it
depends on nothing but the data version (and the public address its links start with), so
building it again for every reader wastes a core. A `VersionOutputs` belongs to one snapshot:
each output is built on the first request for it, its gzip kept (and its bytes, when small), and
dropped with the snapshot when a new version goes into service. Memory stays bounded: at most
`max_entries` outputs per version (keys include the host a link starts with when no BASE_URL
is set, and anyone can send any Host header), the oldest dropped first.

Two requests that arrive together for the same output build it once: the second waits for
the first. An output is stored only complete, so no one is ever served half a body. This module
knows nothing of Flask; the views say how to build each output.
"""

from __future__ import annotations

import hashlib
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass

GZIP_LEVEL = 6  # zlib's default: a 7 MiB feed in about 0.15 s, within 5% of level 9's size
GZIP_WBITS = 31  # a gzip member: header (no name, time 0), deflate, CRC and length
MAX_ENTRIES = 64  # outputs kept per version: every fellowship's feed and calendar, in 2 languages


Build = Callable[[], bytes | Iterable[bytes]]  # an output made whole, or in pieces

KEEP_PLAIN_BYTES = 256 * 1024  # larger outputs are kept as gzip only (see Output.plain_chunks)


@dataclass(frozen=True)
class Output:
    """One output's gzip (deterministic: no time or name in its header), its type, and its
    plain bytes when they are small.

    A national feed is about 80 MB plain and 5 MB gzipped, in every worker: keeping only the
    gzip of a large output keeps memory within reach, and the few clients without gzip get it
    opened again as it is sent (about 3 ms a MB, half a MB at a time), still far from
    rebuilding it.
    """

    kept_plain: bytes | None
    gzipped: bytes
    mimetype: str
    digest: str  # of the plain bytes: two builds of the same output have the same digest
    plain_size: int

    def plain_chunks(self) -> Iterator[bytes]:
        """Yield the plain bytes a piece at a time: a national feed is never opened whole."""
        if self.kept_plain is not None:
            yield self.kept_plain
            return
        opener = zlib.decompressobj(wbits=GZIP_WBITS)
        view = memoryview(self.gzipped)
        for start in range(0, len(view), OPEN_GZIP_BYTES):
            packed = view[start : start + OPEN_GZIP_BYTES]
            while packed:
                piece = opener.decompress(packed, PLAIN_PIECE_BYTES)
                packed = opener.unconsumed_tail
                if piece:
                    yield piece
        rest = opener.flush()
        if rest:
            yield rest


OPEN_GZIP_BYTES = 64 * 1024  # gzip read at a time for a client that takes plain bytes
PLAIN_PIECE_BYTES = 256 * 1024  # most plain bytes opened at a time


def make_output(
    body: bytes | Iterable[bytes], mimetype: str, keep_plain: int = KEEP_PLAIN_BYTES
) -> Output:
    """Return the output of `body`, given whole or as pieces (then never joined when large).

    The gzip is the same bytes however the pieces fall (zlib's own gzip framing, time 0): a national
    Meeting Guide feed (80 MB of JSON) is compressed as it is written, so a worker holds its
    5 MB of gzip and one piece at a time, not the whole text and every record at once.
    """
    pieces = (body,) if isinstance(body, bytes) else body
    packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, GZIP_WBITS)
    digest, size, packed = hashlib.sha256(), 0, []
    small: list[bytes] | None = []
    for piece in pieces:
        digest.update(piece)
        size += len(piece)
        packed.append(packer.compress(piece))
        if small is not None and size <= keep_plain:
            small.append(piece)
        else:
            small = None
    packed.append(packer.flush())
    plain = b"".join(small) if small is not None else None
    return Output(plain, b"".join(packed), mimetype, digest.hexdigest()[:32], size)


class VersionOutputs:
    """Outputs of one data version by key, each built at most once (while it is kept)."""

    def __init__(self, max_entries: int = MAX_ENTRIES):
        self.max_entries = max_entries
        self._outputs: OrderedDict[Hashable, Output] = OrderedDict()
        self._building: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()
        self.builds = 0  # how many times an output was built (benchmarks and tests read it)

    def get(self, key: Hashable, build: Build, mimetype: str) -> Output:
        """Return the output for `key`, building it with `build()` if it is not kept yet."""
        with self._lock:
            found = self._outputs.get(key)
            if found is not None:
                return found
            building = self._building.setdefault(key, threading.Lock())
        with building:  # a second request for the same key waits here for the first
            with self._lock:
                found = self._outputs.get(key)
            if found is not None:
                return found
            output = make_output(build(), mimetype)
            with self._lock:
                self.builds += 1
                self._outputs[key] = output
                while len(self._outputs) > self.max_entries:
                    self._outputs.popitem(last=False)
                self._building.pop(key, None)
            return output

    def __len__(self) -> int:
        return len(self._outputs)

    def size(self) -> int:
        """Return the bytes held (plain and gzip)."""
        with self._lock:
            return sum(len(o.kept_plain or b"") + len(o.gzipped) for o in self._outputs.values())
