"""Separation of duties (issue 19.6): which step needs which person. Pure rules, no database.

Four eyes: a step that moves money or makes results public is done by two different people, and
whoever decided that a bonus may be paid does not also pay it. The services pass the ids of the
people involved and raise the problem these functions name.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class DutyProblem(StrEnum):
    SAME_PERSON = "same_person"  # the one who asked cannot confirm
    NOT_ASKED = "not_asked"  # nothing is waiting for a second officer
    APPROVED_ITS_BONUS = "approved_its_bonus"  # approved an application onto notice that is in the batch
    MADE_THE_BATCH = "made_the_batch"  # the maker of a payment batch cannot confirm its payment
    REVIEWER_IS_IMPORTER = "reviewer_is_importer"  # a bulk import's reviewer is not its importer


def second_officer(requested_by: int | None, confirmer: int) -> DutyProblem | None:
    """A confirmation by `confirmer` of what `requested_by` asked for (None: nobody asked yet)."""
    if requested_by is None:
        return DutyProblem.NOT_ASKED
    if requested_by == confirmer:
        return DutyProblem.SAME_PERSON
    return None


def batch_step(actor: int, approvers: Iterable[int | None], maker: int | None, confirming: bool) -> DutyProblem | None:
    """A payment officer's step on a payout batch: making it (`confirming` False) or confirming its
    payment (True). `approvers`: who approved each application in the batch onto the public notice."""
    if actor in set(approvers):
        return DutyProblem.APPROVED_ITS_BONUS
    if confirming and maker is not None and maker == actor:
        return DutyProblem.MADE_THE_BATCH
    return None


def import_reviewer(importer: int | None, reviewer: int) -> DutyProblem | None:
    """`bank import --approve`: the named reviewer approves what the named importer brings in."""
    if importer is not None and importer == reviewer:
        return DutyProblem.REVIEWER_IS_IMPORTER
    return None
