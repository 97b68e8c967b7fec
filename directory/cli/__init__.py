"""Maintainers' commands (`flask --app directory <command>`); each module lists its COMMANDS.

The modules are imported when a command line first asks for a command, not when the app is
made: they bring libraries a server never needs (geocoding, HTTP clients, round-trip YAML), a
tenth of the imports of every gunicorn start.
"""

from __future__ import annotations

import importlib

import click
from flask import Flask
from flask.cli import AppGroup

MODULES = ("data", "imports", "exports", "maintenance", "sync", "artifacts")


def commands() -> tuple[click.Command, ...]:
    """Return every command of every module."""
    modules = [importlib.import_module(f"{__name__}.{name}") for name in MODULES]
    return tuple(command for module in modules for command in module.COMMANDS)


class Commands(AppGroup):
    """The app's `flask` group: the commands are added the first time one is looked up."""

    loaded = False

    @property
    def commands(self) -> dict[str, click.Command]:
        if not self.loaded:
            self.loaded = True
            for command in commands():
                self.add_command(command)
        return self._commands

    @commands.setter
    def commands(self, value: dict[str, click.Command]) -> None:
        self._commands = value

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        # Extensions add theirs while the app is made: that must not load ours.
        self._commands[name or cmd.name] = cmd


def init_app(app: Flask) -> None:
    """Make the app's `flask` command line hold every command (imported on first use)."""
    app.cli = Commands(name=app.cli.name, commands=app.cli.commands)
