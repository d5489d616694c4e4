"""The command line: users create-admin and the console script (the demo: test_demo.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from certexam import db
from certexam.cli.accounts import create_admin_command
from certexam.models import Role, User
from tests.conftest import make_app


def test_create_admin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "en_GB.UTF-8")  # the CLI speaks the shell's language
    app = make_app(tmp_path)
    runner = app.test_cli_runner()
    ok = runner.invoke(create_admin_command, ["--email", "Boss@Example.com", "--name-zh", "老板", "--name-en",
                                              "Boss", "--password", "super-secret-1"])
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(create_admin_command, ["--email", "boss@example.com", "--name-zh", "老板",
                                                 "--name-en", "Boss", "--password", "super-secret-1"])
    assert again.exit_code != 0 and "already exists" in again.output
    short = runner.invoke(create_admin_command, ["--email", "b2@example.com", "--name-zh", "老板",
                                                 "--name-en", "Boss", "--password", "short"])
    assert short.exit_code != 0
    with app.app_context():
        admin = db.session().scalar(select(User).where(User.email == "boss@example.com"))
        assert admin is not None and admin.roles == {Role.SYSTEM_ADMIN}  # accounts and keys (issue 19.6)


def test_console_script_and_flask_cli_agree(tmp_path: Path) -> None:
    env = {**os.environ, "CERTEXAM_INSTANCE_PATH": str(tmp_path / "inst")}
    bindir = Path(sys.executable).parent
    out1 = subprocess.run([str(bindir / "certexam"), "init-db"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert out1.returncode == 0, out1.stderr
    out2 = subprocess.run([str(bindir / "flask"), "--app", "certexam", "audit", "verify"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert out2.returncode == 0 and "intact" in out2.stdout, out2.stderr
    assert (tmp_path / "inst" / "certexam.sqlite3").exists()


def test_close_expired_and_token_commands(tmp_path: Path) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from certexam.cli.accounts import token_command
    from certexam.cli.attempts import close_expired_command
    from certexam.models import Attempt
    from certexam.services.attempts import lifecycle as attempts
    from tests.exam_setup import enrol, load_bank, open_sitting
    from tests.factories import candidate

    app = make_app(tmp_path)
    load_bank(app)
    user = candidate(app)
    reg = enrol(app, user, open_sitting(app))
    runner = app.test_cli_runner()
    token = runner.invoke(token_command, [user.email, "--name", "cli"]).output.strip()
    assert token.startswith("cx_")
    client = app.test_client()
    assert client.post(f"/api/v1/registrations/{reg}/papers/P1/start",
                       headers={"Authorization": f"Bearer {token}"}).status_code == 201
    assert "Closed 0" in runner.invoke(close_expired_command).output
    with app.app_context():
        db.session().execute(update(Attempt).values(deadline_at=db.utcnow() - timedelta(minutes=1)))
        db.session().commit()
    assert "Closed 1" in runner.invoke(close_expired_command).output
    with app.app_context():
        assert attempts.close_expired() == 0
    assert runner.invoke(token_command, ["nobody@example.com"]).exit_code != 0
