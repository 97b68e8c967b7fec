"""The application factory."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from . import cli
from .web import pages, state


def create_app(test_config: dict | None = None) -> Flask:
    """Create the directory's Flask application."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(Path(__file__).parent.parent / "templates"),
        static_folder=str(Path(__file__).parent.parent / "static"),
    )
    app.config.from_mapping(
        DATA_PATH="data/resources.yaml",
        INDEX_DIR=None,  # default: <instance>/index
    )
    if test_config is None:
        app.config.from_prefixed_env("DIRECTORY")
    else:
        app.config.from_mapping(test_config)
    if not app.config["INDEX_DIR"]:
        app.config["INDEX_DIR"] = os.path.join(app.instance_path, "index")
    state.init_app(app)
    cli.init_app(app)
    app.register_blueprint(pages.bp)
    return app
