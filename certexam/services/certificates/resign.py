"""Recovery from a compromised token key (issue 20.6): find what it signed, and sign it all again.

`keys compromise KID` makes every token the key signed fail verification at once (crypto/cose.py).
Until a certificate is signed again, every page says so instead of "Valid" (keys.withdrawn()), and no PDF
of it is handed out (pdf.pdf_bytes). Signing again keeps the certificate: the same number, names,
dates and status, with a new token (a fresh salted commitment) under the active key and a new PDF from
the current document signer. Each one is its own short transaction: audited, told to events.py (the
transparency log records it), and the holder is mailed in their language. Run again, it only does
what is left, so an interrupted job is finished by starting it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from certexam import db
from certexam.crypto.cose import sign_token
from certexam.crypto.keystore import KeyStoreError
from certexam.domain.verdict import CertStatus
from certexam.errors import UserError
from certexam.models import Certificate, User
from certexam.services.certificates import events, keys
from certexam.services.certificates.pdf import resigned_claims, store_pdf
from certexam.services.platform import audit, clock, mail

log = logging.getLogger(__name__)


def affected(kid: str | None = None) -> list[Certificate]:
    """Certificates whose current token a compromised key signed (``kid``'s only, when given), in order."""
    kids = keys.compromised_kids()
    if kid is not None:
        kids = kids & {kid}
    if not kids:
        return []
    stmt = select(Certificate).where(Certificate.key_id.in_(sorted(kids)))
    return list(db.session().scalars(stmt.order_by(Certificate.id)))


def _tell_holder(holder: User, number: str) -> None:
    with force_locale(holder.locale or "zh_Hans"):
        subject = _("Your certificate %(number)s has been signed again", number=number)
        body = _("The key that signed certificate %(number)s has been withdrawn, so the QR code on the copy "
                 "you have no longer verifies. The certificate itself is unchanged: same number, same names, "
                 "same dates. Download the new signed PDF from your account and use it from now on.",
                 number=number)
    mail.send(holder.email, subject, body)


@db.use_case
def resign_one(cert_id: int, actor_id: int | None, issuing: keys.IssuingKeys) -> str | None:
    """Sign one certificate again under the active key; returns its number, or None if nothing was left to do
    (it was signed again already: the job is idempotent)."""
    sess = db.session()
    cert = sess.scalar(select(Certificate).where(Certificate.id == cert_id).with_for_update())
    if cert is None or not keys.withdrawn(cert.key_id):
        return None
    if issuing.token_key.kid in keys.compromised_kids():  # rules out signing again with the key being replaced
        raise KeyStoreError(f"the active key {issuing.token_key.kid} is compromised: run `certexam keys rotate`")
    old_kid = cert.key_id
    cert.token, cert.key_id = sign_token(resigned_claims(cert, clock.today()), issuing.token_key), issuing.token_key.kid
    store_pdf(cert, issuing)  # a new QR code: the PDF that holders download changes with the token
    audit.record(sess, "certificate.resign", "certificate", cert.id, actor_id=actor_id,
                 before={"key_id": old_kid}, after={"number": cert.number, "key_id": cert.key_id,
                                                    "reason": "signing key compromised"})
    events.certificate_changed(sess, events.CertificateChange("resign", cert))
    holder = sess.get(User, cert.user_id)
    if holder is not None and cert.status != CertStatus.REVOKED:  # a revoked one is not theirs to use
        _tell_holder(holder, cert.number)
    return cert.number


@dataclass
class ResignReport:
    """What a run did: numbers signed again, and the ones that failed with why."""

    total: int = 0
    done: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def resign_all(actor_id: int | None, kid: str | None = None,
               progress: Callable[[int, int, int], None] | None = None) -> ResignReport:
    """Sign again every certificate of a compromised key (of ``kid`` only, when given).

    ``progress(done, total, problems)`` after each certificate. A certificate that fails (its PDF cannot be
    made) is reported and the others go on; missing signing keys stop the run.
    """
    if kid is not None and kid not in keys.compromised_kids():
        raise UserError(_("Key %(kid)s is not marked compromised; its certificates stay as they are.", kid=kid),
                        "kid")
    ids = [c.id for c in affected(kid)]
    db.session().rollback()  # a read only: end it before the long run
    report = ResignReport(total=len(ids))
    if not ids:
        return report
    issuing = keys.issuing_keys()
    for n, cert_id in enumerate(ids, start=1):
        try:
            number = resign_one(cert_id, actor_id, issuing)
        except (OSError, ValueError) as exc:  # one PDF that cannot be made does not stop the others
            log.warning("certificate %s not signed again: %s", cert_id, exc)
            report.problems.append(f"certificate {cert_id}: {exc}")
        else:
            if number is not None:
                report.done.append(number)
        if progress is not None:
            progress(n, len(ids), len(report.problems))
    return report
