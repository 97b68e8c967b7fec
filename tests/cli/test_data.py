"""Maintainer commands through Flask's CLI runner."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.conftest import FIXTURES


def test_validate_clean_file_exits_zero(runner, data_path):
    result = runner.invoke(args=["validate"])
    assert result.exit_code == 0, result.output
    assert f"{data_path}: valid, no problems found" in result.output


def test_validate_broken_file_names_the_line_and_exits_one(runner):
    path = FIXTURES / "broken" / "bad-phone.yaml"
    result = runner.invoke(args=["validate", str(path)])
    assert result.exit_code == 1
    assert f"{path}:7: error: resource 'harbor-house': phone:" in result.output
    assert "1 error(s), 0 warning(s)" in result.output


def test_validate_prints_warnings_but_passes(runner):
    path = FIXTURES / "broken" / "unknown-type.yaml"
    result = runner.invoke(args=["validate", str(path)])
    assert result.exit_code == 0
    assert f"{path}:8: warning:" in result.output


def test_validate_json(runner):
    path = FIXTURES / "broken" / "many-problems.yaml"
    result = runner.invoke(args=["validate", "--format", "json", str(path)])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["valid"] is False
    assert report["errors"] == 3
    assert [p["line"] for p in report["problems"]] == [6, 7, 12]


def test_validate_missing_file(runner, tmp_path):
    result = runner.invoke(args=["validate", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 1
    assert "cannot read the file" in result.output


def test_stats_counts(runner):
    result = runner.invoke(args=["stats"])
    assert result.exit_code == 0, result.output
    assert "By category" in result.output
    assert "meeting" in result.output
    lines = {
        line.split()[0]: line.split()[-1] for line in result.output.splitlines() if line.strip()
    }
    assert lines["active"] == "3"
    assert lines["AA"] == "1"


def test_stats_on_broken_file_lists_errors(runner):
    result = runner.invoke(args=["stats", str(FIXTURES / "broken" / "bad-phone.yaml")])
    assert result.exit_code == 1
    assert ":7: error:" in result.output


def test_every_command_has_help(runner, app):
    for name, command in app.cli.commands.items():
        if name in ("run", "shell", "routes"):
            continue
        assert command.help, name
        result = runner.invoke(args=[name, "--help"])
        assert result.exit_code == 0


def test_index_builds_and_refuses_a_broken_file(runner, app, data_path):
    from directory.search.index import current_generation

    result = runner.invoke(args=["index"])
    assert result.exit_code == 0, result.output
    assert "indexed 3 active resources" in result.output
    first = current_generation(app.config["INDEX_DIR"])
    assert first is not None
    data_path.write_text(data_path.read_text().replace("category: food", "category: fod"))
    result = runner.invoke(args=["index"])
    assert result.exit_code == 1
    assert "'fod' is not a known category" in result.output
    assert "the current index is unchanged" in result.output
    assert current_generation(app.config["INDEX_DIR"]) == first


# --- a version with far fewer listings, and putting a new version in place --------------------

CUT_BEFORE = "  - id: eastside-bridge-clinic"


def _cut(text: str) -> str:
    return text[: text.index(CUT_BEFORE)]


def test_validate_reports_a_drop_against_the_version_in_service(runner, data_path):
    assert runner.invoke(args=["index"]).exit_code == 0  # what a server would serve
    data_path.write_text(_cut(data_path.read_text()))
    result = runner.invoke(args=["validate"])
    assert result.exit_code == 1
    assert "2 active resources, 1 fewer than the 3 in service (33%" in result.output
    assert runner.invoke(args=["validate", "--allow-shrink"]).exit_code == 0


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_validate_reports_a_drop_against_the_version_in_git(runner, data_path):
    folder = data_path.parent
    for command in (["init", "-q"], ["add", data_path.name]):
        subprocess.run(["git", "-C", str(folder), *command], check=True)
    subprocess.run(
        ["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@example.org",
         "commit", "-qm", "data"],
        check=True,
    )  # fmt: skip
    assert runner.invoke(args=["validate"]).exit_code == 0
    data_path.write_text(_cut(data_path.read_text()))
    result = runner.invoke(args=["validate"])
    assert result.exit_code == 1
    assert "1 fewer than the 3 in git (HEAD)" in result.output


def test_reload_puts_a_new_version_in_place_in_one_step(runner, app, data_path, tmp_path):
    runner.invoke(args=["index"])
    new = tmp_path / "incoming" / "resources.yaml"
    new.parent.mkdir()
    new.write_text(data_path.read_text().replace("Hawthorne Serenity", "Belmont Hope"))
    result = runner.invoke(args=["reload", str(new)])
    assert result.exit_code == 0, result.output
    assert "3 active resources (as many as in service)" in result.output
    assert data_path.read_bytes() == new.read_bytes()
    assert sorted(p.name for p in data_path.parent.iterdir() if p.name.endswith(".tmp")) == []


@pytest.mark.parametrize("change", ["category: food", "cut"])
def test_reload_refuses_a_broken_or_shrunken_version_and_changes_nothing(
    runner, data_path, tmp_path, change
):
    runner.invoke(args=["index"])
    before = data_path.read_bytes()
    new = tmp_path / "new.yaml"
    text = data_path.read_text()
    new.write_text(_cut(text) if change == "cut" else text.replace(change, "category: fod"))
    result = runner.invoke(args=["reload", str(new)])
    assert result.exit_code == 1
    assert "refused" in result.output
    assert data_path.read_bytes() == before
