"""Open-data export commands: flask --app directory export hsds DIR."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from directory.cli.loading import load_or_exit
from directory.formats.hsds.write import write_hsds


@click.group()
def export() -> None:
    """Write the directory's data in open formats."""


@export.command()
@click.argument("folder", type=click.Path(file_okay=False, writable=True))
@with_appcontext
def hsds(folder: str) -> None:
    """Write HSDS 3.0 CSV files and a datapackage.json into FOLDER.

    Every active resource that is not a meeting becomes a service (meetings are published as a
    Meeting Guide feed at /api/v1/meetings.json). Ids are stable from one export to the next.
    """
    counts = write_hsds(load_or_exit(current_app.config["DATA_PATH"]), folder)
    summary = ", ".join(f"{count} {table}" for table, count in counts.items())
    click.echo(f"wrote HSDS {folder}: {summary}")


COMMANDS = (export,)
