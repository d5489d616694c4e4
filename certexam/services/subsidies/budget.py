"""Each measure's yearly budget: funding subsidy grants in first-come order, never past the cap.

Rules s.4: training (item 24) at most RMB 3,000,000 a year, knowledge work
(item 25) at most RMB 2,000,000 a year; item 36: inclusive.  The allocation is
the holder bonus's pure queue (domain.budget.allocate_year), given the
measure's cap; this is its shell, as services.bonus.budget is the bonus's:
a year's row per measure is locked while its commitments change, and the
row's CHECK (committed_fen <= cap_fen) refuses an overrun even if code were wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certexam import db
from certexam.domain.budget import Approval, allocate_year, budget_year
from certexam.domain.subsidies import Measure
from certexam.models import SubsidyBudgetYear, SubsidyGrant
from certexam.models.bonus import GrantStatus
from certexam.services.bonus.budget import YearLine
from certexam.services.platform import audit, clock
from certexam.services.subsidies.settings import rules_for


def lock_year(sess: Session, measure: Measure, year: int, now: datetime) -> SubsidyBudgetYear:
    """The measure's budget row for the year, created if missing, locked until the transaction ends."""
    values = {"measure": measure.value, "year": year, "cap_fen": rules_for(measure).yearly_cap_fen,
              "committed_fen": 0, "updated_at": now}
    if sess.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        sess.execute(pg_insert(SubsidyBudgetYear).values(**values).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        sess.execute(sqlite_insert(SubsidyBudgetYear).values(**values).on_conflict_do_nothing())
    row = sess.scalar(select(SubsidyBudgetYear).where(SubsidyBudgetYear.measure == measure,
                                                      SubsidyBudgetYear.year == year).with_for_update()
                      .execution_options(populate_existing=True))
    assert row is not None  # inserted just above
    return row


def fund_waiting(sess: Session, measure: Measure, now: datetime) -> list[SubsidyGrant]:
    """Offer the measure's waiting queue to this year's budget, first come first funded."""
    year = budget_year(clock.local_date(now))
    row = lock_year(sess, measure, year, now)
    waiting = list(sess.scalars(select(SubsidyGrant).where(SubsidyGrant.measure == measure,
                                                           SubsidyGrant.status == GrantStatus.WAITING)
                                .order_by(SubsidyGrant.approved_at, SubsidyGrant.id).with_for_update()
                                .execution_options(populate_existing=True)))
    if not waiting:
        return []
    approvals = [Approval(str(g.id), g.amount_fen, g.approved_at, g.id) for g in waiting]
    allocation = allocate_year(year, approvals, row.committed_fen, row.cap_fen)
    by_ref = {str(g.id): g for g in waiting}
    funded = [by_ref[a.ref] for a in allocation.funded]
    for grant in funded:
        grant.status, grant.budget_year, grant.funded_at = GrantStatus.FUNDED, year, now
    if funded:
        row.committed_fen, row.updated_at = allocation.committed_after_fen, now
        sess.flush()
        audit.record(sess, "subsidy.budget.fund", "subsidy_budget_year", year,
                     after={"measure": measure.value, "grants": [g.id for g in funded],
                            "committed_fen": row.committed_fen, "cap_fen": row.cap_fen})
    return funded


def add_grant(sess: Session, application_id: int, organisation_id: int, measure: Measure, amount_fen: int,
              now: datetime) -> SubsidyGrant:
    """Queue a newly approved subsidy and fund what the measure's year allows (the caller commits)."""
    lock_year(sess, measure, budget_year(clock.local_date(now)), now)
    grant = SubsidyGrant(application_id=application_id, organisation_id=organisation_id, measure=measure,
                         amount_fen=amount_fen, approved_at=now, status=GrantStatus.WAITING)
    sess.add(grant)
    sess.flush()
    fund_waiting(sess, measure, now)
    return grant


@db.use_case
def roll_queue(now: datetime | None = None) -> int:
    """Fund waiting grants of both measures from the current year's budgets."""
    at = clock.now(now)
    return sum(len(fund_waiting(db.session(), m, at)) for m in Measure)


@dataclass(frozen=True)
class MeasureLine:
    measure: Measure
    year: int
    cap_fen: int
    committed_fen: int
    queued_fen: int
    queue_length: int

    @property
    def remaining_fen(self) -> int:
        return self.cap_fen - self.committed_fen


def overview(now: datetime | None = None) -> list[MeasureLine]:
    """This year's cap, commitments and waiting queue for each measure (read only)."""
    sess = db.session()
    year = budget_year(clock.local_date(clock.now(now)))
    lines = []
    for measure in Measure:
        row = sess.get(SubsidyBudgetYear, (measure, year))
        queued, count = sess.execute(select(func.coalesce(func.sum(SubsidyGrant.amount_fen), 0), func.count())
                                     .where(SubsidyGrant.measure == measure,
                                            SubsidyGrant.status == GrantStatus.WAITING)).one()
        cap = row.cap_fen if row else rules_for(measure).yearly_cap_fen
        lines.append(MeasureLine(measure, year, cap, row.committed_fen if row else 0, int(queued), int(count)))
    return lines


@dataclass(frozen=True)
class MeasureBudget:
    """A measure's money by budget year and its waiting queue: the figures of the statistics pages.

    The shape of the bonus's budget overview (years, queued_fen, queue_length), so that the bonus's
    budget chart (certexam/bonus/chart.py) draws it too.
    """

    measure: Measure
    years: tuple[YearLine, ...]
    queue_length: int
    queued_fen: int


def yearly(now: datetime | None = None) -> list[MeasureBudget]:
    """Each measure's cap, commitments and payments for every budget year, and its queue (read only).

    Paid means the bank paid the grant's line (GrantStatus.PAID; RECOVERY was paid first), counted
    in the year that funded it. The current year is listed even before its row exists.
    """
    sess = db.session()
    current = budget_year(clock.local_date(clock.now(now)))
    rows = sess.scalars(select(SubsidyBudgetYear).order_by(SubsidyBudgetYear.year)).all()
    paid = {(m, y): int(fen) for m, y, fen in sess.execute(
        select(SubsidyGrant.measure, SubsidyGrant.budget_year, func.sum(SubsidyGrant.amount_fen))
        .where(SubsidyGrant.status.in_((GrantStatus.PAID, GrantStatus.RECOVERY)))
        .group_by(SubsidyGrant.measure, SubsidyGrant.budget_year))}
    queues = {m: (int(n), int(fen)) for m, n, fen in sess.execute(
        select(SubsidyGrant.measure, func.count(), func.coalesce(func.sum(SubsidyGrant.amount_fen), 0))
        .where(SubsidyGrant.status == GrantStatus.WAITING).group_by(SubsidyGrant.measure))}
    out = []
    for measure in Measure:
        years = {r.year: YearLine(r.year, r.cap_fen, r.committed_fen, paid.get((measure, r.year), 0))
                 for r in rows if r.measure == measure}
        years.setdefault(current, YearLine(current, rules_for(measure).yearly_cap_fen, 0, 0))
        length, queued = queues.get(measure, (0, 0))
        out.append(MeasureBudget(measure, tuple(years[y] for y in sorted(years)), length, queued))
    return out
