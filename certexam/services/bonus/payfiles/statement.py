"""Reconcile payment lines with the bank's statement (issue 23).

The statement is a CSV file, UTF-8 (a BOM is fine) or GBK, one line per payment
with a header row.  Columns, in any order, English or Chinese header:

    reference (备注, 交易参考号)  the line's reference as sent: the EndToEndId, e.g. CXBP0000000012
    amount    (金额)             yuan with at most 2 decimals: 10000.00
    status    (状态)             paid / returned, or 成功 / 退回 (退票, 失败)
    date      (日期)             2026-12-07 or 20261207
    reason    (原因, 退回原因)    why the bank returned it (needed for a return)

A file that cannot be read is refused whole (nothing recorded).  A readable file
records every line that matches a line sent (same reference and same amount)
and lists the rest as mismatches, which record nothing.  Importing the same
statement again changes nothing: lines already in that state are "already".
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from certexam import db
from certexam.errors import UserError
from certexam.models import Payout, User
from certexam.models.bonus import PayoutStatus
from certexam.services.bonus import payouts
from certexam.services.bonus.payfiles import lines
from certexam.services.platform import audit, clock

MAX_LINES = 50_000
_HEADERS = {
    "reference": "reference", "备注": "reference", "交易参考号": "reference", "参考号": "reference",
    "amount": "amount", "金额": "amount", "金额(元)": "amount",
    "status": "status", "状态": "status", "交易状态": "status",
    "date": "date", "日期": "date", "交易日期": "date",
    "reason": "reason", "原因": "reason", "退回原因": "reason", "失败原因": "reason",
}
_STATUSES = {"paid": PayoutStatus.PAID, "成功": PayoutStatus.PAID, "已支付": PayoutStatus.PAID,
             "returned": PayoutStatus.RETURNED, "退回": PayoutStatus.RETURNED, "退票": PayoutStatus.RETURNED,
             "失败": PayoutStatus.RETURNED}
_AMOUNT = re.compile(r"^(\d{1,13})(?:\.(\d{1,2}))?$")
_REFERENCE = re.compile(r"^CXBP(\d{10})$")


@dataclass(frozen=True)
class StatementLine:
    line_no: int
    reference: str
    amount_fen: int
    status: PayoutStatus
    on: date
    reason: str


@dataclass
class Reconciliation:
    paid: list[str] = field(default_factory=list)  # references recorded paid
    returned: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    mismatches: list[tuple[int, str, str]] = field(default_factory=list)  # line, reference, why


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gbk")
        except UnicodeDecodeError:
            raise UserError(_("The statement is neither UTF-8 nor GBK text."), "file") from None


def amount_fen(text: str) -> int | None:
    """'10,000.5' -> 1000050 fen, by integer arithmetic; None when it is not an amount."""
    m = _AMOUNT.match(text.replace(",", "").strip())
    if m is None:
        return None
    return int(m.group(1)) * 100 + int((m.group(2) or "0").ljust(2, "0"))


def _day(text: str) -> date | None:
    digits = text.strip().replace("-", "").replace("/", "")
    if len(digits) != 8 or not digits.isdigit():
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def parse(data: bytes) -> list[StatementLine]:
    """The statement's lines, or UserError listing every unreadable line (all or nothing)."""
    rows = list(csv.reader(io.StringIO(_decode(data))))
    if not rows:
        raise UserError(_("The statement is empty."), "file")
    columns = {_HEADERS.get(h.strip().lower(), ""): i for i, h in enumerate(rows[0])}
    missing = [c for c in ("reference", "amount", "status", "date") if c not in columns]
    if missing:
        raise UserError(_("The statement lacks the column(s): %(list)s.", list=", ".join(missing)), "file")
    if len(rows) - 1 > MAX_LINES:
        raise UserError(_("The statement has more than %(n)d lines.", n=MAX_LINES), "file")
    out, errors = [], []
    for n, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue

        def cell(name: str, row: list[str] = row) -> str:
            i = columns.get(name)
            return row[i].strip() if i is not None and i < len(row) else ""

        fen, status, on = amount_fen(cell("amount")), _STATUSES.get(cell("status").lower()), _day(cell("date"))
        if not cell("reference") or fen is None or status is None or on is None:
            errors.append(_("line %(n)d", n=n))
            continue
        out.append(StatementLine(n, cell("reference"), fen, status, on, cell("reason")))
    if errors:
        raise UserError(_("Nothing was recorded: these lines have no reference, or an amount, status or date "
                          "that cannot be read: %(list)s.", list=", ".join(errors)), "file")
    return out


def _line_by_reference(reference: str) -> Payout | None:
    m = _REFERENCE.match(reference.upper())
    if m is None:
        return None
    return db.session().scalar(select(Payout).where(Payout.id == int(m.group(1))).with_for_update()
                               .execution_options(populate_existing=True))


@db.use_case
def reconcile(actor: User | None, statement: list[StatementLine], source: str,
              now: datetime | None = None) -> Reconciliation:
    """Record the lines the statement settles; list the ones that do not match."""
    at = clock.now(now)
    result = Reconciliation()
    seen: set[str] = set()
    for s in statement:
        ref = s.reference.upper()
        line = _line_by_reference(ref)
        if ref in seen:
            result.mismatches.append((s.line_no, s.reference, _("The reference appears twice in the statement.")))
            continue
        seen.add(ref)
        if line is None:
            result.mismatches.append((s.line_no, s.reference, _("No payment line has this reference.")))
            continue
        if s.amount_fen != line.amount_fen:
            result.mismatches.append((s.line_no, s.reference, _("The amount differs from the line sent.")))
            continue
        if line.status == s.status and line.settled_on == s.on:
            result.already.append(ref)
            continue
        try:
            lines.check_day(s.on, line, at)
            # A checker's step on the line's batch: its maker may not record its payment (Forbidden, listed).
            payouts.four_eyes_check("bonus.statement.import", actor, line.batch)
            lines.apply_outcome(line, s.status, s.on, s.reason, at)
        except UserError as exc:
            result.mismatches.append((s.line_no, s.reference, exc.message))
            continue
        (result.paid if s.status == PayoutStatus.PAID else result.returned).append(ref)
    db.session().flush()
    audit.record(db.session(), "bonus.statement.import", "bonus_payout_batch", None,
                 actor_id=actor.id if actor else None,
                 after={"source": source[:200], "paid": result.paid, "returned": result.returned,
                        "already": len(result.already), "mismatches": len(result.mismatches)})
    return result
