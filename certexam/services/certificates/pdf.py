"""The certificate PDF: render it from the register row, sign it, store it, serve it.

Rendering costs about 0.6 s (mostly font subsetting), so a certificate's PDF is
made once, signed with the body's document signer and kept under
instance/certificates/<number>.pdf; downloads serve the stored bytes.  A PDF
that is missing is made again on demand, which needs the signing keys.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from flask import current_app, has_request_context, request
from flask_babel import gettext as _

from certexam import db
from certexam.certpdf.render import CertificatePrint, render_certificate_pdf
from certexam.certpdf.sign import sign_pdf
from certexam.config import verify_origin
from certexam.crypto import x509ca
from certexam.crypto.cose import CertificateClaims, sign_token, verification_url, verify_token
from certexam.domain.catalogue import DIRECTIONS
from certexam.errors import Conflict, NotFound
from certexam.models import Certificate, Sitting
from certexam.services.certificates import keys
from certexam.services.platform import audit, clock, uploads

ISSUER_NAME_ZH = "深港澳金融科技师专才计划认证机构"  # rules s.1: the body behind the "电子证书认证系统"
ISSUER_NAME_EN = x509ca.DEFAULT_ORGANISATION  # the same name as in the body's X.509 certificates
PDF_FOLDER = "certificates"  # <instance>/certificates/<number>.pdf
PDF_SIGN_REASON = "Certificate issued / 证书签发"
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July",
              "August", "September", "October", "November", "December")


def verify_url(token: str) -> str:
    """The URL the QR code carries: VERIFY_HOST, or in development the server that is running."""
    request_host = request.host if has_request_context() else None
    scheme, host = verify_origin(current_app.config, request_host)
    return verification_url(host, token, scheme=scheme)


def sitting_labels(sitting: Sitting | None, passed_on: date) -> tuple[str, str]:
    """The sitting as printed: its month, in Chinese and English (the pass date without one)."""
    when = passed_on
    if sitting is not None and sitting.papers:
        when = clock.local_date(min(p.starts_at for p in sitting.papers))
    return f"{when.year}年{when.month}月", f"{_MONTHS_EN[when.month - 1]} {when.year}"


def certificate_print(cert: Certificate) -> CertificatePrint:
    """Everything the PDF shows, from the register row."""
    sitting = db.session().get(Sitting, cert.sitting_id) if cert.sitting_id is not None else None
    sitting_zh, sitting_en = sitting_labels(sitting, cert.passed_on)
    photo = None
    if cert.photo_path:
        path = uploads.uploads_dir() / cert.photo_path
        photo = path.read_bytes() if path.is_file() else None
    direction = DIRECTIONS.get(cert.direction or "")
    config = current_app.config
    return CertificatePrint(
        number=cert.number, holder_name_zh=cert.holder_name_zh, holder_name_en=cert.holder_name_en,
        level=cert.level, sitting_zh=sitting_zh, sitting_en=sitting_en, issue_date=cert.issued_on,
        expiry=cert.expires_on, verify_url=verify_url(cert.token),
        issuer_name_zh=config.get("CERT_ISSUER_NAME_ZH", ISSUER_NAME_ZH),
        issuer_name_en=config.get("CERT_ISSUER_NAME_EN", ISSUER_NAME_EN),
        direction_zh=direction[0] if direction else None, direction_en=direction[1] if direction else None,
        photo=photo)


def signed_pdf(cert: Certificate, issuing: keys.IssuingKeys) -> bytes:
    """Render the certificate and add the body's PAdES signature."""
    pdf = render_certificate_pdf(certificate_print(cert))
    return sign_pdf(pdf, issuing.pdf_key, issuing.pdf_cert, issuing.pdf_chain, reason=PDF_SIGN_REASON)


def pdf_relative_path(number: str) -> str:
    return f"{PDF_FOLDER}/{number}.pdf"


def write_pdf(number: str, pdf: bytes) -> str:
    """Store the signed PDF atomically; return its path relative to the instance folder."""
    rel = pdf_relative_path(number)
    target = Path(current_app.instance_path) / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(pdf)
    os.replace(tmp, target)  # a reader sees the whole file or none
    return rel


def current_token(cert: Certificate, issuing: keys.IssuingKeys) -> tuple[str, str]:
    """The token to print, and the key id that signed it: the stored one, or a fresh version-2 token when
    the stored one is version 1 (issue 20.2: it carries the names in clear, and a long name made its QR
    too large to print, issue 20.1). The old token keeps verifying: its claims match the register."""
    check = verify_token(cert.token, keys.verification_keys())
    if check.claims is None or check.claims.version != 1:
        return cert.token, cert.key_id
    return sign_token(resigned_claims(cert, clock.today()), issuing.token_key), issuing.token_key.kid


def resigned_claims(cert: Certificate, today: date) -> CertificateClaims:
    """Fresh version-2 claims for a register row whose token is signed again today under the active key: its
    status-list index (issue 20.3), and today as the re-signing day, since the key may be newer than the
    issue date and a token dated before its key is rejected as backdated (issue 20.4)."""
    return CertificateClaims.for_holder(cert.number, cert.holder_name_zh, cert.holder_name_en, cert.issued_on,
                                        cert.direction, cert.expires_on, status_index=cert.status_index,
                                        resigned_on=today if today > cert.issued_on else None)


def store_pdf(cert: Certificate, issuing: keys.IssuingKeys) -> str:
    """Render, sign and store the PDF of `cert` (a row of the caller's transaction, which records the path,
    and a renewed token with it); return the path. A failure raises before anything is recorded."""
    token, kid = current_token(cert, issuing)
    if token != cert.token:
        audit.record(db.session(), "certificate.token_renew", "certificate", cert.id,
                     before={"key_id": cert.key_id, "version": 1}, after={"key_id": kid, "version": 2})
        cert.token, cert.key_id = token, kid
    rel = write_pdf(cert.number, signed_pdf(cert, issuing))
    cert.pdf_path = rel
    return rel


@db.use_case
def _attach(cert_id: int, issuing: keys.IssuingKeys) -> tuple[str, str, str]:
    row = db.session().get(Certificate, cert_id)
    if row is None:
        raise NotFound(_("No certificate has this number."))
    rel = store_pdf(row, issuing)
    return rel, row.token, row.key_id


def attach_pdf(cert: Certificate, issuing: keys.IssuingKeys | None = None) -> str:
    """Render, sign and store the PDF of ``cert`` in one transaction; return its relative path."""
    rel, token, kid = _attach(cert.id, issuing or keys.issuing_keys())
    cert.pdf_path, cert.token, cert.key_id = rel, token, kid
    return rel


def pdf_bytes(cert: Certificate) -> bytes:
    """The stored signed PDF, made now if it is missing (needs the signing keys then).

    Refused while the certificate's token is under a compromised key (issue 20.6): its QR code no longer
    verifies, so the PDF would look valid and fail at the first scan. `certs resign` makes the new one."""
    if keys.withdrawn(cert.key_id):
        raise Conflict(_("Certificate %(number)s was signed with a withdrawn key; a replacement is being "
                         "issued. Its PDF is available again once it is signed under the current key.",
                         number=cert.number))
    if cert.pdf_path:
        path = Path(current_app.instance_path) / cert.pdf_path
        if path.is_file():
            return path.read_bytes()
    rel = attach_pdf(cert)
    return (Path(current_app.instance_path) / rel).read_bytes()
