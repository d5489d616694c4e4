"""Holder-bonus pages and JSON API through the test client: roles, object-level access, files, the flow."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from certexam import db
from certexam.bonus.openapi import OPENAPI_PATHS
from certexam.models import (
    STAFF_ROLES,
    BonusApplication,
    EmploymentRecord,
    EvidenceFile,
    Organisation,
    Role,
    User,
)
from certexam.models.bonus import ApplicationStatus, PeriodStatus
from certexam.services.bonus import records as bonus_records
from tests.conftest import csrf_from, post_form
from tests.factories import PASSWORD, sign_in
from tests.functional.test_access import ROUTE_TABLE
from tests.integration.test_bonus_services import (  # noqa: F401  (fixtures used by name)
    NOW,
    PDF,
    add_period,
    eligible_holder,
    fast_passwords,
    fresh_app,
    make_holder,
    make_org,
    make_staff,
    sqlite_template,
)

D = date
ALL_CONDITIONS = ["Passed the level-2 exam on or after 1 January 2021", "Holds a valid level-2 certificate",
                  "Two years of full-time work", "Has not received this bonus before",
                  "Takes no city-level award or subsidy of the same kind",
                  "Not barred from applying after a fraud finding", "Applies while the measures are in force"]


class Clock:
    """The bonus clock (CLOCK): fixed, and moved forward by the tests."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def app(tmp_path: Path, sqlite_template: Path, clock: Clock) -> Iterator[Flask]:  # noqa: F811
    application = fresh_app(tmp_path, sqlite_template, CLOCK=clock)
    yield application
    application.extensions["certexam.engine"].dispose()


def browser(app: Flask, user: User | None = None) -> FlaskClient:
    client = app.test_client()
    client.set_cookie("certexam_lang", "en")
    if user is not None:
        sign_in(client, user.email, PASSWORD)
    return client


def text(resp: Any) -> str:
    return resp.get_data(as_text=True)


def _form(client: FlaskClient, page: str, url: str, data: dict[str, Any], **kw: Any) -> Any:
    return post_form(client, url, data, get_url=page, **kw)


# --- holders -------------------------------------------------------------------------------------------


def test_holder_sees_every_condition_and_declares_a_period_with_evidence(app: Flask) -> None:
    holder = make_holder(app)
    org = make_org(app, "前海测试银行")
    client = browser(app, holder)
    page = text(client.get("/bonus/"))
    for title in ALL_CONDITIONS:
        assert title in page
    assert page.count("✗ Not met") == 1 and "0 of 730 days counted" in page
    r = _form(client, "/bonus/periods/new", "/bonus/periods/new",
              {"organisation_id": org, "starts_on": "2025-03-01", "ends_on": "", "full_time": "y"})
    assert r.status_code == 302
    with app.app_context():
        rec = db.session().scalars(select(EmploymentRecord)).one()
        assert (rec.status, rec.ends_on, rec.full_time) == (PeriodStatus.PENDING, None, True)
    r = _form(client, "/bonus/", f"/bonus/periods/{rec.id}/evidence",
              {"file": (io.BytesIO(PDF), "劳动合同.pdf")}, content_type="multipart/form-data")
    assert r.status_code == 302
    r = _form(client, "/bonus/", f"/bonus/periods/{rec.id}/evidence",
              {"file": (io.BytesIO(b"<html><script>x</script>"), "a.pdf")},
              content_type="multipart/form-data", follow_redirects=True)
    assert "The file must be a PDF, JPEG or PNG." in text(r)
    with app.app_context():
        ev = db.session().scalars(select(EvidenceFile)).one()
    resp = client.get(f"/bonus/evidence/{ev.id}")
    assert resp.status_code == 200 and resp.data == PDF
    assert resp.headers["Content-Type"] == "application/pdf"
    assert resp.headers["Content-Disposition"].startswith("attachment")
    assert resp.headers["X-Content-Type-Options"] == "nosniff" and "sandbox" in resp.headers["Content-Security-Policy"]
    # The employer confirms: the running job now projects the day the holder becomes eligible.
    boss = make_staff(app, Role.EMPLOYER, org)
    with app.app_context():
        bonus_records.decide(boss, rec.id, True, "", now=NOW)
    page = text(client.get("/bonus/"))
    assert "If nothing but time changes, eligible on February 28, 2027." in page  # 730th day from 2025-03-01


@pytest.mark.parametrize("bad,message", [
    ({"starts_on": "2023-05-01", "ends_on": "2023-04-01"}, "The end date is before the start date."),
    ({"starts_on": "2027-01-01", "ends_on": ""}, "The start date must be a day in the past."),
    ({"organisation_id": "999999"}, "Choose an organisation from the list."),
])
def test_period_form_shows_errors_next_to_the_field(app: Flask, bad: dict[str, str], message: str) -> None:
    holder, org = make_holder(app), make_org(app)
    client = browser(app, holder)
    r = _form(client, "/bonus/periods/new", "/bonus/periods/new",
              {"organisation_id": org, "starts_on": "2023-01-01", "ends_on": "", "full_time": "y", **bad})
    assert r.status_code == 200 and message in text(r)
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(EmploymentRecord)) == 0


def test_employer_answers_only_for_its_own_organisation(app: Flask) -> None:
    org, other = make_org(app, "前海甲公司"), make_org(app, "前海乙公司")
    holder = make_holder(app, name_zh="王小明", name_en="Wang Xiaoming")
    rec = add_period(app, holder, org, D(2022, 2, 1), None, confirm=None)
    boss, other_boss = make_staff(app, Role.EMPLOYER, org), make_staff(app, Role.EMPLOYER, other)
    outsider = browser(app, other_boss)
    assert "王小明" not in text(outsider.get("/employer/confirmations"))
    r = _form(outsider, "/employer/confirmations", f"/employer/periods/{rec}/decide", {"confirm": "1"})
    assert r.status_code == 404
    client = browser(app, boss)
    page = text(client.get("/employer/confirmations"))
    assert "王小明" in page and holder.id_number not in page  # the ID number is masked
    r = _form(client, "/employer/confirmations", f"/employer/periods/{rec}/decide", {"dispute": "1", "note": ""},
              follow_redirects=True)
    assert "Say why you dispute the period." in text(r)
    r = _form(client, "/employer/confirmations", f"/employer/periods/{rec}/decide", {"confirm": "1"})
    assert r.status_code == 302
    with app.app_context():
        assert db.session().get(EmploymentRecord, rec).status == PeriodStatus.CONFIRMED  # type: ignore[union-attr]


def test_every_object_route_refuses_another_users_object(app: Flask) -> None:
    org, other_org = make_org(app), make_org(app)
    owner, stranger = eligible_holder(app, org), make_holder(app)
    rec = add_period(app, owner, org, D(2024, 7, 1), None, confirm=None)
    with app.app_context():
        ev = bonus_records.add_evidence(owner, rec, "c.pdf", PDF, now=NOW)
    owner_client = browser(app, owner)
    r = _form(owner_client, "/bonus/apply", "/bonus/apply",
              {"bank_name": "招商银行", "bank_account": "6225881234567898", "no_same_kind_award": "y", "truthful": "y"})
    assert r.status_code == 302
    with app.app_context():
        app_id = db.session().scalars(select(BonusApplication.id)).one()
    s = browser(app, stranger)
    assert s.get(f"/bonus/applications/{app_id}").status_code == 404
    assert s.get(f"/bonus/evidence/{ev.id}").status_code == 404
    assert s.get("/bonus/evidence/abc").status_code == 404
    for url in (f"/bonus/applications/{app_id}/withdraw", f"/bonus/applications/{app_id}/resubmit",
                f"/bonus/periods/{rec}/delete",
                f"/bonus/periods/{rec}/evidence"):
        assert _form(s, "/bonus/", url, {}).status_code == 404, url
    other_boss = browser(app, make_staff(app, Role.EMPLOYER, other_org))
    assert other_boss.get(f"/bonus/evidence/{ev.id}").status_code == 404
    assert browser(app, make_staff(app, Role.EMPLOYER, org)).get(f"/bonus/evidence/{ev.id}").status_code == 200
    assert browser(app, make_staff(app, Role.ADMIN)).get(f"/bonus/evidence/{ev.id}").status_code == 200
    assert browser(app, make_staff(app, Role.GRADER)).get(f"/bonus/evidence/{ev.id}").status_code == 403
    assert owner_client.get(f"/bonus/applications/{app_id}").status_code == 200
    with app.app_context():
        assert db.session().get(BonusApplication, app_id).status == ApplicationStatus.SUBMITTED  # type: ignore[union-attr]
        assert db.session().get(EmploymentRecord, rec) is not None


# --- the administrator's path, the public pages ---------------------------------------------------------


def test_application_through_review_notice_and_payment_in_pages(app: Flask, clock: Clock) -> None:
    holder = eligible_holder(app, name_zh="欧阳明华", name_en="Ouyang Minghua")
    client = browser(app, holder)
    r = _form(client, "/bonus/apply", "/bonus/apply", {"bank_name": "招商银行", "bank_account": "6225881234567898"})
    assert r.status_code == 200 and "This field is required." in text(r)
    r = _form(client, "/bonus/apply", "/bonus/apply", {"bank_name": "招商银行深圳分行", "bank_account": "6225 8812 3456 7898",
                                                        "no_same_kind_award": "y", "truthful": "y"})
    assert r.status_code == 302
    with app.app_context():
        app_id = db.session().scalars(select(BonusApplication.id)).one()
    page = f"/admin/bonus/applications/{app_id}"
    admin = browser(app, make_staff(app, Role.ADMIN))
    detail = text(admin.get(page))
    assert "Every counted period has evidence" in detail and "6225881234567898" not in detail
    assert _form(admin, page, f"{page}/check", {"complete": "1"}).status_code == 302
    assert _form(admin, page, f"{page}/review", {"approve": "1"}).status_code == 302
    notice = text(browser(app).get("/public/bonus-notice"))
    assert "欧*华" in notice and "欧阳明华" not in notice and "Ouyang" not in notice
    r = _form(admin, page, f"{page}/objections", {"received_on": "2026-11-23", "objector": "某某",
                                                  "text": "She worked part-time."})
    assert r.status_code == 302
    clock.at = NOW + timedelta(days=9)
    r = _form(admin, "/admin/bonus/", "/admin/bonus/notices/close", {}, follow_redirects=True)
    assert "0 application(s) approved for payment; 1 still waiting." in text(r)
    with app.app_context():
        obj_id = db.session().get(BonusApplication, app_id).objections[0].id  # type: ignore[union-attr]
    r = _form(admin, page, f"/admin/bonus/objections/{obj_id}/resolve",
              {"dismiss": "1", "resolution": "Payroll shows full-time work."})
    assert r.status_code == 302
    r = _form(admin, "/admin/bonus/", "/admin/bonus/notices/close", {}, follow_redirects=True)
    assert "1 application(s) approved for payment" in text(r)
    # The batch is made by a payment officer who approved none of it, and confirmed paid by a second one.
    maker, checker = (browser(app, make_staff(app, Role.PAYMENT_OFFICER)) for _ in range(2))
    r = _form(maker, "/admin/bonus/payouts", "/admin/bonus/payouts", {}, follow_redirects=True)
    assert "Batch 1 is ready" in text(r)
    csv_resp = maker.get("/admin/bonus/payouts/1.csv")
    assert csv_resp.headers["Content-Disposition"] == 'attachment; filename="bonus-batch-1.csv"'
    body = csv_resp.data.decode("utf-8-sig")
    assert "欧阳明华" in body and holder.id_number in body and "6225881234567898" in body and ",10000.00" in body
    r = _form(checker, "/admin/bonus/payouts", "/admin/bonus/payouts/1/paid",
              {"bank_reference": "CMB-20261202-001", "paid_on": "2026-12-02"})
    assert r.status_code == 302
    assert "Paid" in text(client.get(f"/bonus/applications/{app_id}"))
    dashboard = text(admin.get("/admin/bonus/"))
    assert "<svg" in dashboard and 'role="img"' in dashboard and "RMB 2,990,000.00" in dashboard  # remaining


def test_dashboard_chart_and_pages_carry_no_inline_script_or_style(app: Flask) -> None:
    admin = browser(app, make_staff(app, Role.ADMIN))
    for path in ["/admin/bonus/", "/admin/bonus/applications", "/admin/bonus/payouts", "/admin/bonus/fraud",
                 "/admin/bonus/social-insurance", "/public/bonus-notice", "/public/bonus-fraud"]:
        html = text(admin.get(path))
        assert "<script" not in html and " style=" not in html, path
    holder_html = text(browser(app, make_holder(app)).get("/bonus/"))
    assert "<script" not in holder_html and " style=" not in holder_html
    chart = text(admin.get("/admin/bonus/"))
    assert re.search(r"<svg[^>]+viewBox", chart) and "RMB 3,000,000.00" in chart  # this year's untouched cap


def test_social_insurance_upload_is_all_or_nothing(app: Flask) -> None:
    holder, org = make_holder(app), make_org(app)
    add_period(app, holder, org, D(2022, 2, 1), D(2024, 6, 30), confirm=None)
    with app.app_context():
        code = db.session().get(Organisation, org).credit_code  # type: ignore[union-attr]
    admin = browser(app, make_staff(app, Role.ADMIN))
    good = "credit_code,id_number,month\n" + "\n".join(f"{code},{holder.id_number},2023-{m:02d}" for m in range(1, 13))
    r = _form(admin, "/admin/bonus/social-insurance", "/admin/bonus/social-insurance",
              {"file": (io.BytesIO((good + "\nbad,1,2023-01\n").encode()), "si.csv")},
              content_type="multipart/form-data")
    assert "nothing was imported" in text(r) and "Line 14:" in text(r)
    r = _form(admin, "/admin/bonus/social-insurance", "/admin/bonus/social-insurance",
              {"file": (io.BytesIO(good.encode()), "si.csv")}, content_type="multipart/form-data")
    assert re.search(r"Months added</dt><dd>12<", text(r))
    page = text(browser(app, holder).get("/bonus/"))
    assert "confirmed by social-insurance records" in page and "365 of 730 days counted" in page


def test_social_insurance_page_lists_the_records_on_file(app: Flask) -> None:
    holder, org = make_holder(app), make_org(app)
    with app.app_context():
        code = db.session().get(Organisation, org).credit_code  # type: ignore[union-attr]
    admin = browser(app, make_staff(app, Role.ADMIN))
    assert "No contribution records yet." in text(admin.get("/admin/bonus/social-insurance"))
    lines = "credit_code,id_number,month\n" + "\n".join(f"{code},{holder.id_number},2023-{m:02d}" for m in (3, 1, 2))
    _form(admin, "/admin/bonus/social-insurance", "/admin/bonus/social-insurance",
          {"file": (io.BytesIO(lines.encode()), "si.csv")}, content_type="multipart/form-data")
    page = text(admin.get("/admin/bonus/social-insurance"))  # a later visit still shows what is on file
    assert "No contribution records yet." not in page and code in page
    assert re.search(r'<td class="num">1</td><td class="num">3</td>\s*<td>2023-01</td><td>2023-03</td>', page)


def test_fraud_finding_is_listed_publicly_with_the_name_masked(app: Flask) -> None:
    holder = eligible_holder(app, name_zh="李四", name_en="Li Si")
    admin = browser(app, make_staff(app, Role.ADMIN))
    r = _form(admin, "/admin/bonus/fraud", "/admin/bonus/fraud",
              {"holder": "nobody@example.com", "found_on": "2026-11-20", "finding": "x"})
    assert "No single holder has this email or ID number." in text(r)
    r = _form(admin, "/admin/bonus/fraud", "/admin/bonus/fraud",
              {"holder": holder.id_number.lower(), "found_on": "2026-11-20", "finding": "Forged stamp on contract."})
    assert r.status_code == 302
    public = text(browser(app).get("/public/bonus-fraud"))
    assert "李*" in public and "李四" not in public and "Forged" not in public and "November 19, 2029" in public
    page = text(browser(app, holder).get("/bonus/"))
    assert "Barred until November 19, 2029." in page


# --- JSON API -----------------------------------------------------------------------------------------


API = ["/api/v1/bonus/eligibility", "/api/v1/bonus/applications", "/api/v1/bonus/admin/applications",
       "/api/v1/bonus/admin/payouts"]


def test_api_answers_401_and_403_as_json(app: Flask) -> None:
    anonymous = browser(app)
    for path in API:
        resp = anonymous.get(path)
        assert resp.status_code == 401 and resp.is_json and resp.json["error"], path  # type: ignore[index]
    holder = browser(app, make_holder(app))
    employer = browser(app, make_staff(app, Role.EMPLOYER, make_org(app)))
    for path in API[2:]:
        assert holder.get(path).status_code == 403 and holder.get(path).is_json
    for path in API[:2]:
        assert employer.get(path).status_code == 403
    # Candidates' API routes are the candidate's alone; staff API routes take staff roles only (which
    # ones, route by route, is pinned by test_route_roles against docs/security.md; issue 19.6).
    for endpoint, marker in ROUTE_TABLE.items():
        if isinstance(marker, str) and marker.startswith("json:"):
            roles = set(app.view_functions[endpoint].allowed_roles)  # type: ignore[attr-defined]
            if marker == "json:candidate":
                assert roles == {Role.CANDIDATE}, endpoint
            else:
                assert roles and roles <= STAFF_ROLES, endpoint


def test_api_eligibility_applications_and_payouts(app: Flask) -> None:
    holder = eligible_holder(app)
    org = make_org(app)
    add_period(app, holder, org, D(2025, 1, 1), None, confirm=None)
    client = browser(app, holder)
    body = client.get("/api/v1/bonus/eligibility").json
    assert body["eligible"] is True and body["days_counted"] == 881 and body["amount_fen"] == 1_000_000
    assert [c["code"] for c in body["conditions"]][0] == "LEVEL2_PASSED_AFTER_START"
    assert all(c["met"] and c["title"] for c in body["conditions"])
    assert {"NOT_CONFIRMED"} == {r for p in body["periods"] for r in p["reasons"]}
    _form(client, "/bonus/apply", "/bonus/apply", {"bank_name": "中国银行", "bank_account": "6013821234567890",
                                                    "no_same_kind_award": "y", "truthful": "y"})
    [mine] = client.get("/api/v1/bonus/applications").json
    assert mine["status"] == "submitted" and mine["grant"] is None and "bank_account" not in mine
    admin = browser(app, make_staff(app, Role.ADMIN))
    listed = admin.get("/api/v1/bonus/admin/applications?status=submitted").json
    assert [a["reference"] for a in listed["items"]] == [mine["reference"]]
    assert listed["items"][0]["holder"]["name_en"] == "Zhang Sanming"
    assert admin.get("/api/v1/bonus/admin/applications?status=nope").status_code == 400
    assert admin.get("/api/v1/bonus/admin/applications?status=paid").json["items"] == []
    assert admin.get("/api/v1/bonus/admin/payouts").json == {"batches": [], "ready": []}


def test_openapi_paths_cover_exactly_the_bonus_api(app: Flask) -> None:
    rules = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1/bonus/")}
    assert rules == set(OPENAPI_PATHS)
    for path, item in OPENAPI_PATHS.items():
        op = item["get"]
        assert op["operationId"] and {"200", "401", "403"} <= set(op["responses"]), path
        assert op["responses"]["200"]["content"]["application/json"]["schema"]["type"] in ("object", "array")


@pytest.mark.parametrize("lang,tag", [("zh_Hans", "zh-Hans"), ("zh_Hant", "zh-Hant"), ("pt", "pt"), ("en", "en")])
def test_bonus_pages_render_in_every_language(app: Flask, lang: str, tag: str) -> None:
    holder = eligible_holder(app)
    admin = make_staff(app, Role.ADMIN)
    for user, paths in ((holder, ["/bonus/", "/bonus/periods/new", "/bonus/apply"]),
                        (admin, ["/admin/bonus/", "/admin/bonus/payouts", "/admin/bonus/fraud"]),
                        (None, ["/public/bonus-notice", "/public/bonus-fraud"])):
        client = browser(app, user)
        client.set_cookie("certexam_lang", lang)
        if user is not None:
            token = csrf_from(text(client.get("/")))
            client.post("/lang", data={"lang": lang, "csrf_token": token})
        for path in paths:
            resp = client.get(path)
            assert resp.status_code == 200 and f'<html lang="{tag}">' in text(resp), (path, lang)
