"""Holder-bonus eligibility (issue 7): every condition, its boundaries and the projection."""

from __future__ import annotations

import ast
import dataclasses
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certexam.domain import bonus as b
from certexam.domain.bonus_facts import (
    BonusPolicy,
    Certificate,
    CertificateStatus,
    EmploymentPeriod,
    HolderFacts,
    OrgCategory,
)
from certexam.domain.bonus_periods import Span, clip, days_in, merge, nth_day, years_later

D = date
POLICY = BonusPolicy()
ON = D(2024, 3, 1)
CERT_ISSUED = D(2021, 12, 1)


def job(
    start: date,
    end: date | None,
    *,
    city: str = "shenzhen",
    category: OrgCategory = OrgCategory.FINTECH,
    full_time: bool = True,
    confirmed: bool = True,
) -> EmploymentPeriod:
    return EmploymentPeriod(city, category, full_time, confirmed, start, end)


# 2022-01-01 .. 2023-12-31 inclusive is exactly 730 days.
TWO_YEARS = job(D(2022, 1, 1), D(2023, 12, 31))


def holder(**changes: object) -> HolderFacts:
    """An eligible holder on ON; each case changes one thing."""
    base = HolderFacts(
        level2_passed_on=D(2021, 10, 16),
        certificate=Certificate(level=2, issued_on=CERT_ISSUED),
        employment=(TWO_YEARS,),
    )
    return dataclasses.replace(base, **changes)


ALL_MET = frozenset()

CASES = [
    # name, facts, evaluation day, codes expected unmet
    ("baseline eligible", holder(), ON, ALL_MET),
    ("exam passed 2020-12-31", holder(level2_passed_on=D(2020, 12, 31)), ON, {b.LEVEL2_PASSED_AFTER_START}),
    ("exam passed 2021-01-01", holder(level2_passed_on=D(2021, 1, 1)), ON, ALL_MET),
    (
        "level 1 only",
        holder(level2_passed_on=None, certificate=Certificate(level=1, issued_on=CERT_ISSUED)),
        ON,
        {b.LEVEL2_PASSED_AFTER_START, b.CERTIFICATE_VALID},
    ),
    (
        "revoked certificate",
        holder(certificate=Certificate(2, CERT_ISSUED, CertificateStatus.REVOKED, D(2024, 2, 1))),
        ON,
        {b.CERTIFICATE_VALID},
    ),
    (
        "revoked on the evaluation day",
        holder(certificate=Certificate(2, CERT_ISSUED, CertificateStatus.REVOKED, ON)),
        ON,
        {b.CERTIFICATE_VALID},
    ),
    (
        "revoked the day after evaluation",
        holder(certificate=Certificate(2, CERT_ISSUED, CertificateStatus.REVOKED, ON + timedelta(days=1))),
        ON,
        ALL_MET,
    ),
    (
        "suspended certificate",
        holder(certificate=Certificate(2, CERT_ISSUED, CertificateStatus.SUSPENDED, D(2024, 1, 5))),
        ON,
        {b.CERTIFICATE_VALID},
    ),
    ("no certificate", holder(certificate=None), ON, {b.CERTIFICATE_VALID, b.EMPLOYMENT_2_YEARS}),
    ("part-time work", holder(employment=(job(D(2022, 1, 1), D(2023, 12, 31), full_time=False),)), ON,
     {b.EMPLOYMENT_2_YEARS}),
    ("employer outside Shenzhen", holder(employment=(job(D(2022, 1, 1), D(2023, 12, 31), city="guangzhou"),)),
     ON, {b.EMPLOYMENT_2_YEARS}),
    ("city id in other case", holder(employment=(job(D(2022, 1, 1), D(2023, 12, 31), city=" Shenzhen "),)),
     ON, ALL_MET),
    ("unqualified category",
     holder(employment=(job(D(2022, 1, 1), D(2023, 12, 31), category=OrgCategory.OTHER),)), ON,
     {b.EMPLOYMENT_2_YEARS}),
    ("financial institution",
     holder(employment=(job(D(2022, 1, 1), D(2023, 12, 31), category=OrgCategory.FINANCIAL_INSTITUTION),)),
     ON, ALL_MET),
    ("unconfirmed period", holder(employment=(job(D(2022, 1, 1), D(2023, 12, 31), confirmed=False),)), ON,
     {b.EMPLOYMENT_2_YEARS}),
    ("exactly 730 days", holder(employment=(job(D(2022, 1, 1), D(2023, 12, 31)),)), ON, ALL_MET),
    ("729 days", holder(employment=(job(D(2022, 1, 2), D(2023, 12, 31)),)), ON, {b.EMPLOYMENT_2_YEARS}),
    # 2023-01-01 .. 2024-12-30 holds 2024-02-29: 730 days, a day before the calendar anniversary.
    ("leap day inside, 730", holder(employment=(job(D(2023, 1, 1), D(2024, 12, 30)),)), D(2025, 1, 6), ALL_MET),
    ("leap day inside, 729", holder(employment=(job(D(2023, 1, 2), D(2024, 12, 30)),)), D(2025, 1, 6),
     {b.EMPLOYMENT_2_YEARS}),
    # Overlap counted once: 365 + 549 days declared, 730 in the union.
    ("overlapping jobs", holder(employment=(job(D(2022, 1, 1), D(2022, 12, 31)), job(D(2022, 7, 1), D(2023, 12, 31)))),
     ON, ALL_MET),
    ("overlap hides a shortfall",
     holder(employment=(job(D(2022, 1, 2), D(2022, 12, 31)), job(D(2022, 7, 1), D(2023, 12, 31)))), ON,
     {b.EMPLOYMENT_2_YEARS}),
    # Gap of July-August 2022 not counted: 181 + 549 = 730, and one day less fails.
    ("gap, 730 in total", holder(employment=(job(D(2022, 1, 1), D(2022, 6, 30)), job(D(2022, 9, 1), D(2024, 3, 2)))),
     D(2024, 3, 10), ALL_MET),
    ("gap, 729 in total", holder(employment=(job(D(2022, 1, 1), D(2022, 6, 30)), job(D(2022, 9, 1), D(2024, 3, 1)))),
     D(2024, 3, 10), {b.EMPLOYMENT_2_YEARS}),
    ("work before the certificate is not counted",
     holder(employment=(job(D(2020, 1, 1), D(2023, 6, 30)),)), ON, {b.EMPLOYMENT_2_YEARS}),
    ("second application after a payment", holder(earlier_bonus_on=D(2023, 5, 1)), ON, {b.NO_EARLIER_BONUS}),
    ("same-kind city award", holder(same_kind_award="Shenzhen talent award"), ON, {b.NO_SAME_KIND_AWARD}),
    # A bar from 2021-03-01 runs through 2024-02-29; from 2021-03-02 through 2024-03-01.
    ("fraud bar expired", holder(fraud_bar_starts=(D(2021, 3, 1),)), ON, ALL_MET),
    ("fraud bar running", holder(fraud_bar_starts=(D(2021, 3, 2),)), ON, {b.NOT_BARRED_FOR_FRAUD}),
    ("old bar expired, new bar running", holder(fraud_bar_starts=(D(2019, 1, 1), D(2023, 1, 1))), ON,
     {b.NOT_BARRED_FOR_FRAUD}),
]


@pytest.mark.parametrize(("name", "facts", "on", "unmet"), CASES, ids=[c[0] for c in CASES])
def test_conditions_table(name: str, facts: HolderFacts, on: date, unmet: set[str]) -> None:
    result = b.evaluate(facts, POLICY, on)
    assert set(result.unmet) == set(unmet)
    assert result.eligible is (not unmet)
    assert [c.code for c in result.conditions] == list(b.CONDITION_CODES)


@pytest.mark.parametrize(
    ("applied_on", "met"),
    [
        (D(2022, 4, 6), False),
        (D(2022, 4, 7), True),
        (D(2027, 4, 6), True),
        (D(2027, 4, 7), False),
    ],
)
def test_application_within_the_measures_validity(applied_on: date, met: bool) -> None:
    result = b.evaluate(holder(), POLICY, ON, applied_on=applied_on)
    assert result.condition(b.WITHIN_MEASURES_VALIDITY).met is met
    assert result.eligible is met


def test_measures_end_on_2027_04_06() -> None:
    assert POLICY.measures_last_day == D(2027, 4, 6)


def test_days_and_merged_periods_are_reported() -> None:
    facts = holder(employment=(job(D(2022, 1, 1), D(2022, 12, 31)), job(D(2022, 7, 1), D(2023, 12, 31)),
                               job(D(2024, 1, 2), None)))
    result = b.evaluate(facts, POLICY, ON)
    assert result.counted_periods == ((D(2022, 1, 1), D(2023, 12, 31)), (D(2024, 1, 2), ON))
    assert result.days_counted == 730 + 60
    employment = result.condition(b.EMPLOYMENT_2_YEARS).facts
    assert employment["days_counted"] == 790
    assert employment["days_required"] == 730
    assert employment["count_from"] == CERT_ISSUED
    assert employment["counted_periods"] == result.counted_periods


def test_adjacent_jobs_join_into_one_period() -> None:
    facts = holder(employment=(job(D(2022, 1, 1), D(2022, 12, 31)), job(D(2023, 1, 1), D(2023, 12, 31))))
    result = b.evaluate(facts, POLICY, ON)
    assert result.counted_periods == ((D(2022, 1, 1), D(2023, 12, 31)),)
    assert result.eligible


@pytest.mark.parametrize(
    ("period", "reasons"),
    [
        (job(D(2022, 1, 1), None, full_time=False, city="hk"), {b.NOT_FULL_TIME, b.OUTSIDE_CITY}),
        (job(D(2022, 1, 1), None, confirmed=False, category=OrgCategory.OTHER),
         {b.NOT_CONFIRMED, b.CATEGORY_NOT_QUALIFYING}),
        (job(D(2020, 1, 1), D(2021, 11, 30)), {b.BEFORE_COUNT_START}),
        (job(D(2024, 3, 2), None), {b.AFTER_EVALUATION}),
        (job(D(2020, 1, 1), D(2021, 12, 1)), set()),  # its last day is the issue day: one day counts
    ],
)
def test_period_verdicts_give_reasons(period: EmploymentPeriod, reasons: set[str]) -> None:
    result = b.evaluate(holder(employment=(period,)), POLICY, ON)
    assert set(result.periods[0].reasons) == reasons
    assert result.periods[0].counted is (not reasons)


def test_future_end_date_is_clipped_to_the_evaluation_day() -> None:
    result = b.evaluate(holder(employment=(job(D(2022, 1, 1), D(2030, 1, 1)),)), POLICY, D(2023, 1, 1))
    assert result.counted_periods == ((D(2022, 1, 1), D(2023, 1, 1)),)
    assert result.days_counted == 366


def test_counting_all_work_when_the_setting_says_so() -> None:
    facts = holder(employment=(job(D(2020, 1, 1), D(2023, 6, 30)),))
    assert b.evaluate(facts, POLICY, ON).days_counted == 577  # 2021-12-01 .. 2023-06-30
    wide = dataclasses.replace(POLICY, count_from_certificate_issue=False)
    assert b.evaluate(facts, wide, ON).days_counted == 1277  # 2020-01-01 .. 2023-06-30
    assert b.evaluate(facts, wide, ON).eligible


@pytest.mark.parametrize(
    ("end", "inclusive", "days"),
    [
        (D(2023, 12, 31), True, 730),
        (D(2023, 12, 31), False, 729),
        (D(2024, 1, 1), False, 730),
    ],
)
def test_end_date_convention_is_a_setting(end: date, inclusive: bool, days: int) -> None:
    policy = dataclasses.replace(POLICY, end_date_inclusive=inclusive)
    result = b.evaluate(holder(employment=(job(D(2022, 1, 1), end),)), policy, ON)
    assert result.days_counted == days
    assert result.eligible is (days >= 730)


def test_ongoing_job_projects_the_day_of_eligibility() -> None:
    facts = holder(employment=(job(D(2022, 6, 1), None),))
    now = b.evaluate(facts, POLICY, ON)
    assert not now.eligible
    assert now.days_counted == 640  # 2022-06-01 .. 2024-03-01
    assert now.projected_eligible_on == D(2024, 5, 30)  # 730th day, 2024-02-29 included
    assert not b.evaluate(facts, POLICY, D(2024, 5, 29)).eligible
    then = b.evaluate(facts, POLICY, D(2024, 5, 30))
    assert then.eligible and then.days_counted == 730
    assert then.projected_eligible_on is None


def test_projection_with_end_date_excluded_is_a_day_later() -> None:
    policy = dataclasses.replace(POLICY, end_date_inclusive=False)
    facts = holder(employment=(job(D(2022, 6, 1), None),))
    projected = b.evaluate(facts, policy, ON).projected_eligible_on
    assert projected == D(2024, 5, 31)
    assert b.evaluate(facts, policy, projected).eligible
    assert not b.evaluate(facts, policy, projected - timedelta(days=1)).eligible


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        # Something that time will not change: no projection.
        (holder(employment=(job(D(2022, 6, 1), None),), earlier_bonus_on=D(2023, 1, 1)), None),
        (holder(employment=(job(D(2022, 6, 1), None),), level2_passed_on=D(2020, 6, 1)), None),
        # A finished job that falls short will not grow.
        (holder(employment=(job(D(2022, 6, 1), D(2023, 6, 1)),)), None),
        # Reached only after the measures end (2027-04-06).
        (holder(certificate=Certificate(2, D(2025, 12, 1)), employment=(job(D(2026, 1, 1), None),)), None),
        # Work is enough; the fraud bar from 2021-03-02 ends after 2024-03-01.
        (holder(fraud_bar_starts=(D(2021, 3, 2),)), D(2024, 3, 2)),
        # Both: the job reaches 730 days on 2024-05-30, the bar (2022-01-10) lasts to 2025-01-09.
        (holder(employment=(job(D(2022, 6, 1), None),), fraud_bar_starts=(D(2022, 1, 10),)), D(2025, 1, 10)),
    ],
)
def test_projection_only_when_time_alone_would_do(facts: HolderFacts, expected: date | None) -> None:
    result = b.evaluate(facts, POLICY, ON)
    assert not result.eligible
    assert result.projected_eligible_on == expected
    if expected is not None:
        assert b.evaluate(facts, POLICY, expected).eligible


def test_projection_waits_for_the_measures_to_start() -> None:
    result = b.evaluate(holder(employment=(job(D(2022, 1, 1), None),)), POLICY, D(2022, 3, 1))
    assert result.projected_eligible_on == D(2023, 12, 31)
    early = holder(certificate=Certificate(2, D(2019, 1, 1)), employment=(job(D(2019, 1, 1), None),),
                   level2_passed_on=D(2021, 1, 1))
    assert b.evaluate(early, POLICY, D(2022, 3, 1)).projected_eligible_on == D(2022, 4, 7)


def test_fraud_bar_facts_name_the_last_barred_day() -> None:
    cond = b.evaluate(holder(fraud_bar_starts=(D(2021, 3, 2),)), POLICY, ON).condition(b.NOT_BARRED_FOR_FRAUD)
    assert not cond.met
    assert cond.facts["barred_until"] == D(2024, 3, 1)


def test_fraud_bar_from_a_leap_day_ends_on_28_february() -> None:
    facts = holder(fraud_bar_starts=(D(2024, 2, 29),))
    assert not b.evaluate(facts, POLICY, D(2027, 2, 28)).condition(b.NOT_BARRED_FOR_FRAUD).met
    assert b.evaluate(facts, POLICY, D(2027, 3, 1)).condition(b.NOT_BARRED_FOR_FRAUD).met


def test_facts_are_plain_display_values() -> None:
    result = b.evaluate(holder(fraud_bar_starts=(D(2020, 1, 1),), same_kind_award="x"), POLICY, ON)

    def plain(value: object) -> bool:
        if isinstance(value, tuple):
            return all(plain(v) for v in value)
        return value is None or type(value) in (str, int, bool, date)

    for cond in result.conditions:
        assert cond.facts, cond.code
        assert all(plain(v) for v in cond.facts.values()), cond.code
    assert result.amount_fen == 1_000_000


def test_condition_lookup_rejects_unknown_codes() -> None:
    with pytest.raises(KeyError):
        b.evaluate(holder(), POLICY, ON).condition("NOPE")


def test_period_ending_before_it_starts_is_rejected() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        job(D(2023, 1, 2), D(2023, 1, 1))


# --- day arithmetic -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (D(2022, 4, 7), 5, D(2027, 4, 7)),
        (D(2024, 2, 29), 3, D(2027, 3, 1)),
        (D(2024, 2, 29), 4, D(2028, 2, 29)),
        (D(2023, 12, 31), 1, D(2024, 12, 31)),
    ],
)
def test_years_later(day: date, years: int, expected: date) -> None:
    assert years_later(day, years) == expected


def test_merge_clip_and_nth_day() -> None:
    spans = merge([Span(D(2024, 1, 10), D(2024, 1, 20)), Span(D(2024, 1, 1), D(2024, 1, 10)),
                   Span(D(2024, 2, 1), None), Span(D(2024, 3, 1), D(2024, 3, 5)), Span(D(2024, 5, 1), D(2024, 5, 1))])
    assert spans == (Span(D(2024, 1, 1), D(2024, 1, 20)), Span(D(2024, 2, 1), None))
    assert days_in(clip(spans, D(2024, 1, 5), D(2024, 2, 3))) == 15 + 2
    assert nth_day(spans, 19) == D(2024, 1, 19)
    assert nth_day(spans, 20) == D(2024, 2, 1)
    assert nth_day(merge([Span(D(2024, 1, 1), D(2024, 1, 3))]), 3) is None
    with pytest.raises(ValueError, match="open-ended"):
        days_in(spans)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 30)), max_size=6), st.integers(0, 90))
def test_union_counts_each_day_once(raw: list[tuple[int, int]], cut: int) -> None:
    origin = D(2024, 2, 20)  # crosses the leap day
    spans = [Span(origin + timedelta(days=s), origin + timedelta(days=s + n)) for s, n in raw]
    brute = {origin + timedelta(days=s + i) for s, n in raw for i in range(n)}
    hi = origin + timedelta(days=cut)
    assert days_in(clip(merge(spans), None, hi)) == len({d for d in brute if d < hi})


# --- purity of the modules of this feature ----------------------------------------------------------

MODULES = ["bonus", "bonus_facts", "bonus_periods", "budget", "uscc", "workdays", "interest"]


@pytest.mark.parametrize("name", MODULES)
def test_domain_module_is_pure(name: str) -> None:
    path = Path(b.__file__).with_name(f"{name}.py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for mod in names:
                top = mod.split(".")[0]
                assert top in sys.stdlib_module_names or mod.startswith("certexam.domain"), mod
        if isinstance(node, ast.Attribute):
            assert node.attr not in {"today", "now", "utcnow", "time"}, f"clock read in {name}"
