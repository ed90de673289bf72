"""Command-line tools, registered on the app as `flask --app chronology <command>`."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from . import backup, demo, imports, language, prompts, schools

    for module in (schools, imports, demo, prompts, language, backup):
        for command in module.COMMANDS:
            app.cli.add_command(command)
