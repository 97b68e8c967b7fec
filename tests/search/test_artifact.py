"""`flask index --out DIR`: one complete version built once, switched by a pointer, checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from directory import create_app
from directory.search import artifact
from tests.conftest import FIXTURES

CUT_BEFORE = "  - id: eastside-bridge-clinic"


@pytest.fixture
def out(tmp_path) -> Path:
    return tmp_path / "artifact"


def build(runner, out: Path, *options: str):
    return runner.invoke(args=["index", "--out", str(out), *options])


def renamed(data_path: Path, new: str) -> None:
    data_path.write_text(data_path.read_text().replace("Hawthorne Serenity", new))


def test_index_out_writes_one_complete_version_and_points_current_at_it(runner, out):
    result = build(runner, out)
    assert result.exit_code == 0, result.output
    name = (out / "CURRENT").read_text().strip()
    assert f"{out / name}: 3 active resources" in result.output
    folder = out / name
    manifest = json.loads((folder / "manifest.json").read_text())
    assert (manifest["resources"], manifest["active"], manifest["format"]) == (4, 3, 1)
    assert name.endswith(manifest["fingerprint"][:12])
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["CURRENT", "catalogs", manifest["index_generation"], "manifest.json"]
    )
    assert not list(out.glob(".building-*"))
    opened = artifact.open_version(folder)
    assert opened.catalog.fingerprint == manifest["fingerprint"]
    assert opened.searcher.resource_count == 3


def test_a_file_with_errors_is_refused_with_every_problem_and_dir_unchanged(runner, out, data_path):
    assert build(runner, out).exit_code == 0
    before = sorted(p.name for p in out.iterdir())
    current = (out / "CURRENT").read_text()
    data_path.write_text((FIXTURES / "broken" / "many-problems.yaml").read_text())
    result = build(runner, out)
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if ": error: " in line]
    assert len(errors) >= 3, result.output
    assert f"refused; {out} is unchanged" in result.output
    assert sorted(p.name for p in out.iterdir()) == before
    assert (out / "CURRENT").read_text() == current


def test_the_shrink_guard_compares_with_the_version_in_dir(runner, out, data_path):
    assert build(runner, out).exit_code == 0
    current = (out / "CURRENT").read_text()
    data_path.write_text(data_path.read_text()[: data_path.read_text().index(CUT_BEFORE)])
    result = build(runner, out)
    assert result.exit_code == 1
    assert "2 active resources, 1 fewer than the 3 in the artifact" in result.output
    assert "index --out DIR --allow-shrink" in result.output
    assert (out / "CURRENT").read_text() == current
    assert build(runner, out, "--allow-shrink").exit_code == 0
    assert (out / "CURRENT").read_text() != current


def test_old_versions_are_pruned_but_what_a_pointer_names_is_kept(runner, out, data_path):
    assert build(runner, out).exit_code == 0
    first = artifact.pointed_name(out)
    assert runner.invoke(args=["switch", str(out), "--pointer", "CURRENT.b"]).exit_code == 0
    for n in range(5):
        renamed(data_path, f"Version {n} Serenity")
        assert build(runner, out).exit_code == 0
    names = [p.name for p in artifact.versions(out)]
    assert len(names) == artifact.KEEP_VERSIONS + 1
    assert first in names  # host b still reads it
    assert names[-1] == artifact.pointed_name(out)


def test_switch_moves_one_hosts_pointer_to_a_complete_version_only(runner, out, data_path):
    assert build(runner, out).exit_code == 0
    first = artifact.pointed_name(out)
    assert runner.invoke(args=["switch", str(out), "--pointer", "CURRENT.a"]).exit_code == 0
    renamed(data_path, "Belmont Hope")
    assert build(runner, out, "--no-switch").exit_code == 0
    assert artifact.pointed_name(out) == first  # --no-switch
    second = artifact.versions(out)[-1].name
    assert artifact.pointed_name(out, "CURRENT.a") == first
    result = runner.invoke(args=["switch", str(out), second, "--pointer", "CURRENT.a"])
    assert result.exit_code == 0, result.output
    assert artifact.pointed_name(out, "CURRENT.a") == second
    (out / second / "manifest.json").unlink()
    result = runner.invoke(args=["switch", str(out), second])
    assert result.exit_code == 1
    assert "incomplete: no manifest.json" in result.output
    result = runner.invoke(args=["switch", str(out), first, "--pointer", "../x"])
    assert result.exit_code == 1
    assert "not a pointer name" in result.output


def _built(runner, out) -> Path:
    assert build(runner, out).exit_code == 0
    return out / artifact.pointed_name(out)


def test_a_damaged_catalog_is_refused(runner, out):
    folder = _built(runner, out)
    catalog = folder / json.loads((folder / "manifest.json").read_text())["catalog"]
    data = bytearray(catalog.read_bytes())
    data[len(data) // 2] ^= 0xFF
    catalog.write_bytes(bytes(data))
    with pytest.raises(artifact.VersionBroken, match="damaged"):
        artifact.open_version(folder)


def test_a_catalog_still_arriving_is_incomplete(runner, out):
    folder = _built(runner, out)
    catalog = folder / json.loads((folder / "manifest.json").read_text())["catalog"]
    catalog.write_bytes(catalog.read_bytes()[:100])
    with pytest.raises(artifact.VersionIncomplete, match="the catalog is short"):
        artifact.open_version(folder)


def test_a_version_built_by_other_code_is_refused(runner, out):
    folder = _built(runner, out)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["code"] = "0" * 64
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(artifact.VersionBroken, match="built by other code"):
        artifact.open_version(folder)


def test_a_missing_index_generation_is_refused(runner, out):
    folder = _built(runner, out)
    (folder / "CURRENT").write_text("gen-0-gone\n")
    with pytest.raises(artifact.VersionIncomplete, match="no index"):
        artifact.open_version(folder)


def test_a_bad_pointer_setting_is_a_config_error(tmp_path):
    from directory.config import ConfigError, from_environment

    with pytest.raises(ConfigError, match="DIRECTORY_ARTIFACT_CURRENT"):
        from_environment({"DIRECTORY_ARTIFACT_CURRENT": "../../etc/passwd"})
    app = create_app({"TESTING": True, "ARTIFACT_DIR": str(tmp_path), "SECRET_KEY": "x"})
    assert app.extensions["directory"].pointer == "CURRENT"
