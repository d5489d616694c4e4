"""`certexam subsidies ...`: training subsidies (issue 23; measures items 24-25, docs/subsidies.md)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("subsidies")
def subsidies_group() -> None:
    """Training subsidies: closing notices (payment is the bonus's batches: `certexam bonus ...`)."""


@subsidies_group.command("close-notices")
@with_appcontext
def close_notices_command() -> None:
    """Fund waiting subsidies from this year's budgets, then approve every ended notice for payment."""
    from certexam.services.subsidies import notice as subsidy_notice

    outcomes = subsidy_notice.close_ended_notices()
    click.echo(f"{len(outcomes)} ended notice(s): {outcomes.count('approved')} approved for payment.")
