"""Who may open what: every route is in an explicit table, and admin pages refuse others."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from certexam import db
from certexam.models import STAFF_ROLES, Role, User
from tests.conftest import csrf_from, post_form
from tests.factories import candidate, sign_in, staff

PUBLIC = "public"
SIGNED_IN = "signed-in"
STAFF = "staff"  # staff roles only; which ones: the route x role table of docs/security.md (issue 19.6),
# pinned by tests/functional/test_route_roles.py
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
    "admin.dashboard": STAFF,
    "admin.users": STAFF,
    "admin.user_role": STAFF,
    "admin.user_active": STAFF,
    "admin.organisation_list": STAFF,
    "admin.audit_log": STAFF,
    "certificates.verify": PUBLIC,
    "certificates.lookup": PUBLIC,
    "certificates.receipt": PUBLIC,
    "certificates.jwks": PUBLIC,
    "certificates.root_crl": PUBLIC,  # the PDF signers' CRL (issue 20.6)
    "certificates.status_list_document": PUBLIC,  # the status lists (issue 20.3)
    "tlog.checkpoint": PUBLIC,  # the transparency log (issue 20.5)
    "tlog.consistency": PUBLIC,
    "tlog.entries": PUBLIC,
    "tlog.key": PUBLIC,
    "tlog.proof": PUBLIC,
    "tlog.token_proof": PUBLIC,
    "certificates.root_pem": PUBLIC,
    "certificates.mine": {Role.CANDIDATE},
    "certificates.download": {Role.CANDIDATE},
    "certificates.credential_jwt": {Role.CANDIDATE},  # Open Badges 3.0 (issue 20.7)
    "certificates.credential_json_download": {Role.CANDIDATE},
    "certificates.issuer_profile": PUBLIC,
    "certificates.achievement": PUBLIC,
    "certificates.admin_list": STAFF,
    "certificates.admin_status": STAFF,
    "certificates.admin_reissue": STAFF,
    "bonus.holder_home": {Role.CANDIDATE},
    "bonus.period_new": {Role.CANDIDATE},
    "bonus.period_delete": {Role.CANDIDATE},
    "bonus.evidence_upload": {Role.CANDIDATE},
    "bonus.evidence_download": {Role.CANDIDATE, Role.EMPLOYER, Role.BONUS_CHECKER, Role.BONUS_APPROVER},
    "bonus.apply": {Role.CANDIDATE},
    "bonus.application_detail": {Role.CANDIDATE},
    "bonus.application_step": {Role.CANDIDATE},
    "bonus.employer_confirmations": {Role.EMPLOYER},
    "bonus.employer_decide": {Role.EMPLOYER},
    # bulk verification and its history (issue 23)
    "employers.bulk_history": {Role.EMPLOYER},
    "employers.bulk_upload": {Role.EMPLOYER},
    "employers.bulk_run": {Role.EMPLOYER},
    "employers.bulk_report_csv": {Role.EMPLOYER},
    "employers.bulk_report_pdf": {Role.EMPLOYER},
    # the watch list, its webhook and the organisation's API keys; the JSON APIs (issue 23, issue 20)
    "employers.watch_list": {Role.EMPLOYER},
    "employers.watch_add": {Role.EMPLOYER},
    "employers.watch_remove": {Role.EMPLOYER},
    "employers.webhook": {Role.EMPLOYER},
    "employers.webhook_set": {Role.EMPLOYER},
    "employers.webhook_remove": {Role.EMPLOYER},
    "employers.keys": {Role.EMPLOYER},
    "employers.key_create": {Role.EMPLOYER},
    "employers.key_revoke": {Role.EMPLOYER},
    "employers.api_verify": PUBLIC,
    "employers.api_watch_list": "organisation-key",
    "employers.api_watch_add": "organisation-key",
    "employers.api_watch_remove": "organisation-key",
    "certificates.api_change_status": "json:staff",
    "bonus.public_notice": PUBLIC,
    "bonus.public_fraud": PUBLIC,
    "bonus.admin_dashboard": STAFF,
    "bonus.admin_applications": STAFF,
    "bonus.admin_application": STAFF,
    "bonus.admin_check": STAFF,
    "bonus.admin_review": STAFF,
    "bonus.admin_objection": STAFF,
    "bonus.admin_resolve": STAFF,
    "bonus.admin_close_notices": STAFF,
    "bonus.admin_social_insurance": STAFF,
    "bonus.admin_payouts": STAFF,
    "bonus.admin_batch_csv": STAFF,
    "bonus.admin_batch_paid": STAFF,
    "bonus.admin_batch_file": STAFF,  # pain.001 and the Chinese bank template (issue 23)
    "bonus.admin_batch_lines": STAFF,
    "bonus.admin_line_outcome": STAFF,
    "bonus.admin_line_correct": STAFF,
    "bonus.admin_statement": STAFF,
    "bonus.admin_fraud": STAFF,
    "bonus.admin_fraud_recovered": STAFF,
    "bonus.objection_new": SIGNED_IN,  # online objections during a notice (issue 23)
    "bonus.objection_queue": STAFF,
    "bonus.objection_decide": STAFF,
    "bonus.objection_evidence": STAFF,
    # training subsidies (issue 23, rules s.4): a training institution's employer-kind account; staff
    "subsidies.institution_home": {Role.EMPLOYER},
    "subsidies.apply": {Role.EMPLOYER},
    "subsidies.institution_step": {Role.EMPLOYER},
    "subsidies.public_notice": PUBLIC,
    "subsidies.admin_dashboard": STAFF,
    "subsidies.admin_application": STAFF,
    "subsidies.admin_check": STAFF,
    "subsidies.admin_review": STAFF,
    "subsidies.admin_objection": STAFF,
    "subsidies.admin_close_notices": STAFF,
    # JSON API: 401/403 as JSON, never a redirect to sign-in; roles checked in tests/functional/test_bonus_pages.py
    "bonus.api_eligibility": "json:candidate",
    "bonus.api_applications": "json:candidate",
    "bonus.api_admin_applications": "json:staff",
    "bonus.api_admin_payouts": "json:staff",
    "results.mine": {Role.CANDIDATE},
    "results.detail": {Role.CANDIDATE},
    "results.recheck_request": {Role.CANDIDATE},
    "results.marking_queue": {Role.MARKER},
    "results.marking_task": {Role.MARKER},
    "results.admin_sittings": STAFF,
    "results.admin_sitting": STAFF,
    "results.admin_compute": STAFF,
    "results.admin_release": STAFF,
    "results.admin_release_withdraw": STAFF,
    "results.admin_certificate_pdfs": STAFF,
    "results.admin_assign": STAFF,
    "results.admin_misconduct": STAFF,
    "results.admin_key_correction": STAFF,
    "results.admin_rechecks": STAFF,
    "results.admin_recheck_answer": STAFF,
    "results.admin_analysis": STAFF,
    "results.admin_analysis_csv": STAFF,
    "results.api_mine": "json:candidate",
    "results.api_result": "json:candidate",
    "results.api_admin_sitting": "json:staff",
    "results.api_release": "json:staff",
    "results.api_marking": "json:staff",
    "results.api_item_analysis": "json:staff",
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
    "bank.item_list": STAFF,
    "bank.new": STAFF,
    "bank.edit": STAFF,
    "bank.new_form": STAFF,  # the form-based editor (issue 22)
    "bank.edit_form": STAFF,
    "bank.preview": STAFF,
    "bank.detail": STAFF,
    "bank.transition": STAFF,
    "bank.review_translation": STAFF,  # translations reviewed (issue 22)
    "bank.translation_coverage": STAFF,
    "bank.diff": STAFF,
    "bank.review": STAFF,
    "bank.import_page": STAFF,
    "bank.export": STAFF,
    "sittings.sitting_list": STAFF,
    "sittings.new": STAFF,
    "sittings.detail": STAFF,
    "sittings.accommodation": STAFF,
    "sittings.proctor": STAFF,
    "sittings.proctor_live": STAFF,
    "sittings.proctor_action": STAFF,
    "sittings.proctor_photo": {Role.PROCTOR},  # issue 21: the registration photo, this sitting's only
    "sittings.proctor_identity": {Role.PROCTOR},
    "sittings.blueprint_list": STAFF,
    "sittings.blueprint_edit": STAFF,
    "sittings.blueprint_copy": STAFF,
    "statistics.staff_page": STAFF,
    "statistics.staff_csv": STAFF,
    "statistics.public_page": PUBLIC,  # aggregate figures, small cells withheld (issue 23)
    "statistics.public_csv": PUBLIC,
}


def test_every_route_is_in_the_table(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(ROUTE_TABLE)


def test_declared_roles_match_the_table(app: Flask) -> None:
    for endpoint, allowed in ROUTE_TABLE.items():
        view = app.view_functions[endpoint]
        if isinstance(allowed, set):
            assert set(getattr(view, "allowed_roles", ())) == allowed, endpoint
        elif allowed in (STAFF, "json:staff"):
            roles = set(getattr(view, "allowed_roles", ())) | set(getattr(view, "read_roles", ()))
            assert roles and roles <= STAFF_ROLES, endpoint


def _get_paths(app: Flask, allowed_filter: object) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if ROUTE_TABLE[rule.endpoint] == allowed_filter and "GET" in (rule.methods or set()) and not rule.arguments:
            paths.append(rule.rule)
    assert paths
    return paths


@pytest.mark.parametrize("role", [Role.CANDIDATE, Role.EMPLOYER])
def test_non_staff_get_403_on_every_staff_route(app: Flask, client: FlaskClient, role: Role) -> None:
    user = candidate(app) if role == Role.CANDIDATE else staff(app, role)
    sign_in(client, user.email)
    token = csrf_from(client.get("/").get_data(as_text=True))  # a valid token: the role check must refuse
    for rule in app.url_map.iter_rules():
        if ROUTE_TABLE[rule.endpoint] == STAFF:
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                resp = client.open(rule.rule, method=method, data={"csrf_token": token})
                assert resp.status_code == 403, (rule.rule, method, resp.status_code)


def test_anonymous_is_sent_to_sign_in(app: Flask, client: FlaskClient) -> None:
    for path in _get_paths(app, STAFF) + _get_paths(app, SIGNED_IN):
        resp = client.get(path)
        assert resp.status_code == 302 and "/auth/sign-in" in resp.headers["Location"], path


def test_admin_opens_every_admin_page(app: Flask, client: FlaskClient) -> None:
    admin = staff(app, Role.ADMIN)  # every staff role
    sign_in(client, admin.email)
    for path in _get_paths(app, STAFF):
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
