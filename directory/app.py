"""The application factory."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from directory import cli
from directory.web import (
    api,
    errors,
    health,
    layout,
    logs,
    pages,
    referrals,
    report_form,
    security,
    state,
)

ROOT = Path(__file__).parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Create the directory's Flask application."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(
        DATA_PATH="data/resources.yaml",
        INDEX_DIR=None,  # default: <instance folder>/index
        BASE_URL=None,  # public address for QR codes and feeds; default: the request's host
    )
    if test_config is None:
        app.config.from_prefixed_env("DIRECTORY")
    else:
        app.config.from_mapping(test_config)
    if not app.config["INDEX_DIR"]:
        app.config["INDEX_DIR"] = os.path.join(app.instance_path, "index")
    security.init_app(app)
    report_form.init_app(app)
    logs.init_app(app)
    state.init_app(app)
    layout.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(referrals.bp)
    api.init_app(app)
    if security.serving():
        # Build or open the index now, so the first visitor does not wait (errors are logged
        # and answered with 503 until good data arrives).
        with app.app_context():
            state.get_state().reload()
    return app
