"""`certexam audit verify` finds edited, inserted and deleted rows, on both databases."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from certexam import db
from certexam.cli.platform import audit_verify_command
from certexam.services.platform import audit
from tests.conftest import make_app


@db.use_case
def _append(i: int) -> None:
    audit.record(db.session(), "test.action", "thing", i, after={"i": i, "名": "值"})


@db.hot_use_case
def _append_hot(i: int) -> None:
    audit.append(db.connection(), "test.hot", "thing", i, actor_id=None, after={"i": i, "名": "值"})


def _app_with_entries(tmp_path: Path, url: str, n: int = 6):  # type: ignore[no-untyped-def]
    app = make_app(tmp_path, url)
    with app.app_context():
        for i in range(n):
            _append(i)
    return app


def _verify(app):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(audit_verify_command)


def _sql(app, statement: str) -> None:  # type: ignore[no-untyped-def]
    with app.extensions["certexam.engine"].begin() as conn:
        conn.execute(text(statement))


@pytest.mark.parametrize("tamper", [
    "UPDATE audit_entry SET after = 'changed' WHERE seq = 3",
    "UPDATE audit_entry SET at = at WHERE seq = 3; UPDATE audit_entry SET actor_id = NULL, action = 'x' WHERE seq = 2",
    "DELETE FROM audit_entry WHERE seq = 4",
    "DELETE FROM audit_entry WHERE seq = 6",
    "INSERT INTO audit_entry (seq, at, action, object_type, prev_hash, hash) "
    "SELECT 7, at, 'forged', 'thing', hash, hash FROM audit_entry WHERE seq = 6",
])
def test_tampering_is_detected(tmp_path: Path, any_db_url: str, tamper: str) -> None:
    app = _app_with_entries(tmp_path, any_db_url)
    ok = _verify(app)
    assert ok.exit_code == 0 and "6 entries" in ok.output
    for stmt in tamper.split("; "):
        _sql(app, stmt)
    bad = _verify(app)
    assert bad.exit_code == 1
    assert "NOT intact" in bad.output
    app.extensions["certexam.engine"].dispose()


def test_concurrent_appends_keep_one_chain(tmp_path: Path, any_db_url: str) -> None:
    app = _app_with_entries(tmp_path, any_db_url, n=1)
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            with app.app_context():
                for i in range(10):
                    _append(k * 100 + i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert "41 entries" in result.output
    app.extensions["certexam.engine"].dispose()


def test_core_and_orm_appends_share_one_chain(tmp_path: Path, any_db_url: str) -> None:
    """A planned start appends on a hot use case's Core connection (`audit.append`), other use cases
    through the ORM (`audit.record`): concurrent appends of both kinds make one unbroken chain, and
    the Core append creates the head when it is the first entry."""
    app = make_app(tmp_path, any_db_url)
    with app.app_context():
        _append_hot(0)  # the first entry of an empty log
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            with app.app_context():
                for i in range(10):
                    (_append_hot if k % 2 else _append)(k * 100 + i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert "41 entries" in result.output
    _sql(app, "UPDATE audit_entry SET after = 'changed' WHERE action = 'test.hot' AND object_id = '101'")
    assert _verify(app).exit_code == 1
    app.extensions["certexam.engine"].dispose()


@pytest.mark.parametrize("first", ["orm", "core"])
def test_concurrent_first_appends_make_the_head_once(tmp_path: Path, any_db_url: str, first: str) -> None:
    """The very first entries of an empty log, appended at once: one creates the head, the others wait
    for it and follow it (PostgreSQL used to fail all but one on the head's key; bench_audit_head.py)."""
    app = make_app(tmp_path, any_db_url)
    errors: list[BaseException] = []
    gate = threading.Barrier(6)

    def worker(k: int) -> None:
        try:
            with app.app_context():
                gate.wait()
                (_append if first == "orm" else _append_hot)(k)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert "6 entries" in result.output
    app.extensions["certexam.engine"].dispose()
