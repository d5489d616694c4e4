"""Irreversible actions ask first, and menus offer only what applies (issue 18.10), through HTTP.

One POST without the confirmation changes nothing and answers with a page that names what will
happen and to how many people; only the confirmation's own POST acts. Actions that do not apply to
the current state are neither offered nor accepted.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from certexam import db
from certexam.models import Attempt, AuditEntry, Certificate, LevelPass, Result, Role, Sitting
from certexam.services.attempts import lifecycle
from certexam.services.platform import mail
from tests.confirming import confirm, confirmation_fields
from tests.conftest import csrf_from, post_form
from tests.exam_setup import enrol, load_bank, open_sitting
from tests.factories import candidate, sign_in, staff
from tests.functional.test_results_pages import released  # noqa: F401  (a fixture)
from tests.integration.test_certificates_service import issue, keyed_app, make_holder

EN = {"Accept-Language": "en"}


def _client(app: Flask, email: str) -> FlaskClient:
    c = app.test_client()
    sign_in(c, email)
    return c


def _audit_count(app: Flask) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(AuditEntry)) or 0


def _text(resp: Any) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.get_data(as_text=True)))


# -- releasing results ---------------------------------------------------------------------------

def _release_state(app: Flask, sid: int) -> tuple[Any, int, int, int]:
    with app.app_context():
        sess = db.session()
        sitting = sess.get(Sitting, sid)
        assert sitting is not None
        released_rows = sess.scalar(select(func.count()).select_from(Result).where(
            Result.sitting_id == sid, Result.released)) or 0
        passes = sess.scalar(select(func.count()).select_from(LevelPass).where(LevelPass.sitting_id == sid)) or 0
        certs = sess.scalar(select(func.count()).select_from(Certificate)) or 0
        return sitting.results_released_at, released_rows, passes, certs


def test_release_asks_first_with_the_counts_and_changes_nothing(released) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    app, sid, admin, _people = released
    a = _client(app, admin.email)
    page = a.get(f"/admin/results/{sid}", headers=EN).get_data(as_text=True)
    assert 'id="release"' not in page  # nothing computed yet: release does not apply
    post_form(a, f"/admin/results/{sid}/compute", {}, get_url=f"/admin/results/{sid}")
    assert 'id="release"' in a.get(f"/admin/results/{sid}").get_data(as_text=True)
    before, audits, outbox = _release_state(app, sid), _audit_count(app), len(_outbox(app))

    asked = post_form(a, f"/admin/results/{sid}/release", {}, get_url=f"/admin/results/{sid}", headers=EN)
    text = _text(asked)
    assert asked.status_code == 200
    # a pass, an ethics veto and a plain fail: three told, one certificate
    assert "3 candidates will be told their result by email and 1 certificates issued" in text
    assert "Passed: 1" in text and "Not passed: 2" in text
    assert _release_state(app, sid) == before and before[0] is None and before[1] == 0
    assert _audit_count(app) == audits and len(_outbox(app)) == outbox

    # A confirmation for other numbers (a stale page) is asked again, not acted on.
    action, fields = confirmation_fields(asked.get_data(as_text=True))
    again = a.post(action, data={**fields, "expect": "2/1"}, headers=EN)
    assert again.status_code == 200 and "The numbers changed" in _text(again)
    assert _release_state(app, sid) == before

    assert confirm(a, asked).status_code == 302  # asked for: a second results officer confirms (issue 19.6)
    assert _release_state(app, sid) == before and len(_outbox(app)) == outbox
    second = _client(app, staff(app, {Role.RESULTS_OFFICER}).email)
    asked = post_form(second, f"/admin/results/{sid}/release", {}, get_url=f"/admin/results/{sid}", headers=EN)
    assert "3 candidates will be told" in _text(asked)
    assert confirm(second, asked).status_code == 302
    when, rows, passes, _certs = _release_state(app, sid)
    assert when is not None and rows == 3 and passes == 1
    assert len(_outbox(app)) == outbox + 3

    # Released: neither offered nor accepted again.
    page = a.get(f"/admin/results/{sid}", headers=EN).get_data(as_text=True)
    assert 'id="release"' not in page and 'id="compute"' not in page
    audits = _audit_count(app)
    token = csrf_from(page)
    refused = a.post(f"/admin/results/{sid}/release", data={"csrf_token": token, "confirm": "yes",
                                                            "expect": "3/1"}, headers=EN, follow_redirects=True)
    assert "already been released" in _text(refused) and _audit_count(app) == audits


def _outbox(app: Flask) -> list[Any]:
    with app.app_context():
        return list(mail.outbox())


# -- revoking, suspending, reinstating a certificate -----------------------------------------------

@pytest.fixture
def cert_site(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    app = keyed_app(tmp_path, monkeypatch)
    cert = issue(app, make_holder(app, name_zh="钱八", name_en="Qian Ba"))
    admin = staff(app, Role.ADMIN)
    yield app, cert, _client(app, admin.email)
    app.extensions["certexam.engine"].dispose()


def _menu(client: FlaskClient, number: str) -> list[str]:
    html = client.get(f"/admin/certificates?number={number}", headers=EN).get_data(as_text=True)
    select_html = html.split('name="action"', 1)[1].split("</select>", 1)[0] if 'name="action"' in html else ""
    return re.findall(r'<option[^>]*value="([a-z]+)"', select_html)


def _status(app: Flask, number: str) -> str:
    with app.app_context():
        cert = db.session().scalar(select(Certificate).where(Certificate.number == number))
        assert cert is not None
        return str(cert.status.value)


def _post_status(client: FlaskClient, number: str, action: str, **extra: str) -> Any:
    return post_form(client, "/admin/certificates/status", {"number": number, "action": action,
                                                           "reason": "committee decision 42", **extra},
                     get_url=f"/admin/certificates?number={number}", headers=EN)


def test_certificate_menu_offers_only_what_applies_and_the_server_refuses_the_rest(cert_site) -> None:  # type: ignore[no-untyped-def]
    app, cert, admin = cert_site
    assert _menu(admin, cert.number) == ["suspend", "revoke"]  # valid: no Reinstate
    audits = _audit_count(app)
    refused = _post_status(admin, cert.number, "reinstate", confirm="yes")
    assert refused.status_code == 302 and _status(app, cert.number) == "valid" and _audit_count(app) == audits
    assert "does not apply" in _text(admin.get(refused.headers["Location"], headers=EN))

    assert _post_status(admin, cert.number, "suspend").status_code == 302  # reversible: no confirmation
    assert _status(app, cert.number) == "suspended"
    assert _menu(admin, cert.number) == ["reinstate", "revoke"]
    assert _post_status(admin, cert.number, "suspend").status_code == 302
    assert _status(app, cert.number) == "suspended" and _audit_count(app) == audits + 1


def test_revoking_asks_first_naming_the_holder(cert_site) -> None:  # type: ignore[no-untyped-def]
    app, cert, admin = cert_site
    audits = _audit_count(app)
    asked = _post_status(admin, cert.number, "revoke")
    text = _text(asked)
    assert asked.status_code == 200 and f"Revoke certificate {cert.number} of 钱八 / Qian Ba" in text
    assert "cannot be reinstated" in text and "committee decision 42" in text
    assert _status(app, cert.number) == "valid" and _audit_count(app) == audits
    assert confirm(admin, asked).status_code == 302
    assert _status(app, cert.number) == "revoked" and _audit_count(app) == audits + 1
    assert _menu(admin, cert.number) == []  # revoked is final: no status menu at all
    refused = _post_status(admin, cert.number, "reinstate", confirm="yes")
    assert refused.status_code == 302 and _status(app, cert.number) == "revoked"


def test_reissue_asks_first(cert_site) -> None:  # type: ignore[no-untyped-def]
    app, cert, admin = cert_site
    with app.app_context():
        before = db.session().scalar(select(func.count()).select_from(Certificate))
    asked = post_form(admin, "/admin/certificates/reissue",
                      {"number": cert.number, "name_zh": "钱八星", "name_en": "Qian Baxing", "reason": "ID card"},
                      get_url=f"/admin/certificates?number={cert.number}", headers=EN)
    assert asked.status_code == 200 and "钱八星 / Qian Baxing" in _text(asked)
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Certificate)) == before
    assert _status(app, cert.number) == "valid"
    assert confirm(admin, asked).status_code == 302 and _status(app, cert.number) == "revoked"


# -- ending a paper (proctor) ------------------------------------------------------------------------

def test_ending_a_paper_asks_first_and_a_finished_one_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_app

    app = make_app(tmp_path)
    load_bank(app)
    sid = open_sitting(app)
    user = candidate(app)
    reg = enrol(app, user, sid)
    with app.test_request_context():
        aid = lifecycle.start(user, reg, "P1", "en").id
    admin = _client(app, staff(app, Role.ADMIN).email)
    url = f"/admin/sittings/{sid}/proctor/{aid}"
    page = admin.get(f"/admin/sittings/{sid}/proctor", headers=EN).get_data(as_text=True)
    assert 'value="pause"' in page and 'value="resume"' not in page  # running: Pause, not Resume
    audits = _audit_count(app)

    asked = admin.post(url, data={"action": "end", "reason": "left the room", "csrf_token": csrf_from(page)},
                       headers=EN)
    text = _text(asked)
    assert asked.status_code == 200 and "End paper P1" in text and "0 of 45 answers saved so far" in text
    with app.app_context():
        att = db.session().get(Attempt, aid)
        assert att is not None and att.status == "in_progress"
    assert _audit_count(app) == audits
    assert confirm(admin, asked).status_code == 302
    with app.app_context():
        att = db.session().get(Attempt, aid)
        assert att is not None and att.status == "submitted" and att.submit_reason == "proctor"

    # Finished: no actions offered, and an end (even confirmed) is refused without a confirmation page.
    page = admin.get(f"/admin/sittings/{sid}/proctor?finished=1", headers=EN).get_data(as_text=True)
    assert f'/proctor/{aid}"' not in page
    audits = _audit_count(app)
    again = admin.post(url, data={"action": "end", "reason": "left the room", "csrf_token": csrf_from(page)},
                       headers=EN, follow_redirects=True)
    assert "already finished" in _text(again) and 'id="confirm"' not in again.get_data(as_text=True)
    assert _audit_count(app) == audits
