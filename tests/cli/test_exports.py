"""`flask export hsds`: the directory's services as an HSDS data package."""

from __future__ import annotations


def test_export_hsds_command_writes_the_folder(app, tmp_path):
    folder = tmp_path / "hsds"
    result = app.test_cli_runner().invoke(args=["export", "hsds", str(folder)])
    assert result.exit_code == 0, result.output
    assert "1 service" in result.output
    assert (folder / "datapackage.json").exists() and (folder / "services.csv").exists()


def test_export_hsds_refuses_a_broken_file(app, data_path, tmp_path):
    data_path.write_text(data_path.read_text().replace("category: food", "category: fod"))
    folder = tmp_path / "hsds"
    result = app.test_cli_runner().invoke(args=["export", "hsds", str(folder)])
    assert result.exit_code == 1
    assert "closed-pantry" in result.output and "category" in result.output
    assert not folder.exists()
