"""`certexam results ...`: what a sitting's results feed back into the bank."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("results")
def results_group() -> None:
    """Results and item analysis."""


@results_group.command("adopt-statistics")
@click.argument("sitting_id", type=int)
@click.option("--actor", metavar="EMAIL", help="The staff member recorded in the audit log.")
@with_appcontext
def adopt_statistics_command(sitting_id: int, actor: str | None) -> None:
    """Pool a sitting's item facilities into the bank's difficulty statistics (once per sitting)."""
    from sqlalchemy import select

    from certexam import db
    from certexam.errors import UserError
    from certexam.models import User
    from certexam.services.results import facility

    user = db.session().scalar(select(User).where(User.email == actor)) if actor else None
    if actor and user is None:
        raise click.ClickException(f"No account with the email {actor}.")
    try:
        done = facility.adopt(user, sitting_id)
    except UserError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"{done.versions} item version(s) updated from {done.responses} response(s).")
