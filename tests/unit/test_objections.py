"""domain/objections.py: who may object to a bonus on public notice, and when (issue 23)."""

from __future__ import annotations

from datetime import date

import pytest

from certexam.domain.objections import Refusal, may_rule, objection_refusal

STARTS, ENDS = date(2026, 11, 23), date(2026, 11, 27)  # a notice of five working days, Monday to Friday
HOLDER, OBJECTOR = 1, 2


def refusal(on: date, *, in_notice: bool = True, objector: int = OBJECTOR, open_by_objector: int = 0,
            starts: date | None = STARTS, ends: date | None = ENDS) -> Refusal | None:
    return objection_refusal(on=on, in_notice=in_notice, starts_on=starts, ends_on=ends, objector_id=objector,
                             holder_id=HOLDER, open_by_objector=open_by_objector)


@pytest.mark.parametrize("on,expected", [
    (date(2026, 11, 22), Refusal.NOT_YET),  # the day before the first
    (STARTS, None),  # the first day counts
    (ENDS, None),  # and the last, inclusive
    (date(2026, 11, 28), Refusal.ENDED),  # the day after: refused, even before the close step has run
])
def test_objections_are_taken_on_every_day_of_the_notice_and_no_other(on: date, expected: Refusal | None) -> None:
    assert refusal(on) == expected


def test_an_application_that_left_the_notice_takes_none() -> None:
    assert refusal(date(2026, 11, 25), in_notice=False) == Refusal.NOT_ON_NOTICE  # withdrawn or rejected
    assert refusal(date(2026, 11, 25), in_notice=False, starts=None, ends=None) == Refusal.NOT_ON_NOTICE
    assert refusal(date(2026, 12, 2), in_notice=False) == Refusal.ENDED  # approved after its notice: "ended"


def test_not_ones_own_and_one_open_objection_per_person() -> None:
    assert refusal(STARTS, objector=HOLDER) == Refusal.OWN_APPLICATION
    assert refusal(STARTS, open_by_objector=1) == Refusal.ALREADY_OPEN
    assert refusal(ENDS, open_by_objector=0) is None  # a decided objection does not stop another


def test_a_reviewer_does_not_rule_on_their_own_objection() -> None:
    assert may_rule(objector_id=5, reviewer_id=5) is False
    assert may_rule(objector_id=5, reviewer_id=6) is True
    assert may_rule(objector_id=None, reviewer_id=6) is True  # recorded by staff from a letter
