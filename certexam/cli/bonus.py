"""`certexam bonus ...`: social-insurance imports, closing notices, payment files."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext


@click.group("bonus")
def bonus_group() -> None:
    """The RMB 10,000 holder bonus: social-insurance imports, payouts."""


@bonus_group.command("import-social-insurance")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_social_insurance_command(file: str) -> None:
    """Import contribution records (CSV: credit_code,id_number,month): all lines, or none if any is wrong."""
    from certexam.services.bonus import social as bonus_social

    parsed = bonus_social.parse_file(Path(file).read_bytes())
    if parsed.errors:
        for line, message in parsed.errors:
            click.echo(f"{file}:{line}: {message}", err=True)
        click.echo(f"{len(parsed.errors)} error(s); nothing was imported.", err=True)
        sys.exit(1)
    with click.progressbar(length=len(parsed.lines), label="Importing", file=sys.stderr) as bar:
        last = 0

        def step(n: int) -> None:
            nonlocal last
            bar.update(n - last)
            last = n

        report = bonus_social.import_lines(None, parsed.lines, Path(file).name, progress=step)
    click.echo(f"Imported {report.added} month(s); {report.already} already known; skipped "
               f"{report.unknown_organisation} line(s) for unknown organisations and "
               f"{report.unknown_person} for unknown people.")


@bonus_group.command("close-notices")
@with_appcontext
def close_notices_command() -> None:
    """Fund waiting bonuses from this year's budget, then approve ended notices without open objections."""
    from certexam.services.bonus import notice as bonus_notice

    outcomes = bonus_notice.close_ended_notices()
    for o in outcomes:
        click.echo(f"application {o.application_id}: {o.result}")
    approved = sum(1 for o in outcomes if o.result == "approved")
    click.echo(f"{len(outcomes)} ended notice(s): {approved} approved for payment.")


@bonus_group.command("export-batch")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Where to write the bank's CSV file.")
@click.option("--batch", "batch_id", type=int, default=None,
              help="Write an existing batch again instead of making a new one.")
@with_appcontext
def export_batch_command(output: str, batch_id: int | None) -> None:
    """Put every funded, unpaid bonus into a new payment batch and write its CSV file for the bank."""
    from certexam.errors import UserError
    from certexam.services.bonus import payouts as bonus_payouts
    from certexam.services.bonus.settings import format_fen

    try:
        batch = bonus_payouts.get_batch(batch_id) if batch_id is not None else bonus_payouts.create_batch(None)
    except UserError as exc:
        raise click.ClickException(exc.message) from exc
    Path(output).write_bytes(bonus_payouts.export_csv(batch))
    click.echo(f"Batch {batch.id}: {batch.count} payment(s), RMB {format_fen(batch.total_fen)}, written to {output}.")
