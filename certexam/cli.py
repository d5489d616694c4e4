"""The `certexam` command line (also available as `flask --app certexam ...`)."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from certexam import db, migrate
from certexam.bank_cli import bank_group
from certexam.bonus_cli import bonus_group
from certexam.certs_cli import certs_group, keys_group


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema to the newest revision."""
    migrate.upgrade(current_app.config["DATABASE_URL"])
    click.echo("Database is at the newest schema revision.")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load idempotent demo data and print the demo sign-ins."""
    from certexam.services import demo

    migrate.upgrade(current_app.config["DATABASE_URL"])
    for line in demo.load():
        click.echo(line)


@click.group("users")
def users_group() -> None:
    """Manage accounts."""


@users_group.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name-zh", prompt="Name in Chinese")
@click.option("--name-en", prompt="Name in English")
@click.password_option()
@with_appcontext
def create_admin_command(email: str, name_zh: str, name_en: str, password: str) -> None:
    """Create an administrator account."""
    from certexam.errors import UserError
    from certexam.models import Role
    from certexam.services import accounts

    try:
        user = accounts.create_staff_account(None, email, password, Role.ADMIN, name_zh, name_en)
    except UserError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Administrator {user.email} created (id {user.id}).")


@click.group("audit")
def audit_group() -> None:
    """Inspect the audit log."""


@audit_group.command("verify")
@with_appcontext
def audit_verify_command() -> None:
    """Check the audit log's hash chain; exit 1 if any entry was edited, inserted or deleted."""
    from certexam.services import audit

    checked, problems = audit.verify(db.session())
    if problems:
        for p in problems:
            click.echo(f"entry {p.seq}: {p.problem}", err=True)
        click.echo(f"Audit log is NOT intact: {len(problems)} problem(s) in {checked} entries.", err=True)
        sys.exit(1)
    click.echo(f"Audit log intact: {checked} entries checked.")


@click.command("backup")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Where to write the backup (an SQLite file, or a pg_dump custom-format archive).")
@with_appcontext
def backup_command(output: str) -> None:
    """Back up the database while the app runs (SQLite backup API, or pg_dump)."""
    from pathlib import Path

    from certexam.services import backup

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
    from pathlib import Path

    from certexam.services import backup

    if not yes:
        click.confirm("This replaces every row in the database. Continue?", abort=True)
    try:
        backup.restore(current_app.config["DATABASE_URL"], Path(source))
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("Database restored; run `certexam audit verify` to check the audit chain.")


@click.group("attempts")
def attempts_group() -> None:
    """Exam attempts."""


@attempts_group.command("close-expired")
@with_appcontext
def close_expired_command() -> None:
    """Submit every attempt whose time is over (run every minute from cron)."""
    from certexam.services import attempts

    click.echo(f"Closed {attempts.close_expired()} attempt(s).")


@users_group.command("token")
@click.argument("email")
@click.option("--name", default="api client", help="What the token is for.")
@with_appcontext
def token_command(email: str, name: str) -> None:
    """Create a bearer token for the JSON API (shown once)."""
    from certexam.services import accounts, api_tokens

    user = accounts.find_by_email(db.session(), email)
    if user is None:
        raise click.ClickException(f"no account with the email {email}")
    click.echo(api_tokens.create(user, name))


COMMANDS = [backup_command, restore_command, attempts_group, init_db_command, demo_command, users_group, audit_group, bank_group, keys_group, certs_group, bonus_group]


def register(app: Flask) -> None:
    for cmd in COMMANDS:
        app.cli.add_command(cmd)


def _create_app() -> Flask:
    from certexam import create_app

    return create_app()


main = FlaskGroup(create_app=_create_app, help="certexam: the certification-exam platform.")
