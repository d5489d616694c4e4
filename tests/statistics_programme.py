"""A seeded programme for the statistics tests (issue 23): three sittings, holders at both levels, bonus grants.

Sittings, accounts, organisations, certificates, employment and the whole bonus path go through the
services. Registrations and released results are written as rows (as tests/exam_setup.py and the
bonus helpers do): producing 30 results through attempts, scoring and release would make the test
about the exam, not about counting. The figures the pages must show are worked out in EXPECTED.

Who is who:
  p1..p7   pass sitting A (level 1, 2025 spring, 12 candidates: 7 pass, 5 fail); p1..p5 then pass
           sitting C (level 2, 10 candidates: 5 pass, 5 fail; directions AI, AI, AI, AI, BD)
  q1..q3   pass sitting B (level 1, 2025 autumn, 9 candidates: 3 pass, 5 fail, 1 void)
  b1..b3   level-2 holders of 2022 (no sitting) who get the holder bonus; the cap is set to
           RMB 20,000, so two are funded and the third waits in the queue (nothing paid: the payment
           path with its maker and checker is another feature's, and the page reads paid money the same
           way as committed money)
  r1       a revoked certificate: not a holder
  p1..p5 work at a bank today, p6 at a FinTech firm (both confirmed by the employer).
  s1       a training institution (rules s.4) with three projects through the whole subsidy path: training
           (item 24) RMB 100,000 funded and RMB 60,000 waiting (the training cap is set to RMB 150,000),
           knowledge work (item 25) RMB 25,000 funded and paid (the paid status written as a row, as above)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import Flask
from sqlalchemy import select

from certexam import db
from certexam.models import OrgCategory, Registration, Result, Role, Sitting, SubsidyGrant, User
from certexam.models.bonus import GrantStatus
from certexam.services.bonus import applications as bonus_applications
from certexam.services.bonus import notice as bonus_notice
from certexam.services.certificates import admin as cert_admin
from certexam.services.certificates import issue, keys
from certexam.services.sittings import schedule
from certexam.services.subsidies import applications as subsidy_applications
from certexam.services.subsidies import notice as subsidy_notice
from certexam.services.subsidies import projects as subsidy_projects
from tests.factories import candidate
from tests.integration.test_bonus_services import (
    AFTER_NOTICE,
    CERT_ISSUED,
    NOW,
    PASSED,
    add_period,
    apply,
    make_org,
    make_staff,
)

CAP_FEN = 2_000_000  # two bonuses of RMB 10,000 fit in the year; the third waits
TRAINING_CAP_FEN = 15_000_000  # RMB 150,000: the RMB 100,000 subsidy fits, the RMB 60,000 one then waits
SEEDED_AT = AFTER_NOTICE + timedelta(days=1)  # the clock of the app: 2026-12-03
CONFIG = {"BONUS_YEARLY_CAP_FEN": CAP_FEN, "SUBSIDY_TRAINING_YEARLY_CAP_FEN": TRAINING_CAP_FEN}
INSTITUTION = "深圳示范培训学院"


@dataclass(frozen=True)
class Seeded:
    sittings: dict[str, int]
    admin: User


def _sitting(app: Flask, name: str, level: int, opens: datetime) -> int:
    codes = ["P1", "P2", "P3"] if level == 1 else ["AM", "PM"]
    papers = tuple(schedule.PaperPlan(c, opens + timedelta(days=30, hours=4 * i)) for i, c in enumerate(codes))
    plan = schedule.SittingPlan(name=name, level=level, registration_opens_at=opens,
                                registration_closes_at=opens + timedelta(days=20), capacity=100,
                                languages=("zh_Hans", "en"), fee_fen=199_900, papers=papers)
    with app.app_context():
        return schedule.create_sitting(None, plan).id


def _results(app: Flask, sitting_id: int, outcomes: list[tuple[User, str, str | None]], modules: list[str]) -> None:
    """Registrations and released results: PASS rates 3/4 per module, FAIL 1/2, VOID none."""
    with app.app_context():
        sess = db.session()
        for user, status, direction in outcomes:
            reg = Registration(sitting_id=sitting_id, user_id=user.id, admission_no=f"S{sitting_id:03d}{user.id:06d}",
                               direction=direction, created_at=NOW)
            sess.add(reg)
            sess.flush()
            rate = {"PASS": "3/4", "FAIL": "1/2"}.get(status)
            sess.add(Result(registration_id=reg.id, sitting_id=sitting_id, user_id=user.id, status=status,
                            module_rates=json.dumps({m: rate for m in modules} if rate else {}), computed_at=NOW,
                            released=True))
        sitting = sess.get(Sitting, sitting_id)
        assert sitting is not None
        sitting.results_released_at = NOW
        sess.commit()


def _certify(app: Flask, user: User, level: int, sitting_id: int | None, direction: str | None, on: date) -> None:
    with app.app_context():
        keys.ensure_keys(NOW)
        issue.issue_certificate(None, user.id, level, direction, sitting_id, on, on, with_pdf=False)


def _earlier_holder(app: Flask, name_zh: str, name_en: str) -> User:
    """A level-2 holder of 2022, from a pass recorded without a sitting (direction AI)."""
    user = candidate(app, name_zh=name_zh, name_en=name_en)
    with app.app_context():
        schedule.record_level_pass(None, user.id, 2, PASSED, "2021 autumn sitting, before the platform")
    _certify(app, user, 2, None, "AI", CERT_ISSUED)
    return user


def seed(app: Flask) -> Seeded:
    bank = make_org(app, "深圳示范银行", category=OrgCategory.FINANCIAL_INSTITUTION)
    fintech = make_org(app, "前海金融科技", category=OrgCategory.FINTECH)
    admin = make_staff(app, Role.ADMIN)
    a = _sitting(app, "2025 春季一级", 1, datetime(2025, 2, 1, tzinfo=UTC))
    b = _sitting(app, "2025 秋季一级", 1, datetime(2025, 8, 1, tzinfo=UTC))
    c = _sitting(app, "2025 二级", 2, datetime(2025, 10, 1, tzinfo=UTC))
    people = [candidate(app, name_en=f"Stat Person{i}") for i in range(1, 25)]
    p, q, rest = people[:7], people[7:10], people[10:]
    l1 = ["L1-ETH", "L1-ECO"]
    _results(app, a, [(u, "PASS", None) for u in p] + [(u, "FAIL", None) for u in rest[:5]], l1)
    _results(app, b, [(u, "PASS", None) for u in q] + [(u, "FAIL", None) for u in rest[5:10]]
             + [(rest[10], "VOID", None)], l1)
    directions = ["AI", "AI", "AI", "AI", "BD", "AI", "BD", "AI", "CLD", "CLD"]
    c_people = p + q
    _results(app, c, [(u, "PASS" if i < 5 else "FAIL", directions[i]) for i, u in enumerate(c_people)],
             ["L2-ETH", "L2-AI"])
    for u in p:
        _certify(app, u, 1, a, None, date(2025, 5, 20))
    for u in q:
        _certify(app, u, 1, b, None, date(2025, 11, 20))
    for i, u in enumerate(p[:5]):
        _certify(app, u, 2, c, directions[i], date(2026, 1, 15))
    for u in p[:5]:
        add_period(app, u, bank, date(2025, 6, 1), None)
    add_period(app, p[5], fintech, date(2025, 6, 1), None)
    revoked = _earlier_holder(app, "王撤销", "Wang Revoked")
    with app.app_context():
        number = issue.holder_certificates(revoked.id)[0].number
        cert_admin.change_status(admin, number, "revoke", "Obtained by fraud.")

    employer = make_org(app, "前海示范支付", category=OrgCategory.FINTECH)
    # The duties' own roles where they exist (issue 19.6), else the administrator of before.
    checker = make_staff(app, getattr(Role, "BONUS_CHECKER", Role.ADMIN))
    approver = make_staff(app, getattr(Role, "BONUS_APPROVER", Role.ADMIN))
    for n in "一二三":
        holder = _earlier_holder(app, f"李奖励{n}", f"Li Bonus{n}")
        add_period(app, holder, employer, date(2022, 2, 1), date(2024, 6, 30))
        app_id = apply(app, holder)
        with app.app_context():
            bonus_applications.check(checker, app_id, True, "", now=NOW)
            bonus_notice.review(approver, app_id, True, "", now=NOW)
    with app.app_context():
        bonus_notice.close_ended_notices(now=AFTER_NOTICE)  # two funded, the third waits
    _subsidies(app, checker, approver)
    return Seeded({"A": a, "B": b, "C": c}, admin)


def _subsidies(app: Flask, checker: User, approver: User) -> None:
    """s1's three projects: applied, checked, reviewed, noticed and approved through the services."""
    school = make_staff(app, Role.EMPLOYER, make_org(app, INSTITUTION, category=OrgCategory.TRAINING_INSTITUTION))
    ids = []
    for n, (measure, costs) in enumerate([("training", "200000.00"), ("training", "120000.00"),
                                          ("knowledge", "50000.01")], start=1):  # 50 %: 100,000; 60,000; 25,000
        data = subsidy_projects.ProjectInput(measure, f"S-{n}", f"示范项目{n}", date(2026, 3, 1), date(2026, 10, 31),
                                             "深圳会计师事务所", f"深审字[2026]S{n}号", costs)
        with app.app_context():
            project_id = subsidy_projects.register(school, data, now=NOW).id
            ids.append(subsidy_applications.apply(school, subsidy_applications.ApplyInput(
                project_id, True, True, "中国农业银行深圳分行", "41000500040012345", "account", "103584000018"),
                now=NOW).id)
            subsidy_applications.check(checker, ids[-1], True, "", now=NOW)
            subsidy_notice.review(approver, ids[-1], True, "", now=NOW)
    with app.app_context():
        subsidy_notice.close_ended_notices(now=AFTER_NOTICE)
        sess = db.session()
        paid = sess.scalar(select(SubsidyGrant).where(SubsidyGrant.application_id == ids[2]))
        assert paid is not None and paid.status == GrantStatus.FUNDED
        paid.status = GrantStatus.PAID
        sess.commit()


EXPECTED = {
    "persons": 13,  # p1..p7, q1..q3, b1..b3
    "level1": 10,
    "level2": 8,  # p1..p5 and b1..b3
    "committed_2026_fen": 2_000_000,
    "paid_2026_fen": 0,
    "queue": 1,
    "subsidy_training_committed_2026_fen": 10_000_000,
    "subsidy_training_queued_fen": 6_000_000,
    "subsidy_knowledge_paid_2026_fen": 2_500_000,
}
