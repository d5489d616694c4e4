"""Eligibility for the RMB 10,000 holder bonus (rules s.3, item 26; issue 7).

:func:`evaluate` checks every condition, not just the first that fails, so a
holder and an administrator see the whole picture: each condition has a
stable code (the UI translates it) and the facts behind it as plain values.
When the holder is not yet eligible but would be on a later day if nothing
changes (a job still running, a fraud bar running out), the result names
that day.

Which day each condition is judged on:

* the certificate, and the work counted, on the evaluation day `on`;
* the fraud bar and the measures' validity on the application day
  (`applied_on`, which defaults to `on` for a holder's own check), since
  both restrict *applying*.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from certexam.domain.bonus_facts import BonusPolicy, EmploymentPeriod, HolderFacts
from certexam.domain.bonus_periods import ONE_DAY, Span, clip, days_in, merge, nth_day, years_later

FactValue = str | int | bool | date | None | tuple[date, ...] | tuple[tuple[date, date], ...]

# Condition codes: stable identifiers, translated by the UI.
LEVEL2_PASSED_AFTER_START = "LEVEL2_PASSED_AFTER_START"
CERTIFICATE_VALID = "CERTIFICATE_VALID"
EMPLOYMENT_2_YEARS = "EMPLOYMENT_2_YEARS"
NO_EARLIER_BONUS = "NO_EARLIER_BONUS"
NO_SAME_KIND_AWARD = "NO_SAME_KIND_AWARD"
NOT_BARRED_FOR_FRAUD = "NOT_BARRED_FOR_FRAUD"
WITHIN_MEASURES_VALIDITY = "WITHIN_MEASURES_VALIDITY"

CONDITION_CODES: tuple[str, ...] = (
    LEVEL2_PASSED_AFTER_START,
    CERTIFICATE_VALID,
    EMPLOYMENT_2_YEARS,
    NO_EARLIER_BONUS,
    NO_SAME_KIND_AWARD,
    NOT_BARRED_FOR_FRAUD,
    WITHIN_MEASURES_VALIDITY,
)

# Why a period does not count (a period may have several reasons).
NOT_CONFIRMED = "NOT_CONFIRMED"
NOT_FULL_TIME = "NOT_FULL_TIME"
OUTSIDE_CITY = "OUTSIDE_CITY"
CATEGORY_NOT_QUALIFYING = "CATEGORY_NOT_QUALIFYING"
BEFORE_COUNT_START = "BEFORE_COUNT_START"  # ended before the certificate was issued
AFTER_EVALUATION = "AFTER_EVALUATION"  # starts after the evaluation day


@dataclass(frozen=True)
class Condition:
    """One condition, whether it is met, and the facts behind the verdict."""

    code: str
    met: bool
    facts: Mapping[str, FactValue]


@dataclass(frozen=True)
class PeriodVerdict:
    """A declared period and why it does not count (no reasons: it counts)."""

    period: EmploymentPeriod
    reasons: tuple[str, ...]

    @property
    def counted(self) -> bool:
        """True when some of the period's days count."""
        return not self.reasons


@dataclass(frozen=True)
class Eligibility:
    """The full verdict on one holder on one day."""

    eligible: bool
    on: date
    conditions: tuple[Condition, ...]
    days_counted: int
    days_required: int
    counted_periods: tuple[tuple[date, date], ...]  # merged, first and last day counted
    periods: tuple[PeriodVerdict, ...]
    projected_eligible_on: date | None
    amount_fen: int

    def condition(self, code: str) -> Condition:
        """The condition with this code; KeyError if there is none."""
        for cond in self.conditions:
            if cond.code == code:
                return cond
        raise KeyError(code)

    @property
    def unmet(self) -> tuple[str, ...]:
        """Codes of the conditions not met, in display order."""
        return tuple(c.code for c in self.conditions if not c.met)


def _exclusions(period: EmploymentPeriod, policy: BonusPolicy) -> tuple[str, ...]:
    reasons: list[str] = []
    if not period.confirmed:
        reasons.append(NOT_CONFIRMED)
    if not period.full_time:
        reasons.append(NOT_FULL_TIME)
    if period.org_city.strip().casefold() != policy.qualifying_city.casefold():
        reasons.append(OUTSIDE_CITY)
    if period.org_category not in policy.qualifying_categories:
        reasons.append(CATEGORY_NOT_QUALIFYING)
    return tuple(reasons)


def _span(period: EmploymentPeriod, policy: BonusPolicy) -> Span:
    if period.end is None:
        return Span(period.start, None)
    return Span(period.start, period.end + ONE_DAY if policy.end_date_inclusive else period.end)


def _window_stop(day: date, policy: BonusPolicy) -> date:
    # The evaluation day is counted like an end date: in, under the inclusive convention.
    return day + ONE_DAY if policy.end_date_inclusive else day


def _count_from(facts: HolderFacts, policy: BonusPolicy) -> date | None:
    if not policy.count_from_certificate_issue:
        return None
    return facts.certificate.issued_on if facts.certificate is not None else None


def _qualifying(
    facts: HolderFacts, policy: BonusPolicy, on: date
) -> tuple[tuple[Span, ...], tuple[PeriodVerdict, ...]]:
    count_from = _count_from(facts, policy)
    spans: list[Span] = []
    verdicts: list[PeriodVerdict] = []
    for period in facts.employment:
        reasons = list(_exclusions(period, policy))
        span = _span(period, policy)
        if not reasons:
            if count_from is not None and span.stop is not None and span.stop <= count_from:
                reasons.append(BEFORE_COUNT_START)
            elif period.start >= _window_stop(on, policy):
                reasons.append(AFTER_EVALUATION)
            # A qualifying period still feeds the projection, even if it adds nothing today.
            spans.append(span)
        verdicts.append(PeriodVerdict(period, tuple(reasons)))
    return merge(spans), tuple(verdicts)


def _bar_end(facts: HolderFacts, policy: BonusPolicy, day: date) -> date | None:
    """First day free again if `day` falls in a fraud bar, else None."""
    ends = [
        years_later(start, policy.fraud_bar_years)
        for start in facts.fraud_bar_starts
        if start <= day < years_later(start, policy.fraud_bar_years)
    ]
    return max(ends) if ends else None


def _conditions(
    facts: HolderFacts, policy: BonusPolicy, on: date, applied_on: date, union: tuple[Span, ...]
) -> tuple[tuple[Condition, ...], int, tuple[Span, ...]]:
    cert = facts.certificate
    passed = facts.level2_passed_on
    count_from = _count_from(facts, policy)
    counting_possible = count_from is not None or not policy.count_from_certificate_issue
    window = clip(union, count_from, _window_stop(on, policy)) if counting_possible else ()
    days = days_in(window)
    bar_end = _bar_end(facts, policy, applied_on)
    conditions = (
        Condition(
            LEVEL2_PASSED_AFTER_START,
            passed is not None and policy.earliest_level2_pass <= passed <= on,
            {"passed_on": passed, "earliest": policy.earliest_level2_pass},
        ),
        Condition(
            CERTIFICATE_VALID,
            cert is not None and cert.level == policy.level and cert.valid_on(on),
            {
                "level": None if cert is None else cert.level,
                "required_level": policy.level,
                "issued_on": None if cert is None else cert.issued_on,
                "status": None if cert is None else cert.status.value,
                "status_since": None if cert is None else cert.status_since,
                "evaluated_on": on,
            },
        ),
        Condition(
            EMPLOYMENT_2_YEARS,
            days >= policy.min_employment_days,
            {
                "days_counted": days,
                "days_required": policy.min_employment_days,
                "count_from": count_from,
                "count_until": on,
                "end_date_inclusive": policy.end_date_inclusive,
                "counted_periods": tuple((s.start, s.stop - ONE_DAY) for s in window if s.stop is not None),
            },
        ),
        Condition(NO_EARLIER_BONUS, facts.earlier_bonus_on is None, {"earlier_bonus_on": facts.earlier_bonus_on}),
        Condition(NO_SAME_KIND_AWARD, facts.same_kind_award is None, {"award": facts.same_kind_award}),
        Condition(
            NOT_BARRED_FOR_FRAUD,
            bar_end is None,
            {
                "checked_on": applied_on,
                "bar_starts": tuple(sorted(facts.fraud_bar_starts)),
                "barred_until": None if bar_end is None else bar_end - ONE_DAY,
            },
        ),
        Condition(
            WITHIN_MEASURES_VALIDITY,
            policy.measures_start <= applied_on <= policy.measures_last_day,
            {"applied_on": applied_on, "first_day": policy.measures_start, "last_day": policy.measures_last_day},
        ),
    )
    return conditions, days, window


def _projection(facts: HolderFacts, policy: BonusPolicy, on: date, union: tuple[Span, ...]) -> date | None:
    """Earliest day after `on` when applying would succeed if nothing but time changes."""
    count_from = _count_from(facts, policy)
    if policy.count_from_certificate_issue and count_from is None:
        return None
    counted = clip(union, count_from, None)
    reached = nth_day(counted, policy.min_employment_days)
    if reached is None:
        return None
    # The day the threshold is reached counts only when the evaluation day itself counts.
    day = max(on + ONE_DAY, reached if policy.end_date_inclusive else reached + ONE_DAY, policy.measures_start)
    # Each step leaves one bar behind, so there are at most as many steps as bars.
    for _ in range(len(facts.fraud_bar_starts)):
        free = _bar_end(facts, policy, day)
        if free is None:
            break
        day = free
    if day > policy.measures_last_day:
        return None
    conditions, _, _ = _conditions(facts, policy, day, day, union)
    return day if all(c.met for c in conditions) else None


def evaluate(facts: HolderFacts, policy: BonusPolicy, on: date, applied_on: date | None = None) -> Eligibility:
    """Judge `facts` under `policy` on day `on` (application dated `applied_on`, default `on`)."""
    applied = on if applied_on is None else applied_on
    union, verdicts = _qualifying(facts, policy, on)
    conditions, days, window = _conditions(facts, policy, on, applied, union)
    eligible = all(c.met for c in conditions)
    return Eligibility(
        eligible=eligible,
        on=on,
        conditions=conditions,
        days_counted=days,
        days_required=policy.min_employment_days,
        counted_periods=tuple((s.start, s.stop - ONE_DAY) for s in window if s.stop is not None),
        periods=verdicts,
        projected_eligible_on=None if eligible else _projection(facts, policy, on, union),
        amount_fen=policy.amount_fen,
    )
