"""Public pages."""

from __future__ import annotations

from flask import Blueprint

from .state import get_catalog

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    catalog = get_catalog()
    return f"<!doctype html><title>{catalog.directory.name}</title><h1>{catalog.directory.name}</h1>"
