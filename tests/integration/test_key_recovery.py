"""Recovery from a compromised token key (issue 20.6), end to end through the CLI, the worker's job and the pages.

Two holders' certificates are signed by a key that is then rotated out and declared compromised.
Before the re-signing job every page stops saying "Valid" and no PDF is handed out; the job (the real
Huey task, run in immediate mode) signs each again under the same number; afterwards every holder's
certificate verifies on the public page and offline, the old tokens do not, and the holders are mailed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from certexam import db
from certexam.certpdf.sign import verify_pdf
from certexam.cli.certs import (
    EXIT_INVALID,
    certs_pdf_command,
    certs_resign_command,
    certs_verify_command,
    keys_compromise_command,
)
from certexam.crypto.status_list import STATUS_LIST_PATHS
from certexam.models import AuditEntry, Certificate, Role
from certexam.services.certificates import keys
from certexam.services.certificates import resign as cert_resign
from certexam.services.certificates.offline import url_in_pdf
from certexam.services.platform import clock, jobs, mail, tasks
from tests.factories import sign_in, staff
from tests.integration.test_certificates_service import issue, keyed_app, make_holder

EN = {"Accept-Language": "en"}
WITHDRAWN = "Signed with a withdrawn key; a replacement is being issued"


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    app = keyed_app(tmp_path, monkeypatch, CERT_VERIFY_RATE_LIMIT="10000/minute",
                    CERT_NUMBER_LOOKUP_RATE_LIMIT="10000/hour", CERT_NAME_CHECK_RATE_LIMIT="10000/minute")
    yield app
    app.extensions["certexam.engine"].dispose()


@pytest.fixture
def any_db_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, any_db_url: str) -> Iterator[Flask]:
    """The same on SQLite and on PostgreSQL (the re-signing locks each row: SELECT ... FOR UPDATE)."""
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    app = keyed_app(tmp_path, monkeypatch, any_db_url, CERT_VERIFY_RATE_LIMIT="10000/minute",
                    CERT_NUMBER_LOOKUP_RATE_LIMIT="10000/hour", CERT_NAME_CHECK_RATE_LIMIT="10000/minute")
    yield app
    app.extensions["certexam.engine"].dispose()


def invoke(app: Flask, command: object, *args: str) -> object:
    return app.test_cli_runner().invoke(command, list(args))


def test_compromise_then_resign_restores_every_holder(any_db_app: Flask, tmp_path: Path) -> None:
    app = any_db_app
    holders = [make_holder(app, name_zh="李明", name_en="Li Ming"), make_holder(app, name_zh="王芳", name_en="Wang Fang")]
    with app.app_context():
        today = clock.today()  # issued today: the transparency log rejects a certificate dated long before its entry
    first, second = issue(app, holders[0], with_pdf=True, issued_on=today), issue(app, holders[1], issued_on=today)
    old_kid = first.key_id
    with app.app_context():
        new_kid = keys.rotate_keys(None, clock.now())
    result = invoke(app, keys_compromise_command, old_kid, "--yes")
    assert result.exit_code == 0, result.output
    assert "compromised; 2 certificate(s) it signed no longer verify:" in result.output
    assert f"  {first.number}\n" in result.output and f"  {second.number}\n" in result.output
    assert f"certs resign --key {old_kid}" in result.output

    # Before the job: no page says Valid, no PDF is handed out.
    holder = app.test_client()
    sign_in(holder, holders[0].email)
    mine = text_of(holder.get("/certificates", headers=EN).get_data(as_text=True))
    assert WITHDRAWN in mine and "Valid" not in mine and f"/certificates/{first.number}.pdf" not in mine
    assert holder.get(f"/certificates/{first.number}.pdf", headers=EN).status_code == 409
    admin = app.test_client()
    sign_in(admin, staff(app, Role.CERTIFICATE_OFFICER).email)
    listing = text_of(admin.get("/admin/certificates", headers=EN).get_data(as_text=True))
    assert listing.count(WITHDRAWN) == 2 and " Valid " not in listing
    detail = admin.get(f"/admin/certificates?number={first.number}", headers=EN).get_data(as_text=True)
    assert WITHDRAWN in detail and "download=pdf" not in detail
    assert admin.get(f"/admin/certificates?number={first.number}&download=pdf").status_code == 409
    public = text_of(app.test_client().get(f"/v/{first.token}", headers=EN).get_data(as_text=True))
    assert "signed with a withdrawn key" in public and "Valid certificate" not in public
    refused = invoke(app, certs_pdf_command, first.number, "-o", str(tmp_path / "old.pdf"))
    assert refused.exit_code != 0 and "withdrawn key" in refused.output and not (tmp_path / "old.pdf").exists()

    # The job, as the worker runs it (Huey's immediate mode runs the registered task at once).
    with app.app_context():
        tasks.queue().immediate = True
    done = invoke(app, certs_resign_command, "--key", old_kid)
    assert done.exit_code == 0, done.output
    assert "Re-signing done: 2 of 2 certificate(s), 0 problem(s)." in done.output
    with app.app_context():
        job = jobs.resign_job()
        assert job is not None and (job.state, job.done, job.total, job.problems) == (jobs.DONE, 2, 2, 0)
        rows = {c.number: c for c in db.session().scalars(select(Certificate))}
        resigned = db.session().scalars(select(AuditEntry.object_id).where(AuditEntry.action == "certificate.resign"))
        assert sorted(int(i) for i in resigned) == sorted(c.id for c in rows.values())
        outbox = mail.outbox()
        jwks = keys.published_jwks()
    assert sorted(rows) == sorted([first.number, second.number])  # the same numbers, no new certificate
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(jwks))
    offline = ["--jwks", str(jwks_file)]  # with the signed status lists as published (issue 20.3)
    for purpose, path in STATUS_LIST_PATHS.items():
        (tmp_path / purpose).write_bytes(app.test_client().get(path).data)
        offline += ["--status-file", str(tmp_path / purpose)]
    for old in (first, second):
        new = rows[old.number]
        assert new.key_id == new_kid and new.token != old.token and new.status == "valid"
        page = text_of(app.test_client().get(f"/v/{new.token}", headers=EN).get_data(as_text=True))
        assert "Valid certificate" in page and WITHDRAWN not in page
        assert "Valid certificate" not in text_of(app.test_client().get(f"/v/{old.token}", headers=EN)
                                                  .get_data(as_text=True))
        assert invoke(app, certs_verify_command, new.token).exit_code == 0
        assert invoke(app, certs_verify_command, *offline, new.token).exit_code == 0
        assert invoke(app, certs_verify_command, old.token).exit_code == EXIT_INVALID
        assert invoke(app, certs_verify_command, *offline, old.token).exit_code == EXIT_INVALID
    assert sorted(m.to for m in outbox) == sorted(h.email for h in holders)
    assert all("signed again" in m.subject or "签" in m.subject for m in outbox)

    # The holder's page and PDF are back, with the new token in the QR's URL.
    mine = text_of(holder.get("/certificates", headers=EN).get_data(as_text=True))
    assert WITHDRAWN not in mine and "Valid" in mine
    pdf = holder.get(f"/certificates/{first.number}.pdf")
    assert pdf.status_code == 200
    with app.app_context():
        root = keys.root_certificate()
    assert root is not None and verify_pdf(pdf.data, [root]).ok
    url = url_in_pdf(pdf.data)
    assert url is not None and url.endswith(rows[first.number].token)
    pdf_file = tmp_path / "new.pdf"
    pdf_file.write_bytes(pdf.data)
    assert invoke(app, certs_verify_command, "--pdf", str(pdf_file)).exit_code == 0

    again = invoke(app, certs_resign_command, "--here")  # idempotent: nothing is left
    assert again.exit_code == 0 and "nothing to sign again" in again.output


def test_resign_refuses_a_key_that_is_not_compromised(app: Flask) -> None:
    cert = issue(app, make_holder(app))
    result = invoke(app, certs_resign_command, "--key", cert.key_id, "--here")
    assert result.exit_code != 0 and "not marked compromised" in result.output
    with app.app_context():
        assert cert_resign.affected() == []
        assert db.session().scalar(select(Certificate.token).where(Certificate.id == cert.id)) == cert.token


def test_resign_needs_an_active_key_that_is_not_the_compromised_one(app: Flask) -> None:
    cert = issue(app, make_holder(app))
    assert invoke(app, keys_compromise_command, cert.key_id, "--yes").exit_code == 0
    result = invoke(app, certs_resign_command, "--here")  # the active key itself was compromised: no key signs
    assert result.exit_code != 0 and "keys rotate" in result.output
    with app.app_context():
        assert db.session().scalar(select(Certificate.key_id).where(Certificate.id == cert.id)) == cert.key_id


def test_the_register_page_shows_the_queued_job(app: Flask) -> None:
    cert = issue(app, make_holder(app))
    with app.app_context():
        keys.rotate_keys(None, clock.now())
    assert invoke(app, keys_compromise_command, cert.key_id, "--yes").exit_code == 0
    queued = invoke(app, certs_resign_command, "--no-wait")  # no worker runs here: it stays queued
    assert queued.exit_code == 0 and "Queued for the worker" in queued.output
    admin = app.test_client()
    sign_in(admin, staff(app, Role.CERTIFICATE_OFFICER).email)
    page = text_of(admin.get("/admin/certificates", headers=EN).get_data(as_text=True))
    assert "Signing certificates again after a key compromise: queued, waiting for the worker." in page
    again = invoke(app, certs_resign_command, "--no-wait")
    assert again.exit_code == 0 and "already queued" in again.output  # one job at a time
