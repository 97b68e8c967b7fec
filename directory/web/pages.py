"""Public pages."""

from __future__ import annotations

from flask import Blueprint, render_template

from .state import get_catalog

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    get_catalog()
    return render_template("home.html")


@bp.get("/search")
def search():
    get_catalog()
    return render_template("home.html")


@bp.get("/about")
def about():
    return render_template("about.html")
