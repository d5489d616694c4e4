"""Training subsidies end to end (issue 23; rules s.4, items 24-25, 33, 36): register, apply, completeness
check, review, public notice, the yearly budget's queue, and a payment batch that carries a subsidy line
next to a bonus line, in the bonus's bank files, paid through the bank statement."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from flask import Flask
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from certexam import db
from certexam.domain.subsidies import DoubleBenefit
from certexam.errors import Forbidden, UserError
from certexam.models import (
    OrgCategory,
    Role,
    SubsidyApplication,
    SubsidyBudgetYear,
    SubsidyGrant,
    SubsidyProject,
    User,
)
from certexam.models.bonus import ApplicationStatus, GrantStatus
from certexam.services.bonus import payouts as bonus_payouts
from certexam.services.bonus.payfiles import exports, statement
from certexam.services.subsidies import applications as subsidy_applications
from certexam.services.subsidies import notice as subsidy_notice
from certexam.services.subsidies import projects as subsidy_projects
from certexam.services.subsidies.applications import double_benefit_message
from tests.conftest import make_app, post_form
from tests.factories import PASSWORD, sign_in
from tests.integration.test_bonus_services import (
    AFTER_NOTICE,
    NOW,
    fast_passwords,  # noqa: F401  (an autouse fixture: cheap password hashing)
    fresh_app,
    make_org,
    make_staff,
    sqlite_template,  # noqa: F401  (a fixture: the migrated database each test copies)
)
from tests.integration.test_payfiles import CMB, PAYER, funded, officer, read_as_a_bank, statement_csv, xsd

_n = itertools.count(1)
ACCOUNT = ("中国农业银行深圳分行", "41000500040012345", "account", "103584000018")


@pytest.fixture
def app(tmp_path: Path, sqlite_template: Path) -> Iterator[Flask]:  # noqa: F811
    application = fresh_app(tmp_path, sqlite_template, **PAYER)
    yield application
    application.extensions["certexam.engine"].dispose()


@pytest.fixture
def admin(app: Flask) -> User:
    return officer(app, Role.BONUS_CHECKER, Role.BONUS_APPROVER)


def institution(app: Flask, name: str = "深圳金融科技培训学院") -> User:
    org_id = make_org(app, name=name, category=OrgCategory.TRAINING_INSTITUTION)
    return make_staff(app, Role.EMPLOYER, org_id)


def project(app: Flask, user: User, costs_yuan: str, measure: str = "training", report: str | None = None) -> int:
    n = next(_n)
    data = subsidy_projects.ProjectInput(measure, f"P-{n}", f"金融科技师一级培训第{n}期", date(2026, 3, 1),
                                         date(2026, 10, 31), "深圳会计师事务所", report or f"深审字[2026]{n:03d}号",
                                         costs_yuan)
    with app.app_context():
        return subsidy_projects.register(user, data, now=NOW).id


def apply(app: Flask, user: User, project_id: int, declared: bool = True) -> int:
    data = subsidy_applications.ApplyInput(project_id, declared, True, *ACCOUNT)
    with app.app_context():
        return subsidy_applications.apply(user, data, now=NOW).id


def to_notice(app: Flask, admin: User, app_id: int) -> None:
    with app.app_context():
        subsidy_applications.check(admin, app_id, True, "", now=NOW)
        subsidy_notice.review(admin, app_id, True, "", now=NOW)


def get(app: Flask, app_id: int) -> SubsidyApplication:
    with app.app_context():
        found = db.session().get(SubsidyApplication, app_id)
        assert found is not None
        db.session().expunge(found)
        return found


def test_only_training_institutions_register_projects(app: Flask) -> None:
    employer = make_staff(app, Role.EMPLOYER, make_org(app))  # a FinTech employer, not a training institution
    with pytest.raises(Forbidden):
        project(app, employer, "1000.00")


def test_apply_check_review_notice_and_approval(app: Flask, admin: User) -> None:
    school = institution(app)
    pid = project(app, school, "2000000.03")  # 50 % is 1,000,000.015: rounded down, then the cap
    app_id = apply(app, school, pid)
    a = get(app, app_id)
    assert (a.status, a.share_fen, a.amount_fen) == (ApplicationStatus.SUBMITTED, 100_000_001, 100_000_000)
    with app.app_context():
        with pytest.raises(UserError) as missing:  # returning it needs a note saying what is missing
            subsidy_applications.check(admin, app_id, False, "", now=NOW)
        assert missing.value.field == "note"
        subsidy_applications.check(admin, app_id, False, "审计报告缺少盖章页", now=NOW)
    assert get(app, app_id).status == ApplicationStatus.INCOMPLETE
    with app.app_context():
        subsidy_applications.resubmit(school, app_id, now=NOW)
    to_notice(app, admin, app_id)
    a = get(app, app_id)
    assert (a.status, a.notice_starts_on, a.notice_ends_on) == (ApplicationStatus.IN_NOTICE, date(2026, 11, 23),
                                                               date(2026, 11, 27))
    with app.app_context():
        lines = subsidy_notice.public_notice(now=NOW)
        assert [(line.reference, line.institution, line.amount_fen) for line in lines] == [
            (a.reference, "深圳金融科技培训学院", 100_000_000)]
        assert subsidy_notice.close_ended_notices(now=NOW) == []  # the notice is still running
    app.config["CLOCK"] = lambda: AFTER_NOTICE  # the command reads the one clock (services/platform/clock.py)
    result = app.test_cli_runner().invoke(args=["subsidies", "close-notices"])
    assert "1 ended notice(s): 1 approved" in result.output, result.output
    with app.app_context():
        grant = db.session().scalar(select(SubsidyGrant).where(SubsidyGrant.application_id == app_id))
        assert grant is not None and (grant.status, grant.budget_year) == (GrantStatus.FUNDED, 2026)


def test_an_upheld_objection_rejects(app: Flask, admin: User) -> None:
    school = institution(app)
    app_id = apply(app, school, project(app, school, "300000.00"))
    to_notice(app, admin, app_id)
    with app.app_context():
        subsidy_notice.uphold_objection(admin, app_id, "该项目已获区级同类补贴", now=NOW)
    assert get(app, app_id).status == ApplicationStatus.REJECTED


def test_no_double_benefit(app: Flask, admin: User) -> None:
    school, other = institution(app), institution(app, "另一培训机构")
    pid = project(app, school, "100000.00", report="深审字[2026]777号")
    with app.app_context():
        with pytest.raises(UserError) as undeclared:
            subsidy_applications.apply(school, subsidy_applications.ApplyInput(pid, False, True, *ACCOUNT), now=NOW)
        assert undeclared.value.field == "no_same_kind_award"
    first = apply(app, school, pid)
    with app.app_context(), pytest.raises(UserError) as again:
        subsidy_applications.apply(school, subsidy_applications.ApplyInput(pid, True, True, *ACCOUNT), now=NOW)
    with app.app_context():
        assert again.value.message == double_benefit_message(DoubleBenefit.SAME_PROJECT)[1]
    # The same audited costs registered again, as knowledge work, by another institution: refused (item 33).
    twin = project(app, other, "100000.00", measure="knowledge", report="深审字［2026］ 777号")
    with app.app_context(), pytest.raises(UserError) as twice:
        subsidy_applications.apply(other, subsidy_applications.ApplyInput(twin, True, True, *ACCOUNT), now=NOW)
    with app.app_context():
        assert twice.value.message == double_benefit_message(DoubleBenefit.SAME_AUDIT)[1]
    # Once the first is withdrawn the costs are free to claim once.
    with app.app_context():
        subsidy_applications.withdraw(school, first, now=NOW)
    assert get(app, apply(app, other, twin)).status == ApplicationStatus.SUBMITTED


def test_the_database_refuses_a_second_live_application_for_a_project(app: Flask) -> None:
    school = institution(app)
    pid = project(app, school, "1000.00")
    a = get(app, apply(app, school, pid))
    with app.app_context(), pytest.raises(IntegrityError):
        with db.session().begin():
            db.session().add(SubsidyApplication(
                project_id=pid, organisation_id=a.organisation_id, measure=a.measure, audit_key="other",
                status=ApplicationStatus.SUBMITTED, submitted_at=NOW, submitted_by_id=school.id, share_fen=1,
                amount_fen=1, declared_no_same_kind_award=True, declared_truthful=True, bank_name="b",
                bank_account="41000500040012345", updated_at=NOW))


def test_the_yearly_cap_is_inclusive_and_the_next_waits(app: Flask, admin: User) -> None:
    school = institution(app)
    ids = [apply(app, school, project(app, school, "2000000.00")) for _ in range(4)]  # RMB 1,000,000 each
    for app_id in ids:
        to_notice(app, admin, app_id)
    with app.app_context():
        assert subsidy_notice.close_ended_notices(now=AFTER_NOTICE) == ["approved"] * 4
        grants = {g.application_id: g.status for g in db.session().scalars(select(SubsidyGrant))}
        row = db.session().get(SubsidyBudgetYear, ("training", 2026))
        assert row is not None and row.committed_fen == row.cap_fen == 300_000_000  # exactly the cap (item 36)
    assert [grants[i] for i in ids] == [GrantStatus.FUNDED] * 3 + [GrantStatus.WAITING]
    with app.app_context():
        # Next year's budget takes the one that waited, first.
        assert subsidy_notice.close_ended_notices(now=datetime(2027, 1, 4, 2, 0, tzinfo=AFTER_NOTICE.tzinfo)) == []
        assert db.session().scalar(select(SubsidyGrant.budget_year).where(SubsidyGrant.application_id == ids[3])) \
            == 2027


def test_a_payment_batch_carries_a_subsidy_line(app: Flask, admin: User) -> None:
    maker, checker = officer(app, Role.PAYMENT_OFFICER), officer(app, Role.PAYMENT_OFFICER)
    school = institution(app)
    sub_id = apply(app, school, project(app, school, "500000.01"))  # 250,000.005 -> 250,000.00
    approver = officer(app, Role.BONUS_CHECKER, Role.BONUS_APPROVER, Role.PAYMENT_OFFICER)
    to_notice(app, approver, sub_id)
    funded(app, admin, ("陈美玲", CMB))  # a holder's bonus in the same batch
    with app.app_context():
        assert subsidy_notice.close_ended_notices(now=AFTER_NOTICE) == ["approved"]
        with pytest.raises(Forbidden):  # four eyes: the subsidy's approver (a payment officer too) does not pay it
            bonus_payouts.create_batch(approver, now=AFTER_NOTICE)
        batch = bonus_payouts.create_batch(maker, now=AFTER_NOTICE)
        assert (batch.count, batch.total_fen) == (2, 1_000_000 + 25_000_000)
        cn = exports.cn_template_file(batch)
        xml = exports.pain001_file(batch, now=AFTER_NOTICE)
        sub_line = next(p for p in batch.payouts if p.subsidy_grant_id is not None)
        ref, reference = sub_line.end_to_end_id, sub_line.source_reference
    count, total_fen, rows = read_as_a_bank(cn, "gbk")
    assert (count, total_fen) == (2, 26_000_000)
    row = next(r for r in rows if r["收款人户名"] == "深圳金融科技培训学院")
    assert (row["收款人账号"], row["金额(元)"], row["收款行联行号"]) == ("41000500040012345", "250000.00", "103584000018")
    assert reference.startswith("SUBSIDY-")
    assert xsd().validate(etree.fromstring(xml))
    with app.app_context():
        result = statement.reconcile(checker, statement.parse(statement_csv((ref, "250000.00", "paid", "2026-12-03",
                                                                             ""))), "bank.csv",
                                     now=datetime(2026, 12, 3, 8, 0, tzinfo=AFTER_NOTICE.tzinfo))
        assert result.paid == [ref] and result.mismatches == []
    a = get(app, sub_id)
    assert a.status == ApplicationStatus.PAID


def test_pages(app: Flask, admin: User) -> None:
    school = institution(app)
    client = app.test_client()
    sign_in(client, school.email, PASSWORD)
    resp = post_form(client, "/subsidies/", {
        "measure": "training", "code": "WEB-1", "title": "网页登记的培训项目", "starts_on": "2026-01-05",
        "ends_on": "2026-06-30", "audit_firm": "深圳会计师事务所", "audit_report_no": "深审字[2026]900号",
        "audited_costs_yuan": "123456.78"}, follow_redirects=True)
    assert resp.status_code == 200 and "网页登记的培训项目" in resp.get_data(as_text=True)
    resp = post_form(client, "/subsidies/", {
        "measure": "training", "code": "WEB-2", "title": "x", "starts_on": "2026-01-05", "ends_on": "2026-06-30",
        "audit_firm": "f", "audit_report_no": "r", "audited_costs_yuan": "12.345"})
    assert resp.status_code == 200  # three decimals: refused under the field, nothing registered
    with app.app_context():
        assert [p.code for p in subsidy_projects.projects_of(school)] == ["WEB-1"]
        pid = subsidy_projects.projects_of(school)[0].id
    resp = post_form(client, f"/subsidies/projects/{pid}/apply", {
        "bank_name": ACCOUNT[0], "bank_account_kind": "account", "bank_account": ACCOUNT[1],
        "bank_cnaps": ACCOUNT[3], "no_same_kind_award": "y", "truthful": "y"}, follow_redirects=True)
    assert "SUBSIDY-" in resp.get_data(as_text=True)
    assert client.get("/subsidies/admin/").status_code == 403  # an institution is not staff
    assert client.get("/subsidies/notice").status_code == 200
    assert 'href="/subsidies/"' in client.get("/subsidies/").get_data(as_text=True)  # the institution's menu
    staff = app.test_client()
    sign_in(staff, admin.email, PASSWORD)
    page = staff.get("/subsidies/admin/").get_data(as_text=True)
    assert "SUBSIDY-" in page and "61,728.39" in page  # 50 % of 123,456.78 rounded down
    assert staff.get("/subsidies/").status_code == 403  # staff are not institutions


HOSTILE = ["", " ", "0", "-1", "1e9", "9" * 40, "12.345", "NaN", "１２３", "'; DROP TABLE x;--", "\x00", "<b>",
           "2026-02-30", "99999-01-01", "a" * 300]


def test_hostile_form_values_answer_4xx_or_a_page_never_500(app: Flask) -> None:
    """What tests/functional/test_form_fuzz.py does for the demo's pages, for the institution's two forms
    (the demo has no training institution)."""
    school = institution(app)
    pid = project(app, school, "1000.00")
    other = make_staff(app, Role.EMPLOYER, make_org(app))  # an employer that is no training institution
    client, stranger = app.test_client(), app.test_client()
    sign_in(client, school.email, PASSWORD)
    sign_in(stranger, other.email, PASSWORD)
    good = {"measure": "training", "code": "F-1", "title": "t", "starts_on": "2026-01-05", "ends_on": "2026-06-30",
            "audit_firm": "f", "audit_report_no": "r", "audited_costs_yuan": "1.00"}
    assert stranger.get("/subsidies/").status_code == 200  # told what the page is for, offered nothing
    stranger.post("/subsidies/", data=good)  # no form on its page, so no token: refused, nothing registered
    assert stranger.get(f"/subsidies/projects/{pid}/apply").status_code == 404  # another's project
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(SubsidyProject)) == 1
    bank = {"bank_name": ACCOUNT[0], "bank_account_kind": "account", "bank_account": ACCOUNT[1],
            "bank_cnaps": ACCOUNT[3], "no_same_kind_award": "y", "truthful": "y"}
    for url, fields in (("/subsidies/", good), (f"/subsidies/projects/{pid}/apply", bank),
                        ("/subsidies/projects/99999999999999999999/apply", bank)):
        for name in fields:
            for value in HOSTILE:
                resp = post_form(client, url, {**fields, name: value}, get_url="/subsidies/")
                assert resp.status_code < 500, (url, name, value, resp.status_code)


@pytest.mark.postgres
def test_on_postgresql_the_cap_holds_and_a_batch_takes_the_subsidy(pg_url: str, tmp_path: Path) -> None:
    """The budget row's lock and insert (ON CONFLICT), the partial unique indexes and the batch, on PostgreSQL."""
    app = make_app(tmp_path, pg_url, **PAYER)
    try:
        admin, maker = officer(app, Role.BONUS_CHECKER, Role.BONUS_APPROVER), officer(app, Role.PAYMENT_OFFICER)
        school = institution(app)
        ids = [apply(app, school, project(app, school, "2000000.00")) for _ in range(4)]
        for app_id in ids:
            to_notice(app, admin, app_id)
        with app.app_context():
            assert subsidy_notice.close_ended_notices(now=AFTER_NOTICE) == ["approved"] * 4
            assert [s for _, s in db.session().execute(select(SubsidyGrant.id, SubsidyGrant.status)
                                                       .order_by(SubsidyGrant.id))] == \
                [GrantStatus.FUNDED] * 3 + [GrantStatus.WAITING]
            batch = bonus_payouts.create_batch(maker, now=AFTER_NOTICE)
            assert (batch.count, batch.total_fen) == (3, 300_000_000)
            report = get(app, ids[0]).audit_key
        twin = project(app, school, "1.00", report=report)  # the same audited costs again
        with app.app_context(), pytest.raises(UserError):
            subsidy_applications.apply(school, subsidy_applications.ApplyInput(twin, True, True, *ACCOUNT), now=NOW)
    finally:
        app.extensions["certexam.engine"].dispose()
