"""domain/duties.py: who may take a four-eyes step (issue 19.6)."""

from __future__ import annotations

from certexam.domain.duties import DutyProblem, batch_step, import_reviewer, second_officer


def test_a_second_officer_is_someone_else_and_someone_asked() -> None:
    assert second_officer(None, 7) == DutyProblem.NOT_ASKED
    assert second_officer(7, 7) == DutyProblem.SAME_PERSON
    assert second_officer(7, 8) is None


def test_the_approver_of_a_bonus_neither_makes_nor_pays_its_batch() -> None:
    approvers = {3, None, 4}
    assert batch_step(3, approvers, maker=None, confirming=False) == DutyProblem.APPROVED_ITS_BONUS
    assert batch_step(4, approvers, maker=9, confirming=True) == DutyProblem.APPROVED_ITS_BONUS
    assert batch_step(9, approvers, maker=None, confirming=False) is None


def test_the_maker_of_a_batch_does_not_confirm_its_payment() -> None:
    assert batch_step(9, set(), maker=9, confirming=True) == DutyProblem.MADE_THE_BATCH
    assert batch_step(9, set(), maker=9, confirming=False) is None  # making it is the maker's own step
    assert batch_step(10, set(), maker=9, confirming=True) is None
    assert batch_step(10, set(), maker=None, confirming=True) is None  # made by the CLI: no maker to differ from


def test_a_bulk_import_is_reviewed_by_someone_other_than_its_importer() -> None:
    assert import_reviewer(5, 5) == DutyProblem.REVIEWER_IS_IMPORTER
    assert import_reviewer(5, 6) is None
    assert import_reviewer(None, 6) is None
