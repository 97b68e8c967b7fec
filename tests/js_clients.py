"""Run the real JavaScript clients our exports are read by (tests/node: ical.js, luxon).

`make test` installs them from tests/node/package-lock.json (`npm ci`); without Node.js or
that install the tests that need them are skipped, as browser tests are without Chromium.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

NODE_DIR = Path(__file__).parent / "node"


def run_node(script: str, *args: str, stdin: str | None = None, timeout: float = 60):
    """Run tests/node/<script> with Node.js and return what it printed, read as JSON."""
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules").is_dir():
        pytest.skip("Node.js and tests/node's packages are needed (make test installs them)")
    done = subprocess.run(
        [node, str(NODE_DIR / script), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=NODE_DIR,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
