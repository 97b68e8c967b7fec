"""Absolute links to our own pages, for QR codes, feeds, calendars and the API."""

from __future__ import annotations

from flask import current_app, url_for

from directory.core.model import Resource


def public_url(resource: Resource) -> str:
    """Return the absolute address of a resource's page (BASE_URL when configured)."""
    base = current_app.config.get("BASE_URL")
    if base:
        return base.rstrip("/") + url_for("pages.resource", resource_id=resource.id)
    return url_for("pages.resource", resource_id=resource.id, _external=True)
