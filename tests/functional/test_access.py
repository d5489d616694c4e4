"""Who may open what: every route is in an explicit table, and admin pages refuse others."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from certexam import db
from certexam.models import Role, User
from tests.conftest import csrf_from, post_form
from tests.factories import candidate, sign_in, staff

PUBLIC = "public"
SIGNED_IN = "signed-in"
# endpoint -> who may use it. A new route must be added here, or the first test fails.
ROUTE_TABLE: dict[str, object] = {
    "static": PUBLIC,
    "main.index": PUBLIC,
    "main.favicon": PUBLIC,
    "main.set_language": PUBLIC,
    "main.account": SIGNED_IN,
    "main.own_photo": SIGNED_IN,
    "auth.sign_in": PUBLIC,
    "auth.sign_out": SIGNED_IN,
    "auth.register": PUBLIC,
    "auth.forgot": PUBLIC,
    "auth.reset": PUBLIC,
    "auth.change_password": SIGNED_IN,
    "admin.dashboard": {Role.ADMIN},
    "admin.users": {Role.ADMIN},
    "admin.user_role": {Role.ADMIN},
    "admin.user_active": {Role.ADMIN},
    "admin.organisation_list": {Role.ADMIN},
    "admin.audit_log": {Role.ADMIN},
    "certificates.verify": PUBLIC,
    "certificates.lookup": PUBLIC,
    "certificates.receipt": PUBLIC,
    "certificates.jwks": PUBLIC,
    "certificates.root_pem": PUBLIC,
    "certificates.mine": {Role.CANDIDATE},
    "certificates.download": {Role.CANDIDATE},
    "certificates.admin_list": {Role.ADMIN},
    "certificates.admin_status": {Role.ADMIN},
    "certificates.admin_reissue": {Role.ADMIN},
    "bonus.holder_home": {Role.CANDIDATE},
    "bonus.period_new": {Role.CANDIDATE},
    "bonus.period_delete": {Role.CANDIDATE},
    "bonus.evidence_upload": {Role.CANDIDATE},
    "bonus.evidence_download": {Role.CANDIDATE, Role.EMPLOYER, Role.ADMIN},
    "bonus.apply": {Role.CANDIDATE},
    "bonus.application_detail": {Role.CANDIDATE},
    "bonus.application_step": {Role.CANDIDATE},
    "bonus.employer_confirmations": {Role.EMPLOYER},
    "bonus.employer_decide": {Role.EMPLOYER},
    "bonus.public_notice": PUBLIC,
    "bonus.public_fraud": PUBLIC,
    "bonus.admin_dashboard": {Role.ADMIN},
    "bonus.admin_applications": {Role.ADMIN},
    "bonus.admin_application": {Role.ADMIN},
    "bonus.admin_check": {Role.ADMIN},
    "bonus.admin_review": {Role.ADMIN},
    "bonus.admin_objection": {Role.ADMIN},
    "bonus.admin_resolve": {Role.ADMIN},
    "bonus.admin_close_notices": {Role.ADMIN},
    "bonus.admin_social_insurance": {Role.ADMIN},
    "bonus.admin_payouts": {Role.ADMIN},
    "bonus.admin_batch_csv": {Role.ADMIN},
    "bonus.admin_batch_paid": {Role.ADMIN},
    "bonus.admin_fraud": {Role.ADMIN},
    "bonus.admin_fraud_recovered": {Role.ADMIN},
    # JSON API: 401/403 as JSON, never a redirect to sign-in; roles checked in tests/functional/test_bonus_pages.py
    "bonus.api_eligibility": "json:candidate",
    "bonus.api_applications": "json:candidate",
    "bonus.api_admin_applications": "json:admin",
    "bonus.api_admin_payouts": "json:admin",
    "results.mine": {Role.CANDIDATE},
    "results.detail": {Role.CANDIDATE},
    "results.recheck_request": {Role.CANDIDATE},
    "results.marking_queue": {Role.GRADER},
    "results.marking_task": {Role.GRADER},
    "results.admin_sittings": {Role.ADMIN},
    "results.admin_sitting": {Role.ADMIN},
    "results.admin_compute": {Role.ADMIN},
    "results.admin_release": {Role.ADMIN},
    "results.admin_certificate_pdfs": {Role.ADMIN},
    "results.admin_assign": {Role.ADMIN},
    "results.admin_misconduct": {Role.ADMIN},
    "results.admin_key_correction": {Role.ADMIN},
    "results.admin_rechecks": {Role.ADMIN},
    "results.admin_recheck_answer": {Role.ADMIN},
    "results.admin_analysis": {Role.ADMIN},
    "results.admin_analysis_csv": {Role.ADMIN},
    "results.api_mine": "json:candidate",
    "results.api_result": "json:candidate",
    "results.api_admin_sitting": "json:admin",
    "results.api_release": "json:admin",
    "results.api_marking": "json:admin",
    "results.api_item_analysis": "json:admin",
    "exams.index": {Role.CANDIDATE},
    "exams.register": {Role.CANDIDATE},
    "exams.ticket": {Role.CANDIDATE},
    "exams.start": {Role.CANDIDATE},
    "exams.start_practice": {Role.CANDIDATE},
    "exams.attempt_page": {Role.CANDIDATE},
    "exams.finished": {Role.CANDIDATE},
    # The API checks roles inside (session or bearer token); every call but the document needs a candidate.
    "api.openapi": PUBLIC,
    "api.registrations": "candidate-api",
    "api.start": "candidate-api",
    "api.attempt_state": "candidate-api",
    "api.paper": "candidate-api",
    "api.claim": "candidate-api",
    "api.save_answer": "candidate-api",
    "api.flag": "candidate-api",
    "api.submit": "candidate-api",
    "api.event": "candidate-api",
    "api.push": "candidate-api",  # issue 18.6: the proctor push channel, owner checked in SQL like state
    "bank.item_list": {Role.ADMIN},
    "bank.new": {Role.ADMIN},
    "bank.edit": {Role.ADMIN},
    "bank.preview": {Role.ADMIN},
    "bank.detail": {Role.ADMIN},
    "bank.transition": {Role.ADMIN},
    "bank.diff": {Role.ADMIN},
    "bank.review": {Role.ADMIN},
    "bank.import_page": {Role.ADMIN},
    "bank.export": {Role.ADMIN},
    "sittings.sitting_list": {Role.ADMIN},
    "sittings.new": {Role.ADMIN},
    "sittings.detail": {Role.ADMIN},
    "sittings.accommodation": {Role.ADMIN},
    "sittings.proctor": {Role.ADMIN},
    "sittings.proctor_live": {Role.ADMIN},
    "sittings.proctor_action": {Role.ADMIN},
    "sittings.blueprint_list": {Role.ADMIN},
    "sittings.blueprint_edit": {Role.ADMIN},
    "sittings.blueprint_copy": {Role.ADMIN},
}


def test_every_route_is_in_the_table(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(ROUTE_TABLE)


def test_declared_roles_match_the_table(app: Flask) -> None:
    for endpoint, allowed in ROUTE_TABLE.items():
        if isinstance(allowed, set):
            view = app.view_functions[endpoint]
            assert set(getattr(view, "allowed_roles", ())) == allowed, endpoint


def _get_paths(app: Flask, allowed_filter: object) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if ROUTE_TABLE[rule.endpoint] == allowed_filter and "GET" in (rule.methods or set()) and not rule.arguments:
            paths.append(rule.rule)
    assert paths
    return paths


@pytest.mark.parametrize("role", [Role.CANDIDATE, Role.EMPLOYER, Role.GRADER])
def test_non_admins_get_403_on_every_admin_route(app: Flask, client: FlaskClient, role: Role) -> None:
    user = candidate(app) if role == Role.CANDIDATE else staff(app, role)
    sign_in(client, user.email)
    token = csrf_from(client.get("/").get_data(as_text=True))  # a valid token: the role check must refuse
    for rule in app.url_map.iter_rules():
        if ROUTE_TABLE[rule.endpoint] == {Role.ADMIN}:
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                resp = client.open(rule.rule, method=method, data={"csrf_token": token})
                assert resp.status_code == 403, (rule.rule, method, resp.status_code)


def test_anonymous_is_sent_to_sign_in(app: Flask, client: FlaskClient) -> None:
    for path in _get_paths(app, {Role.ADMIN}) + _get_paths(app, SIGNED_IN):
        resp = client.get(path)
        assert resp.status_code == 302 and "/auth/sign-in" in resp.headers["Location"], path


def test_admin_opens_every_admin_page(app: Flask, client: FlaskClient) -> None:
    admin = staff(app, Role.ADMIN)
    sign_in(client, admin.email)
    for path in _get_paths(app, {Role.ADMIN}):
        assert client.get(path).status_code == 200, path
    assert "intact" in client.get("/admin/audit?verify=1", headers={"Accept-Language": "en"}).get_data(
        as_text=True)


def test_admin_creates_staff_and_organisation(app: Flask, client: FlaskClient) -> None:
    admin = staff(app, Role.ADMIN)
    sign_in(client, admin.email)
    r = post_form(client, "/admin/organisations", {"name": "前海银行", "credit_code": "91440300MA5F0000X1",
                                                   "city": "深圳", "category": "financial_institution"})
    assert r.status_code == 302
    with app.app_context():
        from certexam.models import Organisation

        org = db.session().scalar(select(Organisation).where(Organisation.name == "前海银行"))
        assert org is not None
        org_id = org.id
    r = post_form(client, "/admin/users", {"role": "employer", "name_zh": "王经理", "name_en": "Wang Jingli",
                                           "email": "hr@bank.example.com", "organisation_id": str(org_id),
                                           "password": "initial-pass-1"})
    assert r.status_code == 302
    r = post_form(client, "/admin/users", {"role": "employer", "name_zh": "赵", "name_en": "Zhao",
                                           "email": "hr2@bank.example.com", "organisation_id": "0",
                                           "password": "initial-pass-1"}, headers={"Accept-Language": "en"})
    assert "needs an organisation" in r.get_data(as_text=True)
    with app.app_context():
        hr = db.session().scalar(select(User).where(User.email == "hr@bank.example.com"))
        assert hr is not None and hr.role == Role.EMPLOYER and hr.organisation_id == org_id
        assert db.session().scalar(select(User).where(User.email == "hr2@bank.example.com")) is None


def test_admin_cannot_create_a_candidate_by_tampering(app: Flask, client: FlaskClient) -> None:
    admin = staff(app, Role.ADMIN)
    sign_in(client, admin.email)
    r = post_form(client, "/admin/users", {"role": "candidate", "name_zh": "甲", "name_en": "Jia",
                                           "email": "x@example.com", "password": "initial-pass-1"})
    assert r.status_code == 200
    with app.app_context():
        assert db.session().scalar(select(User).where(User.email == "x@example.com")) is None


def test_post_without_csrf_token_is_rejected(app: Flask, client: FlaskClient) -> None:
    user = candidate(app)
    resp = client.post("/auth/sign-in", data={"email": user.email, "password": "whatever-pass"})
    assert resp.status_code == 400
    assert client.post("/lang", data={"lang": "en"}).status_code == 400
    sign_in(client, user.email)
    assert client.post("/auth/sign-out").status_code == 400
    assert client.get("/account").status_code == 200  # still signed in: the forged sign-out did nothing


def test_security_headers(client: FlaskClient) -> None:
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in resp.get_data(as_text=True)  # no inline script for the CSP to block


def test_unknown_page_is_a_clean_404(client: FlaskClient) -> None:
    resp = client.get("/no/such/page")
    assert resp.status_code == 404 and "<html" in resp.get_data(as_text=True)
