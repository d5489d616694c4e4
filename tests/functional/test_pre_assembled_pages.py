"""The sitting form offers forms assembled ahead, and the sitting page shows them with their spread (issue 21)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from certexam import db
from certexam.models import Role, Sitting
from certexam.services.sittings import pre_assembly
from tests.conftest import csrf_from, make_app
from tests.exam_setup import load_bank
from tests.factories import sign_in, staff
from tests.functional.test_sittings_admin_pages import VALID


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    application = make_app(Path(tmp_path_factory.mktemp("preassembled-pages")))
    load_bank(application)  # three modules: enough for paper P1's forms, not for P2's
    yield application
    application.extensions["certexam.engine"].dispose()


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in(client, staff(app, Role.ADMIN).email)
    return client


def test_schedule_a_pre_assembled_sitting_and_see_its_forms(app: Flask, client: FlaskClient) -> None:
    page = client.get("/admin/sittings/new").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="assembly_mode"[^>]*value="pre_assembled"', page)
    assert "Forms assembled and checked ahead, handed out in turn" in page
    token = csrf_from(page)
    r = client.post("/admin/sittings/new", data={**VALID, "assembly_mode": "pre_assembled", "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)
    with app.app_context():
        sitting = db.session().scalar(select(Sitting).order_by(Sitting.id.desc()))
        assert sitting is not None and sitting.assembly_mode == "pre_assembled"
        sid, p1 = sitting.id, sitting.papers[0]
    detail = client.get(f"/admin/sittings/{sid}").get_data(as_text=True)
    assert "Forms assembled and checked ahead, handed out in turn" in detail
    assert "No form is assembled yet" in detail and f"certexam sittings assemble {sid}" in detail
    with app.app_context():  # paper P1 only: the test bank holds its modules (the command assembles every paper)
        sess = db.session()
        sitting = sess.get(Sitting, sid)
        assert sitting is not None
        pre_assembly._assemble_paper(sess, sitting, p1, 3)
        sess.commit()
    detail = client.get(f"/admin/sittings/{sid}").get_data(as_text=True)
    section = detail[detail.index('id="stored-forms"'):detail.index('id="form-difficulty"')]
    assert "Paper P1" in section and "3 forms, expected scores" in section
    assert len(re.findall(r'<tr><th scope="row">\d+</th>', section)) == 3
    assert "miss the tolerance" not in section


def test_other_modes_show_no_stored_forms(app: Flask, client: FlaskClient) -> None:
    token = csrf_from(client.get("/admin/sittings/new").get_data(as_text=True))
    r = client.post("/admin/sittings/new", data={**VALID, "name": "per candidate", "assembly_mode": "per_candidate",
                                                 "csrf_token": token})
    assert r.status_code == 302
    detail = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'id="stored-forms"' not in detail and 'id="form-difficulty"' in detail
