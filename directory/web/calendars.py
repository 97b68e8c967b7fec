"""Calendar subscriptions: stable .ics addresses for a group, a venue, a fellowship or a search.

A calendar program asks again every few hours, so each answer depends only on the data
version and the address: it carries an ETag (304 when nothing changed), `public` caching, and
no cookie is read or set. The address holds only what a listing or a search says (a group's
name, a place's id, search words), never anything about the person.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, request
from werkzeug.http import quote_etag

from directory.core import translation
from directory.core.bounded import BoundedCache
from directory.core.model import Catalog, Resource
from directory.core.translation import _
from directory.formats.common import slugify
from directory.formats.icalendar import calendar_for
from directory.formats.meeting_guide.write import fellowship_slug, find_fellowship
from directory.search.service import BadSearch
from directory.web.kept_outputs import answer, client_holds, kept
from directory.web.links import public_url
from directory.web.security import rate_limit
from directory.web.state import Snapshot, get_snapshot

bp = Blueprint("calendars", __name__, url_prefix="/calendars")
rate_limit("api")(bp)
MAX_AGE = 3600  # calendar programs refresh every few hours; an hour keeps proxies honest
SEARCH_PAGES = 5  # a saved search's calendar holds at most 500 meetings
PER_PAGE = 100
# A fellowship's calendar is offered up to this many meetings: about 4 s of CPU and 4 MB to
# build, once per worker and version. A calendar program takes a few thousand weekly events at
# most, and a national directory's AA has tens of thousands (a build of a minute, past
# gunicorn's timeout): there, groups, places and searches are the calendars.
MAX_FELLOWSHIP_MEETINGS = 3000
_INDEXES: BoundedCache[CalendarIndex] = BoundedCache(4)  # by data version


def webcal(url: str) -> str:
    """Return the webcal:// form of a calendar address (opens a calendar program's subscribe)."""
    return "webcal://" + url.split("://", 1)[-1]


@dataclass(frozen=True)
class CalendarIndex:
    """A version's calendar meetings by group slug, by place and by fellowship, in file order:
    made in one pass, so a calendar does not walk every resource (100,000 nationally)."""

    by_group: dict[str, list[Resource]]
    by_place: dict[str, list[Resource]]
    by_fellowship: dict[str | None, list[Resource]]

    @classmethod
    def of(cls, catalog: Catalog) -> CalendarIndex:
        by_group: dict[str, list[Resource]] = {}
        by_place: dict[str, list[Resource]] = {}
        by_fellowship: dict[str | None, list[Resource]] = {}
        for resource in catalog.resources:
            if not _in_calendars(resource):
                continue
            if resource.group:
                by_group.setdefault(slugify(resource.group), []).append(resource)
            if resource.location is not None and resource.location.id:
                by_place.setdefault(resource.location.id, []).append(resource)
            by_fellowship.setdefault(resource.fellowship, []).append(resource)
        return cls(by_group, by_place, by_fellowship)


def _index(catalog: Catalog) -> CalendarIndex:
    return _INDEXES.get(catalog.fingerprint, lambda: CalendarIndex.of(catalog))


def _in_calendars(resource: Resource) -> bool:
    """An active meeting with a schedule that one can still attend."""
    return (
        resource.is_meeting
        and resource.active
        and resource.schedule is not None
        and resource.attendance != "inactive"
    )


def _answer(snapshot: Snapshot, resources: list[Resource], name: str):
    if not resources:
        abort(404)
    etag, headers = _validators(snapshot)
    headers["ETag"] = quote_etag(etag)
    if request.if_none_match.contains(etag):
        return Response(status=304, headers=headers)
    body = calendar_for(resources, public_url, _loaded(snapshot), name=name)
    return Response(body, mimetype="text/calendar", headers=headers)


def _validators(snapshot: Snapshot) -> tuple[str, dict[str, str]]:
    """Return this address's ETag for the data version, and the caching headers."""
    key = f"{snapshot.catalog.fingerprint}:{translation.code()}:{request.full_path}"
    etag = hashlib.sha256(key.encode()).hexdigest()[:32]
    return etag, {"Cache-Control": f"public, max-age={MAX_AGE}"}


def _loaded(snapshot: Snapshot) -> datetime:
    """The data's own time, not the request's: the same data gives the same bytes."""
    return datetime.fromtimestamp(int(snapshot.loaded_at), UTC)


def fellowship_calendar_offered(catalog: Catalog, fellowship: str) -> bool:
    """True when a fellowship's calendar has meetings and not too many for one calendar."""
    return 0 < len(_index(catalog).by_fellowship.get(fellowship, ())) <= MAX_FELLOWSHIP_MEETINGS


@bp.get("/fellowships/<feed_name>.ics")
def fellowship(feed_name: str):
    snapshot = get_snapshot()
    chosen = find_fellowship(snapshot.catalog, feed_name)
    if chosen is None or fellowship_slug(chosen) != feed_name:
        abort(404)
    if not fellowship_calendar_offered(snapshot.catalog, chosen):
        message = _(
            "%(fellowship)s has more meetings here than one calendar can hold: subscribe to a"
            " group's, a place's or a search's calendar instead.",
            fellowship=chosen,
        )
        return Response(message + "\n", status=404, mimetype="text/plain")
    # A fellowship's calendar holds a whole fellowship (thousands of meetings nationally) and
    # is the same for every reader: built once per data version and language, kept with its gzip.
    etag, headers = _validators(snapshot)
    if client_holds(etag):
        return answer(None, etag, headers)

    def build() -> bytes:
        meetings = _index(snapshot.catalog).by_fellowship.get(chosen, [])
        if not meetings:
            return b""
        name = f"{chosen} meetings · {snapshot.catalog.directory.name}"
        return calendar_for(meetings, public_url, _loaded(snapshot), name=name)

    output = kept(snapshot, ("fellowship.ics", chosen, translation.code()), build, "text/calendar")
    if output.kept_plain == b"":  # no meetings: built empty, so the 404 is kept too
        abort(404)
    return answer(output, etag, headers)


@bp.get("/groups/<group>.ics")
def group(group: str):
    snapshot = get_snapshot()
    meetings = _index(snapshot.catalog).by_group.get(group, [])
    name = meetings[0].group if meetings else group
    return _answer(snapshot, meetings, f"{name} · {snapshot.catalog.directory.name}")


@bp.get("/places/<location_id>.ics")
def place(location_id: str):
    snapshot = get_snapshot()
    meetings = _index(snapshot.catalog).by_place.get(location_id, [])
    where = meetings[0].location.name if meetings and meetings[0].location.name else location_id
    return _answer(snapshot, meetings, _("Meetings at %(place)s", place=where))


@bp.get("/search.ics")
def search():
    """The meetings a search finds, as the search page's address says it (a saved search)."""
    snapshot = get_snapshot()
    args = request.args.copy()
    args.setlist("category", ["meeting"])
    args["per_page"] = str(PER_PAGE)
    found: dict[str, Resource] = {}
    for page in range(1, SEARCH_PAGES + 1):
        args["page"] = str(page)
        try:
            data = snapshot.service.search(args, public_url)
        except BadSearch as exc:
            return Response(f"{exc.parameter}: {exc.message}\n", status=400, mimetype="text/plain")
        for result in data["results"]:
            resource = snapshot.catalog.by_id(result["id"])
            if resource is not None:
                found.setdefault(resource.id, resource)
        if page * PER_PAGE >= data["total"]:
            break
    meetings = [r for r in found.values() if _in_calendars(r)]
    words = request.args.get("q", "").strip()[:60]
    title = _("Meetings: %(words)s", words=words) if words else _("Meetings")
    if not meetings:
        abort(404)
    return _answer(snapshot, meetings, f"{title} · {snapshot.catalog.directory.name}")
