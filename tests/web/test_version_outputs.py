"""The outputs of one data version: built once, kept whole with their gzip, bounded in number."""

from __future__ import annotations

import gzip
import threading

import pytest

from directory.web.version_outputs import VersionOutputs


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
    assert gzip.decompress(got[0].gzipped) == got[0].plain()
    assert got[0].plain().endswith(b"1]")


def test_a_failed_build_is_not_kept_and_the_next_request_builds_again():
    outputs = VersionOutputs()

    def broken() -> bytes:
        raise RuntimeError("catalog went away")

    with pytest.raises(RuntimeError):
        outputs.get("feed", broken, "x/y")
    assert len(outputs) == 0
    assert outputs.get("feed", lambda: b"ok", "x/y").plain() == b"ok"


def test_gzip_is_the_same_bytes_every_time():
    one = VersionOutputs().get("a", lambda: b"same" * 1000, "x/y")
    two = VersionOutputs().get("a", lambda: b"same" * 1000, "x/y")
    assert one.gzipped == two.gzipped and one.digest == two.digest


def test_memory_stays_bounded_the_oldest_output_dropped_first():
    outputs = VersionOutputs(max_entries=3)
    for n in range(5):
        outputs.get(("host", n), lambda n=n: str(n).encode(), "x/y")
    assert len(outputs) == 3
    assert outputs.get(("host", 4), lambda: b"rebuilt", "x/y").plain() == b"4"  # kept
    assert outputs.get(("host", 0), lambda: b"rebuilt", "x/y").plain() == b"rebuilt"  # dropped
    assert outputs.size() > 0


def test_a_large_output_is_kept_as_gzip_only_and_opened_again_for_plain_clients():
    body = b"".join(b'{"slug": "meeting-%d"},' % n for n in range(40_000))  # about 1 MB
    outputs = VersionOutputs()
    large = outputs.get("feed", lambda: body, "application/json")
    assert large.kept_plain is None and large.plain() == body
    assert outputs.size() == len(large.gzipped) < len(body) / 5
    small = outputs.get("vocabularies", lambda: b'{"days": []}', "application/json")
    assert small.kept_plain == b'{"days": []}'
