"""The statistics figures come from one read transaction (issue 23), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from certexam.services.statistics import figures
from tests.conftest import make_app

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


def test_a_commit_between_two_queries_of_the_page_is_not_half_seen(any_db_url: str, tmp_path: Path) -> None:
    """Another transaction commits a budget year while the page is reading: the page sees none of it.

    At PostgreSQL's default READ COMMITTED the bonus query, which runs after the certificates query,
    would see the new year (this test failed so before figures._snapshot asked for REPEATABLE READ).
    """
    app = make_app(tmp_path, any_db_url, CLOCK=lambda: NOW)
    engine = app.extensions["certexam.engine"]
    fired: list[str] = []

    def meddle(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if fired or "FROM certificate" not in statement:
            return
        fired.append(statement)
        with engine.connect() as other:  # another request, in its own transaction
            other.execute(text("INSERT INTO bonus_budget_year (year, cap_fen, committed_fen, updated_at) "
                               "VALUES (2030, 300000000, 0, :at)"), {"at": NOW})
            other.execute(text("INSERT INTO subsidy_budget_year (measure, year, cap_fen, committed_fen, updated_at) "
                               "VALUES ('knowledge', 2030, 200000000, 0, :at)"), {"at": NOW})
            other.commit()

    with app.app_context():
        figures.programme()  # warm up: the page's own first read
        event.listen(engine, "before_cursor_execute", meddle)
        try:
            seen = figures.programme()
        finally:
            event.remove(engine, "before_cursor_execute", meddle)
        assert fired, "the certificates query did not run"
        assert 2030 not in [y.year for y in seen.bonus_years]
        assert 2030 not in [y.year for m in seen.subsidies for y in m.years]  # nor the subsidies' (issue 23)
        again = figures.programme()  # the next page sees both
        assert 2030 in [y.year for y in again.bonus_years]
        assert 2030 in [y.year for m in again.subsidies if m.measure == "knowledge" for y in m.years]
    engine.dispose()
