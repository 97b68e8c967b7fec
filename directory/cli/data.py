"""The data file's commands: validate, stats, index, reload."""

from __future__ import annotations

import json
import os
import time
from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from directory import config
from directory.cli import artifacts
from directory.cli.loading import load_or_exit
from directory.datafile.cache import parse_cached
from directory.datafile.editing import atomic_write_bytes, locked_folder, remove_stray_temporaries
from directory.datafile.feeds import read_feed_files
from directory.datafile.load import Problem, read_limited
from directory.datafile.versions import Version, git_version, shrink_refusal
from directory.maintenance.stats import catalog_stats
from directory.search.index import build_index
from directory.web.state import FileChanging, accept_shrink, read_once, served_version


@click.command()
@click.option(
    "--out", metavar="DIR", help="Write a complete version (catalog, index, manifest) into DIR "
    "for hosts that serve it read-only (DIRECTORY_ARTIFACT_DIR), and point DIR/CURRENT at it."
)  # fmt: skip
@click.option(
    "--allow-shrink", is_flag=True, help="With --out: accept a file with many fewer active "
    "resources than the version CURRENT names."
)  # fmt: skip
@click.option("--no-switch", is_flag=True, help="With --out: leave CURRENT as it is.")
@with_appcontext
def index(out: str | None, allow_shrink: bool, no_switch: bool) -> None:
    """Build the search index from the data file and switch it in atomically.

    A file with errors is refused: the errors are listed, the last good index stays, and the
    command exits 1. With --out DIR the version is built for many hosts instead: refused too when
    it has many fewer active resources than the version in DIR (DIRECTORY_RELOAD_MAX_SHRINK).
    """
    if out:
        artifacts.build_out(out, allow_shrink, switch_to=not no_switch)
        return
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
@click.option(
    "--allow-shrink", is_flag=True, help="Do not compare the number of listings with the "
    "version in service (or in git)."
)  # fmt: skip
def validate(path: str | None, output: str, allow_shrink: bool) -> None:
    """Check the resource file and list every problem with its line.

    PATH defaults to the configured data file (DIRECTORY_DATA_PATH). Exits 1 when there are
    errors; warnings are printed but do not fail. A file with many fewer active resources than
    the version in service (the search index's), or else the one committed in git, is an error
    too, as the server would refuse it (DIRECTORY_RELOAD_MAX_SHRINK).
    """
    path = path or current_app.config["DATA_PATH"]
    limits = config.data_limits(current_app.config)
    try:
        data = read_limited(path, limits)
        feeds = read_feed_files(path, limits.max_bytes)
        index_dir = current_app.config["INDEX_DIR"]
        catalog, problems = parse_cached(data, path, limits, index_dir, feed_files=feeds)
    except OSError as exc:
        catalog, problems = None, [Problem(path, 0, f"cannot read the file: {exc.strerror or exc}")]
    if catalog is not None and not allow_shrink:
        old = served_version(current_app.config["INDEX_DIR"]) or git_version(path, limits)
        if old is not None and old.fingerprint != catalog.fingerprint:
            refusal = shrink_refusal(
                len(catalog.active()), old, current_app.config["RELOAD_MAX_SHRINK"]
            )
            if refusal:
                problems.append(Problem(path, 0, refusal))
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
@click.argument("source", required=False)
@click.option(
    "--allow-shrink", is_flag=True, help="Accept, once, a file with many fewer active resources "
    "than the one in service."
)  # fmt: skip
@with_appcontext
def reload(source: str | None, allow_shrink: bool) -> None:
    """Check a data file as the server would, put it in place in one step, and index it.

    SOURCE, if given, is a new version of the data file (DIRECTORY_DATA_PATH): it is read once,
    validated, and those same bytes are written next to the data file and renamed over it, so
    the server can never read half a file. Without SOURCE the data file itself is checked. A file
    with errors, or with more than DIRECTORY_RELOAD_MAX_SHRINK fewer active resources than the
    version in service, is refused and nothing changes (exit 1); with --allow-shrink the server
    accepts that one version. The running server switches within DIRECTORY_RELOAD_CHECK_SECONDS
    (at once on `kill -HUP <gunicorn master>`).
    """
    cfg = current_app.config
    target = cfg["DATA_PATH"]
    source = source or target
    limits = config.data_limits(cfg)
    try:
        version = read_once(source, limits.max_bytes)
    except FileChanging:
        raise click.ClickException(f"{source} changed while it was read; try again") from None
    except OSError as exc:
        raise click.ClickException(f"cannot read {source}: {exc.strerror or exc}") from None
    try:  # the feed files the server reads: those next to the data file
        feeds = read_feed_files(target, limits.max_bytes)
    except OSError as exc:
        raise click.ClickException(f"cannot read the feed files: {exc.strerror or exc}") from None
    catalog, problems = parse_cached(
        version.data, source, limits, cfg["INDEX_DIR"], feed_files=feeds
    )
    for problem in problems:
        click.echo(str(problem), err=True)
    if catalog is None:
        click.echo(f"{source}: refused; nothing was changed", err=True)
        raise SystemExit(1)
    active = len(catalog.active())
    old = served_version(cfg["INDEX_DIR"])
    refusal = shrink_refusal(active, old, cfg["RELOAD_MAX_SHRINK"])
    if refusal and not allow_shrink:
        click.echo(f"{source}: refused: {refusal}", err=True)
        raise SystemExit(1)
    if refusal:
        accept_shrink(cfg["INDEX_DIR"], catalog.fingerprint)
    generation = build_index(catalog.resources, cfg["INDEX_DIR"], catalog.fingerprint)
    if os.path.abspath(source) != os.path.abspath(target):
        with locked_folder(Path(target).parent):
            remove_stray_temporaries(Path(target))
            atomic_write_bytes(target, version.data)
    click.echo(
        f"{target}: {active} active resources ({_change(active, old)}); index {generation.name}."
        f" The server switches to it within {cfg['RELOAD_CHECK_SECONDS']:g} s, or at once on"
        " `kill -HUP <gunicorn master>`."
    )


def _change(active: int, old: Version | None) -> str:
    if old is None:
        return "nothing was in service"
    if active == old.active:
        return f"as many as {old.where}"
    more = "more" if active > old.active else "fewer"
    return f"{abs(active - old.active)} {more} than the {old.active} {old.where}"


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


COMMANDS = (validate, stats, index, reload, settings)
