"""The server's parse runs in a child process capped in memory and time."""

from __future__ import annotations

import pytest

from bench import load as synthetic
from directory.datafile.isolated import ParseFailed, parse_isolated
from directory.datafile.limits import DataLimits
from directory.datafile.load import parse_bytes
from tests.conftest import FIXTURES

SMALL = FIXTURES / "referrals.yaml"


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> bytes:
    """A valid file that needs well over 110 MB and more than a second to read."""
    path = tmp_path_factory.mktemp("big") / "resources.yaml"
    synthetic.write_resource_file(path, synthetic.resource_file(1500))
    return path.read_bytes()


def test_the_child_gives_the_same_catalog_and_problems():
    data = SMALL.read_bytes()
    catalog, problems = parse_isolated(data, str(SMALL))
    here, here_problems = parse_bytes(data, str(SMALL))
    assert catalog.fingerprint == here.fingerprint
    assert [r.id for r in catalog.resources] == [r.id for r in here.resources]
    assert catalog.resources[0] == here.resources[0]
    assert problems == here_problems


def test_the_child_reports_every_problem_of_a_broken_file():
    path = FIXTURES / "broken" / "many-problems.yaml"
    catalog, problems = parse_isolated(path.read_bytes(), str(path))
    assert catalog is None
    assert [p.line for p in problems if p.severity == "error"] == [6, 7, 12]


def test_a_parse_that_needs_more_memory_than_allowed_is_stopped(big):
    with pytest.raises(ParseFailed, match=r"needs more than 110 MB .*DATA_PARSE_MEMORY_MB"):
        parse_isolated(big, "big.yaml", DataLimits(parse_memory_mb=110))


def test_a_parse_that_takes_longer_than_allowed_is_stopped(big):
    with pytest.raises(ParseFailed, match=r"took longer than 0.5 s .*DATA_PARSE_SECONDS"):
        parse_isolated(big, "big.yaml", DataLimits(parse_seconds=0.5))
