"""Issue 21: the registration photo on the admission ticket and in the proctor console, and the proctor's
audited "identity checked" mark per candidate."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from certexam import db
from certexam.models import AuditEntry, Registration, Role
from certexam.services.attempts import lifecycle as attempts
from tests.conftest import csrf_from, make_app
from tests.exam_setup import enrol, load_bank, open_sitting
from tests.factories import candidate, sign_in, staff


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 40), (200, 120, 90)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    app = make_app(Path(tmp_path_factory.mktemp("identity")))
    load_bank(app)
    sitting, other = open_sitting(app), open_sitting(app, name="other sitting")
    with_photo, without = candidate(app, photo=_png()), candidate(app)
    outsider = candidate(app, photo=_png())
    regs = {"photo": enrol(app, with_photo, sitting), "none": enrol(app, without, sitting),
            "other": enrol(app, outsider, other)}
    with app.test_request_context():
        attempts.start(with_photo, regs["photo"], "P1", "en")
        attempts.start(without, regs["none"], "P1", "en")
    proctor = staff(app, Role.ADMIN)
    yield {"app": app, "sitting": sitting, "regs": regs, "proctor": proctor, "cand": with_photo, "bare": without}
    app.extensions["certexam.engine"].dispose()


def _client(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in(client, email)
    return client


def test_the_proctor_sees_each_photo_and_records_the_check(site: dict) -> None:
    app, sid, regs = site["app"], site["sitting"], site["regs"]
    client = _client(app, site["proctor"].email)
    page = client.get(f"/admin/sittings/{sid}/proctor").get_data(as_text=True)
    photo_url = f"/admin/sittings/{sid}/proctor/registrations/{regs['photo']}/photo"
    assert f'src="{photo_url}"' in page and "No photo" in page  # the second candidate has none
    assert page.count("Mark identity as checked") == 2  # nobody is checked yet
    r = client.get(photo_url)
    assert r.status_code == 200 and r.mimetype == "image/png" and r.data == _png()
    assert "no-store" in r.headers["Cache-Control"]
    assert client.get(f"/admin/sittings/{sid}/proctor/registrations/{regs['none']}/photo").status_code == 404
    # Another sitting's candidate is not this console's: neither the photo nor the mark.
    assert client.get(f"/admin/sittings/{sid}/proctor/registrations/{regs['other']}/photo").status_code == 404
    token = csrf_from(page)
    url = f"/admin/sittings/{sid}/proctor/registrations/{{}}/identity"
    assert client.post(url.format(regs["other"]), data={"checked": "1", "csrf_token": token}).status_code == 404
    assert client.post(url.format(regs["photo"]), data={"checked": "yes", "csrf_token": token}).status_code == 400
    assert client.post(url.format(regs["photo"]), data={"checked": "1"}).status_code == 400  # no CSRF token

    done = client.post(url.format(regs["photo"]), data={"checked": "1", "csrf_token": token}, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "marked as checked" in html and "Identity checked at" in html
    client.post(url.format(regs["photo"]), data={"checked": "1", "csrf_token": token})  # again: no second entry
    with app.app_context():
        sess = db.session()
        reg = sess.get(Registration, regs["photo"])
        assert reg is not None and reg.identity_checked_at is not None
        assert sess.get(Registration, regs["none"]).identity_checked_at is None  # type: ignore[union-attr]
        entries = sess.scalars(select(AuditEntry).where(AuditEntry.action.like("registration.identity%"))).all()
        assert [(e.action, e.actor_id, e.object_id) for e in entries] == [
            ("registration.identity_checked", site["proctor"].id, str(regs["photo"]))]
        assert json.loads(entries[0].after or "{}")["admission_no"] == reg.admission_no

    cleared = client.post(url.format(regs["photo"]), data={"checked": "0", "csrf_token": token}, follow_redirects=True)
    assert "cleared" in cleared.get_data(as_text=True)
    with app.app_context():
        sess = db.session()
        assert sess.get(Registration, regs["photo"]).identity_checked_at is None  # type: ignore[union-attr]
        assert sess.scalar(select(AuditEntry.action).order_by(AuditEntry.seq.desc())) == "registration.identity_unchecked"


def test_a_candidate_cannot_see_photos_or_mark(site: dict) -> None:
    app, sid, regs = site["app"], site["sitting"], site["regs"]
    client = _client(app, site["cand"].email)
    assert client.get(f"/admin/sittings/{sid}/proctor/registrations/{regs['none']}/photo").status_code == 403
    token = csrf_from(client.get("/exams/").get_data(as_text=True))
    r = client.post(f"/admin/sittings/{sid}/proctor/registrations/{regs['photo']}/identity",
                    data={"checked": "1", "csrf_token": token})
    assert r.status_code == 403


def test_the_admission_ticket_shows_the_photo(site: dict) -> None:
    app, regs = site["app"], site["regs"]
    page = _client(app, site["cand"].email).get(f"/exams/registrations/{regs['photo']}/ticket").get_data(as_text=True)
    assert 'src="/account/photo"' in page and 'alt="Registration photo"' in page
    bare = _client(app, site["bare"].email).get(f"/exams/registrations/{regs['none']}/ticket").get_data(as_text=True)
    assert 'src="/account/photo"' not in bare and "no registration photo" in bare
