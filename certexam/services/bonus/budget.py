"""The yearly bonus budget: funding grants in first-come order, never past the cap.

Rules s.3, item 26: at most RMB 3,000,000 a year; item 36: "不超过" includes
the number, so a year may be filled exactly.  The pure allocation is
certexam.domain.budget; this module is its shell:

* every change to a year's commitments happens while holding that year's
  ``bonus_budget_year`` row (SELECT ... FOR UPDATE on PostgreSQL; on SQLite
  the use case already holds the database write lock), so concurrent
  approvals take turns and each sees what the others committed;
* the row's CHECK (committed_fen <= cap_fen) makes the database refuse an
  overrun even if this code were wrong;
* approvals that do not fit wait as WAITING grants; the queue is offered to
  the budget of the current year, oldest approval first, before any new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certexam import db
from certexam.domain.budget import Approval, allocate_year, budget_year
from certexam.models import BudgetYear, Grant
from certexam.models.bonus import GrantStatus
from certexam.services.bonus.settings import yearly_cap_fen
from certexam.services.platform import audit, clock


def _insert_year(sess: Session, year: int, now: datetime) -> None:
    """Create the year's row if it is missing, without racing another transaction doing the same."""
    values = {"year": year, "cap_fen": yearly_cap_fen(), "committed_fen": 0, "updated_at": now}
    if sess.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        sess.execute(pg_insert(BudgetYear).values(**values).on_conflict_do_nothing(index_elements=["year"]))
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        sess.execute(sqlite_insert(BudgetYear).values(**values).on_conflict_do_nothing(index_elements=["year"]))


def lock_year(sess: Session, year: int, now: datetime) -> BudgetYear:
    """The year's budget row, locked until the transaction ends."""
    _insert_year(sess, year, now)
    row = sess.scalar(select(BudgetYear).where(BudgetYear.year == year).with_for_update()
                      .execution_options(populate_existing=True))
    assert row is not None  # inserted just above
    return row


def _approval(grant: Grant) -> Approval:
    return Approval(ref=str(grant.id), amount_fen=grant.amount_fen, approved_at=grant.approved_at, sequence=grant.id)


def fund_waiting(sess: Session, now: datetime) -> list[Grant]:
    """Offer the waiting queue to this year's budget, first come first funded; return those funded."""
    year = budget_year(clock.local_date(now))
    row = lock_year(sess, year, now)
    waiting = list(sess.scalars(select(Grant).where(Grant.status == GrantStatus.WAITING)
                                .order_by(Grant.approved_at, Grant.id).with_for_update()
                                .execution_options(populate_existing=True)))
    if not waiting:
        return []
    allocation = allocate_year(year, [_approval(g) for g in waiting], row.committed_fen, row.cap_fen)
    by_ref = {str(g.id): g for g in waiting}
    funded = [by_ref[a.ref] for a in allocation.funded]
    for grant in funded:
        grant.status = GrantStatus.FUNDED
        grant.budget_year = year
        grant.funded_at = now
    if funded:
        row.committed_fen = allocation.committed_after_fen
        row.updated_at = now
        sess.flush()
        audit.record(sess, "bonus.budget.fund", "bonus_budget_year", year,
                     after={"grants": [g.id for g in funded], "committed_fen": row.committed_fen,
                            "cap_fen": row.cap_fen})
    return funded


def add_grant(sess: Session, application_id: int, user_id: int, amount_fen: int,
              now: datetime | None = None) -> Grant:
    """Queue a newly approved bonus and fund what the year allows (the caller commits).

    The approval time is read after the year's lock is taken, so the queue's
    order (approval time, then id) is the order in which approvals got the lock.
    """
    lock_year(sess, budget_year(clock.local_date(clock.now(now))), clock.now(now))
    at = clock.now(now)
    grant = Grant(application_id=application_id, user_id=user_id, amount_fen=amount_fen, approved_at=at,
                  status=GrantStatus.WAITING)
    sess.add(grant)
    sess.flush()
    fund_waiting(sess, at)
    return grant


def release(sess: Session, grant: Grant, now: datetime) -> None:
    """Take back an unpaid grant's commitment (fraud found before payment) and delete the grant."""
    if grant.status == GrantStatus.FUNDED and grant.budget_year is not None:
        row = lock_year(sess, grant.budget_year, now)
        row.committed_fen -= grant.amount_fen
        row.updated_at = now
    sess.delete(grant)
    sess.flush()
    fund_waiting(sess, now)


@db.use_case
def roll_queue(now: datetime | None = None) -> int:
    """Fund waiting grants from the current year's budget (run at the start of each year)."""
    return len(fund_waiting(db.session(), clock.now(now)))


@dataclass(frozen=True)
class YearLine:
    year: int
    cap_fen: int
    committed_fen: int
    paid_fen: int

    @property
    def remaining_fen(self) -> int:
        return self.cap_fen - self.committed_fen


@dataclass(frozen=True)
class Overview:
    years: tuple[YearLine, ...]
    queue: tuple[Grant, ...]

    @property
    def queued_fen(self) -> int:
        return sum(g.amount_fen for g in self.queue)

    @property
    def queue_length(self) -> int:
        return len(self.queue)


def overview(now: datetime | None = None) -> Overview:
    """Each year's cap, commitments and payments, and the waiting queue (read only)."""
    sess = db.session()
    current = budget_year(clock.local_date(clock.now(now)))
    rows = {r.year: r for r in sess.scalars(select(BudgetYear).order_by(BudgetYear.year))}
    paid = dict(sess.execute(select(Grant.budget_year, func.sum(Grant.amount_fen))
                             .where(Grant.status.in_((GrantStatus.PAID, GrantStatus.RECOVERY)))
                             .group_by(Grant.budget_year)).all())
    years = [YearLine(y, r.cap_fen, r.committed_fen, int(paid.get(y) or 0)) for y, r in rows.items()]
    if current not in rows:
        years.append(YearLine(current, yearly_cap_fen(), 0, 0))
    queue = tuple(sess.scalars(select(Grant).where(Grant.status == GrantStatus.WAITING)
                               .order_by(Grant.approved_at, Grant.id)))
    return Overview(tuple(sorted(years, key=lambda line: line.year)), queue)
