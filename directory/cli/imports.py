"""`import meeting-guide`, `import bmlt` and `import hsds`: feeds into the resource file, dry run
by default.

Plain click commands in the `import` group. Each prints
the records it left out and why (an entry the file's validation refuses among them: see
`directory.formats.importing`), a count of what would be added / changed / unchanged /
removed, and a unified diff; only `--write` touches the file (validated, atomic, with a
timestamped backup next to it: see `directory.datafile.editing`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from directory.datafile import editing
from directory.formats import bmlt, importing
from directory.formats.common import FeedError, ImportResult
from directory.formats.hsds import read as hsds
from directory.formats.meeting_guide import read as meeting_guide


def _target(into: Path, name: str | None, timezone: str | None) -> editing.Document:
    """Open the resource file, or start one when it does not exist yet."""
    if into.exists():
        try:
            return editing.load_document(into)
        except editing.EditError as exc:
            raise click.ClickException(f"{into}: {exc}") from exc
    if not timezone:
        raise click.ClickException(f"{into} does not exist; give --timezone to create it")
    return editing.new_document(name or "Recovery Directory", timezone)


def _report(result: ImportResult, verbose: bool) -> None:
    for problem in result.skipped:
        click.echo(f"skipped {problem}", err=True)
    notes = result.notes
    for problem in notes if verbose else notes[:20]:
        click.echo(f"note: {problem}", err=True)
    if not verbose and len(notes) > 20:
        click.echo(f"... and {len(notes) - 20} more notes (--verbose shows all)", err=True)
    click.echo(
        f"{result.total} records read, {len(result.records)} taken, "
        f"{len(result.skipped)} skipped, {len(notes)} with notes"
    )


def _apply(
    doc: editing.Document,
    into: Path,
    result: ImportResult,
    owned_keys: frozenset[str],
    prune: Callable[[dict[str, Any]], bool] | None,
    write: bool,
    show_diff: bool,
    verbose: bool,
) -> None:
    try:
        outcome = importing.put_into(doc, result, owned_keys, prune, str(into))
    except editing.EditError as exc:
        raise click.ClickException(str(exc)) from exc
    _report(result, verbose)  # with the entries the file's validation refused
    verb = "" if write else "would be "
    changes = outcome.changes
    click.echo(f"{into}: {verb}{changes.summary()}")
    if changes.removed:
        click.echo(f"  {verb}removed: {', '.join(changes.removed)}")
    if not write and show_diff and doc.text != doc.original:
        click.echo(editing.diff_text(doc.original, doc.text, into.name), nl=False)
    for problem in outcome.errors:  # the file's own entries: the maintainer's to fix
        click.echo(f"error: {problem}", err=True)
    if outcome.errors:
        raise click.ClickException("the result would not validate; nothing can be written")
    if not write:
        click.echo("dry run: nothing written (add --write to apply)")
        return
    if doc.text == doc.original and into.exists():
        click.echo("nothing to write")
        return
    try:
        # Validated just now, this very text: once is enough (a large file takes a while).
        backup = editing.write_document(doc, into, validate=False)
    except editing.EditError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"wrote {into}" + (f" (previous version kept as {backup.name})" if backup else ""))


def _prune_selector(source: str, feed: str) -> Callable[[dict[str, Any]], bool]:
    def selects(entry: dict[str, Any]) -> bool:
        extra = entry.get("extra")
        return (
            isinstance(extra, dict) and extra.get("source") == source and extra.get("feed") == feed
        )

    return selects


_common_options = [
    click.option(
        "--into",
        required=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="The resource file to import into (created when missing).",
    ),
    click.option("--id-prefix", default="", help="Put before every id, e.g. 'sj' -> sj-<slug>."),
    click.option(
        "--timezone",
        default=None,
        help="IANA zone of the feed's entries; also the directory's for a new file.",
    ),
    click.option("--name", default=None, help="The directory's name, for a new file."),
    click.option("--write", is_flag=True, help="Apply the changes (default: a dry run)."),
    click.option(
        "--prune", is_flag=True, help="Remove entries this feed imported before and no longer has."
    ),
    click.option("--diff/--no-diff", default=True, help="Show the diff of a dry run."),
    click.option("--verbose", is_flag=True, help="List every note, not only the first 20."),
]


def _with_common_options(command: Callable) -> Callable:
    for option in reversed(_common_options):
        command = option(command)
    return command


def _import(
    options: dict[str, Any],
    read: Callable[..., ImportResult],
    owned_keys: frozenset[str],
    source_name: str,
    feed: str,
) -> None:
    """Read a feed with `read(doc, **common)` and put it into the file the options name."""
    into = options["into"]
    doc = _target(into, options["name"], options["timezone"])
    info = editing.directory_block(doc)
    common = {
        "id_prefix": options["id_prefix"],
        "timezone": info.get("timezone"),
        "country": info.get("country") or "US",
        "existing_entries": editing.resource_entries(doc),
    }
    try:
        result = read(doc, **common)
    except FeedError as exc:
        raise click.ClickException(str(exc)) from exc
    prune = _prune_selector(source_name, feed) if options["prune"] else None
    write, diff, verbose = options["write"], options["diff"], options["verbose"]
    _apply(doc, into, result, owned_keys, prune, write, diff, verbose)


@click.command("meeting-guide")
@click.argument("source")
@click.option(
    "--fellowship",
    required=True,
    help="AA, NA, Al-Anon, ...: how codes are read, for records that do not name their own.",
)
@_with_common_options
def meeting_guide_command(source: str, fellowship: str, **options: Any) -> None:
    """Import a Meeting Guide JSON feed (a file or an http(s) URL) into the resource file."""

    def read(doc: editing.Document, **common: Any) -> ImportResult:
        return meeting_guide.import_feed(
            source,
            fellowship,
            feed_timezone=options["timezone"],
            locations=editing.location_entries(doc),
            **common,
        )

    feed = meeting_guide.feed_name(source)
    _import(options, read, meeting_guide.OWNED_KEYS, meeting_guide.SOURCE_NAME, feed)


@click.command("hsds")
@click.argument("package", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_with_common_options
@click.option(
    "--categories",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A category mapping table (default: the one shipped, hsds_categories.yaml).",
)
def hsds_command(package: Path, categories: Path | None, **options: Any) -> None:
    """Import an Open Referral HSDS data package (a folder of CSV files) into the resource file."""

    def read(doc: editing.Document, **common: Any) -> ImportResult:
        return hsds.import_package(
            package, feed_timezone=options["timezone"], categories=categories, **common
        )

    _import(options, read, hsds.OWNED_KEYS, hsds.SOURCE_NAME, hsds.feed_name(package))


@click.command("bmlt")
@click.argument("source")
@click.option("--fellowship", default="NA", show_default=True, help="How format codes are read.")
@_with_common_options
def bmlt_command(source: str, fellowship: str, **options: Any) -> None:
    """Import a BMLT server's meetings (GetSearchResults JSON, a file or an http(s) URL).

    Ask the server with get_used_formats=1 so its own format keys can be read:
    https://<server>/client_interface/json/?switcher=GetSearchResults&get_used_formats=1
    """

    def read(doc: editing.Document, **common: Any) -> ImportResult:
        return bmlt.import_answer(source, fellowship, **common)

    feed = meeting_guide.feed_name(source)
    _import(options, read, bmlt.OWNED_KEYS, bmlt.SOURCE_NAME, feed)


@click.group("import")
def import_group() -> None:
    """Import meeting feeds and service directories into the resource file."""


import_group.add_command(meeting_guide_command)
import_group.add_command(hsds_command)
import_group.add_command(bmlt_command)

COMMANDS = (import_group,)
