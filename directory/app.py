"""The application factory: settings, extensions, blueprints and commands; no data is read here."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from directory import cli, config
from directory.web import (
    api,
    calendars,
    cards,
    errors,
    health,
    languages,
    layout,
    logs,
    maps,
    pages,
    referrals,
    report_form,
    security,
    state,
    static_files,
)

HERE = Path(__file__).parent


def shipped_folder(name: str) -> str:
    """Return templates/ or static/: inside the installed package, or at the checkout's top."""
    inside = HERE / name
    return str(inside if inside.is_dir() else HERE.parent / name)


def create_app(test_config: dict | None = None) -> Flask:
    """Create the directory's Flask application.

    Nothing is loaded here: the data file is read and its index opened on the first request, or
    by gunicorn's master before its workers start (see web/gunicorn_conf.py).
    """
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=shipped_folder("templates"),
        static_folder=shipped_folder("static"),
    )
    config.load(app, test_config)
    # Pages go to phones on slow networks: no indentation or blank lines from the templates.
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    security.init_app(app)
    languages.init_app(app)
    report_form.init_app(app)
    logs.init_app(app)
    state.init_app(app)
    layout.init_app(app)
    static_files.init_app(app)
    cards.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    maps.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(referrals.bp)
    app.register_blueprint(referrals.short_links)
    app.register_blueprint(calendars.bp)
    api.init_app(app)
    return app
