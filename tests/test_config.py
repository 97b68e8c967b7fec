"""Settings: one table, read once, documented in the README exactly as declared."""

from __future__ import annotations

import re

import pytest

from directory import config, create_app
from tests.conftest import ROOT, instance_state


def test_readme_configuration_table_is_the_declared_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert config.markdown_table() in readme
    documented = set(re.findall(r"^\| `(DIRECTORY_[A-Z_]+)` \|", readme, re.M))
    assert documented == {s.variable for s in config.SETTINGS}


def test_every_setting_has_its_default(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x"})
    for setting in config.SETTINGS:
        if setting.name in config.INSTANCE_DEFAULTS:
            assert app.config[setting.name].startswith(app.instance_path)
        elif setting.name == "RATELIMIT_STORAGE_URI":
            assert app.config[setting.name] == "memory://"  # tests: one process, nothing left
        elif setting.name != "SECRET_KEY":
            assert app.config[setting.name] == setting.default, setting.name


def test_environment_values_are_parsed_by_type(monkeypatch):
    monkeypatch.setenv("DIRECTORY_SECRET_KEY", "k" * 64)
    monkeypatch.setenv("DIRECTORY_BASE_URL", "https://directory.example.org")
    monkeypatch.setenv("DIRECTORY_HSTS", "yes")
    monkeypatch.setenv("DIRECTORY_PROXY_COUNT", "1")
    monkeypatch.setenv("DIRECTORY_RELOAD_CHECK_SECONDS", "0.5")
    app = create_app()
    assert app.config["HSTS"] is True and app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["PROXY_COUNT"] == 1
    assert app.config["RELOAD_CHECK_SECONDS"] == 0.5


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DIRECTORY_PROXY_COUNT", "one"),
        ("DIRECTORY_PROXY_COUNT", "-1"),
        ("DIRECTORY_HSTS", "maybe"),
        ("DIRECTORY_RELOAD_CHECK_SECONDS", "nan"),
        ("DIRECTORY_MAX_CONTENT_LENGTH", "64k"),
    ],
)
def test_a_bad_value_is_refused_with_its_name(monkeypatch, variable, value):
    monkeypatch.setenv("DIRECTORY_SECRET_KEY", "k" * 64)
    monkeypatch.setenv("DIRECTORY_BASE_URL", "https://directory.example.org")
    monkeypatch.setenv(variable, value)
    with pytest.raises(config.ConfigError, match=variable):
        create_app()


def test_the_factory_reads_no_data_and_writes_nothing(tmp_path, monkeypatch):
    """create_app reads settings only: no index is built, no folder made, even when serving."""
    data = tmp_path / "resources.yaml"
    data.write_text("not: [valid")  # would be refused if it were read
    monkeypatch.setenv("DIRECTORY_SECRET_KEY", "k" * 64)
    monkeypatch.setenv("DIRECTORY_BASE_URL", "https://directory.example.org")
    monkeypatch.setenv("DIRECTORY_DATA_PATH", str(data))
    monkeypatch.setenv("DIRECTORY_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("DIRECTORY_REPORTS_DIR", str(tmp_path / "reports"))
    before = sorted(p.name for p in tmp_path.iterdir())
    app = create_app()
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert app.extensions["directory"].snapshot is None


def test_pytest_leaves_the_checkouts_instance_folder_alone(instance_before):
    """The whole run must not touch <checkout>/instance (conftest compares it at the end too)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x"})
    assert app.config["INDEX_DIR"].startswith(str(ROOT / "instance"))
    assert instance_state() == instance_before
