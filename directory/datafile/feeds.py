"""Imported feeds kept in their own generated files, merged with the curated file when loading.

The curated resource file stays human-sized: it declares each feed under `feeds:` (name, URL or
path, fellowship, time zone, id prefix) and `flask --app directory sync` writes what the feed
holds to `feeds/<name>.yaml` next to it, whole, replacing the last version in one step. Loading
reads the curated file and every feed file (`read_feed_files`), and validation merges them: the
feed files' entries follow the same rules, with the curated file's directory and locations, and
every id a feed brings starts with its prefix, so ids are unique across feeds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

FOLDER = "feeds"  # next to the resource file
SUFFIX = ".yaml"
MAX_FEEDS = 1000  # feed files read at most; a folder holding more is refused


class TooManyFeeds(OSError):
    """The feeds folder holds more files than any directory declares."""


def feeds_folder(data_path: str | Path) -> Path:
    return Path(data_path).parent / FOLDER


def feed_file(data_path: str | Path, name: str) -> Path:
    return feeds_folder(data_path) / f"{name}{SUFFIX}"


def feed_files_on_disk(data_path: str | Path) -> list[Path]:
    """Return the feed files next to the resource file, sorted by name (none: no folder)."""
    folder = feeds_folder(data_path)
    try:
        files = sorted(p for p in folder.iterdir() if p.suffix == SUFFIX and p.is_file())
    except (FileNotFoundError, NotADirectoryError):
        return []
    files = [p for p in files if not p.name.startswith(".")]  # temporaries of a write
    if len(files) > MAX_FEEDS:
        raise TooManyFeeds(f"{folder} holds {len(files):,} feed files; at most {MAX_FEEDS:,}")
    return files


def read_feed_files(data_path: str | Path, max_bytes: int) -> dict[str, bytes]:
    """Return each feed file's bytes by feed name (at most one byte past `max_bytes` each)."""
    out = {}
    for path in feed_files_on_disk(data_path):
        with open(path, "rb") as handle:
            out[path.stem] = handle.read(max_bytes + 1)
    return out


def bundle_fingerprint(data: bytes, feed_files: Mapping[str, bytes] | None) -> str:
    """Return the fingerprint of a resource file and its feed files (the file's alone if none)."""
    digest = hashlib.sha256(data)
    if not feed_files:
        return digest.hexdigest()
    for name in sorted(feed_files):
        body = feed_files[name]
        digest.update(f"\0{name}\0{len(body)}\0".encode())
        digest.update(body)
    return digest.hexdigest()
