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
