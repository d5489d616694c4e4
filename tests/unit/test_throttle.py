"""The sign-in delay rule (domain/throttle.py): a growing wait, capped, never a lockout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from certexam.domain.throttle import ACCOUNT, FORGET_AFTER, PAIR, SOURCE, Failures, Rule, seconds_to_wait

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("rule,failures,wait", [
    (PAIR, 0, 0), (PAIR, 5, 0), (PAIR, 6, 1), (PAIR, 7, 2), (PAIR, 10, 16), (PAIR, 15, 512), (PAIR, 16, 900),
    (PAIR, 10_000, 900), (ACCOUNT, 20, 0), (ACCOUNT, 21, 1), (ACCOUNT, 26, 32), (ACCOUNT, 27, 60),
    (ACCOUNT, 10**9, 60), (SOURCE, 100, 0), (SOURCE, 101, 1), (SOURCE, 200, 30),
])
def test_the_wait_doubles_and_is_capped(rule: Rule, failures: int, wait: int) -> None:
    assert rule.wait_after(failures) == wait


def test_a_stranger_can_make_the_owner_wait_a_minute_at_most() -> None:
    """The owner's own pair key is clean; the account key, which strangers share, is capped at 60 s."""
    worst = Failures(10**6, NOW)
    assert seconds_to_wait(NOW, [(PAIR, None), (ACCOUNT, worst), (SOURCE, None)]) == 60
    assert seconds_to_wait(NOW + timedelta(seconds=60), [(PAIR, None), (ACCOUNT, worst), (SOURCE, None)]) == 0


def test_the_longest_wait_of_the_keys_counts_and_old_failures_are_forgotten() -> None:
    keys = [(PAIR, Failures(8, NOW)), (ACCOUNT, Failures(22, NOW)), (SOURCE, None)]
    assert seconds_to_wait(NOW, keys) == 4  # pair: 8 failures -> 4 s; account: 22 -> 2 s
    assert seconds_to_wait(NOW + timedelta(seconds=3), keys) == 1
    assert seconds_to_wait(NOW, [(PAIR, Failures(10**6, NOW - FORGET_AFTER))]) == 0


def test_a_partial_second_rounds_up() -> None:
    assert seconds_to_wait(NOW + timedelta(milliseconds=100), [(PAIR, Failures(6, NOW))]) == 1
