"""Maintainers' commands (`flask --app directory <command>`); each module lists its COMMANDS."""

from __future__ import annotations

from flask import Flask

from directory.cli import artifacts, data, exports, imports, maintenance, sync

COMMANDS = (
    *data.COMMANDS,
    *imports.COMMANDS,
    *exports.COMMANDS,
    *maintenance.COMMANDS,
    *sync.COMMANDS,
    *artifacts.COMMANDS,
)


def init_app(app: Flask) -> None:
    """Add every command to the app's `flask` command line."""
    for command in COMMANDS:
        app.cli.add_command(command)
