"""Eligibility facts from the database, judged by the pure rules in certexam.domain.bonus.

How rows become facts (rules s.3, item 26):

* the level-2 pass date: the recorded level pass, else the certificate's;
* the certificate: the holder's current level-2 certificate (not replaced by
  a re-issue), with its status; work counts from the *first* issue in its
  re-issue chain, since a corrected re-issue does not restart the two years;
* a period counts as confirmed when its employer confirmed it; otherwise the
  months covered by imported social-insurance contributions of that
  organisation for that person are confirmed and the rest is not;
* Shenzhen: the organisation's city of registration (see bonus_settings.is_shenzhen);
* an earlier bonus: any grant of this person; fraud bars: every finding.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certexam import db
from certexam.domain import bonus as rules
from certexam.domain.bonus_facts import Certificate as CertFact
from certexam.domain.bonus_facts import CertificateStatus, EmploymentPeriod, HolderFacts
from certexam.domain.bonus_facts import OrgCategory as DomainCategory
from certexam.models import (
    Certificate,
    EmploymentRecord,
    FraudCase,
    Grant,
    LevelPass,
    SocialInsuranceMonth,
    User,
)
from certexam.models.bonus import PeriodStatus
from certexam.services.bonus.settings import is_shenzhen, policy
from certexam.services.platform import clock

ONE_DAY = timedelta(days=1)
LEVEL = 2  # rules s.3, item 26: the level-2 exam and certificate ("二级考试")


@dataclass(frozen=True)
class Segment:
    """The piece of a declared period that one domain period stands for."""

    record_id: int
    via_social_insurance: bool  # confirmed by contribution records rather than the employer


@dataclass(frozen=True)
class Verdict:
    """The pure verdict and, for each of its periods, the record it came from."""

    result: rules.Eligibility
    segments: tuple[Segment, ...]

    def reasons_by_record(self) -> dict[int, list[tuple[rules.PeriodVerdict, Segment]]]:
        out: dict[int, list[tuple[rules.PeriodVerdict, Segment]]] = {}
        for verdict, seg in zip(self.result.periods, self.segments, strict=True):
            out.setdefault(seg.record_id, []).append((verdict, seg))
        return out


def month_span(month: date) -> tuple[date, date]:
    """First and last day of a month."""
    first = month.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return first, nxt - ONE_DAY


def split_by_months(start: date, end: date | None, months: list[date]) -> list[tuple[date, date | None, bool]]:
    """Cut [start, end] into runs confirmed by contribution months and runs that are not.

    `end` None is a job still running: the part after the last month stays
    unconfirmed and open-ended.  Returns (first day, last day or None, confirmed).
    """
    covered: list[list[date]] = []
    for month in sorted(set(months)):
        lo, hi = month_span(month)
        lo, hi = max(lo, start), hi if end is None else min(hi, end)
        if lo > hi:
            continue
        if covered and covered[-1][1] + ONE_DAY >= lo:
            covered[-1][1] = max(covered[-1][1], hi)
        else:
            covered.append([lo, hi])
    runs: list[tuple[date, date | None, bool]] = []
    cursor: date | None = start
    for lo, hi in covered:
        if cursor is not None and lo > cursor:
            runs.append((cursor, lo - ONE_DAY, False))
        runs.append((lo, hi, True))
        cursor = hi + ONE_DAY
    if cursor is not None and (end is None or cursor <= end):
        runs.append((cursor, end, False))
    return runs


def _certificate(sess: Session, user_id: int) -> CertFact | None:
    certs = list(sess.scalars(select(Certificate).where(Certificate.user_id == user_id, Certificate.level == LEVEL)))
    current = [c for c in certs if c.replaced_by_id is None]
    if not current:
        return None
    # A holder has one current level-2 certificate; if data says otherwise, the newest one.
    cert = max(current, key=lambda c: (c.issued_on, c.id))
    first_issue = cert.issued_on
    by_successor = {c.replaced_by_id: c for c in certs if c.replaced_by_id is not None}
    link = by_successor.get(cert.id)
    seen = {cert.id}
    while link is not None and link.id not in seen:
        seen.add(link.id)
        first_issue = min(first_issue, link.issued_on)
        link = by_successor.get(link.id)
    try:
        status = CertificateStatus(cert.status)
    except ValueError:
        status = CertificateStatus.REVOKED  # an unknown status is never taken as valid
    since = None
    if status is not CertificateStatus.VALID:
        since = clock.local_date(cert.status_changed_at) if cert.status_changed_at else first_issue
    return CertFact(level=cert.level, issued_on=first_issue, status=status, status_since=since)


def _level2_pass(sess: Session, user_id: int) -> date | None:
    passed = sess.scalar(select(LevelPass.passed_on).where(LevelPass.user_id == user_id, LevelPass.level == LEVEL))
    if passed is not None:
        return passed
    return sess.scalar(select(Certificate.passed_on).where(Certificate.user_id == user_id, Certificate.level == LEVEL)
                       .order_by(Certificate.passed_on).limit(1))


def _periods(sess: Session, user_id: int) -> tuple[list[EmploymentPeriod], list[Segment]]:
    records = list(sess.scalars(select(EmploymentRecord).where(EmploymentRecord.user_id == user_id)
                                .order_by(EmploymentRecord.starts_on, EmploymentRecord.id)))
    months: dict[int, list[date]] = {}
    for org_id, month in sess.execute(select(SocialInsuranceMonth.organisation_id, SocialInsuranceMonth.month)
                                      .where(SocialInsuranceMonth.user_id == user_id)):
        months.setdefault(org_id, []).append(month)
    periods: list[EmploymentPeriod] = []
    segments: list[Segment] = []
    for rec in records:
        org = rec.organisation
        city = "shenzhen" if is_shenzhen(org.city) else org.city.strip().casefold()
        category = DomainCategory(org.category.value)

        def add(start: date, end: date | None, confirmed: bool, via_si: bool, rec: EmploymentRecord = rec,
                city: str = city, category: DomainCategory = category) -> None:
            periods.append(EmploymentPeriod(city, category, rec.full_time, confirmed, start, end, rec.organisation.name))
            segments.append(Segment(rec.id, via_si))

        if rec.status == PeriodStatus.CONFIRMED:
            add(rec.starts_on, rec.ends_on, True, False)
            continue
        for lo, hi, confirmed in split_by_months(rec.starts_on, rec.ends_on, months.get(rec.organisation_id, [])):
            add(lo, hi, confirmed, confirmed)
    return periods, segments


def holder_facts(user_id: int, same_kind_award: str | None = None) -> tuple[HolderFacts, tuple[Segment, ...]]:
    """Everything the rules need about one holder, read in the current transaction."""
    sess = db.session()
    periods, segments = _periods(sess, user_id)
    grant_at = sess.scalar(select(Grant.approved_at).where(Grant.user_id == user_id))
    bars = tuple(sess.scalars(select(FraudCase.found_on).where(FraudCase.user_id == user_id)))
    facts = HolderFacts(
        level2_passed_on=_level2_pass(sess, user_id),
        certificate=_certificate(sess, user_id),
        employment=tuple(periods),
        earlier_bonus_on=clock.local_date(grant_at) if grant_at is not None else None,
        same_kind_award=same_kind_award,
        fraud_bar_starts=bars,
    )
    return facts, tuple(segments)


def evaluate(user: User | int, on: date, applied_on: date | None = None) -> Verdict:
    """Judge a holder on day `on` under the measures' policy."""
    user_id = user if isinstance(user, int) else user.id
    facts, segments = holder_facts(user_id)
    return Verdict(rules.evaluate(facts, policy(), on, applied_on), segments)


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def as_json(verdict: Verdict) -> dict[str, Any]:
    """The verdict as plain JSON values (for snapshots and the API)."""
    res = verdict.result
    return {
        "eligible": res.eligible,
        "evaluated_on": res.on.isoformat(),
        "days_counted": res.days_counted,
        "days_required": res.days_required,
        "amount_fen": res.amount_fen,
        "projected_eligible_on": _plain(res.projected_eligible_on),
        "counted_periods": [{"first_day": a.isoformat(), "last_day": b.isoformat()} for a, b in res.counted_periods],
        "conditions": [{"code": c.code, "met": c.met, "facts": {k: _plain(v) for k, v in c.facts.items()}}
                       for c in res.conditions],
        "periods": [{"record_id": seg.record_id, "first_day": v.period.start.isoformat(),
                     "last_day": _plain(v.period.end), "counted": v.counted, "reasons": list(v.reasons),
                     "confirmed_by_social_insurance": seg.via_social_insurance}
                    for v, seg in zip(res.periods, verdict.segments, strict=True)],
    }


def snapshot(verdict: Verdict) -> str:
    return json.dumps(as_json(verdict), ensure_ascii=False, sort_keys=True)
