"""Static files: addressed by their digest and kept for a year; the same for every visitor."""

from __future__ import annotations

import re

import pytest

from directory.web.static_files import IMMUTABLE, Digests
from tests.web.referral_flow import build_list, make_app


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_every_asset_of_a_page_is_versioned_and_kept_for_a_year(client):
    assets = _assets(client.get("/search?q=clinic").text)
    assert assets and all(re.search(r"\?v=[0-9a-f]{12}$", a) for a in assets), assets
    for asset in assets:
        with client.get(asset) as answer:
            assert answer.status_code == 200
            assert answer.headers["Cache-Control"] == IMMUTABLE
            assert "Cookie" not in answer.headers.get("Vary", "")
            assert "Set-Cookie" not in answer.headers


def test_an_old_or_missing_version_is_revalidated_not_kept(client):
    (asset,) = [a for a in _assets(client.get("/").text) if "site.css" in a]
    for address in ("/static/site.css", "/static/site.css?v=000000000000", asset + "x"):
        with client.get(address) as answer:
            assert answer.status_code == 200
            assert "immutable" not in answer.headers.get("Cache-Control", ""), address
            assert "max-age=31536000" not in answer.headers.get("Cache-Control", "")


def test_static_files_do_not_vary_by_cookie_for_a_visitor_with_a_session(tmp_path):
    """A session cookie (the language, a referral list) must not make shared caches split."""
    client = make_app(tmp_path).test_client()
    client.get("/?lang=es")
    build_list(client, ["harbor-detox"], {"harbor-detox": "Tuesday"})
    page = client.get("/referrals")
    assert "harbor-detox" in page.text and "Cookie" in page.headers["Vary"]  # pages vary by it
    for asset in _assets(page.text):
        with client.get(asset) as answer:
            assert "Cookie" not in answer.headers.get("Vary", ""), asset
            assert "Set-Cookie" not in answer.headers
            assert answer.headers["Cache-Control"] == IMMUTABLE


def test_a_changed_file_gets_a_new_digest(tmp_path):
    (tmp_path / "static").mkdir()
    css = tmp_path / "static" / "site.css"
    css.write_text("body { color: black }")
    (tmp_path / "secret.txt").write_text("not served")
    digests = Digests(str(tmp_path / "static"))
    before = digests.of("site.css")
    assert before == digests.of("site.css")
    css.write_text("body { color: navy }")
    assert digests.of("site.css") not in (None, before)
    for name in ("no-such.css", "../secret.txt", "/etc/passwd", ""):
        assert digests.of(name) is None, name


@pytest.mark.parametrize("path", ["/", "/search?q=food", "/api/v1/search?q=food"])
def test_pages_and_api_keep_their_own_cache_rules(client, path):
    answer = client.get(path)
    assert answer.status_code == 200
    assert "immutable" not in answer.headers.get("Cache-Control", "")
