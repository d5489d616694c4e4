"""The `certexam` command line (also available as `flask --app certexam ...`).

One module per feature holds that feature's commands; this module only
gathers them. Each command imports its services inside its body, so that
loading the command line does not import the whole application first.
"""

from __future__ import annotations

from flask import Flask
from flask.cli import FlaskGroup

from certexam.cli.accounts import users_group
from certexam.cli.attempts import attempts_group
from certexam.cli.bank import bank_group
from certexam.cli.bonus import bonus_group
from certexam.cli.certs import certs_group, keys_group
from certexam.cli.demo import demo_command
from certexam.cli.platform import audit_group, backup_command, init_db_command, restore_command
from certexam.cli.push import push_server_command
from certexam.cli.results import results_group
from certexam.cli.sittings import sittings_group
from certexam.cli.subsidies import subsidies_group
from certexam.cli.tlog import tlog_group
from certexam.cli.worker import worker_command

COMMANDS = [backup_command, restore_command, attempts_group, init_db_command, demo_command, users_group,
            audit_group, bank_group, keys_group, certs_group, bonus_group, worker_command, results_group,
            tlog_group, subsidies_group, sittings_group, push_server_command]


def register(app: Flask) -> None:
    """Add every feature's commands to the app's `flask` group."""
    for cmd in COMMANDS:
        app.cli.add_command(cmd)


def _create_app() -> Flask:
    from certexam import create_app

    return create_app()


main = FlaskGroup(create_app=_create_app, help="certexam: the certification-exam platform.")
