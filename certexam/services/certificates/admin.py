"""Administering issued certificates: search, revoke, suspend, reinstate, re-issue.

Every change is written to the audit log with the reason.  The reason stays
internal: the public page shows only the status and its date.  Revocation is
final; a suspended certificate can be reinstated.  A re-issue (after a name
correction) gives a new number and revokes the old certificate with a link to
the new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import cast

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from certexam import db
from certexam.domain.certno import normalise
from certexam.domain.verdict import CertStatus
from certexam.errors import Conflict, NotFound, UserError
from certexam.models import Certificate, User
from certexam.services.accounts.users import checked_family_name, checked_name
from certexam.services.certificates import events, keys
from certexam.services.certificates.issue import (
    IssueRequest,
    check_names,
    lock_for_issue,
    new_certificate,
)
from certexam.services.certificates.pdf import store_pdf
from certexam.services.platform import audit, clock

REVOKE, SUSPEND, REINSTATE = "revoke", "suspend", "reinstate"
# action -> (statuses it applies to, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[CertStatus], CertStatus]] = {
    REVOKE: (frozenset({CertStatus.VALID, CertStatus.SUSPENDED}), CertStatus.REVOKED),
    SUSPEND: (frozenset({CertStatus.VALID}), CertStatus.SUSPENDED),
    REINSTATE: (frozenset({CertStatus.SUSPENDED}), CertStatus.VALID),
}
@dataclass(frozen=True)
class HolderNames:
    """The corrected names of a re-issue, as typed."""

    zh: str
    en: str
    family: str | None = None


REASON_MAX = 2000  # characters: a reason is a note for the file, not a document
PAGE_SIZE = 50


def search(query: str, page: int = 1, page_size: int = PAGE_SIZE) -> list[tuple[Certificate, User]]:
    """Certificates whose number, holder name or holder email contains ``query``; newest first."""
    stmt = select(Certificate, User).join(User, User.id == Certificate.user_id)
    needle = query.strip()
    if needle:
        folded = needle.casefold()
        stmt = stmt.where(or_(
            Certificate.number.contains(normalise(needle), autoescape=True),
            Certificate.holder_name_zh.contains(needle, autoescape=True),
            func.lower(Certificate.holder_name_en).contains(folded, autoescape=True),
            User.email.contains(folded, autoescape=True),
        ))
    stmt = stmt.order_by(Certificate.id.desc()).limit(page_size).offset((max(page, 1) - 1) * page_size)
    return [(cert, user) for cert, user in db.session().execute(stmt)]


def _locked(number: str) -> Certificate:
    stmt = select(Certificate).where(Certificate.number == normalise(number)).with_for_update()
    cert = db.session().scalar(stmt)
    if cert is None:
        raise NotFound(_("No certificate has this number."))
    return cert


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise UserError(_("Give a reason: it goes into the audit log."), "reason")
    if len(text) > REASON_MAX:
        raise UserError(_("The reason is too long."), "reason")
    return text


@db.use_case
def change_status(actor: User | None, number: str, action: str, reason: str) -> Certificate:
    """Revoke, suspend or reinstate a certificate; the verify page shows it at once."""
    if action not in TRANSITIONS:
        raise UserError(_("Unknown action."), "action")
    why = _reason(reason)
    cert = _locked(number)
    applies_to, becomes = TRANSITIONS[action]
    current = cert.status
    if current not in applies_to:
        raise Conflict(_("This certificate is %(status)s; that action does not apply.", status=current.value))
    before = {"status": cert.status, "status_changed_at": cert.status_changed_at.isoformat()
              if cert.status_changed_at else None}
    cert.status, cert.status_changed_at, cert.status_reason = becomes, clock.now(), why
    audit.record(db.session(), f"certificate.{action}", "certificate", cert.id,
                 actor_id=actor.id if actor else None, before=before,
                 after={"number": cert.number, "status": cert.status, "reason": why})
    events.certificate_changed(db.session(), events.CertificateChange(cast(events.CertificateAction, action), cert))
    return cert


@db.use_case
def _reissue(actor: User | None, number: str, names: HolderNames, reason: str,
             issuing: keys.IssuingKeys, issued_on: date) -> Certificate:
    """The new row, its signed PDF and the old row's revocation in one transaction (issue 20.1: the PDF
    failed after the commit, leaving the old certificate revoked and the new one without a PDF). The PDF
    (~0.5 s) is made while the transaction holds SQLite's write lock: a re-issue is rare."""
    sess = db.session()
    why = _reason(reason)
    name_zh, name_en = checked_name(names.zh, "name_zh"), checked_name(names.en, "name_en")
    name_family = checked_family_name(names.family, name_en)
    check_names(name_zh, name_en)
    old = _locked(number)
    if old.status == CertStatus.REVOKED:
        raise Conflict(_("A revoked certificate cannot be re-issued."))
    if (name_zh, name_en, name_family) == (old.holder_name_zh, old.holder_name_en, old.holder_name_family):
        raise UserError(_("The corrected name is the same as on the certificate."), "name_zh")
    holder = sess.get(User, old.user_id)
    assert holder is not None  # a foreign key guards it
    actor_id = actor.id if actor else None
    if (holder.name_zh, holder.name_en, holder.name_family) != (name_zh, name_en, name_family):
        audit.record(sess, "user.name_correct", "user", holder.id, actor_id=actor_id,
                     before={"name_zh": holder.name_zh, "name_en": holder.name_en,
                             "name_family": holder.name_family},
                     after={"name_zh": name_zh, "name_en": name_en, "name_family": name_family})
        holder.name_zh, holder.name_en, holder.name_family = name_zh, name_en, name_family
    lock_for_issue(sess, holder.id, old.level, issued_on.year)
    req = IssueRequest(holder.id, old.level, old.direction, old.sitting_id, old.passed_on, issued_on)
    new = new_certificate(sess, actor, req, issuing.token_key, name_zh, name_en, old.photo_path, name_family)
    store_pdf(new, issuing)
    before = {"status": old.status, "holder_name_zh": old.holder_name_zh, "holder_name_en": old.holder_name_en}
    old.status, old.status_changed_at = CertStatus.REVOKED, clock.now()
    old.status_reason, old.replaced_by_id = f"re-issued as {new.number}: {why}", new.id
    audit.record(sess, "certificate.reissue", "certificate", old.id, actor_id=actor_id, before=before,
                 after={"status": old.status, "replaced_by": new.number, "reason": why})
    events.certificate_changed(sess, events.CertificateChange("reissue", old, new.number))
    return new


def reissue(actor: User | None, number: str, name_zh: str, name_en: str, reason: str,
            name_family: str | None = None) -> Certificate:
    """Issue a corrected certificate under a new number; the old one is revoked and points to it.
    `name_family` None or blank: the first word of `name_en` (services/accounts/users.checked_family_name)."""
    issuing = keys.issuing_keys()
    return _reissue(actor, number, HolderNames(name_zh, name_en, name_family), reason, issuing, clock.today())


def replacement_of(cert: Certificate) -> Certificate | None:
    """The certificate that replaced ``cert`` after a re-issue, if any."""
    if cert.replaced_by_id is None:
        return None
    return db.session().get(Certificate, cert.replaced_by_id)
