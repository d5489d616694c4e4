"""Online objections during the bonus public notice (issue 23), through the test client.

Anyone signed in objects with a reason and a file; the public page shows a count, never who; a
refusal after the notice; a rate limit per account; the reviewer's queue; upheld -> never paid.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from certexam import db
from certexam.errors import Forbidden
from certexam.models import BonusApplication, Grant, Objection, OnlineObjection, Role
from certexam.models.bonus import ApplicationStatus, ObjectionStatus
from certexam.services.bonus import objections as bonus_objections
from tests.conftest import csrf_from
from tests.factories import PASSWORD, sign_in
from tests.functional.test_bonus_pages import Clock, browser, text
from tests.integration.test_bonus_services import (  # noqa: F401  (fixtures used by name)
    NOW,
    PDF,
    eligible_holder,
    fast_passwords,
    fresh_app,
    make_holder,
    make_staff,
    sqlite_template,
    to_notice,
)

AFTER_NOTICE = NOW + timedelta(days=9)  # Wednesday 2 December; the notice ran 23-27 November
REASON = "He worked part-time at the bank in 2023; the contract is for another person."


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def app(tmp_path: Path, sqlite_template: Path, clock: Clock) -> Iterator[Flask]:  # noqa: F811
    application = fresh_app(tmp_path, sqlite_template, CLOCK=clock, BONUS_OBJECTION_RATE_LIMIT="4/hour")
    yield application
    application.extensions["certexam.engine"].dispose()


def on_notice(app: Flask, **holder: Any) -> tuple[int, str]:
    """An eligible holder's application, approved onto the notice of 23-27 November: (id, reference)."""
    app_id = to_notice(app, eligible_holder(app, **holder), make_staff(app, Role.ADMIN))
    with app.app_context():
        found = db.session().get(BonusApplication, app_id)
        assert found is not None
        return app_id, found.reference


def send(client: FlaskClient, reference: str, reason: str = REASON, data: bytes = PDF, name: str = "合同.pdf",
         csrf_page: str | None = None) -> Any:
    token = csrf_from(text(client.get(csrf_page or f"/public/bonus-notice/{reference}/objection")))
    return client.post(f"/public/bonus-notice/{reference}/objection", content_type="multipart/form-data",
                       data={"csrf_token": token, "reason": reason, "file": (io.BytesIO(data), name)})


def objections(app: Flask) -> list[Objection]:
    with app.app_context():
        return list(db.session().scalars(select(Objection).order_by(Objection.id)))


def test_anyone_signed_in_objects_and_the_public_page_shows_only_a_count(app: Flask) -> None:
    app_id, ref = on_notice(app, name_zh="欧阳明华", name_en="Ouyang Minghua")
    url = f"/public/bonus-notice/{ref}/objection"
    anonymous = browser(app)
    assert anonymous.get(url).status_code == 302 and "/auth/" in anonymous.get(url).headers["Location"]
    public = text(anonymous.get("/public/bonus-notice"))
    assert f'href="{url}"' in public
    objector = make_holder(app, name_zh="李四海", name_en="Li Sihai")
    client = browser(app, objector)
    form = text(client.get(url))
    assert "欧*华" in form and "欧阳明华" not in form and 'enctype="multipart/form-data"' in form
    r = send(client, ref, data=b"<html><script>x</script>", name="a.pdf")
    assert r.status_code == 400 and "The file must be a PDF, JPEG or PNG." in text(r)
    assert send(client, ref, reason="  ").status_code == 400
    assert objections(app) == []
    r = send(client, ref)
    assert r.status_code == 302
    [obj] = objections(app)
    assert (obj.application_id, obj.status, obj.text) == (app_id, ObjectionStatus.OPEN, REASON)
    with app.app_context():
        online = db.session().get(OnlineObjection, obj.id)
        assert online is not None and online.objector_id == objector.id and online.evidence_name == "合同.pdf"
    # The public list: the count, and nothing about who objected or why.
    public = text(anonymous.get("/public/bonus-notice"))
    assert '<td class="num">1</td>' in public
    for secret in (objector.email, "李四海", "Li Sihai", "part-time", "合同"):
        assert secret not in public, secret
    # One open objection per person and application; the holder does not object to their own.
    r = send(client, ref)
    assert r.status_code == 409 and "already have an objection" in text(r)
    with app.app_context():
        holder = db.session().get(BonusApplication, app_id).holder  # type: ignore[union-attr]
        holder_email = holder.email
    own = browser(app)
    sign_in(own, holder_email, PASSWORD)
    r = send(own, ref)
    assert r.status_code == 409 and "You cannot object to your own application." in text(r)
    assert len(objections(app)) == 1
    assert browser(app, objector).get("/public/bonus-notice/BONUS-999999/objection").status_code == 404
    assert browser(app, objector).get("/public/bonus-notice/BONUS-1x/objection").status_code == 404


def test_after_the_notice_an_objection_is_refused_clearly(app: Flask, clock: Clock) -> None:
    _app_id, ref = on_notice(app)
    client = browser(app, make_holder(app))
    clock.at = AFTER_NOTICE  # the close step has not run: the application is still "in notice"
    page = text(client.get(f"/public/bonus-notice/{ref}/objection"))
    assert "ended on November 27, 2026: objections are no longer taken" in page and "<textarea" not in page
    r = send(client, ref, csrf_page="/bonus/")
    assert r.status_code == 409 and "objections are no longer taken" in text(r)
    assert objections(app) == []


def test_objections_are_rate_limited_per_account(app: Flask) -> None:
    _app_id, ref = on_notice(app)
    client = browser(app, make_holder(app))
    codes = [send(client, ref, reason="").status_code for _ in range(5)]  # refused forms count too
    assert codes == [400, 400, 400, 400, 429]
    other = browser(app, make_holder(app))  # another account has its own allowance
    assert send(other, ref).status_code == 302


def test_reviewer_upholds_and_the_application_is_never_paid(app: Flask, clock: Clock) -> None:
    upheld_id, upheld_ref = on_notice(app)
    dismissed_id, dismissed_ref = on_notice(app)
    objector = make_holder(app)
    client = browser(app, objector)
    assert send(client, upheld_ref).status_code == 302
    assert send(client, dismissed_ref, reason="Not sure the dates are right.", data=PDF).status_code == 302
    first, second = (o.id for o in objections(app))
    checker = browser(app, make_staff(app, Role.BONUS_CHECKER))
    queue = text(checker.get("/admin/bonus/objections"))
    assert upheld_ref in queue and objector.email in queue and REASON in queue and "<textarea" not in queue
    ev = checker.get(f"/admin/bonus/objections/{first}/evidence")
    assert ev.status_code == 200 and ev.data == PDF and ev.headers["Content-Disposition"].startswith("attachment")
    assert ev.headers["X-Content-Type-Options"] == "nosniff"
    token = csrf_from(queue)
    assert checker.post(f"/admin/bonus/objections/{first}/decide",
                        data={"csrf_token": token, "uphold": "1", "resolution": "x"}).status_code == 403
    reviewer = browser(app, make_staff(app, Role.BONUS_APPROVER))
    queue = text(reviewer.get("/admin/bonus/objections"))
    token = csrf_from(queue)
    r = reviewer.post(f"/admin/bonus/objections/{first}/decide", data={"csrf_token": token, "uphold": "1",
                      "resolution": ""}, follow_redirects=True)
    assert "This field is required." in text(r)  # a decision needs its reason
    r = reviewer.post(f"/admin/bonus/objections/{first}/decide", follow_redirects=True, data={
        "csrf_token": token, "uphold": "1", "resolution": "The employer confirms part-time work."})
    assert f"The decision on the objection to {upheld_ref} is recorded." in text(r)
    r = reviewer.post(f"/admin/bonus/objections/{second}/decide", follow_redirects=True, data={
        "csrf_token": token, "dismiss": "1", "resolution": "Payroll shows the dates."})
    assert "The employer confirms part-time work." in text(r)  # the latest decisions
    with app.app_context():
        assert db.session().get(BonusApplication, upheld_id).status == ApplicationStatus.REJECTED  # type: ignore[union-attr]
    # After the notice: the dismissed one is approved and paid, the upheld one gets nothing.
    clock.at = AFTER_NOTICE
    approver = browser(app, make_staff(app, Role.BONUS_APPROVER))
    page = text(approver.get("/admin/bonus/"))
    r = approver.post("/admin/bonus/notices/close", data={"csrf_token": csrf_from(page)}, follow_redirects=True)
    assert "1 application(s) approved for payment" in text(r)
    maker, payer = (browser(app, make_staff(app, Role.PAYMENT_OFFICER)) for _ in range(2))
    page = text(maker.get("/admin/bonus/payouts"))
    assert "Batch 1 is ready" in text(maker.post("/admin/bonus/payouts", data={"csrf_token": csrf_from(page)},
                                                 follow_redirects=True))
    r = payer.post("/admin/bonus/payouts/1/paid", data={"csrf_token": csrf_from(text(payer.get("/admin/bonus/payouts"))),
                   "bank_reference": "CMB-1", "paid_on": "2026-12-02"})
    assert r.status_code == 302
    with app.app_context():
        sess = db.session()
        assert sess.get(BonusApplication, dismissed_id).status == ApplicationStatus.PAID  # type: ignore[union-attr]
        assert sess.get(BonusApplication, upheld_id).status == ApplicationStatus.REJECTED  # type: ignore[union-attr]
        assert sess.scalar(select(func.count()).select_from(Grant).where(Grant.application_id == upheld_id)) == 0


def test_a_reviewer_does_not_decide_on_their_own_objection(app: Flask) -> None:
    _app_id, ref = on_notice(app)
    reviewer = make_staff(app, Role.BONUS_APPROVER)
    assert send(browser(app, reviewer), ref, csrf_page="/admin/bonus/objections").status_code == 302
    [obj] = objections(app)
    with app.app_context(), pytest.raises(Forbidden):
        bonus_objections.decide(reviewer, obj.id, True, "Mine.")
    assert objections(app)[0].status == ObjectionStatus.OPEN
