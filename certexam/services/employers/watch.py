"""An organisation's watch list (issue 23): certificates it verified, watched for a change of status.

Only a certificate that verifies, valid or suspended, with the holder's name typed by the employer can
be added: the watch list is not a way around the public page's masking. What the list shows is what
the public page shows without a name (masked names, level, direction, dates, status), so an employer
learns no more about a holder by watching than by scanning the QR code again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from certexam import db
from certexam.crypto.cose import verify_token
from certexam.domain.certno import is_valid_number, normalise
from certexam.domain.verdict import VerdictCode
from certexam.errors import Conflict, NotFound, UserError
from certexam.models import AccountKind, Certificate, User, WatchedCertificate
from certexam.services.certificates import keys
from certexam.services.certificates import verify as cert_verify
from certexam.services.certificates.issue import find_by_number
from certexam.services.platform import audit, clock

WATCHABLE = frozenset({VerdictCode.VALID, VerdictCode.SUSPENDED})  # a suspension can still be lifted
NAME_MAX = 200


@dataclass(frozen=True)
class Watched:
    """One line of the watch list: the public page's facts and when the watch began."""

    outcome: cert_verify.VerifyOutcome
    since: datetime


def org_of(user: User) -> int:
    """The organisation an employer account acts for (403-like UserError otherwise)."""
    if user.role != AccountKind.EMPLOYER or user.organisation_id is None:
        raise UserError(_("Only an employer account with an organisation can do this."))
    return user.organisation_id


def _public(cert: Certificate, typed_name: str | None = None) -> cert_verify.VerifyOutcome:
    check = verify_token(cert.token, keys.verification_keys())
    return cert_verify.outcome_for(check, cert, clock.now(), typed_name)


def verified(number: str, name: str) -> Certificate:
    """The certificate when it verifies with the holder's full name (Chinese or English); one message for
    an unknown number and a wrong name, so the form tells nobody which numbers exist."""
    typed = name.strip()[:NAME_MAX]
    cert = find_by_number(number) if is_valid_number(number.strip()) else None
    if cert is None or not typed or _public(cert, typed).name_check is not True:
        raise NotFound(_("No certificate verifies with this number and name. Check both and try again."))
    code = _public(cert).code
    if code not in WATCHABLE:
        raise Conflict(_("Only a valid or suspended certificate can be watched."))
    return cert


@db.use_case
def add(org_id: int, actor: User | None, number: str, name: str) -> Certificate:
    """Watch a certificate that verifies with the holder's name; watching it twice is one watch."""
    cert = verified(number, name)
    sess = db.session()
    found = sess.scalar(select(WatchedCertificate).where(WatchedCertificate.organisation_id == org_id,
                                                         WatchedCertificate.certificate_id == cert.id))
    if found is None:
        row = WatchedCertificate(organisation_id=org_id, certificate_id=cert.id,
                                 added_by_id=actor.id if actor else None, created_at=clock.now())
        sess.add(row)
        sess.flush()
        audit.record(sess, "watch.add", "organisation", org_id, actor_id=actor.id if actor else None,
                     after={"number": cert.number})
    return cert


@db.use_case
def remove(org_id: int, actor: User | None, number: str) -> None:
    sess = db.session()
    row = sess.scalar(select(WatchedCertificate).join(Certificate, Certificate.id == WatchedCertificate.certificate_id)
                      .where(WatchedCertificate.organisation_id == org_id, Certificate.number == normalise(number)))
    if row is None:
        raise NotFound(_("This certificate is not on your watch list."))
    audit.record(sess, "watch.remove", "organisation", org_id, actor_id=actor.id if actor else None,
                 before={"number": normalise(number)})
    sess.delete(row)


def listing(org_id: int) -> list[Watched]:
    """The organisation's watched certificates as the public page shows them, newest watch first."""
    rows = db.session().execute(
        select(Certificate, WatchedCertificate.created_at)
        .join(WatchedCertificate, WatchedCertificate.certificate_id == Certificate.id)
        .where(WatchedCertificate.organisation_id == org_id)
        .order_by(WatchedCertificate.id.desc()))
    return [Watched(_public(cert), since) for cert, since in rows]
