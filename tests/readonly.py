"""Make a folder read-only for the test's own user, root included."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def make_read_only(folder: Path) -> None:
    """Make `folder` refuse new files: chmod for a user, the immutable attribute for root."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return
    # root writes through any mode; an immutable folder refuses even root (needs chattr).
    done = None
    if shutil.which("chattr"):
        done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False)
    if done is None or done.returncode != 0:
        pytest.skip("cannot make a folder read-only for root here (chattr +i refused)")


def make_writable(folder: Path) -> None:
    if os.geteuid() != 0:
        folder.chmod(0o755)
    else:
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True, check=False)


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    make_read_only(folder)
    try:
        yield
    finally:
        make_writable(folder)
