"""Command-line tools, registered on the app as `flask --app chronology <command>`."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from . import audit, backup, demo, doctor, exports, imports, language, prompts, schools

    for module in (schools, imports, demo, prompts, language, exports, audit, backup, doctor):
        for command in module.COMMANDS:
            app.cli.add_command(command)
