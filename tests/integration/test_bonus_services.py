"""Holder bonus services (issue 7): records, eligibility facts, applications, notice, payouts, fraud, CLI.

The helpers at the top (names without test_) are shared with the budget,
page and browser tests of the bonus.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from certexam import db, migrate
from certexam.domain import bonus as rules
from certexam.domain.uscc import org_code_check_char, uscc_check_char
from certexam.errors import Conflict, NotFound, UserError
from certexam.models import (
    STAFF_ROLES,
    AuditEntry,
    BonusApplication,
    BudgetYear,
    Certificate,
    EvidenceFile,
    Grant,
    LevelPass,
    OrgCategory,
    Payout,
    Role,
    SocialInsuranceMonth,
    User,
)
from certexam.models.bonus import ApplicationStatus, GrantStatus, ObjectionStatus
from certexam.services.accounts import organisations
from certexam.services.accounts import users as accounts
from certexam.services.bonus import applications as bonus_applications
from certexam.services.bonus import eligibility as bonus_eligibility
from certexam.services.bonus import fraud as bonus_fraud
from certexam.services.bonus import notice as bonus_notice
from certexam.services.bonus import payouts as bonus_payouts
from certexam.services.bonus import records as bonus_records
from certexam.services.bonus import social as bonus_social
from certexam.services.bonus.settings import city_and_code_disagree, is_shenzhen
from certexam.services.platform import audit
from tests.conftest import make_app
from tests.factories import PASSWORD, candidate, prc_id

D = date
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shenzhen
AFTER_NOTICE = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # the Wednesday after a notice of 23-27 Nov
CERT_ISSUED = D(2022, 1, 10)
PASSED = D(2021, 10, 16)
_n = itertools.count(1)

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def png_bytes() -> bytes:
    """A real (tiny) PNG."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(out, "PNG")
    return out.getvalue()


# --- helpers, shared with the other bonus tests -------------------------------------------------------


def uscc(n: int, division: str = "440300") -> str:
    """A valid unified social credit code, distinct per n."""
    body = f"{n:08d}"
    first17 = "91" + division + body + org_code_check_char(body)
    return first17 + uscc_check_char(first17)


def make_org(app: Flask, name: str | None = None, city: str = "深圳", category: OrgCategory = OrgCategory.FINTECH,
             division: str = "440300") -> int:
    n = next(_n) + 7000
    with app.app_context():
        return organisations.create(None, name or f"前海科技{n}", uscc(n, division), city, category).id


def make_staff(app: Flask, role: Role, org_id: int | None = None) -> User:
    """Role.ADMIN (the system administrator) gets every staff role, as migration 0013 gave the old ADMIN."""
    n = next(_n)
    with app.app_context():
        return accounts.create_staff_account(None, f"{role.value}{n}@bonus.example.com", PASSWORD,
                                             STAFF_ROLES if role == Role.SYSTEM_ADMIN else role, "职员", "Staff", org_id)


def make_holder(app: Flask, issued: date | None = CERT_ISSUED, passed: date | None = PASSED,
                status: str = "valid", name_zh: str = "张三明", name_en: str = "Zhang Sanming") -> User:
    """A candidate with a level-2 pass and certificate (rows written directly: another team owns issuing)."""
    n = next(_n) + 300
    user = candidate(app, email=f"holder{n}@bonus.example.com", name_zh=name_zh, name_en=name_en,
                     id_number=prc_id(n))
    with app.app_context():
        sess = db.session()
        if passed is not None:
            sess.add(LevelPass(user_id=user.id, level=2, passed_on=passed, created_at=NOW))
        if issued is not None:
            sess.add(Certificate(number=f"SHMFTPP-L2-{issued.year}-{n:06d}", user_id=user.id, level=2,
                                 year=issued.year, serial=n, direction="AI", passed_on=passed or issued,
                                 issued_on=issued, holder_name_zh=name_zh, holder_name_en=name_en,
                                 holder_name_family=name_en.split(maxsplit=1)[0], status=status,
                                 status_changed_at=NOW if status != "valid" else None, key_id="k1", token="t",
                                 created_at=NOW))
        sess.commit()
    return user


def add_period(app: Flask, user: User, org_id: int, start: date, end: date | None, *, full_time: bool = True,
               employer: User | None = None, confirm: bool | None = True) -> int:
    """Declare a period; the employer confirms (True), disputes (False) or leaves it pending (None)."""
    with app.app_context():
        rec = bonus_records.add_period(user, bonus_records.PeriodInput(org_id, start, end, full_time), now=NOW)
        if confirm is not None:
            boss = employer or make_staff(app, Role.EMPLOYER, org_id)
            with app.app_context():
                bonus_records.decide(boss, rec.id, confirm, "" if confirm else "not ours", now=NOW)
        return rec.id


def eligible_holder(app: Flask, org_id: int | None = None, **holder: Any) -> User:
    user = make_holder(app, **holder)
    add_period(app, user, org_id or make_org(app), D(2022, 2, 1), D(2024, 6, 30))
    return user


def apply(app: Flask, user: User, now: datetime = NOW) -> int:
    with app.app_context():
        data = bonus_applications.ApplyInput(True, True, "招商银行深圳分行", "6225 8812 3456 7898")
        return bonus_applications.apply(user, data, now=now).id


def to_notice(app: Flask, user: User, admin: User, now: datetime = NOW) -> int:
    """Apply, pass the completeness check and the review: the application is on notice."""
    app_id = apply(app, user, now)
    with app.app_context():
        bonus_applications.check(admin, app_id, True, "", now=now)
        bonus_notice.review(admin, app_id, True, "", now=now)
    return app_id


def status_of(app: Flask, app_id: int) -> ApplicationStatus:
    with app.app_context():
        found = db.session().get(BonusApplication, app_id)
        assert found is not None
        return found.status


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated once; each test copies it instead of running every migration again."""
    path = tmp_path_factory.mktemp("bonus-template") / "template.sqlite3"
    migrate.upgrade(f"sqlite:///{path}")
    return path


def fresh_app(tmp_path: Path, template: Path, **extra: Any) -> Flask:
    target = tmp_path / "bonus.sqlite3"
    shutil.copyfile(template, target)
    return make_app(tmp_path, f"sqlite:///{target}", **extra)  # the upgrade inside finds nothing to do


@pytest.fixture
def app(tmp_path: Path, sqlite_template: Path) -> Iterator[Flask]:
    application = fresh_app(tmp_path, sqlite_template)
    yield application
    application.extensions["certexam.engine"].dispose()


@pytest.fixture(autouse=True)
def fast_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap Argon2 parameters: these tests make many accounts and do not test hashing."""
    from argon2 import PasswordHasher

    from certexam.services.accounts import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def admin(app: Flask) -> User:
    return make_staff(app, Role.ADMIN)


@pytest.fixture
def payer(app: Flask) -> User:
    """The payment officer who makes batches: not whoever approved their applications (issue 19.6)."""
    return make_staff(app, Role.PAYMENT_OFFICER)


@pytest.fixture
def checker(app: Flask) -> User:
    """A second payment officer, who confirms a batch's payment (maker/checker, issue 23)."""
    return make_staff(app, Role.PAYMENT_OFFICER)


@pytest.fixture
def pg_app(pg_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = make_app(tmp_path, pg_url)
    yield application
    application.extensions["certexam.engine"].dispose()


# --- organisations and Shenzhen -----------------------------------------------------------------------


def test_credit_codes_are_checked_and_normalised(app: Flask) -> None:
    with app.app_context():
        with pytest.raises(UserError) as err:
            organisations.create(None, "坏码公司", "91440300MA5F00000X", "深圳", OrgCategory.FINTECH)
        assert err.value.field == "credit_code"
        good = uscc(4242)
        typed = good.lower().replace("9", "９", 1)  # lower case and a full-width digit from an IME
        org = organisations.create(None, "好码公司", f"  {typed} ", "深圳", OrgCategory.FINTECH)
        assert org.credit_code == good
        with pytest.raises(Conflict):
            organisations.create(None, "重复", good, "深圳", OrgCategory.FINTECH)


@pytest.mark.parametrize("city,expected", [
    ("深圳", True), ("深圳市", True), ("Shenzhen", True), ("  SHENZHEN ", True), ("ＳＨＥＮＺＨＥＮ", True),
    ("shenzhen city", True), ("Shen Zhen", True), ("广州", False), ("香港", False), ("Shenzhen Bay", False), ("", False),
])
def test_shenzhen_is_the_city_of_registration(city: str, expected: bool) -> None:
    assert is_shenzhen(city) is expected


@pytest.mark.parametrize("city,division,disagree", [
    ("深圳", "440300", False), ("深圳", "440305", False), ("深圳", "440100", True), ("广州", "440300", True),
    ("广州", "440100", False),
])
def test_city_and_code_region_disagreement_is_flagged(city: str, division: str, disagree: bool) -> None:
    assert city_and_code_disagree(city, uscc(1, division)) is disagree


# --- periods cut by social-insurance months -----------------------------------------------------------


@pytest.mark.parametrize("start,end,months,expected", [
    (D(2023, 1, 15), D(2023, 3, 10), [], [(D(2023, 1, 15), D(2023, 3, 10), False)]),
    (D(2023, 1, 15), D(2023, 3, 10), [D(2023, 1, 1), D(2023, 2, 1), D(2023, 3, 1)],
     [(D(2023, 1, 15), D(2023, 3, 10), True)]),
    (D(2023, 1, 15), D(2023, 4, 30), [D(2023, 2, 1)],
     [(D(2023, 1, 15), D(2023, 1, 31), False), (D(2023, 2, 1), D(2023, 2, 28), True),
      (D(2023, 3, 1), D(2023, 4, 30), False)]),
    (D(2023, 1, 1), None, [D(2023, 1, 1), D(2023, 2, 1)],
     [(D(2023, 1, 1), D(2023, 2, 28), True), (D(2023, 3, 1), None, False)]),
    (D(2023, 1, 1), D(2023, 12, 31), [D(2022, 12, 1), D(2024, 1, 1)], [(D(2023, 1, 1), D(2023, 12, 31), False)]),
    (D(2024, 2, 10), D(2024, 2, 20), [D(2024, 2, 1)], [(D(2024, 2, 10), D(2024, 2, 20), True)]),
    (D(2023, 1, 1), D(2023, 3, 31), [D(2023, 3, 1), D(2023, 1, 1)],
     [(D(2023, 1, 1), D(2023, 1, 31), True), (D(2023, 2, 1), D(2023, 2, 28), False),
      (D(2023, 3, 1), D(2023, 3, 31), True)]),
])
def test_split_by_social_insurance_months(start: date, end: date | None, months: list[date],
                                          expected: list[tuple[date, date | None, bool]]) -> None:
    assert bonus_eligibility.split_by_months(start, end, months) == expected


# --- eligibility from the database --------------------------------------------------------------------


TODAY = D(2026, 11, 23)


def _verdict(app: Flask, user: User, on: date = TODAY) -> rules.Eligibility:
    with app.app_context():
        return bonus_eligibility.evaluate(user.id, on).result


def test_exactly_730_confirmed_days_are_enough_and_729_are_not(app: Flask) -> None:
    org = make_org(app)
    exact, short = make_holder(app), make_holder(app)
    add_period(app, exact, org, D(2022, 1, 10), D(2024, 1, 9))  # 730 days from the issue day, both ends in
    add_period(app, short, org, D(2022, 1, 10), D(2024, 1, 8))
    assert _verdict(app, exact).eligible and _verdict(app, exact).days_counted == 730
    res = _verdict(app, short)
    assert not res.eligible and res.unmet == (rules.EMPLOYMENT_2_YEARS,) and res.days_counted == 729


@pytest.mark.parametrize("city,category,full_time,confirm,reason", [
    ("广州", OrgCategory.FINTECH, True, True, rules.OUTSIDE_CITY),
    ("深圳", OrgCategory.OTHER, True, True, rules.CATEGORY_NOT_QUALIFYING),
    ("深圳", OrgCategory.FINTECH, False, True, rules.NOT_FULL_TIME),
    ("深圳", OrgCategory.FINTECH, True, None, rules.NOT_CONFIRMED),
    ("深圳", OrgCategory.FINTECH, True, False, rules.NOT_CONFIRMED),
])
def test_a_period_that_does_not_count_says_why(app: Flask, city: str, category: OrgCategory, full_time: bool,
                                               confirm: bool | None, reason: str) -> None:
    user = make_holder(app)
    org = make_org(app, city=city, category=category)
    rec = add_period(app, user, org, D(2022, 2, 1), D(2024, 6, 30), full_time=full_time, confirm=confirm)
    with app.app_context():
        verdict = bonus_eligibility.evaluate(user.id, D(2026, 11, 23))
    assert not verdict.result.eligible and verdict.result.days_counted == 0
    [(period_verdict, segment)] = verdict.reasons_by_record()[rec]
    assert reason in period_verdict.reasons and segment.record_id == rec


def test_social_insurance_months_confirm_an_unanswered_period(app: Flask) -> None:
    user = make_holder(app)
    org = make_org(app)
    rec = add_period(app, user, org, D(2022, 2, 1), D(2024, 6, 30), confirm=None)
    with app.app_context():
        assert db.session().scalars(select(SocialInsuranceMonth)).all() == []
        id_number = db.session().execute(select(User.id_number).where(User.id == user.id)).scalar_one()
        from certexam.models import Organisation

        org_code = db.session().get(Organisation, org).credit_code  # type: ignore[union-attr]
    lines = ["credit_code,id_number,month"]
    lines += [f"{org_code},{id_number},{y}-{m:02d}" for y in (2022, 2023, 2024) for m in range(1, 13)
              if D(2022, 2, 1) <= D(y, m, 1) <= D(2024, 6, 1)]
    with app.app_context():
        parsed = bonus_social.parse("\n".join(lines).encode(), D(2026, 11, 23))
        assert parsed.errors == []
        report = bonus_social.import_lines(None, parsed.lines, "si.csv", now=NOW)
    assert report.added == 29 and report.already == 0
    with app.app_context():
        verdict = bonus_eligibility.evaluate(user.id, D(2026, 11, 23))
    assert verdict.result.eligible and verdict.result.days_counted == 881
    assert all(seg.via_social_insurance for _v, seg in verdict.reasons_by_record()[rec])


def test_no_projected_day_when_two_years_end_after_the_measures(app: Flask) -> None:
    user = make_holder(app)
    add_period(app, user, make_org(app), D(2025, 6, 1), None)  # the 730th day is 2027-05-30
    res = _verdict(app, user)
    assert not res.eligible and res.unmet == (rules.EMPLOYMENT_2_YEARS,)
    assert res.projected_eligible_on is None  # the measures end on 2027-04-06 (rules s.3, item 38)


def test_projected_day_inside_the_measures(app: Flask) -> None:
    user = make_holder(app)
    add_period(app, user, make_org(app), D(2022, 2, 1), D(2023, 1, 31))  # 365 days
    add_period(app, user, make_org(app), D(2026, 1, 1), None)  # 326 days by 2026-11-22, still running
    res = _verdict(app, user)
    assert res.days_counted == 365 + 327 and not res.eligible
    assert res.projected_eligible_on == D(2026, 11, 23) + timedelta(days=730 - 692)


def test_certificate_reissue_keeps_the_first_issue_day_and_revocation_counts(app: Flask) -> None:
    user = make_holder(app, issued=D(2022, 1, 10))
    add_period(app, user, make_org(app), D(2022, 1, 10), D(2024, 1, 9))
    with app.app_context():
        sess = db.session()
        old = sess.scalars(select(Certificate).where(Certificate.user_id == user.id)).one()
        new = Certificate(number=old.number + "R", user_id=user.id, level=2, year=2023, serial=old.serial + 100000,
                          passed_on=old.passed_on, issued_on=D(2023, 5, 1), holder_name_zh="张三明",
                          holder_name_en="Zhang Sanming", holder_name_family="Zhang", status="valid", key_id="k1",
                          token="t", created_at=NOW)
        sess.add(new)
        sess.flush()
        old.replaced_by_id = new.id
        sess.commit()
    assert _verdict(app, user).eligible  # still 730 days from 2022-01-10
    with app.app_context():
        sess = db.session()
        cert = sess.scalars(select(Certificate).where(Certificate.user_id == user.id,
                                                      Certificate.replaced_by_id.is_(None))).one()
        cert.status, cert.status_changed_at = "revoked", datetime(2025, 3, 1, 4, tzinfo=UTC)
        sess.commit()
    res = _verdict(app, user)
    assert res.unmet == (rules.CERTIFICATE_VALID,)
    assert res.condition(rules.CERTIFICATE_VALID).facts["status"] == "revoked"


def test_no_level2_pass_and_no_certificate(app: Flask) -> None:
    user = make_holder(app, issued=None, passed=None)
    res = _verdict(app, user)
    assert {rules.LEVEL2_PASSED_AFTER_START, rules.CERTIFICATE_VALID, rules.EMPLOYMENT_2_YEARS} <= set(res.unmet)


# --- records, evidence and who may touch them ---------------------------------------------------------


@pytest.mark.parametrize("start,end,field", [
    (D(2023, 5, 1), D(2023, 4, 30), "ends_on"),
    (D(2026, 11, 24), None, "starts_on"),
    (D(2023, 5, 1), D(2026, 12, 1), "ends_on"),
    (D(1979, 12, 31), None, "starts_on"),
])
def test_period_dates_are_checked(app: Flask, start: date, end: date | None, field: str) -> None:
    user, org = make_holder(app), make_org(app)
    with app.app_context(), pytest.raises(UserError) as err:
        bonus_records.add_period(user, bonus_records.PeriodInput(org, start, end, True), now=NOW)
    assert err.value.field == field


def test_evidence_is_checked_by_content_and_stored_outside_static(app: Flask) -> None:
    user, org = make_holder(app), make_org(app)
    rec = add_period(app, user, org, D(2022, 2, 1), None, confirm=None)
    with app.app_context():
        pdf = bonus_records.add_evidence(user, rec, "../../合同.pdf.html", PDF, now=NOW)
        png = bonus_records.add_evidence(user, rec, "社保.png", png_bytes(), now=NOW)
        assert pdf.content_type == "application/pdf" and pdf.original_name == "合同.pdf.pdf"
        assert png.content_type == "image/png" and png.original_name == "社保.png"
        stored = Path(app.instance_path) / "uploads" / pdf.stored_path
        assert stored.read_bytes() == PDF and stored.parent.name == "evidence"
        for bad in (b"<html><script>alert(1)</script></html>", b"%PDF-1.4 but never ends", b"GIF89a......",
                    PDF + b"x" * (10 * 1024 * 1024)):
            with pytest.raises(UserError):
                bonus_records.add_evidence(user, rec, "x.pdf", bad, now=NOW)
        assert db.session().scalar(select(func.count()).select_from(EvidenceFile)) == 2


def test_holders_and_employers_reach_only_their_own_records(app: Flask) -> None:
    org, other_org = make_org(app), make_org(app)
    owner, stranger = make_holder(app), make_holder(app)
    boss, other_boss = make_staff(app, Role.EMPLOYER, org), make_staff(app, Role.EMPLOYER, other_org)
    admin = make_staff(app, Role.ADMIN)
    rec = add_period(app, owner, org, D(2022, 2, 1), None, confirm=None)
    with app.app_context():
        ev = bonus_records.add_evidence(owner, rec, "c.pdf", PDF, now=NOW)
        for call in (lambda: bonus_records.delete_period(stranger, rec),
                     lambda: bonus_records.add_evidence(stranger, rec, "x.pdf", PDF, now=NOW),
                     lambda: bonus_records.evidence_for(stranger, ev.id),
                     lambda: bonus_records.evidence_for(other_boss, ev.id),
                     lambda: bonus_records.decide(other_boss, rec, True, "", now=NOW)):
            with pytest.raises(NotFound):
                call()
        assert bonus_records.evidence_for(owner, ev.id).id == ev.id
        assert bonus_records.evidence_for(boss, ev.id).id == ev.id
        assert bonus_records.evidence_for(admin, ev.id).id == ev.id
        assert [r.id for r in bonus_records.employer_records(other_boss)] == []
        assert [r.id for r in bonus_records.employer_records(boss)] == [rec]
        with pytest.raises(UserError) as err:
            bonus_records.decide(boss, rec, False, "  ", now=NOW)  # a dispute needs a reason
        assert err.value.field == "note"
        bonus_records.decide(boss, rec, True, "", now=NOW)
        with pytest.raises(Conflict):
            bonus_records.decide(boss, rec, False, "changed my mind", now=NOW)
        with pytest.raises(Conflict):
            bonus_records.delete_period(owner, rec)  # confirmed periods stay


# --- applications, notice, payment --------------------------------------------------------------------


@pytest.mark.parametrize("change,field", [
    ({"no_same_kind_award": False}, "no_same_kind_award"),
    ({"truthful": False}, "truthful"),
    ({"bank_account": "12345"}, "bank_account"),
    ({"bank_account": "6225-8812-3456-78AB"}, "bank_account"),
    ({"bank_name": "  "}, "bank_name"),
])
def test_application_needs_declarations_and_a_bank_account(app: Flask, change: dict[str, Any], field: str) -> None:
    user = eligible_holder(app)
    data = {"no_same_kind_award": True, "truthful": True, "bank_name": "招商银行", "bank_account": "6225881234567898",
            **change}
    with app.app_context(), pytest.raises(UserError) as err:
        bonus_applications.apply(user, bonus_applications.ApplyInput(**data), now=NOW)
    assert err.value.field == field
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(BonusApplication)) == 0


def test_not_eligible_cannot_apply_and_one_application_at_a_time(app: Flask) -> None:
    with pytest.raises(UserError):
        apply(app, make_holder(app))  # no employment
    user = eligible_holder(app)
    apply(app, user)
    with pytest.raises(Conflict):
        apply(app, user)


def test_the_whole_path_from_application_to_payment(app: Flask, admin: User, payer: User,
        checker: User) -> None:
    user = eligible_holder(app, name_zh="欧阳明华")
    unanswered = add_period(app, user, make_org(app), D(2024, 7, 1), None, confirm=None)
    app_id = apply(app, user)
    with app.app_context():
        with pytest.raises(UserError):
            bonus_applications.check(admin, app_id, False, " ", now=NOW)  # returning it needs a note
        bonus_applications.check(admin, app_id, False, "Upload the labour contract.", now=NOW)
    assert status_of(app, app_id) == ApplicationStatus.INCOMPLETE
    with app.app_context():
        bonus_applications.resubmit(user, app_id, now=NOW)
        bonus_applications.check(admin, app_id, True, "", now=NOW)
        with pytest.raises(Conflict):
            bonus_applications.check(admin, app_id, True, "", now=NOW)  # not twice
        bonus_notice.review(admin, app_id, True, "", now=NOW)
        found = db.session().get(BonusApplication, app_id)
        assert found is not None
        assert (found.notice_starts_on, found.notice_ends_on) == (D(2026, 11, 23), D(2026, 11, 27))
        [line] = bonus_notice.public_notice(now=NOW)
        assert line.masked_name == "欧*华" and line.reference == found.reference
        with pytest.raises(Conflict):
            bonus_records.delete_period(user, unanswered)  # records stay as they are while being decided
        obj = bonus_notice.record_objection(admin, app_id, D(2026, 11, 24), "匿名", "Works part-time.",
                                             now=NOW + timedelta(days=1))
        assert bonus_notice.close_notice(app_id, now=AFTER_NOTICE).result == "waiting"  # an objection is open
        bonus_notice.resolve_objection(admin, obj.id, False, "Payroll shows full-time.", now=AFTER_NOTICE)
        assert bonus_notice.close_notice(app_id, now=NOW + timedelta(days=2)).result == "not_due"
        assert [o.result for o in bonus_notice.close_ended_notices(now=AFTER_NOTICE)] == ["approved"]
        grant = db.session().scalars(select(Grant)).one()
        assert (grant.status, grant.budget_year, grant.amount_fen) == (GrantStatus.FUNDED, 2026, 1_000_000)
        assert bonus_notice.public_notice(now=AFTER_NOTICE) == []
        batch = bonus_payouts.create_batch(payer, now=AFTER_NOTICE)
        with pytest.raises(UserError):
            bonus_payouts.create_batch(payer, now=AFTER_NOTICE)  # nothing left to pay
        text = bonus_payouts.export_csv(batch).decode("utf-8-sig")
        header, row = text.strip().split("\r\n")
        assert header.split(",") == bonus_payouts.CSV_HEADER
        assert row.split(",") == [found.reference, "欧阳明华", "Zhang Sanming", "prc_id", user.id_number,
                                  "招商银行深圳分行", "6225881234567898", "10000.00"]
        with pytest.raises(UserError):
            bonus_payouts.mark_paid(checker, batch.id, "", D(2026, 12, 2), now=AFTER_NOTICE)
        with pytest.raises(UserError):
            bonus_payouts.mark_paid(checker, batch.id, "B-1", D(2026, 12, 3), now=AFTER_NOTICE)  # future
        bonus_payouts.mark_paid(checker, batch.id, "CMB-2026-12-02-001", D(2026, 12, 2), now=AFTER_NOTICE)
        with pytest.raises(Conflict):
            bonus_payouts.mark_paid(checker, batch.id, "again", D(2026, 12, 2), now=AFTER_NOTICE)
    assert status_of(app, app_id) == ApplicationStatus.PAID
    with app.app_context():
        res = bonus_eligibility.evaluate(user.id, D(2026, 12, 3)).result
        assert res.unmet == (rules.NO_EARLIER_BONUS,)  # one bonus per person
        actions = set(db.session().scalars(select(AuditEntry.action)))
        assert {"bonus.application.submit", "bonus.application.in_notice", "bonus.objection.record",
                "bonus.application.approved", "bonus.batch.create", "bonus.batch.paid"} <= actions
        checked, problems = audit.verify(db.session())
        assert problems == [] and checked > 10


def test_notice_counts_working_days_with_the_holiday_calendar(tmp_path: Path, sqlite_template: Path) -> None:
    app = fresh_app(tmp_path, sqlite_template, HOLIDAYS="2026-11-26 2026-11-27", EXTRA_WORKDAYS=["2026-11-29"],
                   BONUS_NOTICE_WORKING_DAYS=5)
    with app.app_context():
        assert bonus_notice.notice_span(D(2026, 11, 21)) == (D(2026, 11, 23), D(2026, 11, 30))  # Sat: from Monday
        assert bonus_notice.notice_span(D(2026, 11, 20)) == (D(2026, 11, 20), D(2026, 11, 29))  # Sun worked
    app.extensions["certexam.engine"].dispose()


def test_an_upheld_objection_rejects_and_a_revoked_certificate_goes_back_to_review(app: Flask, admin: User) -> None:
    first, second = eligible_holder(app), eligible_holder(app)
    a1, a2 = to_notice(app, first, admin), to_notice(app, second, admin)
    with app.app_context():
        obj = bonus_notice.record_objection(admin, a1, D(2026, 11, 23), "", "Forged contract.", now=NOW)
        with pytest.raises(UserError):
            bonus_notice.resolve_objection(admin, obj.id, True, "", now=NOW)
        bonus_notice.resolve_objection(admin, obj.id, True, "The contract is forged.", now=NOW)
        cert = db.session().scalars(select(Certificate).where(Certificate.user_id == second.id)).one()
        cert.status, cert.status_changed_at = "revoked", NOW
        db.session().commit()
        outcome = bonus_notice.close_notice(a2, now=AFTER_NOTICE)
    assert status_of(app, a1) == ApplicationStatus.REJECTED
    assert outcome.result == "review_again" and status_of(app, a2) == ApplicationStatus.UNDER_REVIEW
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Grant)) == 0
        assert db.session().get(BonusApplication, a1).objections[0].status == ObjectionStatus.UPHELD  # type: ignore[union-attr]


def test_withdraw_and_object_level_access_to_applications(app: Flask) -> None:
    owner, stranger = eligible_holder(app), eligible_holder(app)
    app_id = apply(app, owner)
    with app.app_context():
        for call in (lambda: bonus_applications.own_application(stranger, app_id),
                     lambda: bonus_applications.withdraw(stranger, app_id, now=NOW)):
            with pytest.raises(NotFound):
                call()
        bonus_applications.withdraw(owner, app_id, now=NOW)
        with pytest.raises(Conflict):
            bonus_applications.withdraw(owner, app_id, now=NOW)
    assert status_of(app, app_id) == ApplicationStatus.WITHDRAWN
    apply(app, owner)  # a withdrawn application does not block a new one


def test_one_bonus_per_person_is_enforced_by_the_database(app: Flask, admin: User, payer: User) -> None:
    user = eligible_holder(app)
    app_id = to_notice(app, user, admin)
    with app.app_context():
        bonus_notice.close_notice(app_id, now=AFTER_NOTICE)
        bonus_payouts.create_batch(payer, now=AFTER_NOTICE)
        sess = db.session()
        grant = sess.scalars(select(Grant)).one()
        payout = sess.scalars(select(Payout)).one()
        other = BonusApplication(user_id=user.id, status=ApplicationStatus.APPROVED, submitted_at=NOW,
                                 declared_no_same_kind_award=True, declared_truthful=True, bank_name="x",
                                 bank_account="123456789012", eligibility_json="{}", updated_at=NOW)
        sess.add(other)
        sess.commit()
        sess.add(Grant(application_id=other.id, user_id=user.id, amount_fen=1_000_000, approved_at=NOW,
                       status=GrantStatus.WAITING))
        with pytest.raises(IntegrityError):
            sess.commit()
        sess.rollback()
        sess.add(Payout(batch_id=payout.batch_id, grant_id=grant.id + 1000, user_id=user.id, amount_fen=1,
                        bank_name="x", bank_account="1"))
        with pytest.raises(IntegrityError):
            sess.commit()
        sess.rollback()


# --- fraud --------------------------------------------------------------------------------------------


def test_fraud_after_payment_recovers_with_interest_and_bars_for_three_years(app: Flask, admin: User, payer: User,
        checker: User) -> None:
    user = eligible_holder(app, name_zh="李四", name_en="Li Si")
    app_id = to_notice(app, user, admin)
    with app.app_context():
        bonus_notice.close_notice(app_id, now=AFTER_NOTICE)
        batch = bonus_payouts.create_batch(payer, now=AFTER_NOTICE)
        bonus_payouts.mark_paid(checker, batch.id, "REF", D(2026, 12, 2), now=AFTER_NOTICE)
        later = datetime(2026, 12, 20, 2, tzinfo=UTC)
        with pytest.raises(UserError):
            bonus_fraud.record_finding(admin, user.id, "forged", D(2026, 12, 21), now=later)  # future day
        case = bonus_fraud.record_finding(admin, user.id, "Forged social-insurance record.", D(2026, 12, 18),
                                          now=later)
        assert (case.principal_fen, case.paid_on, case.interest_rate_bp) == (1_000_000, D(2026, 12, 2), 300)
        assert case.barred_until == D(2029, 12, 17)
        assert db.session().scalars(select(Grant)).one().status == GrantStatus.RECOVERY
        # 365 days at 3.00 % a year on RMB 10,000: RMB 300.00 exactly.
        assert bonus_fraud.interest_on(case, D(2027, 12, 2)) == 30_000
        assert bonus_fraud.interest_on(case, D(2026, 12, 3)) == 82  # 1,000,000 * 0.03 / 365 = 82.19 fen
        with pytest.raises(UserError):
            bonus_fraud.record_recovery(admin, case.id, D(2026, 12, 1), now=later)  # before payment
        bonus_fraud.record_recovery(admin, case.id, D(2026, 12, 20), now=later)
        assert case.interest_fen == round(1_000_000 * 3 * 18 / (100 * 365))
        with pytest.raises(Conflict):
            bonus_fraud.record_recovery(admin, case.id, D(2026, 12, 20), now=later)
        [public] = bonus_fraud.public_cases()
        assert public.masked_name == "李*" and public.recovered and public.principal_fen == 1_000_000
        res = bonus_eligibility.evaluate(user.id, D(2029, 12, 17)).result
        assert rules.NOT_BARRED_FOR_FRAUD in res.unmet
        assert rules.NOT_BARRED_FOR_FRAUD not in bonus_eligibility.evaluate(user.id, D(2029, 12, 18)).result.unmet


def test_fraud_before_payment_cancels_the_grant_and_frees_its_budget(tmp_path: Path, sqlite_template: Path) -> None:
    app = fresh_app(tmp_path, sqlite_template, BONUS_YEARLY_CAP_FEN=1_000_000)  # room for one bonus a year
    admin = make_staff(app, Role.ADMIN)
    cheat, honest = eligible_holder(app), eligible_holder(app)
    first, second = to_notice(app, cheat, admin), to_notice(app, honest, admin)
    with app.app_context():
        bonus_notice.close_ended_notices(now=AFTER_NOTICE)
        grants = {g.user_id: g.status for g in db.session().scalars(select(Grant))}
        assert grants == {cheat.id: GrantStatus.FUNDED, honest.id: GrantStatus.WAITING}
        bonus_fraud.record_finding(admin, cheat.id, "Invented employment.", D(2026, 12, 2), now=AFTER_NOTICE)
        grants = {g.user_id: g.status for g in db.session().scalars(select(Grant))}
        assert grants == {honest.id: GrantStatus.FUNDED}  # the waiting one moves up into the freed budget
        assert db.session().get(BudgetYear, 2026).committed_fen == 1_000_000  # type: ignore[union-attr]
    assert status_of(app, first) == ApplicationStatus.CANCELLED
    assert status_of(app, second) == ApplicationStatus.APPROVED
    app.extensions["certexam.engine"].dispose()


def test_fraud_while_in_an_unpaid_batch_is_refused_and_open_applications_are_cancelled(
        app: Flask, admin: User, payer: User) -> None:
    paid_user, applicant = eligible_holder(app), eligible_holder(app)
    app_id = to_notice(app, paid_user, admin)
    pending = apply(app, applicant)
    with app.app_context():
        bonus_notice.close_notice(app_id, now=AFTER_NOTICE)
        bonus_payouts.create_batch(payer, now=AFTER_NOTICE)
        with pytest.raises(Conflict):
            bonus_fraud.record_finding(admin, paid_user.id, "x", D(2026, 12, 2), now=AFTER_NOTICE)
        bonus_fraud.record_finding(admin, applicant.id, "Fake contract.", D(2026, 12, 2), now=AFTER_NOTICE)
        with pytest.raises(NotFound):
            bonus_fraud.record_finding(admin, admin.id, "staff are not holders", D(2026, 12, 2), now=AFTER_NOTICE)
    assert status_of(app, pending) == ApplicationStatus.CANCELLED
    with pytest.raises(UserError):
        apply(app, applicant, AFTER_NOTICE)  # barred
    assert _verdict(app, applicant, D(2026, 12, 2)).unmet == (rules.NOT_BARRED_FOR_FRAUD,)


# --- social-insurance files and the CLI ---------------------------------------------------------------


@pytest.mark.parametrize("text,line", [
    ("code,id,month\n", 1),
    ("credit_code,id_number,month\n91440300MA5F00000X,110101199001010011,2024-01\n", 2),
    (f"credit_code,id_number,month\n{uscc(1)},110101199001010011,2024-13\n", 2),
    (f"credit_code,id_number,month\n{uscc(1)},110101199001010011,2027-01\n", 2),
    (f"credit_code,id_number,month\n{uscc(1)},,2024-01\n", 2),
    (f"credit_code,id_number,month\n{uscc(1)},110101199001010011\n", 2),
    ("credit_code,id_number,month\n", 1),
])
def test_social_insurance_file_errors_name_the_line(text: str, line: int) -> None:
    parsed = bonus_social.parse(text.encode(), D(2026, 11, 23))
    assert [n for n, _m in parsed.errors] == [line]


def test_cli_imports_all_or_nothing_closes_notices_and_exports(app: Flask, tmp_path: Path) -> None:
    admin = make_staff(app, Role.ADMIN)
    org = make_org(app)
    user = make_holder(app)
    add_period(app, user, org, D(2022, 2, 1), D(2024, 6, 30), confirm=None)
    with app.app_context():
        from certexam.models import Organisation

        code = db.session().get(Organisation, org).credit_code  # type: ignore[union-attr]
    rows = [f"{code},{user.id_number},2023-{m:02d}" for m in range(1, 13)]
    bad = tmp_path / "bad.csv"
    bad.write_text("credit_code,id_number,month\n" + "\n".join(rows) + "\nnot-a-code,1,2023-01\n", encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text("credit_code,id_number,month\n" + "\n".join(rows) + f"\n{uscc(99999)},X1,2023-01\n",
                    encoding="utf-8-sig")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["bonus", "import-social-insurance", str(bad)])
    assert result.exit_code == 1 and "bad.csv:14" in result.output
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(SocialInsuranceMonth)) == 0
    result = runner.invoke(args=["bonus", "import-social-insurance", str(good)])
    assert result.exit_code == 0, result.output
    assert "Imported 12 month(s)" in result.output and "1 line(s) for unknown organisations" in result.output
    result = runner.invoke(args=["bonus", "import-social-insurance", str(good)])
    assert "Imported 0 month(s); 12 already known" in result.output
    # Twelve confirmed months are not two years; a confirmed period of another holder is.
    other = eligible_holder(app)
    app.config["CLOCK"] = lambda: NOW
    to_notice(app, other, admin)
    app.config["CLOCK"] = lambda: AFTER_NOTICE
    result = runner.invoke(args=["bonus", "close-notices"])
    assert result.exit_code == 0 and "1 approved for payment" in result.output
    out = tmp_path / "batch.csv"
    result = runner.invoke(args=["bonus", "export-batch", "-o", str(out)])
    assert result.exit_code == 0 and "RMB 10,000.00" in result.output
    assert out.read_bytes().decode("utf-8-sig").count("\r\n") == 2
    result = runner.invoke(args=["bonus", "export-batch", "-o", str(out)])
    assert result.exit_code == 1  # nothing new to pay
    result = runner.invoke(args=["bonus", "export-batch", "-o", str(out), "--batch", "1"])
    assert result.exit_code == 0 and "Batch 1: 1 payment(s)" in result.output


def test_removing_a_period_removes_its_files_once_committed(app: Flask) -> None:
    user, org = make_holder(app), make_org(app)
    rec = add_period(app, user, org, D(2022, 2, 1), None, confirm=None)
    with app.app_context():
        ev = bonus_records.add_evidence(user, rec, "c.pdf", PDF, now=NOW)
        stored = Path(app.instance_path) / "uploads" / ev.stored_path
        assert stored.exists()
        bonus_records.delete_period(user, rec)
        assert not stored.exists()
        assert db.session().scalar(select(func.count()).select_from(EvidenceFile)) == 0
