"""`certexam bonus ...`: social-insurance imports, closing notices, payment files and statements."""

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
              help="Where to write the bank's file.")
@click.option("--batch", "batch_id", type=int, default=None,
              help="Write an existing batch again instead of making a new one.")
@click.option("--format", "fmt", type=click.Choice(["csv", "pain001", "cn"]), default="csv", show_default=True,
              help="csv: the plain file; pain001: ISO 20022 pain.001.001.09 XML; cn: the Chinese bank template.")
@with_appcontext
def export_batch_command(output: str, batch_id: int | None, fmt: str) -> None:
    """Put every funded, unpaid bonus into a new payment batch and write its file for the bank."""
    from certexam.errors import UserError
    from certexam.services.bonus import payouts as bonus_payouts
    from certexam.services.bonus.payfiles import exports
    from certexam.services.bonus.settings import format_fen

    try:
        batch = bonus_payouts.get_batch(batch_id) if batch_id is not None else bonus_payouts.create_batch(None)
        data = {"csv": bonus_payouts.export_csv, "pain001": exports.pain001_file,
                "cn": exports.cn_template_file}[fmt](batch)
    except UserError as exc:
        raise click.ClickException(exc.message) from exc
    Path(output).write_bytes(data)
    click.echo(f"Batch {batch.id}: {batch.count} payment(s), RMB {format_fen(batch.total_fen)}, written to {output}.")


@bonus_group.command("reconcile")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def reconcile_command(file: str) -> None:
    """Record the bank statement's paid and returned lines (CSV: reference,amount,status,date,reason)."""
    from certexam.errors import UserError
    from certexam.services.bonus.payfiles import statement

    try:
        report = statement.reconcile(None, statement.parse(Path(file).read_bytes()), Path(file).name)
    except UserError as exc:
        raise click.ClickException(exc.message) from exc
    for n, ref, why in report.mismatches:
        click.echo(f"{file}:{n}: {ref}: {why}", err=True)
    click.echo(f"{len(report.paid)} paid, {len(report.returned)} returned, {len(report.already)} already on record, "
               f"{len(report.mismatches)} mismatch(es).")
    if report.mismatches:
        sys.exit(1)


@bonus_group.command("correct-line")
@click.argument("line_id", type=int)
@click.option("--bank-name", required=True)
@click.option("--account", required=True)
@click.option("--kind", type=click.Choice(["card", "account"]), default="card", show_default=True)
@click.option("--cnaps", default="", help="The branch's 12-digit CNAPS code (联行号), if not the paying bank.")
@with_appcontext
def correct_line_command(line_id: int, bank_name: str, account: str, kind: str, cnaps: str) -> None:
    """New bank details for a returned line: the bonus goes into the next batch."""
    from certexam.errors import UserError
    from certexam.services.bonus.payfiles import lines

    try:
        line = lines.correct_returned(None, line_id, bank_name, account, kind, cnaps)
    except UserError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Line {line.end_to_end_id} corrected; its bonus goes into the next batch.")
