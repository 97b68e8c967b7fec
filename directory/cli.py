"""Maintainer commands: flask --app directory validate | stats | ..."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import date

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from . import maintainer_commands
from .catalog import Catalog, CatalogError, load_catalog, validate_file
from .cli_common import load_or_exit
from .importers.commands import hsds_command, meeting_guide_command
from .search.index import build_index


def init_app(app: Flask) -> None:
    app.cli.add_command(validate)
    app.cli.add_command(stats)
    app.cli.add_command(index)
    maintainer_commands.register(app.cli)
    app.cli.add_command(import_group)


@click.group("import")
def import_group() -> None:
    """Import meeting feeds and service directories into the resource file."""


import_group.add_command(meeting_guide_command)
import_group.add_command(hsds_command)


@click.command()
@with_appcontext
def index() -> None:
    """Build the search index from the data file and switch it in atomically.

    A file with errors is refused: the errors are listed, the last good index stays, and the
    command exits 1.
    """
    path = current_app.config["DATA_PATH"]
    try:
        catalog = load_catalog(path)
    except CatalogError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{path}: refused; the current index is unchanged", err=True)
        raise SystemExit(1) from None
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}") from None
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


def catalog_stats(catalog: Catalog, today: date) -> dict[str, dict[str, int]]:
    """Return the counts `stats` prints, as plain dictionaries."""
    active = catalog.active()
    meetings = [r for r in active if r.is_meeting]
    by_age: Counter = Counter()
    for resource in active:
        if resource.last_verified is None:
            by_age["never verified"] += 1
            continue
        days = (today - resource.last_verified).days
        bucket = next(
            label
            for limit, label in (
                (90, "within 90 days"),
                (180, "91-180 days ago"),
                (365, "181-365 days ago"),
                (10**9, "more than a year ago"),
            )
            if days <= limit
        )
        by_age[bucket] += 1
    return {
        "Resources": {
            "in the file": len(catalog.resources),
            "active": sum(r.status == "active" for r in catalog.resources),
            "temporarily closed": sum(r.status == "temporarily-closed" for r in catalog.resources),
            "inactive (hidden)": sum(r.status == "inactive" for r in catalog.resources),
            "missing coordinates": sum(r.point is None and r.location is not None for r in active),
        },
        "By category": dict(Counter(r.category for r in active).most_common()),
        "By dimension": dict(Counter(d for r in active for d in r.dimensions).most_common()),
        "Meetings by fellowship": dict(Counter(r.fellowship for r in meetings).most_common()),
        "By attendance": dict(Counter(r.attendance for r in active).most_common()),
        "Last verified": dict(by_age.most_common()),
    }
