"""Revision 0014 (issue 19.11): accounts and certificates get a family name, backfilled from the English
name's first word, certexam's convention until then; the downgrade drops it again."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from certexam import db, migrate
from certexam.db import make_engine
from tests.integration.test_certificates_service import issue, keyed_app, make_holder


def test_backfill_takes_the_first_word(tmp_path: Path, any_db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    app = keyed_app(tmp_path, monkeypatch, any_db_url)
    for name_en in ("Chan Tai Man", "CHAN, Siu Ming", "Ana"):
        issue(app, make_holder(app, name_zh="陳大文", name_en=name_en, name_family=name_en[-3:]))
    with app.app_context():
        db.session().close()
    app.extensions["certexam.engine"].dispose()

    migrate.downgrade(any_db_url, "0013")
    migrate.upgrade(any_db_url)
    engine = make_engine(any_db_url)
    try:
        with engine.connect() as conn:
            users = conn.execute(text("SELECT name_en, name_family FROM user_account ORDER BY id")).all()
            certs = conn.execute(text("SELECT holder_name_en, holder_name_family FROM certificate ORDER BY id")).all()
    finally:
        engine.dispose()
    expected = [("Chan Tai Man", "Chan"), ("CHAN, Siu Ming", "CHAN"), ("Ana", "Ana")]
    assert [tuple(r) for r in users] == expected and [tuple(r) for r in certs] == expected
