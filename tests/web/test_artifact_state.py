"""A host serving an artifact (DIRECTORY_ARTIFACT_DIR): read-only, switched by its pointer."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from directory import create_app
from directory.search import artifact
from tests.conftest import ROOT


@pytest.fixture
def out(tmp_path) -> Path:
    return tmp_path / "artifact"


def host(tmp_path, out: Path, **settings):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "DATA_PATH": str(tmp_path / "no-such-file.yaml"),  # never read in this mode
            "INDEX_DIR": str(tmp_path / "host-index"),
            "ARTIFACT_DIR": str(out),
            "RELOAD_CHECK_SECONDS": 0,
            "RATELIMIT_STORAGE_URI": "memory://",
            **settings,
        }
    )


def build(runner, out: Path, *options: str) -> str:
    result = runner.invoke(args=["index", "--out", str(out), *options])
    assert result.exit_code == 0, result.output
    return artifact.versions(out)[-1].name


def fingerprint(out: Path, name: str) -> str:
    return json.loads((out / name / "manifest.json").read_text())["fingerprint"]


def found(client, words: str) -> int:
    return client.get(f"/api/v1/search?q={words}").get_json()["total"]


def listing(folder: Path) -> list[tuple[str, int, int]]:
    """Every path under `folder` with its size and modification time (what a write changes)."""
    rows = [(".", 0, folder.stat().st_mtime_ns)]
    for path in sorted(folder.rglob("*")):
        stat = path.stat()
        rows.append((str(path.relative_to(folder)), stat.st_size, stat.st_mtime_ns))
    return rows


def test_a_host_serves_the_current_version_and_says_which(tmp_path, runner, out):
    name = build(runner, out)
    client = host(tmp_path, out).test_client()
    response = client.get("/api/v1/search?q=serenity")
    assert response.status_code == 200
    assert response.get_json()["total"] == 1
    assert response.headers["X-Data-Version"] == fingerprint(out, name)[:12]
    ready = client.get("/readyz").get_json()
    assert ready["artifact"]["version"] == name
    assert ready["data_version"] == fingerprint(out, name)[:12]
    assert (ready["status"], ready["data_status"], ready["resources"]) == ("ok", "serving", 3)
    assert client.get("/search?q=serenity").headers["X-Data-Version"] == ready["data_version"]


def test_a_new_current_is_picked_up_whole(tmp_path, runner, out, data_path):
    build(runner, out)
    client = host(tmp_path, out).test_client()
    assert found(client, "serenity") == 1
    data_path.write_text(data_path.read_text().replace("Hawthorne Serenity", "Belmont Hope"))
    name = build(runner, out)
    response = client.get("/api/v1/search?q=hope")
    assert response.get_json()["total"] == 1
    assert response.headers["X-Data-Version"] == fingerprint(out, name)[:12]
    assert found(client, "serenity") == 0


def test_a_host_follows_its_own_pointer(tmp_path, runner, out, data_path):
    first = build(runner, out)
    assert runner.invoke(args=["switch", str(out), "--pointer", "CURRENT.a"]).exit_code == 0
    client = host(tmp_path, out, ARTIFACT_CURRENT="CURRENT.a").test_client()
    data_path.write_text(data_path.read_text().replace("Hawthorne Serenity", "Belmont Hope"))
    second = build(runner, out)  # CURRENT moves; host a's pointer does not
    assert client.get("/readyz").get_json()["artifact"]["version"] == first
    assert runner.invoke(args=["switch", str(out), second, "--pointer", "CURRENT.a"]).exit_code == 0
    assert client.get("/readyz").get_json()["artifact"]["version"] == second
    assert found(client, "hope") == 1


def test_a_broken_version_is_refused_and_the_last_good_one_serves(tmp_path, runner, out):
    good = build(runner, out)
    client = host(tmp_path, out).test_client()
    assert found(client, "serenity") == 1
    bad = "v-9999999999999999999-badbadbadbad"
    shutil.copytree(out / good, out / bad)
    manifest = json.loads((out / bad / "manifest.json").read_text())
    catalog = out / bad / manifest["catalog"]
    catalog.write_bytes(bytes(b ^ 0x55 for b in catalog.read_bytes()))
    (out / "CURRENT").write_text(bad + "\n")
    assert found(client, "serenity") == 1
    ready = client.get("/readyz").get_json()
    assert (ready["data_status"], ready["artifact"]["version"]) == ("refused", good)
    assert "the catalog is damaged" in ready["last_refused"]
    assert client.get("/api/v1/search?q=x").headers["X-Data-Version"] == ready["data_version"]


def test_a_version_still_arriving_is_looked_at_again(tmp_path, runner, out):
    good = build(runner, out)
    app = host(tmp_path, out)
    client = app.test_client()
    assert found(client, "serenity") == 1
    state = app.extensions["directory"]
    state.index_retry_seconds = 0.0
    copy = "v-9999999999999999999-" + good.rsplit("-", 1)[1]
    shutil.copytree(out / good, out / copy)
    (out / copy / "manifest.json").rename(tmp_path / "manifest.json")  # the copy's last file
    (out / "CURRENT").write_text(copy + "\n")
    ready = client.get("/readyz").get_json()
    assert (ready["data_status"], ready["artifact"]["version"]) == ("retrying", good)
    assert "incomplete: no manifest.json" in ready["last_refused"]
    (tmp_path / "manifest.json").rename(out / copy / "manifest.json")
    ready = client.get("/readyz").get_json()
    assert (ready["data_status"], ready["artifact"]["version"]) == ("serving", copy)


def test_no_version_yet_is_a_503_with_the_reason(tmp_path, out):
    out.mkdir()
    response = host(tmp_path, out).test_client().get("/readyz")
    assert response.status_code == 503
    assert "no version named by CURRENT" in response.get_json()["error"]


def _lock(folder: Path) -> None:
    """Make every file and folder read-only: chmod, and for root (whom modes do not stop) +i."""
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    if os.geteuid() == 0 and shutil.which("chattr"):
        subprocess.run(["chattr", "-R", "+i", str(folder)], capture_output=True, check=False)


def _unlock(folder: Path) -> None:
    if os.geteuid() == 0 and shutil.which("chattr"):
        subprocess.run(["chattr", "-R", "-i", str(folder)], capture_output=True, check=False)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def test_a_host_never_writes_in_the_artifact(tmp_path, runner, out, data_path):
    build(runner, out)
    data_path.write_text(data_path.read_text().replace("Hawthorne Serenity", "Belmont Hope"))
    second = build(runner, out, "--no-switch")
    before = listing(out)
    _lock(out)
    try:
        app = host(tmp_path, out)
        client = app.test_client()
        assert found(client, "serenity") == 1
        assert client.get("/readyz").status_code == 200
        assert app.extensions["directory"].reopen()  # what a worker does after fork
        assert found(client, "serenity") == 1
        _unlock(out)
        assert runner.invoke(args=["switch", str(out), second]).exit_code == 0
        switched = listing(out)
        _lock(out)
        assert found(client, "hope") == 1
        assert client.get("/readyz").get_json()["artifact"]["version"] == second
    finally:
        _unlock(out)
    assert listing(out) == switched
    changed = {row[0] for row in set(before) ^ set(switched)}
    assert changed <= {".", "CURRENT"}  # the test's own switch, nothing of the host's


HOST_AS_NOBODY = """
import json, sys
from directory import create_app
app = create_app({"TESTING": True, "SECRET_KEY": "x", "ARTIFACT_DIR": sys.argv[1],
                  "DATA_PATH": "/nonexistent.yaml", "INDEX_DIR": sys.argv[2],
                  "RATELIMIT_STORAGE_URI": "memory://"})
client = app.test_client()
answer = client.get("/api/v1/search?q=serenity")
print(json.dumps([answer.status_code, answer.get_json()["total"],
                  client.get("/readyz").get_json()["data_status"]]))
"""


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root")
def test_a_host_running_as_another_user_serves_an_artifact_it_cannot_write(runner, data_path):
    shared = Path(tempfile.mkdtemp(prefix="artifact-"))  # tmp_path is private to root
    try:
        shared.chmod(0o755)
        import_as_nobody = subprocess.run(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
             sys.executable, "-c", "import directory"],
            capture_output=True, cwd=ROOT, timeout=60, check=False,
            env={"PATH": os.environ.get("PATH", ""), "HOME": str(shared)},
        )  # fmt: skip
        if import_as_nobody.returncode != 0:  # a checkout in a private folder (mktemp -d)
            pytest.skip("the checkout is not readable by nobody")
        out = shared / "artifact"
        build(runner, out)
        before = listing(out)
        done = subprocess.run(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
             sys.executable, "-c", HOST_AS_NOBODY, str(out), str(shared / "nobody-index")],
            capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
            env={"PATH": os.environ.get("PATH", ""), "HOME": str(shared)},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        assert json.loads(done.stdout.splitlines()[-1]) == [200, 1, "serving"]
        assert listing(out) == before
    finally:
        shutil.rmtree(shared, ignore_errors=True)


def test_a_host_reading_a_data_file_says_its_version_too(client):
    ready = client.get("/readyz").get_json()
    assert ready["artifact"] is None
    assert ready["data_version"] == ready["fingerprint"][:12]
    assert client.get("/search?q=serenity").headers["X-Data-Version"] == ready["data_version"]
    assert client.get("/api/v1/search?q=x").headers["X-Data-Version"] == ready["data_version"]
