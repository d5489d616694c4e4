"""`certexam demo` fills every administrator's screen, twice gives the same database, and keeps the audit chain.

One load per database (it is the slow part, ~30-60 s): the test then checks
each state the demo promises (issue 17, "Demo data that shows every screen").
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certexam import db
from certexam.cli import demo_clock, demo_cohort, demo_exams, demo_people, demo_results, demo_subsidies
from certexam.cli.demo import demo_command
from certexam.cli.platform import audit_verify_command, init_db_command
from certexam.domain.identity import id_number_problem
from certexam.domain.scoring_types import FAIL, PASS, VOID
from certexam.models import (
    STAFF_ROLES,
    Attempt,
    BonusApplication,
    BudgetYear,
    Certificate,
    EmploymentRecord,
    FraudCase,
    Grant,
    Mark,
    MarkingAssignment,
    Objection,
    Organisation,
    OrgCategory,
    PayoutBatch,
    Recheck,
    Registration,
    Result,
    Role,
    Sitting,
    SocialInsuranceMonth,
    SubsidyApplication,
    User,
    UserRole,
)
from certexam.models.bonus import ApplicationStatus, GrantStatus, ObjectionStatus, PeriodStatus
from certexam.services.bonus import settings as bonus_settings
from certexam.services.results import analysis
from tests.conftest import make_app


def _counts(sess: Session) -> dict[str, int]:
    return {t.name: sess.scalar(select(func.count()).select_from(t)) or 0 for t in db.Base.metadata.sorted_tables}


def _sitting(sess: Session, name: str) -> Sitting:
    sitting = sess.scalar(select(Sitting).where(Sitting.name == name))
    assert sitting is not None, name
    return sitting


@pytest.fixture
def loaded(tmp_path: Path, any_db_url: str) -> Any:
    app = make_app(tmp_path, any_db_url)
    runner = app.test_cli_runner()
    assert runner.invoke(init_db_command).exit_code == 0
    first = runner.invoke(demo_command)
    assert first.exit_code == 0, first.output
    assert "CLOCK" not in app.config and app.config["MAIL_BACKEND"] == "memory"  # the demo's clock is given back
    with app.app_context():
        before = _counts(db.session())
    second = runner.invoke(demo_command)
    assert second.exit_code == 0, second.output
    yield app, runner, first.output, second.output, before
    app.extensions["certexam.engine"].dispose()


@pytest.mark.slow
def test_demo_shows_every_state_once(loaded: tuple[Flask, Any, str, str, dict[str, int]]) -> None:
    app, runner, first, second, before = loaded
    assert first == second and "admin@demo.certexam" in first and "candidate" in first
    verified = runner.invoke(audit_verify_command)
    assert verified.exit_code == 0 and "intact" in verified.output, verified.output
    with app.app_context():
        sess = db.session()
        assert _counts(sess) == before  # loading twice changes nothing
        roles = dict(sess.execute(select(User.role, func.count()).group_by(User.role)).all())
        assert roles[Role.EMPLOYER] == 3 and roles[Role.CANDIDATE] >= 600  # 2 employers, 1 training institution
        staff_roles = dict(sess.execute(select(UserRole.role, func.count()).group_by(UserRole.role)).all())
        # issue 19.6: the administrator holds every staff role, then one person per role (two results and
        # two payment officers for the four-eyes steps, three markers)
        assert staff_roles == {r: 2 for r in STAFF_ROLES} | {Role.MARKER: 4, Role.RESULTS_OFFICER: 3,
                                                             Role.PAYMENT_OFFICER: 3}
        # issue 19.11: the public lookup matches the family name; a Portuguese name puts it last
        families = dict(sess.execute(select(User.email, User.name_family).where(User.email.in_(
            ["ana.sousa@demo.certexam", "chan.taiman@demo.certexam"]))).all())
        assert families == {"ana.sousa@demo.certexam": "Sousa", "chan.taiman@demo.certexam": "Chan"}
        _results(sess)
        _marking(sess)
        _bonus(sess)
        _certificates_and_employers(sess)
        _subsidies(sess)


def _results(sess: Session) -> None:
    l1 = _sitting(sess, demo_results.L1_RELEASED)
    l2 = _sitting(sess, demo_results.L2_RELEASED)
    assert l1.results_released_at is not None and l2.results_released_at is not None
    l1_status = dict(sess.execute(select(Result.status, func.count()).where(Result.sitting_id == l1.id)
                                  .group_by(Result.status)).all())
    assert l1_status[PASS] >= 50 and l1_status[FAIL] >= 50 and sum(l1_status.values()) >= 250
    assert any("ETHICS_VETO" in json.loads(r) for r in sess.scalars(select(Result.reasons)
                                                                      .where(Result.sitting_id == l1.id)))
    ranked = sess.execute(select(Registration.direction, Result.rank).join(Result, Result.registration_id ==
                                                                           Registration.id)
                          .where(Result.sitting_id == l2.id, Result.rank.is_not(None))).all()
    assert {d for d, _r in ranked} == {"AI", "BD", "CLD"}  # ranked within each direction
    assert sess.scalar(select(func.count()).select_from(Result).where(Result.sitting_id == l2.id,
                                                                      Result.status == VOID)) == 1
    reports = analysis.analyse_sitting(sess, l1)
    assert [r.paper for r in reports] == ["P1", "P2", "P3"]
    stats = [i.stats for r in reports for i in r.analysis.items]
    assert len(stats) >= 240 and min(s.n for s in stats) >= 100
    facilities = [float(s.facility) for s in stats if s.facility is not None]
    assert 0.4 < sum(facilities) / len(facilities) < 0.75 and min(facilities) < 0.35 < 0.85 < max(facilities)
    assert any(s.discrimination is not None and s.discrimination > 0.3 for s in stats)
    statuses = set(sess.scalars(select(Recheck.status)))
    assert {"open", "unchanged"} <= statuses


def _marking(sess: Session) -> None:
    l2 = _sitting(sess, demo_results.L2_RELEASED)
    rounds = set(sess.scalars(select(Mark.round).join(Attempt, Attempt.id == Mark.attempt_id)
                              .join(Registration, Registration.id == Attempt.registration_id)
                              .where(Registration.sitting_id == l2.id)))
    assert {1, 2} <= rounds  # double marking (3: adjudication, when two marks were far apart)
    queue = _sitting(sess, demo_results.L2_MARKING)
    assert queue.results_released_at is None
    grader = sess.scalar(select(User).where(User.email == "grader@demo.certexam"))
    assert grader is not None
    waiting = sess.scalar(select(func.count()).select_from(MarkingAssignment)
                          .where(MarkingAssignment.marker_id == grader.id, MarkingAssignment.done_at.is_(None)))
    assert waiting and waiting >= 5
    live = _sitting(sess, demo_exams.IN_PROGRESS)
    running = list(sess.scalars(select(Attempt).join(Registration, Registration.id == Attempt.registration_id)
                                .where(Registration.sitting_id == live.id, Attempt.status != "submitted")))
    assert len(running) >= 5 and any(a.paused_at is not None for a in running)


def _bonus(sess: Session) -> None:
    states = set(sess.scalars(select(BonusApplication.status)))
    assert states == set(ApplicationStatus)  # every state, from to-check to paid, and the ends
    on_notice = sess.scalars(select(BonusApplication).where(BonusApplication.status == ApplicationStatus.IN_NOTICE))
    assert any(o.status == ObjectionStatus.OPEN for app in on_notice for o in app.objections)
    assert {ObjectionStatus.UPHELD, ObjectionStatus.DISMISSED} <= set(sess.scalars(select(Objection.status)))
    full = sess.scalars(select(BudgetYear).where(BudgetYear.committed_fen == BudgetYear.cap_fen)).all()
    assert full and full[0].cap_fen == bonus_settings.yearly_cap_fen()  # the year's budget is committed
    assert sess.scalar(select(func.count()).select_from(Grant).where(Grant.status == GrantStatus.WAITING)) == 3
    assert {GrantStatus.FUNDED, GrantStatus.PAID, GrantStatus.RECOVERY} <= set(sess.scalars(select(Grant.status)))
    batches = sess.scalars(select(PayoutBatch)).all()
    assert any(b.paid_on for b in batches) and any(b.paid_on is None for b in batches)
    cases = sess.scalars(select(FraudCase)).all()
    assert {c.principal_fen > 0 for c in cases} == {True, False}  # one paid bonus to recover, one cancelled


def _certificates_and_employers(sess: Session) -> None:
    revoked = sess.scalars(select(Certificate).where(Certificate.status == "revoked")).all()
    assert any(c.replaced_by_id for c in revoked) and any(c.replaced_by_id is None for c in revoked)
    assert sess.scalar(select(func.count()).select_from(Certificate).where(Certificate.status == "suspended"))
    employer = sess.scalar(select(User).where(User.email == "employer@demo.certexam"))
    assert employer is not None and employer.role == Role.EMPLOYER
    org = sess.get(Organisation, employer.organisation_id)
    assert org is not None
    states = set(sess.scalars(select(EmploymentRecord.status).where(EmploymentRecord.organisation_id == org.id)))
    assert states == {PeriodStatus.CONFIRMED, PeriodStatus.PENDING, PeriodStatus.DISPUTED}
    assert sess.scalar(select(func.count()).select_from(SocialInsuranceMonth))


def _subsidies(sess: Session) -> None:
    """Issue 23: the training institution's applications, one funded, one on notice capped, one to check."""
    school = sess.scalar(select(User).where(User.email == demo_subsidies.ACCOUNT[0]))
    assert school is not None and school.role == Role.EMPLOYER
    org = sess.get(Organisation, school.organisation_id)
    assert org is not None and org.category == OrgCategory.TRAINING_INSTITUTION
    apps = {a.status: a for a in sess.scalars(select(SubsidyApplication))}
    assert set(apps) == {ApplicationStatus.APPROVED, ApplicationStatus.IN_NOTICE, ApplicationStatus.SUBMITTED}
    funded = apps[ApplicationStatus.APPROVED].grant
    assert funded is not None and funded.status == GrantStatus.FUNDED
    capped = apps[ApplicationStatus.IN_NOTICE]
    assert capped.share_fen > capped.amount_fen == 100_000_000  # rules s.4, item 24: the cap per project


def test_demo_people_are_the_same_every_time_and_well_formed() -> None:
    group = demo_people.people("t", 7, 60)
    assert group == demo_people.people("t", 7, 60)
    assert len({p.email for p in group}) == len({p.id_number for p in group}) == 60
    assert {p.id_type for p in group} == {"prc_id", "hk_id"}
    assert all(id_number_problem(p.id_type, p.id_number) is None for p in group)
    # The HKID check digit by hand: 36*9 + 11*8 + 1*7 + 1*2 = 421, 421 % 11 = 3, 11 - 3 = 8
    # (the same rule gives the published example A123456(3)).
    assert demo_people.hkid_number(1, 1) == "B100001(8)"


def test_demo_cohort_answers_follow_ability() -> None:
    from certexam.domain.items import Item, Option, Text

    items = [Item(id=f"T-{n:04d}", module="L1-FIN", type="single_choice", stem=Text({"zh_Hans": "?"}),
                  options=tuple(Option(k, Text({"zh_Hans": k})) for k in "ABCD"), answer="B", difficulty=3)
             for n in range(200)]
    weak, strong = demo_cohort.Ability(-1.5, -1.5, 0.5), demo_cohort.Ability(1.5, 1.5, 0.5)

    def right(who: demo_cohort.Ability) -> int:
        return sum(demo_cohort.answer(i, who, "s") == "B" for i in items)

    assert right(weak) < 100 < right(strong)
    assert [demo_cohort.answer(i, weak, "s") for i in items] == [demo_cohort.answer(i, weak, "s") for i in items]


@pytest.mark.parametrize("today", [date(2026, 12, 7), date(2027, 1, 5), date(2027, 9, 1)])
def test_demo_story_is_in_the_past_and_the_bonus_inside_the_measures(app: Flask, today: date) -> None:
    with app.app_context():
        t = demo_clock.timeline(today)
    last_day = bonus_settings.policy().measures_last_day  # rules s.3, item 38
    assert t.bonus_today == min(today, last_day) and t.budget_year == (t.bonus_today - timedelta(days=21)).year
    assert t.holders_passed < t.holders_issued < t.l1_exam < t.l1_release < today
    assert t.l2_exam < t.l2_release <= today - timedelta(days=3) and t.l2_marking_exam < today
    # two years of work after the certificates fit before the year whose budget the story fills
    assert t.holders_issued + timedelta(days=730) < t.social_insurance < date(t.budget_year, 1, 1)
