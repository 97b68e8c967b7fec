"""The data file's commands: validate, stats, index."""

from __future__ import annotations

import json
import time
from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext

from directory import config
from directory.cli.loading import load_or_exit
from directory.datafile.load import validate_file
from directory.maintenance.stats import catalog_stats
from directory.search.index import build_index


@click.command()
@with_appcontext
def index() -> None:
    """Build the search index from the data file and switch it in atomically.

    A file with errors is refused: the errors are listed, the last good index stays, and the
    command exits 1.
    """
    path = current_app.config["DATA_PATH"]
    catalog = load_or_exit(path, refused="refused; the current index is unchanged")
    started = time.perf_counter()
    generation = build_index(
        catalog.resources, current_app.config["INDEX_DIR"], catalog.fingerprint
    )
    count = len(catalog.active())
    seconds = time.perf_counter() - started
    click.echo(f"indexed {count} active resources in {seconds:.1f} s: {generation}")


@click.command()
@click.argument("path", required=False)
@with_appcontext
@click.option(
    "--format", "output", type=click.Choice(["text", "json"]), default="text", help="Output format."
)
def validate(path: str | None, output: str) -> None:
    """Check the resource file and list every problem with its line.

    PATH defaults to the configured data file (DIRECTORY_DATA_PATH). Exits 1 when there are
    errors; warnings are printed but do not fail.
    """
    path = path or current_app.config["DATA_PATH"]
    problems = validate_file(path)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    if output == "json":
        click.echo(
            json.dumps(
                {
                    "path": path,
                    "valid": not errors,
                    "errors": len(errors),
                    "warnings": len(warnings),
                    "problems": [p.as_dict() for p in problems],
                },
                indent=2,
            )
        )
    else:
        for problem in problems:
            click.echo(str(problem), err=problem.severity == "error")
        summary = f"{path}: {len(errors)} error(s), {len(warnings)} warning(s)"
        click.echo(summary if problems else f"{path}: valid, no problems found")
    if errors:
        raise SystemExit(1)


@click.command()
@click.argument("path", required=False)
@with_appcontext
def stats(path: str | None) -> None:
    """Count resources by category, dimension, fellowship, attendance and verification age."""
    catalog = load_or_exit(path or current_app.config["DATA_PATH"])
    for title, counts in catalog_stats(catalog, date.today()).items():
        click.echo(f"\n{title}")
        width = max((len(str(k)) for k in counts), default=0)
        for key, count in counts.items():
            click.echo(f"  {str(key).ljust(width)}  {count:5d}")


@click.command()
@click.option("--markdown", is_flag=True, help="Print the README's configuration table.")
@with_appcontext
def settings(markdown: bool) -> None:
    """List every setting with the value in use (the secret key is never shown)."""
    if markdown:
        click.echo(config.markdown_table(), nl=False)
        return
    for setting in config.SETTINGS:
        value = current_app.config[setting.name]
        if setting.name == "SECRET_KEY":
            value = "(set)" if value else "(not set)"
        click.echo(f"{setting.variable}={value}")


COMMANDS = (validate, stats, index, settings)
