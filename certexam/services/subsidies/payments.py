"""Subsidy grants ready for the bank: the payee source the bonus's payment batches take them from.

Payment is the holder bonus's (services.bonus.payouts and payfiles/): one batch,
one bank file, maker and checker, returns, corrections and statements for both.
This module only says which subsidy grants are ready, as payouts.ready_grants
says it for the bonus: funded, with no line sent or paid, and no returned line
waiting for corrected details. A project is paid once (rules s.3, item 33): the
partial unique index uq_bonus_payout_live_subsidy allows one live line per grant.
"""

from __future__ import annotations

from sqlalchemy import exists, select

from certexam import db
from certexam.models import Payout, SubsidyGrant
from certexam.models.bonus import GrantStatus, PayoutStatus


def ready_grants(*, lock: bool = False) -> list[SubsidyGrant]:
    """Funded subsidy grants that are not with the bank, oldest approval first."""
    live = exists().where(Payout.subsidy_grant_id == SubsidyGrant.id, Payout.status != PayoutStatus.RETURNED)
    uncorrected = exists().where(Payout.subsidy_grant_id == SubsidyGrant.id, Payout.status == PayoutStatus.RETURNED,
                                 Payout.cleared_at.is_(None))
    stmt = (select(SubsidyGrant).where(SubsidyGrant.status == GrantStatus.FUNDED, ~live, ~uncorrected)
            .order_by(SubsidyGrant.approved_at, SubsidyGrant.id))
    if lock:
        stmt = stmt.with_for_update(of=SubsidyGrant).execution_options(populate_existing=True)
    return list(db.session().scalars(stmt))
