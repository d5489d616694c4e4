"""One payment line at a time (issue 23): paid, returned with the bank's reason, corrected for re-sending."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from certexam import db
from certexam.errors import Conflict, Forbidden, NotFound, UserError
from certexam.models import Payout, Role, User
from certexam.models.bonus import GrantStatus, PayoutStatus
from certexam.services.bonus import payouts
from certexam.services.bonus.payfiles import accounts as bank_details
from certexam.services.platform import audit, clock


def get_line(payout_id: int, *, lock: bool = False) -> Payout:
    stmt = select(Payout).where(Payout.id == payout_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    line = db.session().scalar(stmt)
    if line is None:
        raise NotFound(_("This payment line does not exist."))
    return line


def returned_lines() -> list[Payout]:
    """Returned lines whose details are not corrected yet: the grant waits for them."""
    return list(db.session().scalars(select(Payout).where(Payout.status == PayoutStatus.RETURNED,
                                                          Payout.cleared_at.is_(None)).order_by(Payout.id)))


def check_day(on: date, line: Payout, at: datetime) -> None:
    if on > clock.today(at):
        raise UserError(_("The payment day cannot be in the future."), "settled_on")
    if on < clock.local_date(line.batch.created_at):
        raise UserError(_("The payment day is before the batch was made."), "settled_on")


def apply_outcome(line: Payout, outcome: PayoutStatus, on: date, reason: str, at: datetime) -> None:
    """Paid or returned, for a line that can take it; Conflict otherwise (shared with the statement import)."""
    if outcome == PayoutStatus.PAID:
        if line.status != PayoutStatus.SENT:
            raise Conflict(_("Line %(ref)s is %(status)s, not waiting for the bank.", ref=line.end_to_end_id,
                             status=line.status.value))
        payouts.settle_paid(line, on, at)
    elif outcome == PayoutStatus.RETURNED:
        if line.status == PayoutStatus.RETURNED:
            raise Conflict(_("Line %(ref)s is already returned.", ref=line.end_to_end_id))
        if line.funding.status == GrantStatus.RECOVERY:
            raise Conflict(_("Line %(ref)s belongs to a bonus under recovery.", ref=line.end_to_end_id))
        if not reason.strip():
            raise UserError(_("Give the bank's reason for the return."), "reason")
        payouts.settle_returned(line, on, reason.strip(), at)
    else:
        raise UserError(_("Choose paid or returned."), "outcome")


@db.use_case
def record_outcome(actor: User | None, payout_id: int, outcome: str, on: date, reason: str = "",
                   now: datetime | None = None) -> Payout:
    """Record what the bank did with one line."""
    at = clock.now(now)
    line = get_line(payout_id, lock=True)
    try:
        status = PayoutStatus(outcome)
    except ValueError:
        raise UserError(_("Choose paid or returned."), "outcome") from None
    check_day(on, line, at)
    payouts.four_eyes_check(f"bonus.payout.{status.value}", actor, line.batch)  # a checker's step
    apply_outcome(line, status, on, reason, at)
    audit.record(db.session(), f"bonus.payout.{status.value}", "bonus_payout", line.id,
                 actor_id=actor.id if actor else None,
                 after={"settled_on": on.isoformat(), "reason": line.return_reason})
    return line


@db.use_case
def correct_returned(actor: User | None, payout_id: int, bank_name: str, account: str, kind: str,
                     cnaps: str | None, now: datetime | None = None) -> Payout:
    """New bank details for a returned line: stored on the application, and the grant is ready for a new batch.

    The same details may be confirmed again (the bank's fault, not the payee's).
    """
    at = clock.now(now)
    if actor is not None and not actor.has_role(Role.PAYMENT_OFFICER):
        raise Forbidden(_("Only payment officers correct payment lines."))
    line = get_line(payout_id, lock=True)
    if line.status != PayoutStatus.RETURNED or line.cleared_at is not None:
        raise Conflict(_("Only a returned line waiting for correction can be corrected."))
    details = bank_details.check(bank_name, account, kind, cnaps)
    app = line.funding.application
    before = {"bank_name": app.bank_name, "account_last4": app.bank_account[-4:], "kind": app.bank_account_kind,
              "cnaps": app.bank_cnaps}
    app.bank_name, app.bank_account = details.bank_name, details.account
    app.bank_account_kind, app.bank_cnaps, app.updated_at = details.kind.value, details.cnaps, at
    line.cleared_at, line.updated_at = at, at
    audit.record(db.session(), "bonus.payout.corrected", "bonus_payout", line.id,
                 actor_id=actor.id if actor else None, before=before,
                 after={"bank_name": app.bank_name, "account_last4": app.bank_account[-4:],
                        "kind": app.bank_account_kind, "cnaps": app.bank_cnaps})
    return line
