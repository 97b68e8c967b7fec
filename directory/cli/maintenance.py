"""Maintainer commands: flask --app directory geocode | check | reports.

Thin callers of maintenance/geocoding.py, review.py and reports.py.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from directory.cli.loading import load_or_exit
from directory.core.model import Catalog
from directory.datafile import editing
from directory.datafile.load import CatalogError, load_catalog
from directory.maintenance import geocoding, review
from directory.maintenance.reports import REASONS, Report, ReportNotFound, ReportStore

# --- geocode ------------------------------------------------------------------------------------


def _outcome_line(path: str, outcome: geocoding.Outcome) -> str:
    target, answer = outcome.target, outcome.answer
    where = f"{path}:{target.line}: {target.label}"
    if outcome.status == "error":
        return f"{where}: not looked up: {outcome.error} ({target.query or 'no address'})"
    if answer is None or not answer.found:
        return f"{where}: not found: {target.query}"
    note = f" (approximate: only the {answer.precision})" if answer.approximate else ""
    cached = " [cached]" if outcome.cached else ""
    return f"{where}: {answer.lat}, {answer.lon}{note}{cached} <- {target.query}"


@click.command()
@click.argument("path", required=False)
@click.option("--write", is_flag=True, help="Write the coordinates found (default: dry run).")
@click.option(
    "--provider", type=click.Choice(geocoding.PROVIDERS), default="nominatim", show_default=True
)
@click.option(
    "--user-agent",
    help="Who is asking, e.g. 'county-recovery-directory/1.0 (you@example.org)'."
    " Default: DIRECTORY_GEOCODER_USER_AGENT.",
)
@click.option(
    "--min-delay-seconds",
    type=click.FloatRange(min=0),
    default=geocoding.MIN_PUBLIC_DELAY_SECONDS,
    show_default=True,
    help="Seconds between requests (at least 1 on the public services).",
)
@click.option("--timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True)
@click.option("--domain", help="Host of your own geocoder (https), e.g. nominatim.example.org.")
@click.option("--url", help="Base URL of your own geocoder, e.g. http://127.0.0.1:8080.")
@click.option("--cache", "cache_path", help="Cache file (default: instance/geocode-cache.json).")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text")
@with_appcontext
def geocode(
    path: str | None,
    write: bool,
    provider: str,
    user_agent: str | None,
    min_delay_seconds: float,
    timeout: float,
    domain: str | None,
    url: str | None,
    cache_path: str | None,
    output: str,
) -> None:
    """Fill in missing coordinates from addresses (a dry run unless --write).

    Every answer is cached, so an address is never asked twice; street- or town-level matches
    are marked approximate. Exits 1 when an address could not be looked up or the run stopped.
    """
    path = path or current_app.config["DATA_PATH"]
    config = current_app.config
    try:
        scheme, host = geocoding.parse_server(url, domain)
        geocoder = geocoding.make_geocoder(
            provider,
            user_agent or config["GEOCODER_USER_AGENT"],
            scheme=scheme,
            domain=host,
            timeout=timeout,
            min_delay_seconds=min_delay_seconds,
        )
        cache = geocoding.GeocodeCache(cache_path or config["GEOCODE_CACHE"])
    except geocoding.GeocodingRefused as exc:
        raise click.ClickException(str(exc)) from None
    try:
        doc = editing.load_document(path)
    except (OSError, editing.EditError) as exc:
        raise click.ClickException(f"cannot read {path}: {exc}") from None
    catalog = load_or_exit(path)
    targets = geocoding.find_targets(catalog)
    in_feeds = geocoding.feed_entries_without_coordinates(catalog)
    text = output == "text"
    if text:
        for feed_path, count in in_feeds.items():
            click.echo(
                f"{feed_path}: {count} entr{'y' if count == 1 else 'ies'} without coordinates,"
                " not looked up: sync rewrites a feed file, so ask the feed's publisher to add"
                " them"
            )
    if text and not targets:
        click.echo(f"{path}: every location has coordinates; nothing to do")
        return
    if text:
        click.echo(f"{path}: {len(targets)} location(s) without coordinates")
    run = geocoding.geocode_targets(
        targets,
        geocoder,
        cache,
        provider,
        min_delay_seconds=min_delay_seconds,
        progress=(lambda o: click.echo(_outcome_line(path, o))) if text else None,
    )
    found = run.with_status("found")
    written, backup, message = False, None, None
    if run.stopped:
        message = (
            f"stopped: {run.stopped}. {len(run.not_reached)} location(s) not looked up. The"
            " answers so far are cached; nothing was written. Run again later."
        )
    elif write and found:
        if Path(path).read_text(encoding="utf-8") != doc.original:
            message = (
                f"{path} changed while geocoding; nothing was written. Run again (the answers"
                " are cached, so it will be quick)."
            )
        else:
            try:
                changes = geocoding.apply_run(doc, run)
                backup = editing.write_document(doc)
            except editing.EditError as exc:
                message = f"nothing was written: {exc}"
            else:
                written = bool(changes)
    failed = bool(run.stopped or run.with_status("error") or message)
    if text:
        not_found = run.with_status("not-found")
        click.echo(
            f"{len(found)} found ({sum(o.answer.approximate for o in found)} approximate),"
            f" {len(not_found)} not found, {len(run.with_status('error'))} failed;"
            f" {run.requests} request(s) sent"
        )
        if message:
            click.echo(message, err=True)
        elif written:
            click.echo(f"wrote {len(found)} coordinate(s) to {path} (backup: {backup})")
        elif found and not write:
            click.echo("dry run: nothing written; add --write to write these coordinates")
    else:
        click.echo(
            json.dumps(
                {
                    "path": path,
                    "written": written,
                    "backup": str(backup) if backup else None,
                    "requests": run.requests,
                    "stopped": run.stopped,
                    "message": message,
                    "not_reached": [t.label for t in run.not_reached],
                    "feeds_without_coordinates": in_feeds,
                    "outcomes": [o.as_dict() for o in run.outcomes],
                },
                indent=2,
            )
        )
    if failed:
        raise SystemExit(1)


# --- check --------------------------------------------------------------------------------------


@click.command()
@click.argument("path", required=False)
@click.option(
    "--days",
    type=click.IntRange(min=0),
    default=review.DEFAULT_STALE_DAYS,
    show_default=True,
    help="Flag entries not verified for more than this many days.",
)
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text")
@click.option("--strict", is_flag=True, help="Exit 1 when anything is found.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Review as of this date.")
@with_appcontext
def check(path: str | None, days: int, output: str, strict: bool, today) -> None:
    """List what needs a maintainer's attention: stale, duplicate, unreachable, misplaced.

    A report: exits 0 unless --strict is given and something is found.
    """
    path = path or current_app.config["DATA_PATH"]
    as_of = today.date() if today else date.today()
    findings = review.review(load_or_exit(path), as_of, days)
    if output == "json":
        counts = {kind: sum(f.kind == kind for f in findings) for kind in review.KINDS}
        report = {
            "path": path,
            "today": as_of.isoformat(),
            "days": days,
            "count": len(findings),
            "by_kind": {k: n for k, n in counts.items() if n},
            "findings": [f.as_dict() for f in findings],
        }
        click.echo(json.dumps(report, indent=2))
    else:
        for finding in findings:
            click.echo(str(finding))
        click.echo(
            f"{path}: {len(findings)} thing(s) to look at"
            if findings
            else f"{path}: nothing needs attention"
        )
    if strict and findings:
        raise SystemExit(1)


# --- reports ------------------------------------------------------------------------------------

CSV_FIELDS = ("id", "status", "created", "resolved", "resource_id", "reason", "details", "contact")


def _csv_safe(value: object) -> str:
    """Return a cell a spreadsheet will not run as a formula (the text comes from the public)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _report_text(report: Report, catalog: Catalog | None, files: dict[str, str]) -> list[str]:
    resource = catalog.by_id(report.resource_id) if catalog else None
    if resource is not None:
        where = f"{resource.name}, {files[resource.id]}:{resource.line}"
    else:
        where = "no longer in the file" if catalog else "resource file not loaded"
    state = report.status + (f" {report.resolved}" if report.resolved else "")
    lines = [
        f"{report.id}  {state}  received {report.created}",
        f"  resource '{report.resource_id}' ({where})",
        f"  what: {REASONS.get(report.reason, report.reason)}",
    ]
    if report.details:
        lines.append("  details: " + report.details.replace("\n", "\n           "))
    if report.contact:
        lines.append(f"  contact: {report.contact}")
    return lines


@click.command("reports")
@click.option("--format", "output", type=click.Choice(["text", "json", "csv"]), default="text")
@click.option("--resolve", "resolve_ids", multiple=True, metavar="ID", help="Mark resolved.")
@click.option("--all", "include_resolved", is_flag=True, help="Also archived and resolved ones.")
@with_appcontext
def reports_command(output: str, resolve_ids: tuple[str, ...], include_resolved: bool) -> None:
    """List the open reports from the public, or resolve some with --resolve ID."""
    folder = current_app.config["REPORTS_DIR"]
    store = ReportStore(folder)
    if resolve_ids:
        missing = []
        for report_id in resolve_ids:
            try:
                store.resolve(report_id)
            except ReportNotFound:
                missing.append(report_id)
            else:
                click.echo(f"resolved {report_id}")
        for report_id in missing:
            click.echo(f"no open report '{report_id}'", err=True)
        if missing:
            raise SystemExit(1)
        return
    found = store.list(include_resolved=include_resolved)
    for broken in store.broken():
        click.echo(f"{broken}: not a readable report; look at it and move it aside", err=True)
    if output == "json":
        click.echo(json.dumps([r.as_dict() for r in found], indent=2, ensure_ascii=False))
    elif output == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_FIELDS)
        for report in found:
            data = report.as_dict()
            writer.writerow([_csv_safe(data[name]) for name in CSV_FIELDS])
        click.echo(buffer.getvalue(), nl=False)
    else:
        try:
            catalog = load_catalog(current_app.config["DATA_PATH"])
        except (CatalogError, OSError):
            catalog = None  # the reports still matter when the file is broken
        wanted = {report.resource_id for report in found}
        files = {r.id: path for path, r in catalog.by_file() if r.id in wanted} if catalog else {}
        for report in found:
            click.echo("\n".join(_report_text(report, catalog, files)))
        which = "report(s)" if include_resolved else "open report(s)"
        click.echo(f"{len(found)} {which}")


COMMANDS = (geocode, check, reports_command)
