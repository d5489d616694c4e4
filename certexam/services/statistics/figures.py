"""The figures of the statistics pages, read in one transaction so that every table agrees.

A page asks `programme()` once. It ends whatever the request had read before (the signed-in
user) and reads everything in one fresh transaction: on SQLite a WAL read transaction is one
snapshot; on PostgreSQL the transaction runs at REPEATABLE READ, because at the default READ
COMMITTED each statement would see its own snapshot and a certificate issued between two
queries could be counted by one table and not by the next.

Counts only: names, numbers and other personal data never leave this module (training subsidies are
summed per measure and year: an institution is an organisation, yet no line of it is shown either). Only released
results count, as nobody outside the results office may learn a result before its release.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from certexam import db
from certexam.domain import statistics as rules
from certexam.domain.scoring_types import ResultStatus
from certexam.domain.verdict import CertStatus
from certexam.models import Certificate, EmploymentRecord, Organisation, Result, Sitting
from certexam.models.bonus import PeriodStatus
from certexam.services.bonus import budget
from certexam.services.platform import clock
from certexam.services.subsidies import budget as subsidy_budget

LEVELS = (1, 2)
NO_SITTING = 0  # certificates resting on a pass recorded without a sitting (earlier sittings)
UNKNOWN_SECTOR = ""  # no confirmed employment on the day


@dataclass(frozen=True)
class SittingInfo:
    id: int
    name: str
    level: int


@dataclass(frozen=True)
class SittingResults:
    """Released results of one sitting: counts by outcome and each module's correct rates."""

    sitting: SittingInfo
    passed: int
    failed: int
    void: int
    module_rates: dict[str, tuple[Fraction, ...]]

    @property
    def sat(self) -> int:
        """Candidates with a pass or fail (a voided result has no outcome to rate)."""
        return self.passed + self.failed

    @property
    def pass_rate(self) -> Fraction | None:
        return rules.rate(self.passed, self.sat)


@dataclass(frozen=True)
class BonusYear:
    year: int
    cap_fen: int
    committed_fen: int
    paid_fen: int

    @property
    def remaining_fen(self) -> int:
        return self.cap_fen - self.committed_fen


@dataclass(frozen=True)
class Holders:
    """Valid certificates and the persons holding them, counted along each dimension."""

    persons: int  # persons holding at least one valid certificate
    by_level: dict[int, int]  # persons holding a valid certificate of the level
    by_year: dict[int, dict[int, int]]  # issue year -> level -> valid certificates
    new_holders_by_year: dict[int, int]  # year of a person's first valid certificate -> persons
    by_direction: dict[str, int]  # level 2: direction -> valid certificates
    by_sitting: dict[int, dict[int, int]]  # sitting id (NO_SITTING) -> level -> valid certificates
    by_sector: dict[str, dict[int, int]]  # organisation category (UNKNOWN_SECTOR) -> level -> persons


@dataclass(frozen=True)
class Programme:
    """Everything the statistics pages show, as plain values."""

    today: date
    holders: Holders
    sittings: dict[int, SittingInfo]
    results: tuple[SittingResults, ...]
    bonus_years: tuple[BonusYear, ...]
    queue_length: int
    queued_fen: int
    budget: budget.Overview  # the same figures as the bonus dashboard's, for its chart
    subsidies: tuple[subsidy_budget.MeasureBudget, ...] = ()  # training subsidies by measure (items 24-25)
    progress: rules.Progress = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "progress", rules.Progress(self.holders.persons))


def _snapshot() -> Session:
    """The request's session, in a fresh read transaction that sees one state of the database."""
    sess = db.session()
    sess.rollback()
    if sess.get_bind().dialect.name == "postgresql":
        sess.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    return sess


def _sectors(sess: Session, user_ids: set[int], on: date) -> dict[int, str]:
    """Each holder's employer category on the day, from employment the employer confirmed (latest start wins)."""
    rows = sess.execute(
        select(EmploymentRecord.user_id, Organisation.category, EmploymentRecord.starts_on, EmploymentRecord.id)
        .join(Organisation, Organisation.id == EmploymentRecord.organisation_id)
        .where(EmploymentRecord.status == PeriodStatus.CONFIRMED, EmploymentRecord.starts_on <= on,
               or_(EmploymentRecord.ends_on.is_(None), EmploymentRecord.ends_on >= on))
        .order_by(EmploymentRecord.starts_on, EmploymentRecord.id)).all()
    return {uid: str(category) for uid, category, _start, _id in rows if uid in user_ids}


def _holders(sess: Session, on: date) -> Holders:
    certs = sess.execute(select(Certificate.user_id, Certificate.level, Certificate.issued_on,
                                Certificate.direction, Certificate.sitting_id)
                         .where(Certificate.status == CertStatus.VALID)).all()
    persons: dict[int, set[int]] = defaultdict(set)
    by_year: dict[int, Counter[int]] = defaultdict(Counter)
    first_year: dict[int, int] = {}
    by_direction: Counter[str] = Counter()
    by_sitting: dict[int, Counter[int]] = defaultdict(Counter)
    for uid, level, issued_on, direction, sitting_id in certs:
        persons[uid].add(level)
        by_year[issued_on.year][level] += 1
        first_year[uid] = min(first_year.get(uid, issued_on.year), issued_on.year)
        if level == 2 and direction:
            by_direction[direction] += 1
        by_sitting[sitting_id or NO_SITTING][level] += 1
    sector_of = _sectors(sess, set(persons), on)
    by_sector: dict[str, Counter[int]] = defaultdict(Counter)
    for uid, levels in persons.items():
        for level in levels:
            by_sector[sector_of.get(uid, UNKNOWN_SECTOR)][level] += 1
    return Holders(
        persons=len(persons),
        by_level={lv: sum(1 for levels in persons.values() if lv in levels) for lv in LEVELS},
        by_year={y: dict(c) for y, c in sorted(by_year.items())},
        new_holders_by_year=dict(sorted(Counter(first_year.values()).items())),
        by_direction=dict(sorted(by_direction.items())),
        by_sitting={s: dict(c) for s, c in by_sitting.items()},
        by_sector={s: dict(c) for s, c in by_sector.items()},
    )


def _results(sess: Session, sittings: dict[int, SittingInfo]) -> tuple[SittingResults, ...]:
    rows = sess.execute(select(Result.sitting_id, Result.status, Result.module_rates)
                        .join(Sitting, Sitting.id == Result.sitting_id)
                        .where(and_(Result.released.is_(True), Sitting.results_released_at.is_not(None)))).all()
    counts: dict[int, Counter[ResultStatus]] = defaultdict(Counter)
    modules: dict[int, dict[str, list[Fraction]]] = defaultdict(lambda: defaultdict(list))
    for sitting_id, status, module_rates in rows:
        counts[sitting_id][status] += 1
        if status in (ResultStatus.PASS, ResultStatus.FAIL):
            for module, value in json.loads(module_rates or "{}").items():
                modules[sitting_id][module].append(Fraction(value))
    return tuple(SittingResults(sittings[s], c[ResultStatus.PASS], c[ResultStatus.FAIL], c[ResultStatus.VOID],
                                {m: tuple(v) for m, v in sorted(modules[s].items())})
                 for s, c in sorted(counts.items()))


def programme(now: datetime | None = None) -> Programme:
    """All the figures, from one read transaction (read only: nothing is written)."""
    at = clock.now(now)
    on = clock.local_date(at)
    sess = _snapshot()
    try:
        sittings = {s.id: SittingInfo(s.id, s.name, s.level)
                    for s in sess.scalars(select(Sitting).order_by(Sitting.registration_opens_at, Sitting.id))}
        holders = _holders(sess, on)
        results = _results(sess, sittings)
        money = budget.overview(at)
        years = tuple(BonusYear(y.year, y.cap_fen, y.committed_fen, y.paid_fen) for y in money.years)
        queue_length, queued_fen = len(money.queue), money.queued_fen
        subsidies = tuple(subsidy_budget.yearly(at))  # plain values: nothing to keep from expiring
        for grant in money.queue:  # keep them as read: the rollback below would expire them (and a chart
            sess.expunge(grant)    # reading an amount would then start a second transaction)
    finally:
        sess.rollback()  # end the read: nothing was written
    return Programme(today=on, sittings=sittings, results=results, bonus_years=years, queue_length=queue_length,
                     queued_fen=queued_fen, budget=money, holders=holders, subsidies=subsidies)
