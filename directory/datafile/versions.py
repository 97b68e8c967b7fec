"""Compare a new version of the resource file with the one before it: listings must not vanish.

A file cut short by a copy or a `git checkout` still in progress often parses and validates: it
just has fewer entries. So a version with a much smaller share of active resources than the one
it replaces is refused unless the maintainer says the drop is intended. The version it is
compared with is the one in service (the search index records its count) or, for a file not yet
served, the one committed in git.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from directory.datafile.limits import DEFAULT_LIMITS, DataLimits
from directory.datafile.load import parse_bytes

ALLOW_SHRINK_HINT = (
    "If the entries were removed on purpose: flask --app directory reload --allow-shrink"
)


@dataclass(frozen=True)
class Version:
    """How many active resources a version of the file has, and which version that is."""

    active: int
    where: str  # "in service", "in git (HEAD)"
    fingerprint: str = ""


def shrink_refusal(new_active: int, old: Version | None, max_share: float) -> str | None:
    """Return why a version with `new_active` resources may not replace `old` (None: it may)."""
    if old is None or old.active <= 0 or max_share >= 1:
        return None
    dropped = old.active - new_active
    if dropped <= 0 or dropped / old.active <= max_share:
        return None
    return (
        f"the new file has {new_active:,} active resources, {dropped:,} fewer than the"
        f" {old.active:,} {old.where} ({dropped / old.active:.0%}; more than"
        f" {max_share:.0%} is refused, DIRECTORY_RELOAD_MAX_SHRINK); a file cut short by a copy"
        f" still in progress looks like this. {ALLOW_SHRINK_HINT}"
    )


def git_version(path: str | Path, limits: DataLimits = DEFAULT_LIMITS) -> Version | None:
    """Return the active count of the file as committed at HEAD, or None (not in git, or new)."""
    path = Path(path).resolve()
    try:
        done = subprocess.run(
            ["git", "-C", str(path.parent), "show", f"HEAD:./{path.name}"],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0 or not done.stdout:
        return None
    catalog, _ = parse_bytes(done.stdout, f"{path.name} at HEAD", limits)
    if catalog is None:
        return None
    return Version(len(catalog.active()), "in git (HEAD)", catalog.fingerprint)
