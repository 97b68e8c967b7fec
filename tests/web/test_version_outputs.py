"""The outputs of one data version: built once, kept whole with their gzip, bounded in number."""

from __future__ import annotations

import gzip
import threading
import zlib

import pytest

from directory.web.version_outputs import GZIP_LEVEL, Output, VersionOutputs, make_output


def plain(output: Output) -> bytes:
    return b"".join(output.plain_chunks())


def test_two_requests_arriving_together_build_once_and_get_the_same_whole_output():
    outputs = VersionOutputs()
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow_build() -> bytes:
        calls.append(1)
        started.set()
        assert release.wait(10)
        return b"[" + b"1," * 100_000 + b"1]"

    got = []
    first = threading.Thread(target=lambda: got.append(outputs.get("feed", slow_build, "x/y")))
    first.start()
    assert started.wait(10)
    # The second arrives while the first is still building: it must wait, not build or read
    # a half-made entry.
    second = threading.Thread(target=lambda: got.append(outputs.get("feed", slow_build, "x/y")))
    second.start()
    second.join(0.2)
    assert second.is_alive() and got == []
    release.set()
    first.join(10)
    second.join(10)
    assert len(calls) == 1 and outputs.builds == 1
    assert got[0] is got[1]
    assert gzip.decompress(got[0].gzipped) == plain(got[0])
    assert plain(got[0]).endswith(b"1]")


def test_a_failed_build_is_not_kept_and_the_next_request_builds_again():
    outputs = VersionOutputs()

    def broken() -> bytes:
        raise RuntimeError("catalog went away")

    with pytest.raises(RuntimeError):
        outputs.get("feed", broken, "x/y")
    assert len(outputs) == 0
    assert plain(outputs.get("feed", lambda: b"ok", "x/y")) == b"ok"


def test_gzip_is_the_same_bytes_every_time():
    one = VersionOutputs().get("a", lambda: b"same" * 1000, "x/y")
    two = VersionOutputs().get("a", lambda: b"same" * 1000, "x/y")
    assert one.gzipped == two.gzipped and one.digest == two.digest


def test_memory_stays_bounded_the_oldest_output_dropped_first():
    outputs = VersionOutputs(max_entries=3)
    for n in range(5):
        outputs.get(("host", n), lambda n=n: str(n).encode(), "x/y")
    assert len(outputs) == 3
    assert plain(outputs.get(("host", 4), lambda: b"rebuilt", "x/y")) == b"4"  # kept
    assert plain(outputs.get(("host", 0), lambda: b"rebuilt", "x/y")) == b"rebuilt"  # dropped
    assert outputs.size() > 0


def test_a_large_output_is_kept_as_gzip_only_and_opened_again_for_plain_clients():
    body = b"".join(b'{"slug": "meeting-%d"},' % n for n in range(40_000))  # about 1 MB
    outputs = VersionOutputs()
    large = outputs.get("feed", lambda: body, "application/json")
    assert large.kept_plain is None and plain(large) == body
    assert outputs.size() == len(large.gzipped) < len(body) / 5
    small = outputs.get("vocabularies", lambda: b'{"days": []}', "application/json")
    assert small.kept_plain == b'{"days": []}'


@pytest.mark.parametrize("piece", [1, 7, 4096, 65_536, 10**9])
def test_an_output_in_pieces_is_the_gzip_of_the_whole_byte_for_byte(piece):
    body = b"".join(b'{"slug":"meeting-%d","day":%d},' % (n, n % 7) for n in range(30_000))
    pieces = (body[i : i + piece] for i in range(0, len(body), piece))
    whole, split = make_output(body, "x/y"), make_output(pieces, "x/y")
    assert split.gzipped == whole.gzipped == zlib.compress(body, GZIP_LEVEL, wbits=31)
    assert gzip.decompress(split.gzipped) == body
    assert split.digest == whole.digest and split.plain_size == len(body)
    assert split.kept_plain is None and plain(split) == body


def test_pieces_of_a_small_output_keep_it_plain_and_an_empty_one_is_kept_empty():
    small = make_output(iter([b'{"days"', b": [", b"]}"]), "x/y")
    assert small.kept_plain == b'{"days": []}' and small.plain_size == 12
    empty = make_output(iter(()), "x/y")
    assert empty.kept_plain == b"" and gzip.decompress(empty.gzipped) == b""


def test_a_plain_client_gets_a_large_output_opened_a_piece_at_a_time():
    body = bytes(range(256)) * 40_000  # 10 MB that gzip barely shrinks
    output = make_output(body, "x/y")
    pieces = list(output.plain_chunks())
    assert b"".join(pieces) == body
    assert len(pieces) > 20 and max(len(p) for p in pieces) < len(body) / 10
