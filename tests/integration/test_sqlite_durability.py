"""SQLite syncs its WAL at every commit by default (issue 19.12): an acknowledged answer survives a
power cut or a kernel panic, not only a killed process. NORMAL stays available as a setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from certexam import db
from certexam.db import make_engine
from tests.conftest import make_app

FULL, NORMAL = 2, 1  # PRAGMA synchronous's numbers


def _synchronous(app: object) -> int:
    with app.app_context():  # type: ignore[attr-defined]
        with db.engine().connect() as conn:
            return int(conn.execute(text("PRAGMA synchronous")).scalar_one())


def test_the_app_writes_with_synchronous_full(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    assert _synchronous(app) == FULL
    app.extensions["certexam.engine"].dispose()


def test_normal_is_a_setting(tmp_path: Path) -> None:
    app = make_app(tmp_path, SQLITE_SYNCHRONOUS="NORMAL")
    assert _synchronous(app) == NORMAL
    app.extensions["certexam.engine"].dispose()


def test_the_bare_write_of_the_benchmark_uses_the_same_default(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bare.sqlite3'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA synchronous")).scalar_one() == FULL
    engine.dispose()


def test_a_word_that_is_not_a_level_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="SQLITE_SYNCHRONOUS"):
        make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}", sqlite_synchronous="OFF; DROP TABLE x")
