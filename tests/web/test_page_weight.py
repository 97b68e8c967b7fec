"""Every page, with its stylesheet and script, stays under 60 KB on the wire.

The app does not compress responses itself (see README: compress at the proxy), so the budget
is checked on the uncompressed bytes, which is what a phone receives without a proxy.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import SAMPLE

BUDGET = 60 * 1024


@pytest.fixture(scope="module")
def sample_client(sample_app):
    return sample_app.test_client()


PAGES = [
    "/",
    "/about",
    "/search?q=meeting",
    "/search?near=97214",
    "/search?category=meeting&page=2",
    "/search?q=meeting&near=97214&radius=25&fellowship=AA&day=mon",
    "/search?near=97214&radius=1&q=zzzzqqq",
    "/search?near=nowhere-at-all",
    "/no-such-page",
]


def _weight(client, path: str) -> int:
    response = client.get(path)
    assert response.status_code in (200, 400, 404)
    html = response.get_data(as_text=True)
    total = len(response.data)
    for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', html):
        with client.get(asset) as static:
            total += len(static.data)
    return total


@pytest.mark.parametrize("path", PAGES)
def test_page_weight_under_budget(sample_client, path):
    assert _weight(sample_client, path) <= BUDGET


def test_every_resource_page_under_budget(sample_client):
    from directory.datafile.load import load_catalog

    heaviest = max(
        (_weight(sample_client, f"/resources/{r.id}"), r.id) for r in load_catalog(SAMPLE).active()
    )
    assert heaviest[0] <= BUDGET, heaviest
