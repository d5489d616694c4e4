"""`certexam attempts ...`: exam attempts."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("attempts")
def attempts_group() -> None:
    """Exam attempts."""


@attempts_group.command("close-expired")
@with_appcontext
def close_expired_command() -> None:
    """Submit every attempt whose time is over (run every minute from cron)."""
    from certexam.services.attempts import lifecycle as attempts

    click.echo(f"Closed {attempts.close_expired()} attempt(s).")
