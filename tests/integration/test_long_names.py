"""Issue 20.1: the longest name registration accepts prints on a certificate, checked with poppler and zbar.

Before: a 51-character Macao name needed QR version 15, so every PDF download answered 500 (QRTooLarge),
`certs pdf` failed, and an admin re-issue answered 500 after its commit (old revoked, new without a PDF).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import cbor2
import pytest
from flask import Flask
from sqlalchemy import select

from certexam import db
from certexam.certpdf.qr import QRTooLarge, qr_version
from certexam.cli.certs import certs_pdf_command, certs_verify_command
from certexam.crypto.claims import v1_payload
from certexam.crypto.cose import decode_base32, verification_url, verify_token
from certexam.domain.identity import NAME_EN_MAX, NAME_ZH_MAX
from certexam.domain.verdict import CertStatus, VerdictCode
from certexam.models import AuditEntry, Certificate, Role
from certexam.services.certificates import admin as cert_admin
from certexam.services.certificates import keys
from certexam.services.certificates import pdf as cert_pdf
from certexam.services.certificates import verify as cert_verify
from tests.confirming import confirm
from tests.conftest import post_form
from tests.factories import sign_in, staff
from tests.integration.test_certificates_service import issue, keyed_app, make_holder
from tests.integration.test_certpdf import sample_photo
from tests.integration.test_tokens import sign1

PORTUGUESE = ("Maria Fernanda dos Santos Oliveira Pereira da Costa Albuquerque Magalhães Vasconcelos Sampaio "
              "Figueiredo Mascarenhas Bettencourt Cerqueira Quaresma Valadares Brandão Lencastre de Sá Menezes "
              "Teixeira Carvalhal")[:NAME_EN_MAX].strip()
CHINESE = "玛丽亚·费尔南达·多斯桑托斯·奥利维拉·佩雷拉·达科斯塔·阿尔布克尔克·马加良斯·巴斯孔塞洛斯·梅内塞斯"[:NAME_ZH_MAX]
EN = {"Accept-Language": "en"}


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian: poppler-utils, zbar-tools)")
    return path


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=60, check=False)


def check_pdf(path: Path, token: str, name_en: str) -> None:
    """pdfsig validates the signature, zbarimg reads the QR back, and the whole name is printed."""
    assert "Signature Validation: Signature is Valid." in run(tool("pdfsig"), path).stdout
    run(tool("pdftoppm"), "-r", "150", "-png", "-singlefile", path, path.with_suffix(""))
    scanned = run(tool("zbarimg"), "--raw", "-q", path.with_suffix(".png")).stdout.strip()
    assert scanned.endswith("/V/" + token) and qr_version(scanned) <= 12
    printed = " ".join(run(tool("pdftotext"), path, "-").stdout.split())
    assert all(word in printed for word in name_en.split(" ")), printed
    assert re.search(r"^Pages:\s+1$", run(tool("pdfinfo"), path).stdout, re.MULTILINE)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with pytest.MonkeyPatch.context() as patch:
        keyed = keyed_app(tmp_path_factory.mktemp("long"), patch, CERT_VERIFY_RATE_LIMIT="10000/minute",
                          CERT_NAME_CHECK_RATE_LIMIT="10000/minute")
        yield keyed
    keyed.extensions["certexam.engine"].dispose()


def test_names_are_as_long_as_registration_takes() -> None:
    assert len(PORTUGUESE) == NAME_EN_MAX == 200 and len(CHINESE) == NAME_ZH_MAX


@pytest.mark.parametrize("photo", [False, True])
def test_the_longest_names_print_and_verify(app: Flask, tmp_path: Path, photo: bool) -> None:
    holder = make_holder(app, name_zh=CHINESE, name_en=PORTUGUESE, name_family="Menezes",
                         photo=sample_photo() if photo else None)
    cert = issue(app, holder, with_pdf=True)
    out = tmp_path / "cert.pdf"
    result = app.test_cli_runner().invoke(certs_pdf_command, [cert.number, "-o", str(out)])
    assert result.exit_code == 0, result.output
    check_pdf(out, cert.token, PORTUGUESE)
    offline = app.test_cli_runner().invoke(certs_verify_command, ["--pdf", str(out), "--name", PORTUGUESE.upper()])
    assert offline.exit_code == 0 and "matches the certificate" in offline.output, offline.output
    client = app.test_client()
    sign_in(client, holder.email)
    download = client.get(f"/certificates/{cert.number}.pdf")
    assert download.status_code == 200 and download.data == out.read_bytes()


def test_a_reissue_to_the_longest_name_prints(app: Flask, tmp_path: Path) -> None:
    cert = issue(app, make_holder(app, name_zh="高美娜", name_en="Maria Costa"), with_pdf=True)
    admin = app.test_client()
    sign_in(admin, staff(app, Role.ADMIN).email)
    asked = post_form(admin, "/admin/certificates/reissue",
                      {"number": cert.number, "name_zh": CHINESE, "name_en": PORTUGUESE, "name_family": "Menezes",
                       "reason": "full name from the passport"},
                      get_url=f"/admin/certificates?number={cert.number}", headers=EN)
    done = confirm(admin, asked)
    assert done.status_code == 302, done.get_data(as_text=True)[:500]
    with app.app_context():
        old = db.session().scalar(select(Certificate).where(Certificate.number == cert.number))
        assert old is not None and old.status == CertStatus.REVOKED and old.replaced_by_id is not None
        new = db.session().get(Certificate, old.replaced_by_id)
        assert new is not None and new.pdf_path and new.holder_name_family == "Menezes"
        path = Path(app.instance_path) / new.pdf_path
        token = new.token
    check_pdf(path, token, PORTUGUESE)


def test_a_reissue_whose_pdf_cannot_be_made_changes_nothing(app: Flask) -> None:
    """One transaction: before, the old certificate was revoked and committed before the PDF failed."""
    cert = issue(app, make_holder(app, name_zh="黄小明", name_en="Wong Siu Ming"))
    folder = Path(app.instance_path) / cert_pdf.PDF_FOLDER
    moved = folder.with_name("certificates.moved")
    if folder.exists():
        folder.rename(moved)
    folder.write_text("not a folder: the PDF cannot be stored")  # a real fault, not a mock
    try:
        with app.app_context():
            count = db.session().query(Certificate).count()
            reissues = db.session().query(AuditEntry).filter(AuditEntry.action.like("certificate.%")).count()
        with app.app_context(), pytest.raises(OSError):
            cert_admin.reissue(None, cert.number, "黄小明", "Wong Siu-ming", "hyphen as in the passport")
        admin = app.test_client()
        sign_in(admin, staff(app, Role.ADMIN).email)
        asked = post_form(admin, "/admin/certificates/reissue",
                          {"number": cert.number, "name_zh": "黄小明", "name_en": "Wong Siu-ming",
                           "reason": "hyphen as in the passport"},
                          get_url=f"/admin/certificates?number={cert.number}", headers=EN)
        answer = confirm(admin, asked)
        assert answer.status_code == 302  # not a 500: the page says nothing was changed
        page = admin.get(answer.headers["Location"], headers=EN).get_data(as_text=True)
        assert "未作任何更改" in page  # the confirmation posts in the default language, simplified Chinese
        with app.app_context():
            assert db.session().query(Certificate).count() == count
            assert db.session().query(AuditEntry).filter(AuditEntry.action.like("certificate.%")).count() == reissues
            assert cert_verify.check_token(cert.token).code is VerdictCode.VALID
    finally:
        folder.unlink()
        if moved.exists():
            moved.rename(folder)


def test_an_old_version_1_token_with_a_long_name_gets_a_pdf(app: Flask, tmp_path: Path) -> None:
    """A certificate issued before issue 20.2 with a long name: its version-1 token needs QR version 15.
    Its PDF is made with a fresh version-2 token; the old token still verifies."""
    holder = make_holder(app, name_zh="高美娜", name_en="Maria Fernanda dos Santos Oliveira Pereira da Costa")
    cert = issue(app, holder)
    with app.app_context():
        signer = keys.issuing_keys().token_key
        payload = v1_payload(cert.number, cert.holder_name_zh, cert.holder_name_en, cert.issued_on)
        old_token = sign1(signer, {1: -7, 4: signer.kid.encode()}, cbor2.dumps(payload))
        with pytest.raises(QRTooLarge):  # what every download of it answered with a 500
            qr_version(verification_url("verify.shmftpp.org", old_token))

        @db.use_case
        def make_it_old() -> None:
            row = db.session().get(Certificate, cert.id)
            assert row is not None
            row.token, row.key_id, row.pdf_path = old_token, signer.kid, None

        make_it_old()
        assert verify_token(old_token, keys.verification_keys()).claims.version == 1  # type: ignore[union-attr]
    client = app.test_client()
    sign_in(client, holder.email)
    download = client.get(f"/certificates/{cert.number}.pdf")
    assert download.status_code == 200
    (tmp_path / "old.pdf").write_bytes(download.data)
    with app.app_context():
        row = db.session().get(Certificate, cert.id)
        assert row is not None and row.token != old_token
        assert cert_verify.check_token(old_token).code is VerdictCode.VALID
        assert cert_verify.check_token(row.token).code is VerdictCode.VALID
        new_token = row.token
    check_pdf(tmp_path / "old.pdf", new_token, holder.name_en)
    assert holder.name_en.encode() not in decode_base32(new_token)
