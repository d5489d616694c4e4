"""`certexam demo`: load the demo data (certexam.cli.demo_data) and print the sign-ins."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from certexam import migrate


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load idempotent demo data and print the demo sign-ins."""
    from certexam.cli import demo_data

    migrate.upgrade(current_app.config["DATABASE_URL"])
    for line in demo_data.load():
        click.echo(line)
