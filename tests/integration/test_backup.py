"""`certexam backup` and `certexam restore` round-trip the database on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import MetaData, select, text

from certexam import db
from certexam.cli.platform import audit_verify_command, backup_command, restore_command
from certexam.models import User
from tests.conftest import make_app
from tests.factories import candidate, staff


def _snapshot(app) -> dict[str, list[tuple]]:  # type: ignore[no-untyped-def,type-arg]
    engine = app.extensions["certexam.engine"]
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        return {name: sorted(tuple(map(str, r)) for r in conn.execute(table.select()))
                for name, table in meta.tables.items()}


def test_backup_then_restore_gives_back_the_same_rows(tmp_path: Path, any_db_url: str) -> None:
    from certexam.models import Role

    app = make_app(tmp_path, any_db_url)
    for _ in range(3):
        candidate(app)
    staff(app, Role.EMPLOYER)
    before = _snapshot(app)
    runner = app.test_cli_runner()
    out = tmp_path / "backup.bin"
    result = runner.invoke(backup_command, ["-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0
    # damage: delete and change rows
    with app.extensions["certexam.engine"].begin() as conn:
        conn.execute(text("DELETE FROM audit_entry WHERE seq > 2"))
        conn.execute(text("UPDATE user_account SET name_en = 'changed'"))
    assert _snapshot(app) != before
    assert runner.invoke(audit_verify_command).exit_code == 1
    app.extensions["certexam.engine"].dispose()
    result = runner.invoke(restore_command, [str(out), "--yes"])
    assert result.exit_code == 0, result.output
    assert _snapshot(app) == before
    assert runner.invoke(audit_verify_command).exit_code == 0
    with app.app_context():
        assert all(u.name_en != "changed" for u in db.session().scalars(select(User)))
    app.extensions["certexam.engine"].dispose()


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"this is not a database" * 100)
    result = app.test_cli_runner().invoke(restore_command, [str(junk), "--yes"])
    assert result.exit_code != 0 and "not" in result.output
    app.extensions["certexam.engine"].dispose()
