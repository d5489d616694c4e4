"""The one expiry rule of signed-in sessions (certexam.sessions.verdict), shared by Flask's hook and the
push server (issue 18): its boundaries."""

from __future__ import annotations

from certexam.sessions import SEEN_EVERY, verdict

NOW = 1_800_000_000
IDLE, ABSOLUTE = 120, 12  # minutes, hours: the defaults of certexam/config.py


def test_a_fresh_session_is_ok_and_its_stamp_is_rewritten_once_a_minute() -> None:
    assert verdict(NOW - 600, NOW, NOW, IDLE, ABSOLUTE) == "ok"
    assert verdict(NOW - 600, NOW - SEEN_EVERY + 1, NOW, IDLE, ABSOLUTE) == "ok"
    assert verdict(NOW - 600, NOW - SEEN_EVERY, NOW, IDLE, ABSOLUTE) == "stamp"


def test_idle_too_long_or_too_old_or_without_stamps_is_expired() -> None:
    assert verdict(NOW - 600, NOW - IDLE * 60, NOW, IDLE, ABSOLUTE) == "stamp"  # at the limit: still in
    assert verdict(NOW - 600, NOW - IDLE * 60 - 1, NOW, IDLE, ABSOLUTE) == "expired"
    assert verdict(NOW - ABSOLUTE * 3600 - 1, NOW, NOW, IDLE, ABSOLUTE) == "expired"
    assert verdict(None, NOW, NOW, IDLE, ABSOLUTE) == "expired"
    assert verdict(NOW, "1800000000", NOW, IDLE, ABSOLUTE) == "expired"  # a stamp of another type
