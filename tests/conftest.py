"""Shared fixtures: a fresh app per test on small hand-written data."""

from __future__ import annotations

from pathlib import Path

import pytest

from directory import create_app

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "data" / "resources.yaml"


@pytest.fixture
def data_path(tmp_path) -> Path:
    """Return a copy of the minimal fixture file that a test may change."""
    path = tmp_path / "resources.yaml"
    path.write_text((FIXTURES / "minimal.yaml").read_text())
    return path


@pytest.fixture
def app(tmp_path, data_path):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATA_PATH": str(data_path),
            "INDEX_DIR": str(tmp_path / "index"),
        }
    )


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, shared by a module's browser tests."""
    from .browser import chromium  # noqa: PLC0415  # why: only browser tests need Playwright

    with chromium() as browser:
        yield browser
