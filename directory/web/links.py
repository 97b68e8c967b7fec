"""Absolute links to our own pages, for QR codes, feeds, calendars and the API."""

from __future__ import annotations

from flask import current_app, has_request_context, request, url_for

from directory.core.bounded import BoundedCache
from directory.core.model import Resource

LINKS_KEPT = 16384  # addresses kept per app: about 150 bytes each
LINKS = "directory.public-urls"  # in app.extensions


def public_url(resource: Resource) -> str:
    """Return the absolute address of a resource's page (BASE_URL when configured).

    Every result card asks, and url_for takes longer than the rest of a card's summary: the
    address is kept per link root (the Host header when no BASE_URL is set: hence the bound).
    """
    if not has_request_context():
        return _address(resource.id)
    base = current_app.config.get("BASE_URL")
    root = (base, request.script_root) if base else (request.url_root,)
    kept = current_app.extensions.get(LINKS)
    if kept is None:
        kept = current_app.extensions.setdefault(LINKS, BoundedCache(LINKS_KEPT))
    return kept.get((root, resource.id), lambda: _address(resource.id))


def _address(resource_id: str) -> str:
    base = current_app.config.get("BASE_URL")
    if base:
        return base.rstrip("/") + url_for("pages.resource", resource_id=resource_id)
    return url_for("pages.resource", resource_id=resource_id, _external=True)
