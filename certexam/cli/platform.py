"""`certexam init-db`, `audit verify`, `backup` and `restore`: the platform under every feature."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from certexam import db, migrate


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema to the newest revision."""
    migrate.upgrade(current_app.config["DATABASE_URL"])
    click.echo("Database is at the newest schema revision.")


@click.group("audit")
def audit_group() -> None:
    """Inspect the audit log."""


@audit_group.command("verify")
@with_appcontext
def audit_verify_command() -> None:
    """Check the audit log's hash chain and the heads anchored in the transparency log; print the head.

    The chain alone cannot see a rewrite by someone who recomputes it (issue 20.5); the anchored heads
    can: each must still be an entry of the chain with the same hash. Exit 1 on any problem.
    """
    from certexam.services.platform import audit
    from certexam.services.tlog import anchor

    sess = db.session()
    checked, problems = audit.verify(sess)
    anchors, moved = anchor.compare(sess)
    head = audit.head(sess)
    for p in problems:
        click.echo(f"entry {p.seq}: {p.problem}", err=True)
    for m in moved:
        click.echo(f"anchor in transparency-log entry {m.leaf_index}: {m.problem}", err=True)
    click.echo(f"Head: entry {head[0]}, hash {head[1]}")
    if problems or moved:
        click.echo(f"Audit log is NOT intact: {len(problems) + len(moved)} problem(s) in {checked} entries "
                   f"and {anchors} anchored heads.", err=True)
        sys.exit(1)
    click.echo(f"Audit log intact: {checked} entries checked, {anchors} anchored heads match.")


@click.command("backup")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Where to write the backup (an SQLite file, or a pg_dump custom-format archive).")
@with_appcontext
def backup_command(output: str) -> None:
    """Back up the database while the app runs (SQLite backup API, or pg_dump)."""
    from certexam.services.platform import backup

    try:
        backup.backup(current_app.config["DATABASE_URL"], Path(output))
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backup written to {output}.")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(source: str, yes: bool) -> None:
    """Replace the database with a backup (stop the app servers first)."""
    from certexam.services.platform import backup

    if not yes:
        click.confirm("This replaces every row in the database. Continue?", abort=True)
    try:
        backup.restore(current_app.config["DATABASE_URL"], Path(source))
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("Database restored; run `certexam audit verify` to check the audit chain.")
