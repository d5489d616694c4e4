"""The demo's training subsidies (issue 23; rules s.4, items 24-25): one institution, three projects.

A training institution (its own sign-in, an employer-kind account of an organisation of the
category training_institution) has registered three audited projects, through the subsidy use
cases, each at its day (they take `now`):

* a training course (item 24) approved after its public notice and funded from this year's
  training budget, waiting for the next payment batch;
* a second course whose 50 % share is above the RMB 1,000,000 cap per project, so the cap is paid
  (item 36: inclusive): approved for the public notice two days ago, the notice still running;
* courseware in traditional Chinese and Portuguese (item 25), submitted and waiting for the
  completeness check.

No payment batch is made here: the bonus's batches (demo_bonus) take every funded grant, and one
made after the bonus story would sweep in the bonuses the demo keeps out of any batch.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from certexam import db
from certexam.cli import demo_people as people
from certexam.cli.demo_clock import DemoClock, Timeline, local
from certexam.cli.demo_holders import credit_code
from certexam.models import Organisation, OrgCategory, Role, SubsidyApplication, User
from certexam.services.accounts import organisations
from certexam.services.accounts import users as accounts
from certexam.services.subsidies import applications, notice, projects

NAME = "深圳示范金融科技培训学院"
CODE = credit_code("440304", "MA5DEM06")
ACCOUNT = ("training@demo.certexam", "培训学院项目主管", "Demo Training Institution")
BANK = ("中国农业银行深圳分行", "41000500040012345", "account", "103584000018")  # its basic account, CNAPS
FIRM = "深圳示范会计师事务所（特殊普通合伙）"


def _institution(demo: DemoClock, since: date) -> User:
    """The institution and its sign-in (created once)."""
    sess = db.session()
    org = sess.scalar(select(Organisation).where(Organisation.credit_code == CODE))
    if org is None:
        demo.set(local(since, 10))
        org = organisations.create(None, NAME, CODE, "深圳", OrgCategory.TRAINING_INSTITUTION)
    user = accounts.find_by_email(sess, ACCOUNT[0])
    if user is None:
        user = accounts.create_staff_account(None, ACCOUNT[0], people.DEMO_PASSWORD, Role.EMPLOYER, ACCOUNT[1],
                                             ACCOUNT[2], org.id, password_hash=people.shared_hash())
    return user


def _apply(demo: DemoClock, school: User, n: int, measure: str, title: str, span: tuple[date, date],
           costs_yuan: str, on: date) -> int:
    """Register the audited project two days before applying for it; returns the application's id."""
    data = projects.ProjectInput(measure, f"SZFT-{span[1].year}-{n:02d}", title, span[0], span[1], FIRM,
                                 f"深示会审字[{span[1].year}]第{40 + n:03d}号", costs_yuan)
    project = projects.register(school, data, now=demo.set(local(on - timedelta(days=2), 11)))
    return applications.apply(school, applications.ApplyInput(project.id, True, True, *BANK),
                              now=demo.set(local(on, 10, 30))).id


def _to_notice(demo: DemoClock, admin: User, app_id: int, checked: date, reviewed: date) -> None:
    applications.check(admin, app_id, True, "", now=demo.set(local(checked, 14)))
    notice.review(admin, app_id, True, "", now=demo.set(local(reviewed, 15)))


def _close(demo: DemoClock, app_id: int, on: date) -> None:
    """Close the notice on the first day it has ended (holidays may push it)."""
    for extra in range(20):
        if notice.close_notice(app_id, now=demo.set(local(on + timedelta(days=extra), 18))) == "approved":
            return
    raise RuntimeError(f"demo subsidy application {app_id}: the notice never ended")


def load(demo: DemoClock, t: Timeline) -> list[str]:
    """The institution's three applications (skipped once any subsidy application exists)."""
    today = t.bonus_today  # inside the measures (item 38), as the bonus story
    school = _institution(demo, today - timedelta(days=400))
    if not db.session().scalar(select(func.count()).select_from(SubsidyApplication)):
        admin = accounts.find_by_email(db.session(), "admin@demo.certexam")  # every staff role: checks, reviews
        assert admin is not None  # demo_data creates the staff first
        funded = _apply(demo, school, 1, "training", "深港澳金融科技师一级考前培训（春季班）",
                        (today - timedelta(days=200), today - timedelta(days=80)), "846000.00",
                        today - timedelta(days=60))
        _to_notice(demo, admin, funded, today - timedelta(days=57), today - timedelta(days=53))
        _close(demo, funded, today - timedelta(days=45))
        capped = _apply(demo, school, 2, "training", "深港澳金融科技师二级培训（人工智能方向）",
                        (today - timedelta(days=150), today - timedelta(days=40)), "2460000.00",
                        today - timedelta(days=20))  # 50 %: RMB 1,230,000, above the cap per project
        _to_notice(demo, admin, capped, today - timedelta(days=16), today - timedelta(days=2))
        _apply(demo, school, 3, "knowledge", "金融科技师知识体系课件（繁体中文及葡萄牙文版）",
               (today - timedelta(days=300), today - timedelta(days=20)), "380000.00", today - timedelta(days=5))
    return [f"  training subsidies: {NAME} has one approved and funded, one on public notice (/subsidies/notice), "
            "one waiting for the completeness check"]
