"""Public pages: home, search results, a resource, its calendar file, about."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, render_template, url_for

from .. import present
from ..ics import calendar_for
from ..model import Resource
from .state import get_catalog

bp = Blueprint("pages", __name__)


def public_url(resource: Resource) -> str:
    """Return the absolute address of a resource's page."""
    return url_for("pages.resource", resource_id=resource.id, _external=True)


def visible(resource_id: str) -> Resource:
    """Return an active resource or answer 404."""
    resource = get_catalog().by_id(resource_id)
    if resource is None or not resource.active:
        abort(404)
    return resource


@bp.get("/")
def home():
    get_catalog()
    return render_template("home.html")


@bp.get("/search")
def search():
    get_catalog()
    return render_template("home.html")


@bp.get("/resources/<resource_id>")
def resource(resource_id: str):
    item = visible(resource_id)
    catalog = get_catalog()
    data = present.detail(item, datetime.now(UTC), catalog.directory.timezone, public_url(item))
    zone = ZoneInfo(item.timezone)
    return render_template(
        "resource.html",
        r=data,
        back_url=url_for("pages.search"),
        ics_url=url_for("pages.resource_ics", resource_id=item.id),
        zone_name=datetime.now(zone).tzname() if item.timezone != catalog.directory.timezone
        else "local",
        report_url=_report_url(item, catalog.directory.maintainers_email),
        add_form=None,
    )


@bp.get("/resources/<resource_id>.ics")
def resource_ics(resource_id: str):
    item = visible(resource_id)
    if not item.is_meeting or item.schedule is None:
        abort(404)
    body = calendar_for([item], public_url)
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{item.id}.ics"'},
    )


@bp.get("/about")
def about():
    return render_template("about.html")


def _report_url(item: Resource, email: str | None) -> str:
    from flask import current_app  # noqa: PLC0415

    if "reports.form" in current_app.view_functions:
        return url_for("reports.form", resource_id=item.id)
    subject = f"Problem with listing {item.id}"
    return f"mailto:{email or ''}?subject={subject.replace(' ', '%20')}"
