"""Fraud findings (rules s.3, item 34): recovery with statutory interest, a three-year bar, a public list.

"弄虚作假，骗取奖励、补贴……的，……定期公示，追回已支付的奖励、补贴……及其法定利息，
……三年内取消申请……资格".  A finding:

* bars the person from applying for FRAUD_BAR_YEARS from the day of the
  finding (the eligibility rules read the bar from these cases);
* a paid bonus is marked for recovery of the amount plus simple interest at
  the rate in force (a setting, fixed on the case when it is recorded),
  from the day after payment to the day of repayment (domain.interest);
* an approved but unpaid bonus is cancelled and its budget released;
  applications in progress are cancelled;
* the case is listed publicly with the name masked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from certexam import db
from certexam.domain.bonus_facts import FRAUD_BAR_YEARS
from certexam.domain.bonus_periods import ONE_DAY, years_later
from certexam.domain.interest import statutory_interest_fen
from certexam.domain.masking import mask_name
from certexam.errors import Conflict, NotFound, UserError
from certexam.models import BonusApplication, FraudCase, Grant, Role, User
from certexam.models.bonus import ApplicationStatus, GrantStatus, PayoutStatus
from certexam.services.bonus import budget as bonus_budget
from certexam.services.bonus.applications import WITHDRAWABLE, move_to, require_admin
from certexam.services.bonus.settings import interest_rate_bp, rate_schedule
from certexam.services.platform import audit, clock


def _holder(user_id: int) -> User:
    user = db.session().get(User, user_id)
    if user is None or user.role != Role.CANDIDATE:
        raise NotFound(_("This holder does not exist."))
    return user


@db.use_case
def record_finding(admin: User, user_id: int, finding: str, found_on: date,
                   application_id: int | None = None, now: datetime | None = None) -> FraudCase:
    """Record a finding against a holder, with every consequence, in one transaction."""
    require_admin(admin, Role.BONUS_APPROVER)
    sess = db.session()
    at = clock.now(now)
    holder = _holder(user_id)
    if not finding.strip():
        raise UserError(_("Describe the finding."), "finding")
    if found_on > clock.today(at):
        raise UserError(_("The day of the finding cannot be in the future."), "found_on")
    grant = sess.scalar(select(Grant).where(Grant.user_id == holder.id).with_for_update())
    principal, paid_on = 0, None
    if grant is not None:
        payout = grant.payout
        if payout is not None and payout.status == PayoutStatus.SENT:
            raise Conflict(_("The bonus is in payment batch %(n)d, not yet marked paid. Mark the batch paid "
                             "first, then record the finding.", n=payout.batch_id))
        if payout is not None and payout.status == PayoutStatus.PAID:  # a line's own day (issue 23)
            principal, paid_on = payout.amount_fen, payout.settled_on or payout.batch.paid_on
            grant.status = GrantStatus.RECOVERY
        else:
            application = grant.application
            bonus_budget.release(sess, grant, at)
            move_to(application, ApplicationStatus.CANCELLED, admin, at, reason="fraud")
    for app in sess.scalars(select(BonusApplication).where(BonusApplication.user_id == holder.id,
                                                            BonusApplication.status.in_(WITHDRAWABLE))):
        move_to(app, ApplicationStatus.CANCELLED, admin, at, reason="fraud")
    case = FraudCase(user_id=holder.id, application_id=application_id, finding=finding.strip(), found_on=found_on,
                     barred_until=years_later(found_on, FRAUD_BAR_YEARS) - ONE_DAY, principal_fen=principal,
                     paid_on=paid_on, interest_rate_bp=interest_rate_bp(), created_by_id=admin.id, created_at=at)
    sess.add(case)
    sess.flush()
    audit.record(sess, "bonus.fraud.record", "bonus_fraud_case", case.id, actor_id=admin.id,
                 after={"user_id": holder.id, "found_on": found_on.isoformat(),
                        "barred_until": case.barred_until.isoformat(), "principal_fen": principal,
                        "interest_rate_bp": case.interest_rate_bp})
    return case


def interest_on(case: FraudCase, on: date) -> int:
    """Statutory interest owed if repaid on `on` (0 when nothing was paid)."""
    if case.principal_fen == 0 or case.paid_on is None:
        return 0
    return statutory_interest_fen(case.principal_fen, case.paid_on, max(on, case.paid_on),
                                  rate_schedule(case.interest_rate_bp))


@db.use_case
def record_recovery(admin: User, case_id: int, recovered_on: date, now: datetime | None = None) -> FraudCase:
    """Record that the amount and its interest were repaid on `recovered_on`."""
    require_admin(admin, Role.PAYMENT_OFFICER)
    sess = db.session()
    at = clock.now(now)
    case = sess.scalar(select(FraudCase).where(FraudCase.id == case_id).with_for_update())
    if case is None:
        raise NotFound(_("This case does not exist."))
    if case.principal_fen == 0 or case.paid_on is None:
        raise Conflict(_("Nothing was paid in this case, so nothing is recovered."))
    if case.recovered_on is not None:
        raise Conflict(_("The recovery is already recorded."))
    if recovered_on < case.paid_on or recovered_on > clock.today(at):
        raise UserError(_("The day of repayment must be between the payment and today."), "recovered_on")
    case.recovered_on = recovered_on
    case.interest_fen = interest_on(case, recovered_on)
    audit.record(sess, "bonus.fraud.recovered", "bonus_fraud_case", case.id, actor_id=admin.id,
                 after={"recovered_on": recovered_on.isoformat(), "principal_fen": case.principal_fen,
                        "interest_fen": case.interest_fen})
    return case


def cases() -> list[FraudCase]:
    return list(db.session().scalars(select(FraudCase).order_by(FraudCase.found_on.desc(), FraudCase.id.desc())))


@dataclass(frozen=True)
class PublicCase:
    masked_name: str
    found_on: date
    barred_until: date
    principal_fen: int
    recovered: bool


def public_cases() -> list[PublicCase]:
    """The public list: masked name, dates and amount; never the finding's text or an ID number."""
    return [PublicCase(mask_name(c.holder.name_zh or c.holder.name_en), c.found_on, c.barred_until,
                       c.principal_fen, c.recovered_on is not None) for c in cases()]
