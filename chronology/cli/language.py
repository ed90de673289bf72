"""Language advice from the command line: the text comes on stdin, nothing is stored."""

from __future__ import annotations

import json
import sys

import click

from ..domain.language import KIND_LABELS, check, findings_as_dicts


@click.command("check-language")
@click.option("--json", "as_json", is_flag=True,
              help='Print [{"kind", "start", "end", "text", "suggestion"}] instead of plain words.')
def check_language_command(as_json: bool) -> None:
    """Advise on the clarity of a piece of writing read from stdin.

    It only advises: it exits 0 whether or not there is advice, and never changes the text.
    """
    text = sys.stdin.read()
    findings = check(text)
    if as_json:
        click.echo(json.dumps(findings_as_dicts(findings), ensure_ascii=False))
        return
    if not findings:
        click.echo("No advice: the text reads clearly.")
        return
    for f in findings:
        click.echo(f"{KIND_LABELS.get(f.kind, f.kind)} (characters {f.start}-{f.end}): \u201c{f.text}\u201d")
        click.echo(f"  {f.suggestion}")


COMMANDS = [check_language_command]
