"""Every schema change is an Alembic revision: upgrade, compare with the models, downgrade."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from certexam import migrate
from certexam.db import Base, make_engine


def test_upgrade_matches_models_and_downgrades(any_db_url: str) -> None:
    migrate.upgrade(any_db_url)
    engine = make_engine(any_db_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
        assert diff == [], diff
        assert "user_account" in inspect(engine).get_table_names()
        migrate.downgrade(any_db_url, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(any_db_url)  # and back up again cleanly
        assert "audit_entry" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_exposure_survives_the_move_to_attempt_items(tmp_path, any_db_url: str) -> None:  # type: ignore[no-untyped-def]
    """Revision 0009 replaced bank_item.exposure_count with attempt_item rows: no count is lost either way."""
    from sqlalchemy import text

    from certexam import db
    from certexam.services.attempts import lifecycle as attempts
    from tests.conftest import make_app
    from tests.exam_setup import enrol, load_bank, open_sitting
    from tests.factories import candidate

    app = make_app(tmp_path, any_db_url)
    load_bank(app)
    sitting_id = open_sitting(app)
    with app.app_context():
        for _ in range(2):
            user = candidate(app)
            attempts.start(user, enrol(app, user, sitting_id), "P1", "en")
        rows_before = db.session().execute(
            text("SELECT attempt_id, position, bank_item_id, version_id FROM attempt_item ORDER BY 1, 2")).all()
        counts = dict(db.session().execute(
            text("SELECT bank_item_id, count(*) FROM attempt_item GROUP BY bank_item_id")).all())
        db.session().close()
    app.extensions["certexam.engine"].dispose()
    assert len(rows_before) == 90

    migrate.downgrade(any_db_url, "0008")
    engine = make_engine(any_db_url)
    try:
        with engine.connect() as conn:
            old = dict(conn.execute(text("SELECT id, exposure_count FROM bank_item")).all())
        assert {k: v for k, v in old.items() if v} == counts
        migrate.upgrade(any_db_url)
        with engine.connect() as conn:
            rows_after = conn.execute(
                text("SELECT attempt_id, position, bank_item_id, version_id FROM attempt_item ORDER BY 1, 2")).all()
        assert rows_after == rows_before
    finally:
        engine.dispose()
