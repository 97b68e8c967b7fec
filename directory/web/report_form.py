"""The "report a problem with this listing" form: GET/POST /resources/<id>/report.

Templates (the lead's) receive:

- `report.html`: `resource` (model.Resource), `reasons` (list of (value, label) pairs, in
  order), `values` (dict with `reason`, `details`, `contact` as typed, to re-fill the form),
  `errors` (dict: field name -> message; empty when there is none), `max_details` and
  `max_contact` (character limits, for `maxlength` and the help text), `unavailable` (None, or
  a message to show instead of the form when reports cannot be taken now). The contact field
  must be labelled optional and "only for the maintainers to follow up"; the form needs
  `csrf_token()`.
- `report_thanks.html`: `resource`.

Answers: 200 (form), 303 to `/resources/<id>/report/thanks` after a stored report, 400 with the
form and messages, 404 for an unknown or inactive resource, 413 for an oversized post, 429 when
this sender has sent today's share (REPORTS_PER_ADDRESS_PER_DAY), 503 when everyone has
(REPORTS_PER_DAY) or the box cannot be written. Nothing about the sender is stored with a report;
the day's counts know only a daily pseudonym of the address.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, url_for

from directory.core.model import Resource
from directory.core.translation import N_, _
from directory.maintenance.reports import (
    MAX_CONTACT,
    MAX_DETAILS,
    REASONS,
    ReportsFull,
    ReportStore,
    SenderLimit,
)
from directory.maintenance.reports import parse_form as parse_report_form
from directory.web.keys import pseudonym
from directory.web.security import rate_limit
from directory.web.state import get_catalog

log = logging.getLogger(__name__)

bp = Blueprint("reports", __name__)


@bp.after_request
def _no_store(response):
    # A form shown again holds what the person typed, their contact included.
    response.headers["Cache-Control"] = "no-store"
    return response


MAX_POST_BYTES = 16 * 1024  # the largest honest form (1,200 characters of UTF-8) is far below
UNAVAILABLE = N_(
    "We cannot take new reports right now. Please try again tomorrow. If the listing"
    " put someone at risk, call the crisis lines at the top of the page."
)
ENOUGH_TODAY = N_(
    "Thank you: you have sent us many reports today, and the maintainers will read them. You"
    " can send more tomorrow. If a listing put someone at risk, call the crisis lines at the top"
    " of the page."
)


def init_app(app: Flask) -> None:
    """Register the report form (limit `bp` with Flask-Limiter before calling this)."""
    app.register_blueprint(bp)


def get_report_store() -> ReportStore:
    """Return the report store of the current app (REPORTS_DIR and its caps)."""
    config = current_app.config
    return ReportStore(
        config["REPORTS_DIR"],
        config["REPORTS_MAX_OPEN"],
        max_per_sender=config["REPORTS_PER_ADDRESS_PER_DAY"],
        max_per_day=config["REPORTS_PER_DAY"],
    )


def _shown_resource(resource_id: str) -> Resource:
    resource = get_catalog().by_id(resource_id)
    if resource is None or not resource.active:
        abort(404)  # inactive entries are never shown, so they cannot be reported either
    return resource


def _form(resource: Resource, values: dict, errors: dict, unavailable: str | None = None) -> str:
    return render_template(
        "report.html",
        resource=resource,
        reasons=[(code, _(label)) for code, label in REASONS.items()],
        values=values,
        errors=errors,
        max_details=MAX_DETAILS,
        max_contact=MAX_CONTACT,
        unavailable=_(unavailable) if unavailable else None,
    )


@bp.route("/resources/<resource_id>/report", methods=["GET", "POST"])
@rate_limit("report", methods=["POST"])
def report(resource_id: str):
    """Show the form, or store a report and send the person to the thank-you page."""
    resource = _shown_resource(resource_id)
    store = get_report_store()
    empty = {"reason": "", "details": "", "contact": ""}
    if request.method == "GET":
        if store.day_full():
            return _form(resource, empty, {}, UNAVAILABLE), 503
        reason = request.args.get("reason", "")
        return _form(resource, {**empty, "reason": reason if reason in REASONS else ""}, {})
    if request.content_length is not None and request.content_length > MAX_POST_BYTES:
        abort(413)
    values, errors = parse_report_form(request.form)
    if errors:
        return _form(resource, values, errors), 400
    sender = pseudonym("report senders", request.remote_addr or "unknown")
    try:
        store.add(
            resource.id, values["reason"], values["details"], values["contact"], sender=sender
        )
    except SenderLimit:
        return _form(resource, values, {}, ENOUGH_TODAY), 429
    except ReportsFull:
        log.warning("report refused for %s: %d reports today", resource.id, store.max_per_day)
        return _form(resource, values, {}, UNAVAILABLE), 503
    except (OSError, ValueError) as exc:
        log.error("report for %s could not be stored: %s", resource.id, exc)
        return _form(resource, values, {}, UNAVAILABLE), 503
    return redirect(url_for("reports.thanks", resource_id=resource.id), code=303)


@bp.get("/resources/<resource_id>/report/thanks")
def thanks(resource_id: str):
    """Thank the person for a report."""
    return render_template("report_thanks.html", resource=_shown_resource(resource_id))
