"""`sync`: fetch the feeds the resource file declares into feeds/<name>.yaml."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from directory import config
from directory.datafile.feeds import feed_files_on_disk
from directory.datafile.load import read_limited
from directory.datafile.yaml_lines import load_bounded
from directory.maintenance import feed_sync


@click.command()
@click.argument("names", nargs=-1)
@click.option("--dry-run", is_flag=True, help="Fetch and compare; write nothing.")
@click.option("--diff", is_flag=True, help="Show the changes to each feed file as a diff.")
@click.option(
    "--allow-shrink", is_flag=True, help="Accept a feed that dropped many of its listings."
)
@click.option(
    "--timeout", type=float, default=feed_sync.FETCH_SECONDS, show_default=True,
    help="Seconds to wait for a feed's server.",
)  # fmt: skip
@click.option(
    "--jobs", type=click.IntRange(1, 16), default=None,
    help="Feeds synced at once, each in its own process (default: 2 on 2 cores or more).",
)  # fmt: skip
@with_appcontext
def sync(
    names: tuple[str, ...],
    dry_run: bool,
    diff: bool,
    allow_shrink: bool,
    timeout: float,
    jobs: int | None,
):
    """Fetch each feed declared under `feeds:` in the resource file and update its file.

    NAMES limits the sync to those feeds. Each feed is fetched (a URL with the ETag and
    Last-Modified of the last answer, or a path next to the resource file), converted, validated
    with the resource file, compared with feeds/<name>.yaml and written over it in one step when
    it changed. A feed that fails or shrinks by more than DIRECTORY_RELOAD_MAX_SHRINK is
    reported and its file left as it was; the others go on. Exits 1 when any feed failed.
    The server picks the new files up like a new resource file.
    """
    cfg = current_app.config
    path = cfg["DATA_PATH"]
    limits = config.data_limits(cfg)
    try:
        curated = read_limited(path, limits)
        document, _, _ = load_bounded(curated.decode("utf-8"), limits.max_field_chars)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise click.ClickException(f"cannot read {path}: {exc}") from None
    from directory.datafile.load import declared_feeds  # the same reading as validation's

    feeds, problems = declared_feeds(document, path)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise click.ClickException("the feeds: section has errors; nothing was synced")
    unknown = sorted(set(names) - {f.name for f in feeds})
    if unknown:
        raise click.ClickException(f"not declared under feeds: {', '.join(unknown)}")
    chosen = [f for f in feeds if not names or f.name in names]
    if not chosen:
        click.echo(f"{path} declares no feeds (see docs/maintainers.md, 'Feeds')")
        return
    declared = {f.name for f in feeds}
    for stray in feed_files_on_disk(path):
        if stray.stem not in declared:
            click.echo(f"note: {stray} is not declared under feeds: and is not loaded", err=True)

    def report(outcome: feed_sync.FeedOutcome) -> None:
        click.echo(outcome.summary(), err=not outcome.ok)
        for problem in outcome.problems:
            if problem.kind == "skipped":
                click.echo(f"  skipped {problem}", err=True)
        if outcome.diff:
            click.echo(outcome.diff, nl=False)

    outcomes = feed_sync.sync_all(
        chosen,
        curated,
        path,
        document.get("directory") or {},
        document.get("locations") or {},
        report,
        jobs=jobs,
        write=not dry_run,
        allow_shrink=allow_shrink,
        max_shrink=cfg["RELOAD_MAX_SHRINK"],
        limits=limits,
        timeout=timeout,
        with_diff=diff,
    )
    failed = [o.name for o in outcomes if not o.ok]
    if dry_run:
        click.echo("dry run: nothing written")
    if failed:
        raise click.ClickException(f"not synced: {', '.join(failed)}; their files are unchanged")


COMMANDS = (sync,)
