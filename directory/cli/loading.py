"""Load the data file for a command, or stop with every problem it has."""

from __future__ import annotations

import click
from flask import current_app

from directory.config import data_limits
from directory.core.model import Catalog
from directory.datafile.cache import parse_cached
from directory.datafile.feeds import read_feed_files
from directory.datafile.load import read_limited


def load_or_exit(path: str, refused: str | None = None) -> Catalog:
    """Load the resource file; on errors print every problem (then `refused`) and exit 1."""
    limits = data_limits(current_app.config)
    try:
        data = read_limited(path, limits)
        feeds = read_feed_files(path, limits.max_bytes)
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}") from None
    index_dir = current_app.config["INDEX_DIR"]
    catalog, problems = parse_cached(data, path, limits, index_dir, feed_files=feeds)
    if catalog is None:
        for problem in problems:
            click.echo(str(problem), err=True)
        if refused:
            click.echo(f"{path}: {refused}", err=True)
        raise SystemExit(1) from None
    return catalog
