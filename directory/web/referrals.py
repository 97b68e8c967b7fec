"""The referral list and sheet: built in the browser's encrypted cookie, never on the server.

The list is `session["referrals"]`, a few compact strings (see `directory.referrals.lists`),
kept in a cookie of its own that only requests under /referrals carry and that is forgotten
after REFERRALS_IDLE_MINUTES without a visit (see web/session_cookie.py). Names,
goals, the specialist's contact and the place typed arrive with the POST that makes a sheet,
PDF or calendar file and are forgotten when the response is sent; they never appear in a URL,
a log line or a file. With scripts on, the browser keeps what was typed for the sheet in its own
storage (static/referrals.js); the server never sees it there. The share link carries a short
code of the resource ids only (`directory.referrals.share_code`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from directory.core import translation, vocabulary
from directory.core.translation import N_, _, ngettext
from directory.referrals import lists, wording
from directory.referrals import render as sheets
from directory.referrals import sheet as referral
from directory.referrals.lists import ListItem
from directory.referrals.share_code import share_codes
from directory.web.links import public_url
from directory.web.security import rate_limit
from directory.web.session_cookie import CAPACITY, EncryptedCookieSessionInterface
from directory.web.state import get_catalog, get_snapshot

bp = Blueprint("referrals", __name__, url_prefix="/referrals")
# Share links live at the top (/r/<code>): the address is typed from paper, so every character
# counts.
short_links = Blueprint("share", __name__)

SESSION_KEY = "referrals"
# The list's cookie spans at most CAPACITY bytes; losing the whole list would be worse than a
# "full" message, so keep some room.
COOKIE_BUDGET = CAPACITY - 400
DETAIL_FIELDS = (
    "participant",
    "specialist",
    "contact",
    "near",
    "date",
    "paper",
    "language",
) + tuple(f"goal_{dim}" for dim in vocabulary.DIMENSIONS)
FINISHED_MESSAGE = N_(
    "Finished: the list and everything typed for the sheet are cleared from this browser. If "
    "you downloaded the PDF, delete it from this computer's downloads."
)
FULL_MESSAGE = N_(
    "The referral list is full. Remove a listing or shorten a note to add more, or make the "
    "sheet now and start a second list."
)


@bp.before_app_request
def _forget_a_malformed_list() -> None:
    # A list this code cannot read (an old format, say) is dropped before any page counts it.
    if request.endpoint == "static":
        return  # reading the session would add "Vary: Cookie" to static files
    stored = session.get(SESSION_KEY)
    if stored is not None and lists.encode_list(lists.decode_list(stored)) != stored:
        session.pop(SESSION_KEY, None)


@bp.after_request
@short_links.after_request
def _no_store(response: Response) -> Response:
    # Lists, notes, names and goals must not linger in a shared computer's cache.
    response.headers["Cache-Control"] = "no-store"
    return response


# Building the list.


@bp.post("/add")
def add():
    resource_id = request.form.get("id", "")
    given = local_path(request.form.get("next"))
    back = given or url_for("referrals.list_page")
    resource = get_catalog().by_id(resource_id) if lists.is_resource_id(resource_id) else None
    if resource is None or not resource.active:
        flash(_("That listing is no longer in the directory, so it was not added."), "error")
        return redirect(back, 303)
    if given and "#" not in given and given.startswith(url_for("pages.search")):
        back = f"{given}#r-{resource.id}"  # back to the same card, without JavaScript too
    items = stored_items()
    if any(item.id == resource.id for item in items):
        message, kind, count = (
            _("%(name)s is already on the referral list.", name=resource.name),
            "ok",
            None,
        )
    elif len(items) >= lists.MAX_ITEMS or not store(lists.with_added(items, resource.id)):
        message, kind, count = _(FULL_MESSAGE), "error", None
    else:
        count = len(items) + 1
        message = _(
            "Added %(name)s to the referral list (%(count)s).", name=resource.name, count=count
        )
        kind = "ok"
    if _wants_json():
        # The page's script adds in place: it shows the message itself, nothing is flashed.
        total = count if count is not None else len(stored_items())
        return jsonify({"ok": kind == "ok", "message": message, "count": total})
    flash(message, kind)
    return redirect(back, 303)


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes["application/json"] > 0


@bp.get("")
def list_page():
    return _render_list(_default_form())


@bp.post("/update")
def update():
    items = _save_notes()
    verb, _sep, target = request.form.get("op", "save").partition(":")
    changed = items
    if verb in ("up", "down"):
        # Within its dimension: the list is shown, and printed, grouped by dimension.
        changed = lists.moved(items, target, -1 if verb == "up" else +1, _dimensions(items))
    elif verb == "remove":
        changed = lists.without(items, target)
        if len(changed) < len(items):
            flash(_("Removed %(name)s from the list.", name=_name(target)), "ok")
    if changed is not items:
        store(changed)  # never larger than before
    if verb == "more":  # "Add more": the notes typed so far are saved first, scripts or not
        return redirect(url_for("pages.search"), 303)
    if _has_details(request.form) and request.form.get("details_kept") != "browser":
        # Re-show the form as typed: the participant's words are never stored to redirect with.
        # (With scripts on, the browser keeps them itself, and a redirect keeps Back working.)
        return _render_list(request.form)
    anchor = f"#item-{target}" if verb in ("up", "down") and lists.is_resource_id(target) else ""
    return redirect(url_for("referrals.list_page") + anchor, 303)


@bp.post("/clear")
def clear():
    session.pop(SESSION_KEY, None)
    # "Finish and clear" on the sheet posts here too; the browser clears its own storage.
    finished = request.form.get("finished")
    flash(_(FINISHED_MESSAGE) if finished else _("The referral list is empty now."), "ok")
    return redirect(url_for("referrals.list_page"), 303)


# The sheet, its PDF and its calendar file: always from a POST.


@bp.post("/sheet")
@rate_limit("sheet")
def sheet():
    built = _build_from_form()
    if isinstance(built, Response):
        return built
    return _render_sheet(built, form=_detail_values())


@bp.post("/sheet.pdf")
@rate_limit("sheet")
def sheet_pdf():
    built = _build_from_form()
    if isinstance(built, Response):
        return built
    pdf = sheets.render_pdf(built, wording.words_for(built["language"]))
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{sheets.pdf_filename(built)}"'},
    )


@bp.post("/sheet.ics")
@rate_limit("sheet")
def sheet_ics():
    items = _save_notes()
    # The calendar's words in the sheet's language, like the sheet it goes with.
    with translation.speaking(wording.language_or_default(request.form.get("language"))):
        return _calendar(referral.sheet_resources(items, get_catalog()))


@bp.get("/sheet-<language>.css")
def sheet_page_css(language: str):
    """Return the sheet's page footers for the browser's Print, in the sheet's language (the
    PDF inlines the same rule; the CSP allows no inline style on a page)."""
    if language not in wording.languages():
        abort(404)
    data = referral.build_sheet([], referral.SheetDetails(date=_today()), get_catalog(),
                                datetime.now(UTC), public_url)  # fmt: skip
    css = sheets.page_css(data, wording.words_for(language))
    return Response(css, mimetype="text/css")


# The share link: a short code of the resource ids, read-only, for the participant's phone.


@short_links.get("/r/<code>")
@rate_limit("sheet")
def shared_code(code: str):
    codes = share_codes(get_catalog())
    ids, unread = codes.resource_ids(code, lists.MAX_SHARED)
    return _render_shared(
        ids, unread, lambda meetings: url_for("share.shared_code_ics", code=codes.code(meetings))
    )


@short_links.get("/r/<code>/meetings.ics")
@rate_limit("sheet")
def shared_code_ics(code: str):
    ids, _skipped = share_codes(get_catalog()).resource_ids(code, lists.MAX_SHARED)
    return _calendar(referral.sheet_resources([ListItem(i) for i in ids], get_catalog()))


@bp.get("/shared")
@rate_limit("sheet")
def shared():
    # The first share links carried the ids themselves; printed sheets keep them working.
    ids, dropped = lists.parse_shared_ids(request.args.get("ids", ""))
    return _render_shared(
        ids, dropped, lambda meetings: f"{url_for('referrals.shared_ics')}?ids={','.join(meetings)}"
    )


@bp.get("/shared.ics")
@rate_limit("sheet")
def shared_ics():
    ids, _skipped = lists.parse_shared_ids(request.args.get("ids", ""))
    return _calendar(referral.sheet_resources([ListItem(i) for i in ids], get_catalog()))


def _render_shared(ids: list[str], unread: int, ics_url: Callable[[list[str]], str]) -> str:
    catalog = get_catalog()
    items = [ListItem(resource_id) for resource_id in ids]
    details = referral.SheetDetails(date=_today(), language=translation.code())
    data = referral.build_sheet(items, details, catalog, datetime.now(UTC), public_url)
    meetings = [r.id for r in referral.sheet_resources(items, catalog) if r.is_meeting]
    return render_template(
        "referrals_shared.html",
        sheet=data,
        skipped=len(data["missing"]) + unread,
        ics_url=ics_url(meetings) if meetings else None,
    )


# The list in the cookie.


def stored_items() -> list[ListItem]:
    """Return the list in the session; a malformed one reads as empty."""
    return lists.decode_list(session.get(SESSION_KEY))


def store(items: list[ListItem]) -> bool:
    """Keep items in the session if the cookie stays small enough; return whether it did."""
    encoded = lists.encode_list(items)
    if session_size({**session, SESSION_KEY: encoded}) > COOKIE_BUDGET:
        return False
    if encoded:
        session[SESSION_KEY] = encoded
    else:
        session.pop(SESSION_KEY, None)
    return True


def session_size(data: dict) -> int:
    """Return the length of the cookie value the list in `data` would be sent as."""
    interface = current_app.session_interface
    assert isinstance(interface, EncryptedCookieSessionInterface)
    name = f"{interface.get_cookie_name(current_app)}-{SESSION_KEY}"
    jar = {SESSION_KEY: data.get(SESSION_KEY), "_t": 0.0}
    return len(interface.encoded(current_app, name, jar))


def local_path(target: object) -> str | None:
    """Return target if it is a path on this site (never another host), else None."""
    if not isinstance(target, str) or not 0 < len(target) <= 2000:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    if any(c in target for c in "\\\r\n\t") or not target.isprintable():
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def share_url(ids: list[str]) -> str | None:
    """Return the absolute, short share link for ids (its code needs no escaping)."""
    code = share_codes(get_catalog()).code(ids) if ids else ""
    if not code:
        return None
    base = current_app.config.get("BASE_URL")
    if base:
        return base.rstrip("/") + url_for("share.shared_code", code=code)
    return url_for("share.shared_code", code=code, _external=True)


def _save_notes() -> list[ListItem]:
    """Store the notes posted with the form (if any) and return the list."""
    items = stored_items()
    notes = {
        item.id: request.form[f"note-{item.id}"]
        for item in items
        if f"note-{item.id}" in request.form
    }
    if not notes:
        return items
    updated, shortened = lists.with_notes(items, notes)
    if updated == items:
        return items
    if not store(updated):
        flash(
            _(
                "The notes are too long to keep in this browser's list. Shorten some notes; the "
                "last change was not saved."
            ),
            "error",
        )
        return items
    if shortened:
        flash(
            _("Notes can be up to %(max)s characters; a long one was cut.", max=lists.MAX_NOTE),
            "error",
        )
    return updated


def _build_from_form() -> dict | Response:
    """Return the sheet context from the posted form, or the form again with its problems."""
    items = _save_notes()
    snapshot = get_snapshot()
    catalog = snapshot.catalog
    paper = referral.default_paper(catalog.directory.country)
    details, errors = referral.parse_details(
        request.form, snapshot.service.gazetteer, _today(), paper
    )
    if errors:
        return _render_list(request.form, errors, 400)
    if not referral.sheet_resources(items, catalog):
        flash(_("Add at least one listing to the list to make a sheet."), "error")
        return redirect(url_for("referrals.list_page"), 303)
    data = referral.build_sheet(items, details, catalog, datetime.now(UTC), public_url)
    return sheets.sheet_context(data, share_url(data["ids"]))


def _calendar(resources) -> Response:
    if not any(r.is_meeting and r.schedule for r in resources):
        abort(
            400, N_("There are no meetings on this list, so there is nothing to put in a calendar.")
        )
    body = sheets.sheet_calendar(resources, public_url, datetime.now(UTC))
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="meetings.ics"'},
    )


def _render_sheet(sheet: dict, **context) -> str:
    """Render the sheet with its words in the sheet's own language (not the page's)."""
    words = wording.words_for(sheet["language"])
    return render_template("sheet.html", sheet=sheet, t=words.text, tn=words.plural, **context)


def _dimensions(items: list[ListItem]) -> dict[str, str]:
    """Return the dimension each listing on the list is shown and printed under."""
    catalog = get_catalog()
    found = {item.id: catalog.by_id(item.id) for item in items}
    return {rid: referral.dimension_of(r) for rid, r in found.items() if r is not None}


def _render_list(form, errors: dict | None = None, status: int = 200) -> Response:
    catalog = get_catalog()
    items = stored_items()
    now = datetime.now(UTC)
    rows, missing = [], []
    page_words = wording.words_for(translation.code())  # the page's language, not the sheet's
    for item in items:
        resource = catalog.by_id(item.id)
        if resource is None or not resource.active:
            missing.append(item.id)
            continue
        row = referral.sheet_item(resource, item.note, now, catalog.directory.timezone, None,
                                  public_url(resource), page_words)  # fmt: skip
        row["dimension_label"] = vocabulary.dimension_label(row["dimension"])
        row["page_url"] = url_for("pages.resource", resource_id=resource.id)
        rows.append(row)
    if missing:
        # Listings removed from the directory since they were added: say so once, then drop them.
        store([item for item in items if item.id not in missing])
    link = share_url([row["id"] for row in rows])
    resources = referral.sheet_resources(items, catalog)
    groups = [
        {
            "dimension": dim,
            "title": vocabulary.dimension_label(dim),
            "items": [r for r in rows if r["dimension"] == dim],
        }
        for dim in vocabulary.DIMENSIONS
    ]
    page = render_template(
        "referrals.html",
        items=rows,
        groups=[group for group in groups if group["items"]],
        missing=missing,
        form=form,
        errors=errors or {},
        share_url=link,
        share_qr=sheets.qr_svg(link, sheets.SCREEN_ERROR_LEVEL) if link else None,
        meetings=sum(1 for r in resources if r.is_meeting and r.schedule),
        max_items=lists.MAX_ITEMS,
        max_note=lists.MAX_NOTE,
        limits=referral.FIELD_LIMITS,
        dimensions={d: vocabulary.dimension_label(d) for d in vocabulary.DIMENSIONS},
        dimension_descriptions={
            d: vocabulary.dimension_description(d) for d in vocabulary.DIMENSIONS
        },
        idle_text=_duration(current_app.config["REFERRALS_IDLE_MINUTES"]),
        languages=wording.languages(),
    )
    return make_response(page, status)


def _duration(minutes: int) -> str:
    """Return "4 hours", "90 minutes", "1 hour": how long an unused list is kept."""
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(count)s hour", "%(count)s hours", hours)
    return ngettext("%(count)s minute", "%(count)s minutes", minutes)


def _default_form() -> dict:
    paper = referral.default_paper(get_catalog().directory.country)
    # The sheet in the page's language unless the specialist picks another for the participant.
    return {"date": _today().isoformat(), "paper": paper, "language": translation.code()}


def _detail_values() -> dict:
    """Return the posted sheet details, to carry into the sheet page's PDF and calendar forms."""
    return {name: request.form.get(name, "") for name in DETAIL_FIELDS}


def _has_details(form) -> bool:
    typed = (name for name in DETAIL_FIELDS if name not in ("date", "paper", "language"))
    return any(form.get(name, "").strip() for name in typed)


def _today():
    return datetime.now(ZoneInfo(get_catalog().directory.timezone)).date()


def _name(resource_id: str) -> str:
    resource = get_catalog().by_id(resource_id)
    return resource.name if resource else "the listing"
