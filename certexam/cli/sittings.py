"""`certexam sittings ...`: sittings."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("sittings")
def sittings_group() -> None:
    """Sittings."""


@sittings_group.command("assemble")
@click.argument("sitting_id", type=int)
@click.option("--forms", type=int, default=None, metavar="N",
              help="Forms per paper (and direction); default PRE_ASSEMBLED_FORMS, else 20.")
@click.option("--replace", is_flag=True, help="Assemble afresh the forms of papers not yet begun.")
@with_appcontext
def assemble_command(sitting_id: int, forms: int | None, replace: bool) -> None:
    """Assemble and check the forms of a sitting whose mode is "pre_assembled" (issue 21); the worker
    does it when registration closes. Papers that have forms keep them unless --replace."""
    from certexam.errors import UserError
    from certexam.services.sittings import pre_assembly

    try:
        done = pre_assembly.assemble(sitting_id, forms, replace)
    except UserError as exc:
        raise click.ClickException(exc.message) from exc
    if not done:
        click.echo("Every paper already has its forms (--replace assembles them afresh).")
    for a in done:
        name = f"{a.paper} {a.direction}".strip()
        outside = f", {a.outside} outside the tolerance" if a.outside else ""
        click.echo(f"{name}: {a.forms} form(s) assembled{outside}.")
