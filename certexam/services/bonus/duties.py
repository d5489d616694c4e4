"""Separation of duties on payout batches (issue 19.6; the rules: domain/duties.py).

Called by every step that makes or pays a batch (services/bonus/payouts.py's `four_eyes_check`, and
the payment files' steps), after the batch's lines exist, inside the step's transaction:

* only a payment officer makes or pays a batch;
* whoever approved an application in the batch onto the public notice neither makes, confirms nor
  marks paid that batch (rules s.3: the review and the payment are different people's work);
* maker/checker: the officer who made the batch is not the one who confirms its payment.

A step taken by no person (actor None: the CLI's or the worker's bookkeeping) is not checked here.
"""

from __future__ import annotations

from typing import Final

from flask_babel import gettext as _
from sqlalchemy import select

from certexam import db
from certexam.domain.duties import DutyProblem, batch_step
from certexam.errors import Forbidden
from certexam.models import (
    BonusApplication,
    Grant,
    Payout,
    PayoutBatch,
    Role,
    SubsidyApplication,
    SubsidyGrant,
    User,
)

MAKE: Final = "bonus.batch.create"  # making the batch (and its bank file) is the maker's step
# Every other step on a batch (marking it paid, a line's payment or return) is a checker's step.


def approvers(batch: PayoutBatch) -> set[int | None]:
    """Who approved each application of the batch onto the public notice (bonus and training subsidy)."""
    stmt = (select(BonusApplication.reviewed_by_id).join(Grant, Grant.application_id == BonusApplication.id)
            .join(Payout, Payout.grant_id == Grant.id).where(Payout.batch_id == batch.id))
    subsidies = (select(SubsidyApplication.reviewed_by_id)
                 .join(SubsidyGrant, SubsidyGrant.application_id == SubsidyApplication.id)
                 .join(Payout, Payout.subsidy_grant_id == SubsidyGrant.id).where(Payout.batch_id == batch.id))
    return set(db.session().scalars(stmt)) | set(db.session().scalars(subsidies))


def check(step: str, actor: User | None, batch: PayoutBatch) -> None:
    """Refuse `step` on `batch` by `actor` when the duties say someone else must take it."""
    if actor is None:
        return
    if not actor.has_role(Role.PAYMENT_OFFICER):
        raise Forbidden(_("Only payment officers make or pay payout batches."))
    db.session().flush()  # the batch's lines, if the caller has just added them
    problem = batch_step(actor.id, approvers(batch), batch.created_by_id, confirming=step != MAKE)
    if problem == DutyProblem.APPROVED_ITS_BONUS:
        raise Forbidden(_("You approved an application in this batch onto the public notice: a different "
                          "payment officer must make and pay it."))
    if problem == DutyProblem.MADE_THE_BATCH:
        raise Forbidden(_("You made this batch: a second payment officer confirms its payment."))
