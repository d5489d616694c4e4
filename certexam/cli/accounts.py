"""`certexam users ...`: staff accounts and API tokens."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from certexam import db


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
    """Create a system administrator account (accounts, roles and keys; issue 19.6). Other staff
    roles are granted on the administration's user page."""
    from certexam.errors import UserError
    from certexam.models import Role
    from certexam.services.accounts import users as accounts

    try:
        user = accounts.create_staff_account(None, email, password, Role.SYSTEM_ADMIN, name_zh, name_en)
    except UserError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"System administrator {user.email} created (id {user.id}).")


@users_group.command("token")
@click.argument("email")
@click.option("--name", default="api client", help="What the token is for.")
@with_appcontext
def token_command(email: str, name: str) -> None:
    """Create a bearer token for the JSON API (shown once)."""
    from certexam.services.accounts import api_tokens
    from certexam.services.accounts import users as accounts

    user = accounts.find_by_email(db.session(), email)
    if user is None:
        raise click.ClickException(f"no account with the email {email}")
    click.echo(api_tokens.create(user, name))
