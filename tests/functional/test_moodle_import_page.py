"""The import page with a file exported by Moodle (issue 22): it asks for the categories' modules, lists
unsupported questions, skips them when told, takes the essays' subtype, and imports; the export goes back,
as Moodle XML and as a QTI 3.0 package."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from certexam import db
from certexam.models import BankItem
from tests.conftest import post_form
from tests.functional.test_bank_pages import admin, count_rows, text_of  # noqa: F401 - admin is a fixture

EN = {"Accept-Language": "en"}
MOODLE = Path(__file__).parents[1] / "unit" / "fixtures" / "moodle" / "moodle-export-iota.xml"


def upload(client: FlaskClient, button: str, data: bytes | None = None, **fields: str) -> str:
    form: dict[str, Any] = {"files": [(io.BytesIO(data or MOODLE.read_bytes()), "moodle-export-iota.xml")],
                            button: "1", **fields}
    resp = post_form(client, "/admin/bank/import", form, content_type="multipart/form-data", headers=EN)
    assert resp.status_code == 200
    return text_of(resp)


def test_the_page_asks_for_the_mapping_then_imports_and_exports(app: Flask, client: FlaskClient,
                                                                admin: int) -> None:  # noqa: F811
    page = text_of(client.get("/admin/bank/import", headers=EN))
    assert "Moodle categories and their modules" in page and "Skip the questions certexam cannot hold" in page

    body = upload(client, "check")
    assert "6 error(s): nothing was imported" in body
    assert "The category &#39;Iota/Kappa&#39; holds 2 question(s) and is mapped to no module" in body
    # the mapping field comes back with a line to complete for every unmapped category
    assert "Iota = \nIota/Kappa = \nIota/Kappa/Lambda = \nMu = </textarea>" in body

    bad = upload(client, "check", mapping="Iota = L9-NO")
    assert "Line 1: The module &#39;L9-NO&#39; is not in the catalogue" in bad and count_rows(app) == (0, 0)

    mapped = upload(client, "run", mapping="Iota = L1-ETH\nMu = L2-BD")
    assert "2 error(s): nothing was imported" in mapped and "Match the duties" in mapped
    assert count_rows(app) == (0, 0)

    done = upload(client, "run", mapping="Iota = L1-ETH\nMu = L2-BD", skip_unsupported="y", essay_subtype="proposal")
    assert "New items: 6" in done and "Skipped the question &#39;Match the duties&#39;" in done
    assert "The essay has no information for graders" in done
    with app.app_context():
        subtypes = dict(db.session().execute(select(BankItem.external_id, BankItem.type)).all())
    assert len(subtypes) == 6 and subtypes["L1-ETH-0002"] == "constructed"

    exported = client.get("/admin/bank/export?format=moodle")
    assert exported.mimetype == "application/xml" and b"certexam:subtype=proposal" in exported.data
    again = upload(client, "run", data=exported.data)  # no mapping: the export names the modules
    assert "Unchanged items: 6" in again and count_rows(app) == (6, 6)

    qti = client.get("/admin/bank/export?format=qti")  # the same items as a QTI 3.0 package, and back
    assert qti.mimetype == "application/zip" and qti.headers["Content-Disposition"].endswith('"certexam-qti3.zip"')
    form: dict[str, Any] = {"files": [(io.BytesIO(qti.data), "certexam-qti3.zip")], "check": "1"}
    checked = text_of(post_form(client, "/admin/bank/import", form, content_type="multipart/form-data", headers=EN))
    assert "No errors: 6 item(s) can be imported." in checked


def test_a_bad_subtype_is_a_form_error_not_a_failure(app: Flask, client: FlaskClient, admin: int) -> None:  # noqa: F811
    body = upload(client, "check", essay_subtype="essay")
    assert "Not a valid choice" in body and count_rows(app) == (0, 0)
