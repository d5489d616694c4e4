"""The log rule against backdating (issue 20.5): a certificate dated more than ISSUE_TOLERANCE before
its first log entry is refused, on the verification page too; one issued before the log began passes.

The signing key here was made 30 days ago, so the key-creation rule (issue 20.4, domain/backdating.py)
passes these certificates and only the log's rule can refuse them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete, update

from certexam import db
from certexam.crypto.keystore import PASSPHRASE_ENV
from certexam.domain import tlog as T
from certexam.domain.verdict import VerdictCode
from certexam.models import Certificate, TlogHead, TlogLeaf, TlogNode, User
from certexam.services.certificates import issue as certificates
from certexam.services.certificates import keys
from certexam.services.certificates import verify as cert_verify
from certexam.services.platform import clock
from certexam.services.tlog import proofs
from tests.conftest import csrf_from, make_app
from tests.functional.test_verify_pages import EN, run, text_of, tool
from tests.integration.test_certificates_service import PASSED, PASSPHRASE, make_holder


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(PASSPHRASE_ENV, PASSPHRASE)
        application = make_app(tmp_path_factory.mktemp("backdating"))
        with application.app_context():
            keys.init_keys(None, datetime.now(UTC) - timedelta(days=30))
        yield application
    application.extensions["certexam.engine"].dispose()


def issue(app: Flask, user: User, issued_on: date) -> Certificate:
    """Issue now (the wall clock), dated `issued_on`: what a backdater with the keys would do."""
    with app.app_context():
        return certificates.issue_certificate(None, user.id, 1, None, None, min(PASSED, issued_on), issued_on,
                                              with_pdf=False)


def _today(app: Flask) -> date:
    with app.app_context():
        return clock.today()


def test_issued_today_is_valid_and_dated_before_its_log_entry_is_refused(app: Flask, tmp_path: Path) -> None:
    today = _today(app)
    good = issue(app, make_holder(app), today)
    late = issue(app, make_holder(app, "王五", "Wang Wu"), today - T.ISSUE_TOLERANCE - timedelta(days=1))
    edge = issue(app, make_holder(app, "赵六", "Zhao Liu"), today - T.ISSUE_TOLERANCE)
    with app.app_context():
        assert cert_verify.check_token(good.token).code is VerdictCode.VALID
        assert cert_verify.check_token(edge.token).code is VerdictCode.VALID  # the tolerance itself is allowed
        refused = cert_verify.check_token(late.token)
    assert refused.code is VerdictCode.BACKDATED and refused.verdict.detail == proofs.LOGGED_LATE
    client = app.test_client()
    page = client.get("/v/" + late.token, headers=EN)
    assert page.status_code == 200
    assert "Not valid: issued long before it entered the public log" in text_of(page.get_data(as_text=True))
    receipt = client.post("/verify/receipt", data={"csrf_token": csrf_from(page.get_data(as_text=True)),
                                                              "token": late.token})
    assert receipt.status_code == 200
    (tmp_path / "r.pdf").write_bytes(receipt.data)
    text = " ".join(run(tool("pdftotext"), tmp_path / "r.pdf", "-").stdout.split())
    assert "无效：签发日期远早于载入公开日志 Invalid: issued long before it" in text  # the cell wraps after "it"


def test_a_certificate_missing_from_the_log_is_refused_unless_older_than_the_log(app: Flask) -> None:
    today = _today(app)
    cert = issue(app, make_holder(app, "钱七", "Qian Qi"), today)
    with app.app_context():
        sess = db.session()
        # the certificate's leaves gone (a row written behind the log's back): refused
        sess.execute(update(TlogLeaf).where(TlogLeaf.number == cert.number).values(number=None))
        sess.commit()
        assert cert_verify.check_token(cert.token).code is VerdictCode.BACKDATED
        # created before the log's first entry (issued before migration 0023): passes
        sess.execute(update(Certificate).where(Certificate.id == cert.id)
                     .values(created_at=datetime(2020, 1, 1, tzinfo=UTC)))
        sess.commit()
        assert cert_verify.check_token(cert.token).code is VerdictCode.VALID
        # no log at all (a database from before the log): passes
        sess.execute(update(Certificate).where(Certificate.id == cert.id).values(created_at=clock.now()))
        sess.execute(delete(TlogLeaf))
        sess.execute(delete(TlogNode))
        sess.execute(delete(TlogHead))
        sess.commit()
        assert cert_verify.check_token(cert.token).code is VerdictCode.VALID
