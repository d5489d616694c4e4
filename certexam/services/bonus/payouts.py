"""Payment batches: funded grants go to the bank as a CSV file, then are marked paid.

One bonus per person (rules s.3, item 26: "一次性奖励"): a grant can be in one
payout only and a person can have one payout only, both enforced by UNIQUE
constraints; the code below also checks before it writes.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from certexam import db
from certexam.errors import Conflict, NotFound, UserError
from certexam.models import Grant, Payout, PayoutBatch, User
from certexam.models.bonus import ApplicationStatus, GrantStatus
from certexam.services.bonus.settings import plain_fen
from certexam.services.platform import audit, clock

CSV_HEADER = ["reference", "holder_name_zh", "holder_name_en", "id_type", "id_number", "bank_name",
              "bank_account", "amount_rmb"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these as formulas


def ready_grants() -> list[Grant]:
    """Funded grants that are in no batch yet, oldest approval first."""
    stmt = (select(Grant).outerjoin(Payout, Payout.grant_id == Grant.id)
            .where(Grant.status == GrantStatus.FUNDED, Payout.id.is_(None))
            .order_by(Grant.approved_at, Grant.id))
    return list(db.session().scalars(stmt))


def batches() -> list[PayoutBatch]:
    return list(db.session().scalars(select(PayoutBatch).order_by(PayoutBatch.id.desc())))


def get_batch(batch_id: int) -> PayoutBatch:
    batch = db.session().get(PayoutBatch, batch_id)
    if batch is None:
        raise NotFound(_("This payment batch does not exist."))
    return batch


@db.use_case
def create_batch(actor: User | None, now: datetime | None = None) -> PayoutBatch:
    """Put every funded, unbatched grant into a new batch."""
    sess = db.session()
    at = clock.now(now)
    # Lock the candidates, then look again: a batch made meanwhile has taken some of them.
    locked = list(sess.scalars(select(Grant).where(Grant.status == GrantStatus.FUNDED)
                               .order_by(Grant.approved_at, Grant.id).with_for_update()))
    taken = set(sess.scalars(select(Payout.grant_id).where(Payout.grant_id.in_([g.id for g in locked]))))
    grants = [g for g in locked if g.id not in taken]
    if not grants:
        raise UserError(_("No funded bonus is waiting for payment."))
    batch = PayoutBatch(created_at=at, created_by_id=actor.id if actor else None,
                        total_fen=sum(g.amount_fen for g in grants), count=len(grants))
    sess.add(batch)
    sess.flush()
    for grant in grants:
        app = grant.application
        sess.add(Payout(batch_id=batch.id, grant_id=grant.id, user_id=grant.user_id, amount_fen=grant.amount_fen,
                        bank_name=app.bank_name, bank_account=app.bank_account))
    sess.flush()
    audit.record(sess, "bonus.batch.create", "bonus_payout_batch", batch.id, actor_id=actor.id if actor else None,
                 after={"grants": [g.id for g in grants], "total_fen": batch.total_fen})
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
        writer.writerow([
            p.grant.application.reference, _cell(holder.name_zh), _cell(holder.name_en),
            holder.id_type.value if holder.id_type else "", _cell(holder.id_number or ""), _cell(p.bank_name),
            _cell(p.bank_account), plain_fen(p.amount_fen),
        ])
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
    batch.bank_reference, batch.paid_on = reference[:100], paid_on
    batch.marked_paid_by_id, batch.marked_paid_at = actor.id if actor else None, at
    for p in batch.payouts:
        p.grant.status = GrantStatus.PAID
        app = p.grant.application
        if app.status == ApplicationStatus.APPROVED:
            app.status, app.updated_at = ApplicationStatus.PAID, at
    audit.record(sess, "bonus.batch.paid", "bonus_payout_batch", batch.id, actor_id=actor.id if actor else None,
                 after={"bank_reference": batch.bank_reference, "paid_on": paid_on.isoformat(),
                        "payouts": [p.id for p in batch.payouts]})
    return batch
