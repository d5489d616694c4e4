"""One clock and one working-day calendar (issue 17): every feature reads the same hook and holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from certexam import db
from certexam.models import AuditEntry, Sitting
from certexam.services.bonus import notice as bonus_notice
from certexam.services.platform import audit, clock
from certexam.services.results import recheck as results_recheck
from tests.conftest import make_app

# 17:30 UTC on Sunday 31 May 2026 is 01:30 on Monday 1 June in Shanghai: the two days differ.
FIXED = datetime(2026, 5, 31, 17, 30, tzinfo=UTC)


def test_the_clock_setting_moves_today_and_what_is_written(tmp_path: Path) -> None:
    app = make_app(tmp_path, CLOCK=lambda: FIXED)
    with app.app_context():
        assert clock.now() == FIXED
        assert clock.today() == date(2026, 6, 1)  # the programme's day, not UTC's
        sess = db.session()
        audit.record(sess, "test.clock", "test", 1, after={"x": 1})
        sess.commit()
        entry = sess.query(AuditEntry).filter_by(action="test.clock").one()
        assert entry.at == FIXED
    app.extensions["certexam.engine"].dispose()


def test_results_and_bonus_count_the_same_holidays(tmp_path: Path) -> None:
    # Dragon Boat Festival 2026 on Friday 19 June: one setting shifts both deadlines by one day.
    plain = make_app(tmp_path / "a")
    holiday = make_app(tmp_path / "b", HOLIDAYS=["2026-06-19"])
    released = Sitting(results_released_at=datetime(2026, 6, 15, 2, 0, tzinfo=UTC))  # Monday 15 June
    ends = {}
    for name, app in (("plain", plain), ("holiday", holiday)):
        with app.app_context():
            ends[name] = (results_recheck.last_day_to_ask(released),
                          bonus_notice.notice_span(date(2026, 6, 15))[1])
        app.extensions["certexam.engine"].dispose()
    assert ends["plain"] == (date(2026, 6, 29), date(2026, 6, 19))
    assert ends["holiday"] == (date(2026, 6, 30), date(2026, 6, 22))


def test_earlier_per_feature_holiday_settings_are_still_read(tmp_path: Path) -> None:
    app = make_app(tmp_path, BONUS_HOLIDAYS="2026-10-01, 2026-10-02", RESULTS_HOLIDAYS=["2026-10-05"],
                   EXTRA_WORKDAYS=["2026-10-10"])
    with app.app_context():
        cal = clock.calendar()
        assert cal.holidays == {date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 5)}
        assert cal.extra_workdays == {date(2026, 10, 10)}
        assert clock.working_day_after(date(2026, 9, 30), 1) == date(2026, 10, 6)
    app.extensions["certexam.engine"].dispose()


def test_a_clock_in_another_zone_is_read_as_utc_and_keeps_the_audit_chain(tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    local = FIXED.astimezone(ZoneInfo("Asia/Shanghai"))  # the same instant, written as 01:30+08:00
    app = make_app(tmp_path, CLOCK=lambda: local)
    with app.app_context():
        assert clock.now() == FIXED and clock.now().utcoffset() == FIXED.utcoffset()
        sess = db.session()
        for n in range(3):
            audit.record(sess, "test.clock", "test", n, after={"n": n})
        sess.commit()
        checked, problems = audit.verify(sess)
        assert (checked, problems) == (3, [])
    app.extensions["certexam.engine"].dispose()
