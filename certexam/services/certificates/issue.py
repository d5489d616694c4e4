"""Issuing certificates: the register row, the signed QR token and the signed PDF.

Issuing runs in two steps.  First one short transaction allocates the serial,
signs the token and writes the register row (so the SQLite write lock is held
for milliseconds, not for the ~0.6 s a PDF takes); then the PDF is rendered,
signed and stored under instance/certificates/, and its path recorded.  A
certificate whose PDF is missing (a crash between the steps, or issuing with
with_pdf=False during a results release) gets it on first download, or from
`certexam certs issue` run again, which is idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from certexam import db
from certexam.certpdf.fonts import MissingGlyphs, check_coverage, find_cjk_font
from certexam.certpdf.render import LEVELS as PRINTED_LEVELS
from certexam.crypto.cose import CertificateClaims, sign_token
from certexam.crypto.jwks import SigningKey
from certexam.domain.catalogue import DIRECTIONS
from certexam.domain.certno import MAX_SERIAL, format_number, normalise
from certexam.domain.identity import NAME_EN_MAX, NAME_ZH_MAX
from certexam.domain.verdict import CertStatus
from certexam.errors import NotFound, UserError
from certexam.models import Certificate, LevelPass, Registration, Sitting, User
from certexam.services.certificates import events, keys, status_list
from certexam.services.certificates.pdf import attach_pdf
from certexam.services.platform import audit, clock

log = logging.getLogger(__name__)

DIRECTION_LEVEL = 2  # rules s.2: "the level-2 certificate names the direction"
_SERIAL_LOCK_SPACE = 0x4345  # "CE": first key of the PostgreSQL advisory lock on a (level, year) serial


def find_by_number(number: str) -> Certificate | None:
    """The register entry for a typed or scanned number (case and width folded)."""
    return db.session().scalar(select(Certificate).where(Certificate.number == normalise(number)))


def holder_certificates(user_id: int) -> list[Certificate]:
    """A holder's certificates, newest first."""
    stmt = select(Certificate).where(Certificate.user_id == user_id)
    return list(db.session().scalars(stmt.order_by(Certificate.issued_on.desc(), Certificate.id.desc())))


# -- step 1: the register row and the token ---------------------------------------------------
@dataclass(frozen=True)
class IssueRequest:
    user_id: int
    level: int
    direction: str | None
    sitting_id: int | None
    passed_on: date
    issued_on: date


def _check_request(req: IssueRequest, user: User | None) -> User:
    if user is None:
        raise NotFound(_("No such account."))
    if req.level not in PRINTED_LEVELS:
        raise UserError(_("Certificates exist for levels 1 and 2 only."), "level")
    if (req.direction is not None) != (req.level == DIRECTION_LEVEL) or (
            req.direction is not None and req.direction not in DIRECTIONS):
        raise UserError(_("A level-2 certificate names a known direction; a level-1 certificate none."),
                        "direction")
    if req.passed_on > req.issued_on:
        raise UserError(_("A certificate cannot be issued before the exam was passed."), "issued_on")
    check_names(user.name_zh, user.name_en)
    return user


def check_names(name_zh: str, name_en: str) -> None:
    """Refuse a holder name the certificate cannot carry (empty, too long, or not printable)."""
    if not name_zh.strip() or not name_en.strip():
        raise UserError(_("The holder needs a name in Chinese and in English."), "name")
    if len(name_zh.strip()) > NAME_ZH_MAX or len(name_en.strip()) > NAME_EN_MAX:
        raise UserError(_("The name is too long for the certificate."), "name")
    try:
        check_coverage(find_cjk_font(), name_zh + name_en)
    except MissingGlyphs as exc:
        raise UserError(_("The certificate font cannot print these characters of the name: %(chars)s",
                          chars=exc.chars), "name") from exc


def lock_for_issue(sess: Session, user_id: int, level: int, year: int) -> None:
    """Serialise issuing per holder (idempotence) and per (level, year) (serials).

    SQLite already holds its write lock (db.use_case begins IMMEDIATE); on
    PostgreSQL the holder's row and an advisory lock take that role.
    """
    sess.execute(select(User.id).where(User.id == user_id).with_for_update())
    if sess.get_bind().dialect.name == "postgresql":
        sess.execute(text("SELECT pg_advisory_xact_lock(:space, :key)"),
                     {"space": _SERIAL_LOCK_SPACE, "key": level * 10_000 + year})


RESULT_CHANGED = "result changed:"
"""How the reason of a revocation that followed a result change begins (certificates/follow.py). Such a
certificate is re-issued if the result becomes a pass again; one revoked for any other recorded
reason is not (issue 18: "valid exactly when the result is PASS, unless revoked for another reason")."""


def revoked_for_result(cert: Certificate) -> bool:
    """Whether the certificate was revoked because its result changed (and for no other reason)."""
    return (cert.status == CertStatus.REVOKED and cert.replaced_by_id is None
            and (cert.status_reason or "").startswith(RESULT_CHANGED))


def current_certificate(sess: Session, user_id: int, level: int, sitting_id: int | None) -> Certificate | None:
    """The certificate a holder has for this level and sitting (the newest of a re-issue chain)."""
    same_sitting = (Certificate.sitting_id == sitting_id) if sitting_id is not None else (
        Certificate.sitting_id.is_(None))
    stmt = select(Certificate).where(Certificate.user_id == user_id, Certificate.level == level, same_sitting)
    return sess.scalar(stmt.order_by(Certificate.replaced_by_id.is_not(None), Certificate.id.desc()).limit(1))


def new_certificate(sess: Session, actor: User | None, req: IssueRequest, token_key: SigningKey,
                    name_zh: str, name_en: str, photo_path: str | None, name_family: str) -> Certificate:
    """Allocate the next serial, sign the token and add the row.

    Runs inside the caller's transaction, which must hold lock_for_issue() for this holder and year.
    """
    year = req.issued_on.year
    last = sess.scalar(select(func.max(Certificate.serial)).where(
        Certificate.level == req.level, Certificate.year == year)) or 0
    if last >= MAX_SERIAL:
        raise UserError(_("No certificate numbers are left for this level and year."))
    number = format_number(req.level, year, last + 1)
    index = status_list.allocate_index(sess)
    claims = CertificateClaims.for_holder(number, name_zh, name_en, req.issued_on, req.direction,
                                          status_index=index)
    cert = Certificate(
        number=number, user_id=req.user_id, level=req.level, year=year, serial=last + 1,
        direction=req.direction, sitting_id=req.sitting_id, passed_on=req.passed_on,
        issued_on=req.issued_on, expires_on=None, holder_name_zh=name_zh, holder_name_en=name_en,
        holder_name_family=name_family, photo_path=photo_path, status=CertStatus.VALID, key_id=token_key.kid,
        token=sign_token(claims, token_key), created_at=clock.now(), status_index=index)
    sess.add(cert)
    sess.flush()
    audit.record(sess, "certificate.issue", "certificate", cert.id, actor_id=actor.id if actor else None,
                 after={"number": number, "user_id": req.user_id, "level": req.level,
                        "direction": req.direction, "sitting_id": req.sitting_id, "key_id": token_key.kid})
    events.certificate_changed(sess, events.CertificateChange("issue", cert))
    return cert


@db.use_case
def _register(actor: User | None, req: IssueRequest, token_key: SigningKey) -> Certificate:
    sess = db.session()
    user = _check_request(req, sess.get(User, req.user_id))
    lock_for_issue(sess, req.user_id, req.level, req.issued_on.year)
    existing = current_certificate(sess, req.user_id, req.level, req.sitting_id)
    if existing is not None and not revoked_for_result(existing):
        return existing
    new = new_certificate(sess, actor, req, token_key, user.name_zh.strip(), user.name_en.strip(), user.photo_path,
                          user.name_family)
    if existing is not None:  # the result became a pass again: the new certificate replaces the revoked one
        link_replacement(sess, actor, existing, new)
    return new


def link_replacement(sess: Session, actor: User | None, old: Certificate, new: Certificate) -> None:
    """Point a certificate revoked because its result changed to the one issued when it became a pass
    again, so the public page of the old number names the new one."""
    old.replaced_by_id = new.id
    audit.record(sess, "certificate.reissue", "certificate", old.id, actor_id=actor.id if actor else None,
                 before={"status": old.status}, after={"status": old.status, "replaced_by": new.number,
                                                       "reason": "the result is a pass again"})
    events.certificate_changed(sess, events.CertificateChange("reissue", old, new.number))


# -- use cases ---------------------------------------------------------------------------------
def issue_certificate(actor: User | None, user_id: int, level: int, direction: str | None,
                      sitting_id: int | None, passed_on: date, issued_on: date, *,
                      issuing: keys.IssuingKeys | None = None, with_pdf: bool = True) -> Certificate:
    """Issue (or return the existing) certificate of a holder for a level and sitting.

    Returns a detached, fully loaded row (safe to read after later transactions).
    """
    issuing = issuing or keys.issuing_keys()
    req = IssueRequest(user_id, level, direction, sitting_id, passed_on, issued_on)
    cert = _register(actor, req, issuing.token_key)
    if with_pdf and cert.pdf_path is None and cert.status != CertStatus.REVOKED:
        attach_pdf(cert, issuing)
    # A loaded snapshot: later use cases roll the session back, which would expire it.
    db.session().expunge(cert)
    return cert


def issue_for_sitting(sitting_id: int, actor: User | None,
                      progress: Callable[[int, int], None] | None = None, *,
                      issued_on: date | None = None, with_pdf: bool = False,
                      errors: list[str] | None = None) -> list[Certificate]:
    """Issue a certificate to every passing candidate of a sitting (idempotent).

    "Passing" means the sitting's LevelPass rows (results release writes them).
    A candidate who cannot be issued (no direction, a name the font cannot
    print) is skipped and reported in ``errors``; the others go on.

    By default only the register rows and signed tokens are made (about 10 ms
    each), so a results release in a web request stays short; each PDF (~0.6 s)
    is made on first download, or for all at once by `certexam certs issue`,
    which passes with_pdf=True.
    """
    sess = db.session()
    if sess.get(Sitting, sitting_id) is None:
        raise NotFound(_("No such sitting."))
    passes = list(sess.scalars(select(LevelPass).where(LevelPass.sitting_id == sitting_id)
                               .order_by(LevelPass.id)))
    directions = dict(sess.execute(select(Registration.user_id, Registration.direction)
                                   .where(Registration.sitting_id == sitting_id)).all())
    issuing = keys.issuing_keys()
    issued_on = issued_on or clock.today()
    issued: list[Certificate] = []
    for done, level_pass in enumerate(passes, start=1):
        direction = directions.get(level_pass.user_id) if level_pass.level == DIRECTION_LEVEL else None
        try:
            issued.append(issue_certificate(actor, level_pass.user_id, level_pass.level, direction,
                                            sitting_id, level_pass.passed_on, issued_on,
                                            issuing=issuing, with_pdf=with_pdf))
        except (UserError, ValueError) as exc:  # ValueError: a PDF that cannot be made (QR too large)
            why = exc.message if isinstance(exc, UserError) else str(exc)
            log.warning("certificate for user %s in sitting %s not issued: %s", level_pass.user_id, sitting_id, why)
            if errors is not None:
                errors.append(f"user {level_pass.user_id}: {why}")
        if progress is not None:
            progress(done, len(passes))
    return issued


@db.use_case
def _demo_pass(user_id: int, on: date) -> tuple[int | None, date]:
    sess = db.session()
    found = sess.scalar(select(LevelPass).where(LevelPass.user_id == user_id, LevelPass.level == 1))
    if found is None:
        found = LevelPass(user_id=user_id, level=1, passed_on=on, sitting_id=None,
                          note="demo data", created_at=clock.now())
        sess.add(found)
    return found.sitting_id, found.passed_on


def ensure_demo_certificate(email: str) -> str:
    """Give the demo candidate a level-1 certificate once; return the line `certexam demo` prints."""
    keys.ensure_keys(clock.now())
    user = db.session().scalar(select(User).where(User.email == email))
    if user is None:
        raise NotFound(_("No such account."))
    sitting_id, passed_on = _demo_pass(user.id, clock.today())
    cert = issue_certificate(None, user.id, 1, None, sitting_id, passed_on, max(passed_on, clock.today()))
    surname = user.name_family
    return (f"  certificate {cert.number} ({email}); look it up at /verify with the surname {surname}")
