"""What every maintainer command shares: loading the data file or stopping with its problems."""

from __future__ import annotations

import click

from .catalog import Catalog, CatalogError, load_catalog


def load_or_exit(path: str) -> Catalog:
    """Load the resource file; on errors print every problem and exit 1."""
    try:
        return load_catalog(path)
    except CatalogError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1) from None
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}") from None
