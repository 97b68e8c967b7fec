"""Public pages: home, search results, a resource, its calendar file, about."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for

from directory.core import listing, vocabulary
from directory.core.model import Resource
from directory.core.translation import N_, _
from directory.formats.common import slugify
from directory.formats.icalendar import calendar_for
from directory.formats.meeting_guide.write import fellowship_slug
from directory.formats.schema_org import script_text, structured_data
from directory.referrals import render
from directory.search.arguments import LIMITS, RADIUS_CHOICES
from directory.search.service import BadSearch
from directory.web import maps
from directory.web.calendars import fellowship_calendar_offered, webcal
from directory.web.cards import card_renderer
from directory.web.links import public_url
from directory.web.security import rate_limit
from directory.web.state import get_catalog, get_snapshot

bp = Blueprint("pages", __name__)


def visible(resource_id: str) -> Resource:
    """Return an active resource or answer 404."""
    resource = get_catalog().by_id(resource_id)
    if resource is None or not resource.active:
        abort(404)
    return resource


@bp.get("/")
def home():
    get_catalog()  # 503 with the error page when there is no data to search
    medications = [
        (code, _(MEDICATION_NAMES[code]), vocabulary.medication_explanation(code))
        for code in vocabulary.MEDICATION_EXPLANATIONS
    ]
    return render_template("home.html", medications=medications)


# The home page's short names ("Buprenorphine"; the filter labels add brand names).
MEDICATION_NAMES = {
    "buprenorphine": N_("Buprenorphine"),
    "methadone": N_("Methadone"),
    "naltrexone": N_("Naltrexone"),
}


@bp.get("/search")
@rate_limit("search")
def search():
    snapshot = get_snapshot()
    try:
        data = snapshot.service.search(request.args, public_url)
    except BadSearch as exc:
        error = {
            "parameter": exc.parameter,
            "title": _(_PARAMETER_TITLES.get(exc.parameter, _ANY_PARAMETER_TITLE)),
            "message": _(exc.message),
        }
        raw = {key: request.args.get(key, "")[:limit] for key, limit in LIMITS.items()}
        return render_template("search.html", data=None, error=error, raw_query=raw), 400

    def page_url(number: int) -> str:
        return _search_url(page=[str(number)])

    shown = maps.view()
    return render_template(
        "search.html",
        data=data,
        error=None,
        page_url=page_url,
        chip_url=chip_url,
        sort_url=lambda value: _search_url(sort=[value], page=None),
        groups=schedule_groups(data),
        radius_choices=RADIUS_CHOICES,
        empty_message=empty_message(data),
        view=shown,
        view_urls={"list": _search_url(view=None), "map": _search_url(view=["map"])},
        map_view=maps.search_map(data) if shown == "map" else None,
        card=card_renderer(snapshot),
    )


def _search_url(**changes) -> str:
    """Return this search's address with some parameters changed (None: removed)."""
    args = request.args.to_dict(flat=False)
    for key, values in changes.items():
        if values is None:
            args.pop(key, None)
        else:
            args[key] = values
    return url_for("pages.search", **args)


def chip_url(chip: dict) -> str:
    """Return this search without the one filter a chip stands for."""
    args = request.args.to_dict(flat=False)
    args.pop("page", None)
    if chip["q"] is not None:
        args["q"] = [chip["q"]]
    if chip["drop"]:
        key, value = chip["drop"]
        kept = [v for v in args.get(key, []) if value is not None and v != value]
        if kept:
            args[key] = kept
        else:
            args.pop(key, None)
            if key == "near":
                args.pop("radius", None)
    return url_for("pages.search", **args)


def schedule_groups(data: dict) -> list[tuple[str | None, list[dict]]]:
    """Cut a soonest-first page under its headings (In progress, Today, ...); else one group."""
    results = data["results"]
    if data["query"]["sort"] != "soonest":
        return [(None, results)]
    groups: list[tuple[str | None, list[dict]]] = []
    for result in results:
        group = result["schedule_group"]
        label = group["label"] if group else "No set time"
        if not groups or groups[-1][0] != label:
            groups.append((label, []))
        groups[-1][1].append(result)
    return groups


_ANY_PARAMETER_TITLE = N_("Please check your search.")
_PARAMETER_TITLES = {
    "near": N_("We could not find that place."),
    "radius": N_("Please check the distance."),
    "q": N_("Please shorten your search."),
}


def empty_message(data: dict) -> str | None:
    """Say honestly what is missing and what is close by, when nothing located matched."""
    query = data["query"]
    located = data["total"] - data["online_count"]
    if located > 0 or (data["total"] > 0 and not query["radius"]):
        return None
    what = _what(query["filters"])
    if data["near"] and query["radius"]:
        text = _("No %(what)s within %(miles)s miles of %(place)s.", what=what,
                 miles=f"{query['radius']:g}", place=data["near"]["label"])  # fmt: skip
    else:
        text = _("No %(what)s.", what=what)
    wider = data.get("wider")
    extra = []
    if wider and wider["count"]:
        extra.append(_("%(count)s within %(miles)s miles", count=wider["count"],
                       miles=f"{wider['radius']:g}"))  # fmt: skip
    if data["online_count"]:
        extra.append(_("%(count)s online or by phone, listed below", count=data["online_count"]))
    if extra:
        text += " " + _("There are %(counts)s.", counts="; ".join(extra))
    return text


def _what(filters: dict) -> str:
    categories = filters.get("category", [])
    fellowships = filters.get("fellowship", [])
    if categories == ["meeting"]:
        if fellowships:
            return _("%(fellowships)s meetings", fellowships=_("%(either)s or %(other)s",
                     either=", ".join(fellowships[:-1]), other=fellowships[-1])
                     if len(fellowships) > 1 else fellowships[0])  # fmt: skip
        return _("meetings")
    if len(categories) == 1:
        return _("%(category)s listings", category=vocabulary.category_label(categories[0]).lower())
    return _("results that match")


@bp.get("/resources/<resource_id>")
def resource(resource_id: str):
    item = visible(resource_id)
    catalog = get_catalog()
    now = datetime.now(UTC)
    stale = current_app.config["STALE_AFTER_DAYS"]
    data = listing.detail(item, now, catalog.directory.timezone, public_url(item), stale)
    zone = ZoneInfo(item.timezone)
    return render_template(
        "resource.html",
        r=data,
        json_ld=script_text(structured_data(item, public_url(item), now)),
        subscriptions=subscriptions(item),
        back_url=url_for("pages.search"),
        share_qr=render.qr_svg(public_url(item), render.SCREEN_ERROR_LEVEL),
        small_map=maps.listing_map(data),
        ics_url=url_for("pages.resource_ics", resource_id=item.id),
        zone_name=datetime.now(zone).tzname()
        if item.timezone != catalog.directory.timezone
        else None,
    )


def subscriptions(item: Resource) -> list[dict[str, str]]:
    """Return the calendars a meeting's page offers to subscribe to (webcal:// addresses)."""
    if not item.is_meeting or item.schedule is None or item.attendance == "inactive":
        return []
    offers = []
    if item.group and slugify(item.group):
        path = url_for("calendars.group", group=slugify(item.group), _external=True)
        offers.append({"label": _("All meetings of %(group)s", group=item.group), "url": path})
    if item.location is not None and item.location.id:
        path = url_for("calendars.place", location_id=item.location.id, _external=True)
        offers.append(
            {
                "label": _(
                    "All meetings at %(place)s", place=item.location.name or _("this place")
                ),
                "url": path,
            }  # fmt: skip
        )
    catalog = get_catalog()
    if (
        item.fellowship
        and fellowship_slug(item.fellowship)
        and fellowship_calendar_offered(catalog, item.fellowship)
    ):
        path = url_for("calendars.fellowship", feed_name=fellowship_slug(item.fellowship),
                       _external=True)  # fmt: skip
        offers.append(
            {"label": _("All %(fellowship)s meetings", fellowship=item.fellowship), "url": path}
        )
    return [{**o, "webcal": webcal(o["url"])} for o in offers]


@bp.get("/resources/<resource_id>.ics")
def resource_ics(resource_id: str):
    item = visible(resource_id)
    if not item.is_meeting or item.schedule is None or item.attendance == "inactive":
        abort(404)
    body = calendar_for([item], public_url)
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{item.id}.ics"'},
    )


@bp.get("/help")
def help():
    return render_template("help.html")


@bp.get("/about")
def about():
    return render_template("about.html")
