"""A PDF-signing certificate can be revoked (issue 20.6): the root's CRL, served and written by a command, and
what independent validators make of a PDF whose signer it lists.

pyHanko's validator with revocation checking (hard-fail, offline, given the served CRL) and poppler's
pdfsig (with the root trusted in an NSS database, and the CRL imported there with NSS's crlutil: pdfsig
fetches no CRL itself) each say revoked. Without the CRL, pdfsig still says trusted: that limit is
pinned below and written in docs/verify.md.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from flask import Flask
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select

from certexam import db
from certexam.certpdf.render import render_certificate_pdf
from certexam.certpdf.sign import sign_pdf
from certexam.cli.signers import keys_crl_command, keys_revoke_signer_command, keys_signers_command
from certexam.crypto import x509ca
from certexam.crypto.keystore import KeyStoreError
from certexam.models import AuditEntry
from certexam.services.certificates import keys
from tests.integration.test_certificates_service import keyed_app
from tests.integration.test_certpdf import certificate

CRL_URL = "/.well-known/certexam-root.crl"


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    app = keyed_app(tmp_path, monkeypatch)
    yield app
    app.extensions["certexam.engine"].dispose()


def signed_now(app: Flask) -> bytes:
    """A certificate PDF signed by the active document signer."""
    with app.app_context():
        issuing = keys.issuing_keys()
    return sign_pdf(render_certificate_pdf(certificate()), issuing.pdf_key, issuing.pdf_cert, issuing.pdf_chain)


def served_crl(app: Flask) -> x509.CertificateRevocationList:
    resp = app.test_client().get(CRL_URL)
    assert resp.status_code == 200 and resp.mimetype == "application/pkix-crl"
    assert resp.headers["Cache-Control"].startswith("public, max-age=")
    return x509.load_der_x509_crl(resp.data)


def pyhanko_status(pdf: bytes, root: x509.Certificate, crl: x509.CertificateRevocationList) -> tuple[bool, bool]:
    """(trusted, revoked) from pyHanko with revocation checking: hard-fail, nothing fetched, the CRL given."""
    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(root.public_bytes(serialization.Encoding.DER))],
        crls=[x509ca.crl_der(crl)], allow_fetching=False, revocation_mode="hard-fail")
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    # pyHanko runs asyncio.run(); in a test worker where Playwright's sync API already holds an event
    # loop (the session's browser), that raises, so the check runs on a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        status = pool.submit(validate_pdf_signature, signature, context).result()
    return bool(status.trusted), bool(status.revoked)


def test_revoked_signer_is_in_the_served_crl_and_pyhanko_says_revoked(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        root = keys.root_certificate()
        signer = keys.issuing_keys().pdf_cert
    assert root is not None
    points = signer.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert [n.value for p in points for n in p.full_name or []] == [
        f"https://{app.config['VERIFY_HOST']}{CRL_URL}"]
    at_init = served_crl(app)  # keys init wrote one (keyed_app dates the keys, and so it, early in 2026)
    assert at_init.is_signature_valid(root.public_key()) and len(at_init) == 0
    runner = app.test_cli_runner()
    assert runner.invoke(keys_crl_command, []).exit_code == 0  # the daily refresh
    empty = served_crl(app)
    assert empty.is_signature_valid(root.public_key()) and empty.issuer == root.subject and len(empty) == 0
    assert empty.next_update_utc is not None and empty.next_update_utc > datetime.now(UTC)
    before = signed_now(app)
    assert pyhanko_status(before, root, empty) == (True, False)  # hard-fail: the CRL was consulted

    assert runner.invoke(keys_revoke_signer_command, []).exit_code != 0  # asks first
    result = runner.invoke(keys_revoke_signer_command, ["--yes"])
    assert result.exit_code == 0, result.output
    serial = format(signer.serial_number, "x")
    assert f"Signer {serial} is revoked" in result.output
    listing = runner.invoke(keys_signers_command, []).output
    assert f"{serial}  revoked" in listing and "active" in listing

    crl = served_crl(app)
    assert crl.is_signature_valid(root.public_key())
    entry = crl.get_revoked_certificate_by_serial_number(signer.serial_number)
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason is x509.ReasonFlags.key_compromise
    assert pyhanko_status(before, root, crl) == (False, True)
    after = signed_now(app)  # the new signer took over and is not revoked
    assert pyhanko_status(after, root, crl) == (True, False)

    out = tmp_path / "root.crl"
    refreshed = runner.invoke(keys_crl_command, ["-o", str(out)])
    assert refreshed.exit_code == 0, refreshed.output
    written = x509.load_der_x509_crl(out.read_bytes())
    number = written.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert number > crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert written.get_revoked_certificate_by_serial_number(signer.serial_number) is not None
    assert served_crl(app).extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == number
    with app.app_context():
        assert db.session().scalar(select(AuditEntry.object_id).where(
            AuditEntry.action == "keys.revoke_signer")) == serial
        with pytest.raises(KeyStoreError, match="revoked already"):
            keys.revoke_signer(None, serial, datetime.now(UTC))
        keys.rotate_keys(None, datetime.now(UTC))  # a rotation retires the active signer, never un-revokes
        assert [s.status for s in keys.public_store().signers()] == ["revoked", "retired", "active"]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian: poppler-utils, libnss3-tools)")
    return path


def _run(*args: str | Path) -> str:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_pdfsig_reports_the_revoked_signer_once_the_crl_is_in_its_nss_database(app: Flask, tmp_path: Path) -> None:
    pdfsig, certutil, crlutil = _tool("pdfsig"), _tool("certutil"), _tool("crlutil")
    pdf = tmp_path / "cert.pdf"
    pdf.write_bytes(signed_now(app))
    with app.app_context():
        root = keys.root_certificate()
        keys.revoke_signer(None, None, datetime.now(UTC))
    assert root is not None
    (tmp_path / "root.pem").write_bytes(x509ca.cert_pem(root))
    (tmp_path / "root.crl").write_bytes(app.test_client().get(CRL_URL).data)
    nss = f"sql:{tmp_path / 'nss'}"
    (tmp_path / "nss").mkdir()
    _run(certutil, "-N", "-d", nss, "--empty-password")
    _run(certutil, "-A", "-d", nss, "-n", "certexam root", "-t", "CT,C,C", "-i", tmp_path / "root.pem")
    # Offline, pdfsig cannot learn of the revocation (it fetches no CRL; -no-ocsp: no network either).
    assert "Certificate Validation: Certificate is Trusted." in _run(pdfsig, "-nssdir", nss, "-no-ocsp", pdf)
    _run(crlutil, "-I", "-d", nss, "-i", tmp_path / "root.crl")  # NSS checks the CRL's signature by the root
    report = _run(pdfsig, "-nssdir", nss, "-no-ocsp", pdf)
    assert "Signature Validation: Signature is Valid." in report
    assert "Certificate Validation: Certificate has been Revoked." in report
