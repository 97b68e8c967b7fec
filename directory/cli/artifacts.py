"""The artifact's commands: build a version once (`index --out`), point a host at it (`switch`)."""

from __future__ import annotations

import time

import click
from flask import current_app

from directory import config
from directory.datafile.cache import parse_cached
from directory.datafile.feeds import read_feed_files
from directory.datafile.versions import shrink_refusal
from directory.search import artifact
from directory.web.state import FileChanging, read_once


def build_out(out: str, allow_shrink: bool, switch_to: bool) -> None:
    """Validate the data file and write one complete version into OUT (see `index --out`)."""
    cfg = current_app.config
    path = cfg["DATA_PATH"]
    limits = config.data_limits(cfg)
    started = time.perf_counter()
    try:
        version = read_once(path, limits.max_bytes)
        feeds = read_feed_files(path, limits.max_bytes)
    except FileChanging:
        raise click.ClickException(f"{path} changed while it was read; try again") from None
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}") from None
    catalog, problems = parse_cached(version.data, path, limits, cfg["INDEX_DIR"], feed_files=feeds)
    for problem in problems:
        click.echo(str(problem), err=True)
    if catalog is None:
        click.echo(f"{path}: refused; {out} is unchanged", err=True)
        raise SystemExit(1)
    active = len(catalog.active())
    old = artifact.served_version(out)
    refusal = shrink_refusal(active, old, cfg["RELOAD_MAX_SHRINK"])
    if refusal and not allow_shrink:
        click.echo(f"{path}: refused: {refusal.replace('reload', 'index --out DIR')}", err=True)
        raise SystemExit(1)
    try:
        folder = artifact.write_version(
            out, version.data, path, limits, feeds, catalog, problems, version.mtime
        )
        if switch_to:
            artifact.switch(out, folder.name)
    except OSError as exc:
        raise click.ClickException(f"cannot write in {out}: {exc.strerror or exc}") from None
    seconds = time.perf_counter() - started
    where = f"{artifact.CURRENT} names it" if switch_to else "not switched"
    click.echo(f"{folder}: {active} active resources in {seconds:.1f} s; {where}")


@click.command()
@click.argument("artifact_dir")
@click.argument("version", required=False)
@click.option(
    "--pointer", default=artifact.CURRENT, show_default=True,
    help="The pointer to move: a host's own (CURRENT.a) for a rolling switch."
)  # fmt: skip
def switch(artifact_dir: str, version: str | None, pointer: str) -> None:
    """Point a host (its pointer in ARTIFACT_DIR) at a complete version, in one step.

    VERSION defaults to the one CURRENT names, the newest `index --out` built. The hosts reading
    that pointer (DIRECTORY_ARTIFACT_CURRENT) switch within DIRECTORY_RELOAD_CHECK_SECONDS,
    each starting new workers on the new version while the old ones finish their requests.
    """
    version = version or artifact.pointed_name(artifact_dir)
    if version is None:
        raise click.ClickException(f"{artifact_dir} has no {artifact.CURRENT}: name a version")
    try:
        folder = artifact.switch(artifact_dir, version, pointer)
    except (ValueError, artifact.VersionBroken) as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        why = exc.strerror or exc
        raise click.ClickException(f"cannot write in {artifact_dir}: {why}") from None
    click.echo(f"{pointer} names {folder.name}")


COMMANDS = (switch,)
