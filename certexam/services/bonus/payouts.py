"""Payment batches: funded grants go to the bank as a file, then their lines are paid or returned.

One bonus per person (rules s.3, item 26: "一次性奖励"): a grant and a person
have at most one line that is not returned, enforced by partial unique indexes;
the code below also checks before it writes.  A returned line (issue 23) is
kept as the record; once its details are corrected (payfiles.lines) the grant
is ready for a later batch.  The grant stays committed against its budget year
throughout, so the yearly cap counts it once whatever the bank did.

The bank files: the plain CSV below, ISO 20022 pain.001 (payfiles.pain001) and
a Chinese bank's bulk template (payfiles.cn_template).

Training subsidies (issue 23, rules s.4) are paid by the same batches: a line
pays a bonus grant or a subsidy grant (Payout.funding), whose statuses are the
same; services.subsidies.payments says which subsidy grants are ready.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import Exists, exists, select

from certexam import db
from certexam.errors import Conflict, NotFound, UserError
from certexam.models import BonusApplication, Grant, Payout, PayoutBatch, SubsidyGrant, User
from certexam.models.bonus import ApplicationStatus, GrantStatus, PayoutStatus
from certexam.services.bonus import duties
from certexam.services.bonus.payfiles import accounts as bank_details
from certexam.services.bonus.settings import plain_fen
from certexam.services.platform import audit, clock
from certexam.services.subsidies import payments as subsidy_payments

CSV_HEADER = ["reference", "holder_name_zh", "holder_name_en", "id_type", "id_number", "bank_name",
              "bank_account", "amount_rmb"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these as formulas


def _waiting_for_correction() -> Exists:
    """A returned line of the grant whose details nobody has corrected yet."""
    return exists().where(Payout.grant_id == Grant.id, Payout.status == PayoutStatus.RETURNED,
                          Payout.cleared_at.is_(None))


def _has_live_line() -> Exists:
    return exists().where(Payout.grant_id == Grant.id, Payout.status != PayoutStatus.RETURNED)


def ready_grants() -> list[Grant]:
    """Funded grants with no line sent or paid (never sent, or returned and corrected), oldest first."""
    stmt = (select(Grant)
            .where(Grant.status == GrantStatus.FUNDED, ~_has_live_line(), ~_waiting_for_correction())
            .order_by(Grant.approved_at, Grant.id))
    return list(db.session().scalars(stmt))


def batches() -> list[PayoutBatch]:
    return list(db.session().scalars(select(PayoutBatch).order_by(PayoutBatch.id.desc())))


def get_batch(batch_id: int) -> PayoutBatch:
    batch = db.session().get(PayoutBatch, batch_id)
    if batch is None:
        raise NotFound(_("This payment batch does not exist."))
    return batch


def four_eyes_check(step: str, actor: User | None, batch: PayoutBatch) -> None:
    """Separation of duties on batches (issue 23: "a maker and a different checker"; issue 19.6).

    The one call site of the rule (services/bonus/duties.py): making a batch, marking it paid,
    a line's payment or return and a statement's lines all pass here, after the batch's lines exist.
    """
    duties.check(step, actor, batch)


def unsendable(grants: list[Grant] | list[SubsidyGrant]) -> list[str]:
    """One line per grant whose bank details cannot be sent, naming its application."""
    problems = []
    for grant in grants:
        app = grant.application
        problem = bank_details.stored_problem(app.bank_account, app.bank_account_kind, app.bank_cnaps)
        if problem is not None:
            who = app.holder.name_zh if isinstance(app, BonusApplication) else app.payee_name
            problems.append(f"{app.reference} ({who}): {problem}")
    return problems


@db.use_case
def create_batch(actor: User | None, now: datetime | None = None) -> PayoutBatch:
    """Put every ready grant into a new batch; refused if any line's card or account number is wrong."""
    sess = db.session()
    at = clock.now(now)
    # Lock the candidates, then look again: a batch made meanwhile has taken some of them.
    grants = list(sess.scalars(select(Grant).where(Grant.status == GrantStatus.FUNDED)
                               .order_by(Grant.approved_at, Grant.id).with_for_update()
                               .execution_options(populate_existing=True)))
    ready = {g.id for g in ready_grants()}
    grants = [g for g in grants if g.id in ready]
    subsidies = subsidy_payments.ready_grants(lock=True)
    if not grants and not subsidies:
        raise UserError(_("No funded bonus is waiting for payment."))
    problems = unsendable(grants) + unsendable(subsidies)
    if problems:
        raise UserError(_("No batch was made: correct the bank details of %(n)d application(s) first. %(list)s",
                          n=len(problems), list="; ".join(problems)))
    total = sum(g.amount_fen for g in grants) + sum(s.amount_fen for s in subsidies)
    batch = PayoutBatch(created_at=at, created_by_id=actor.id if actor else None,
                        total_fen=total, count=len(grants) + len(subsidies))
    sess.add(batch)
    sess.flush()
    for grant in grants:
        app = grant.application
        sess.add(Payout(batch_id=batch.id, grant_id=grant.id, user_id=grant.user_id, amount_fen=grant.amount_fen,
                        bank_name=app.bank_name, bank_account=app.bank_account,
                        bank_account_kind=app.bank_account_kind, bank_cnaps=app.bank_cnaps,
                        status=PayoutStatus.SENT, updated_at=at))
    for sub in subsidies:  # a training subsidy (rules s.4): paid to the institution, no person's line
        sapp = sub.application
        sess.add(Payout(batch_id=batch.id, subsidy_grant_id=sub.id, amount_fen=sub.amount_fen,
                        bank_name=sapp.bank_name, bank_account=sapp.bank_account,
                        bank_account_kind=sapp.bank_account_kind, bank_cnaps=sapp.bank_cnaps,
                        status=PayoutStatus.SENT, updated_at=at))
    sess.flush()
    four_eyes_check("bonus.batch.create", actor, batch)  # after the lines: who approved them counts
    audit.record(sess, "bonus.batch.create", "bonus_payout_batch", batch.id, actor_id=actor.id if actor else None,
                 after={"grants": [g.id for g in grants], "subsidy_grants": [s.id for s in subsidies],
                        "total_fen": batch.total_fen})
    return batch


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def export_csv(batch: PayoutBatch) -> bytes:
    """The bank file: one line per payout, amounts in yuan with two decimals (from fen, no floats)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for p in batch.payouts:
        holder = p.holder
        if holder is None:  # a training subsidy: the institution, identified by its credit code
            org = p.funding.application.organisation
            who = [_cell(org.name), "", "uscc", _cell(org.credit_code)]
        else:
            who = [_cell(holder.name_zh), _cell(holder.name_en), holder.id_type.value if holder.id_type else "",
                   _cell(holder.id_number or "")]
        writer.writerow([p.source_reference, *who, _cell(p.bank_name), _cell(p.bank_account),
                         plain_fen(p.amount_fen)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM makes spreadsheet programs read UTF-8


@db.use_case
def mark_paid(actor: User | None, batch_id: int, bank_reference: str, paid_on: date,
              now: datetime | None = None) -> PayoutBatch:
    """Record the bank's reference: every payout of the batch is paid."""
    sess = db.session()
    at = clock.now(now)
    batch = sess.scalar(select(PayoutBatch).where(PayoutBatch.id == batch_id).with_for_update())
    if batch is None:
        raise NotFound(_("This payment batch does not exist."))
    if batch.paid_on is not None:
        raise Conflict(_("This batch is already marked paid."))
    reference = bank_reference.strip()
    if not reference:
        raise UserError(_("Enter the bank's reference."), "bank_reference")
    if paid_on > clock.today(at):
        raise UserError(_("The payment day cannot be in the future."), "paid_on")
    if paid_on < clock.local_date(batch.created_at):
        raise UserError(_("The payment day is before the batch was made."), "paid_on")
    four_eyes_check("bonus.batch.paid", actor, batch)
    batch.bank_reference, batch.paid_on = reference[:100], paid_on
    batch.marked_paid_by_id, batch.marked_paid_at = actor.id if actor else None, at
    # Only the lines still out: a line the bank returned stays returned (it is not paid twice).
    sent = [p for p in batch.payouts if p.status == PayoutStatus.SENT]
    for p in sent:
        settle_paid(p, paid_on, at)
    audit.record(sess, "bonus.batch.paid", "bonus_payout_batch", batch.id, actor_id=actor.id if actor else None,
                 after={"bank_reference": batch.bank_reference, "paid_on": paid_on.isoformat(),
                        "payouts": [p.id for p in sent]})
    return batch


def settle_paid(p: Payout, on: date, at: datetime) -> None:
    """A line the bank paid: the grant and the application are paid (the caller checks it was sent)."""
    p.status, p.settled_on, p.updated_at = PayoutStatus.PAID, on, at
    p.funding.status = GrantStatus.PAID
    app = p.funding.application
    if app.status == ApplicationStatus.APPROVED:
        app.status, app.updated_at = ApplicationStatus.PAID, at


def settle_returned(p: Payout, on: date, reason: str, at: datetime) -> None:
    """A line the bank sent back: the grant is funded again (still committed), waiting for corrected details."""
    p.status, p.settled_on, p.return_reason, p.updated_at = PayoutStatus.RETURNED, on, reason[:500], at
    if p.funding.status == GrantStatus.PAID:  # the batch was marked paid as a whole before the return came
        p.funding.status = GrantStatus.FUNDED
        app = p.funding.application
        if app.status == ApplicationStatus.PAID:
            app.status, app.updated_at = ApplicationStatus.APPROVED, at
