"""Shared fixtures: a fresh app per test on small hand-written data."""

from __future__ import annotations

from pathlib import Path

import pytest

from directory import create_app

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "data" / "resources.yaml"
INSTANCE_KEY = pytest.StashKey[list]()


def instance_state() -> list[tuple[str, int]]:
    """Return what the checkout's instance/ folder holds, with modification times."""
    folder = ROOT / "instance"
    if not folder.exists():
        return []
    return sorted((str(p.relative_to(folder)), p.stat().st_mtime_ns) for p in folder.rglob("*"))


def pytest_configure(config):
    config.stash[INSTANCE_KEY] = instance_state()


def pytest_sessionfinish(session, exitstatus):
    if instance_state() != session.config.stash[INSTANCE_KEY]:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print("\nFAILED: the test run changed the checkout's instance/ folder", flush=True)


@pytest.fixture
def instance_before(request):
    return request.config.stash[INSTANCE_KEY]


def pytest_collection_modifyitems(items):
    """Mark every test that drives Chromium, so `-m "not browser"` is a fast inner loop."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def sample_app(tmp_path_factory):
    """One app over the shipped sample directory, shared by every test that reads it."""
    index = tmp_path_factory.mktemp("sample-index")
    return create_app(
        {
            "SECRET_KEY": "sample-tests-" + "s" * 32,
            "ENV_NAME": "development",  # links from the request: live servers get a free port
            "DATA_PATH": str(SAMPLE),
            "INDEX_DIR": str(index),
            "RATELIMIT_ENABLED": False,  # shared by many modules: their requests add up
            "RATELIMIT_STORAGE_URI": "memory://",  # not a file in the checkout's instance/
        }
    )


@pytest.fixture
def data_path(tmp_path) -> Path:
    """Return a copy of the minimal fixture file that a test may change."""
    path = tmp_path / "resources.yaml"
    path.write_text((FIXTURES / "minimal.yaml").read_text())
    return path


def reloading_app(data_path: Path, index: Path, **config):
    """Return an app that reads its data file again at each request once it changed (no
    check interval, no settling wait), with `config` on top."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "DATA_PATH": str(data_path),
            "INDEX_DIR": str(index),
            "RELOAD_CHECK_SECONDS": 0,
            "RELOAD_SETTLE_SECONDS": 0,  # the settling wait has its own tests
            **config,
        }
    )


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
    from tests.browser import chromium  # noqa: PLC0415  # why: only browser tests need Playwright

    with chromium() as browser:
        yield browser
