"""The wheel: built from the tracked files, installed outside the checkout, serving real pages."""

from __future__ import annotations

import http.cookiejar
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import tomllib
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE

pytestmark = pytest.mark.slow


def test_pyproject_names_every_package():
    packages = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                   ["packages"])  # fmt: skip
    on_disk = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "directory").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert on_disk | {"directory.templates", "directory.static"} == packages


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv outside the checkout with only our wheel in it (dependencies borrowed)."""
    work = tmp_path_factory.mktemp("wheel")
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to know the tracked files")
    source = work / "source"
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, tracked):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    dist = work / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "-w", str(dist), str(source)],
        check=True, capture_output=True,
    )  # fmt: skip
    wheel = next(dist.glob("recovery_directory-*.whl"))
    venv = work / "venv"
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    )  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
         str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    # The dependencies come from the test environment: a plain path entry, so its own .pth
    # files (the editable install of this checkout among them) are not run.
    (site / "zz-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    home = work / "home"
    (home / "data").mkdir(parents=True)
    shutil.copy2(SAMPLE, home / "data" / "resources.yaml")
    return python, home


def test_the_wheel_holds_templates_and_static_files(installed):
    python, home = installed
    where = subprocess.run(
        [python, "-c", "import directory, sys; print(directory.__file__)"],
        cwd=home, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    package = Path(where).parent
    assert not package.is_relative_to(ROOT)
    assert (package / "templates" / "base.html").is_file()
    assert (package / "static" / "site.css").is_file()
    assert (package / "search" / "synonyms.yaml").is_file()
    # A language is its catalog, compiled, and its search words: all in the wheel.
    assert (package / "translations" / "es" / "LC_MESSAGES" / "messages.mo").is_file()
    assert (package / "search" / "words.es.yaml").is_file()
    assert (package / "search" / "synonyms.es.yaml").is_file()


def test_gunicorn_serves_pages_css_and_a_pdf_from_the_wheel(installed):
    python, home = installed
    port = _free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "DIRECTORY_SECRET_KEY": "w" * 64,
        "DIRECTORY_BASE_URL": f"http://127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "BIND": f"127.0.0.1:{port}",
    }
    log = home / "gunicorn.log"
    with log.open("w") as errors:
        _exercise(python, home, env, base=f"http://127.0.0.1:{port}", log=log, errors=errors)


def _exercise(python, home, env, base, log, errors):
    server = subprocess.Popen(
        [python, "-m", "gunicorn", "-c", "python:directory.web.gunicorn_conf",
         "directory:create_app()"],
        cwd=home, env=env, stdout=subprocess.DEVNULL, stderr=errors,
    )  # fmt: skip
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with opener.open(f"{base}/readyz", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(log.read_text()) from None
                time.sleep(0.3)
        with opener.open(f"{base}/", timeout=10) as answer:
            assert "Help right now" in answer.read().decode()
        with opener.open(f"{base}/search?q=metadona&lang=es", timeout=10) as answer:
            spanish = answer.read().decode()
        assert '<html lang="es">' in spanish and "Ayuda ahora" in spanish
        assert 'class="result"' in spanish
        with opener.open(f"{base}/?lang=en", timeout=10) as answer:
            answer.read()  # back to English for the rest (the switch's cookie)
        with opener.open(f"{base}/search?q=food+pantry", timeout=10) as answer:
            page = answer.read().decode()
        assert 'class="result"' in page
        ids = re.findall(r'name="id" value="([a-z0-9-]+)"', page)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        with opener.open(f"{base}/static/site.css", timeout=10) as answer:
            assert answer.headers["Content-Type"].startswith("text/css")
        form = urllib.parse.urlencode({"csrf_token": token, "id": ids[0]}).encode()
        opener.open(f"{base}/referrals/add", data=form, timeout=10).read()
        form = urllib.parse.urlencode({"csrf_token": token, "paper": "letter"}).encode()
        with opener.open(f"{base}/referrals/sheet.pdf", data=form, timeout=60) as answer:
            body = answer.read()
        assert answer.headers["Content-Type"] == "application/pdf"
        assert body.startswith(b"%PDF-")
    finally:
        server.terminate()
        server.wait(30)
