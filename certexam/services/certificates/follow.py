"""Certificates follow results: the rule "a certificate tells the truth about its result" (issue 18).

At every moment a level's certificate is valid exactly when the holder's current
result for that sitting is PASS, unless it was revoked (or suspended) for another
recorded reason. A key correction, an item void, a re-check or a misconduct ruling
that changes a released result calls `follow_results` in its own use case: a PASS
that became something else revokes the certificate, and a result that became a PASS
issues one (re-issues, linked from the revoked one, if it had one). Each change is
audited and the holder is told by mail. Before this, a holder turned from PASS to FAIL
kept a certificate that verified VALID, and one turned to PASS waited for a command.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from certexam.crypto.jwks import SigningKey
from certexam.crypto.keystore import KeyStoreError
from certexam.domain.scoring_types import PASS
from certexam.domain.verdict import CertStatus
from certexam.errors import Conflict, UserError
from certexam.models import Certificate, LevelPass, Registration, Result, Sitting, User
from certexam.services.certificates import events, keys
from certexam.services.certificates.issue import (
    DIRECTION_LEVEL,
    RESULT_CHANGED,
    IssueRequest,
    check_names,
    link_replacement,
    lock_for_issue,
    new_certificate,
    revoked_for_result,
)
from certexam.services.platform import audit, clock, mail


@dataclass
class Followed:
    """What following the results changed: certificate numbers, and holders who could not be issued one."""

    revoked: list[str] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        return {"revoked": self.revoked, "issued": self.issued, "problems": self.problems}


def _current(sess: Session, sitting: Sitting) -> dict[int, Certificate]:
    """Each holder's current certificate of the sitting: the newest one not replaced by another."""
    out: dict[int, Certificate] = {}
    for cert in sess.scalars(select(Certificate).where(Certificate.sitting_id == sitting.id,
                                                       Certificate.level == sitting.level).order_by(Certificate.id)):
        if cert.replaced_by_id is None:
            out[cert.user_id] = cert
    return out


class _TokenKey:
    """The signing key, decrypted once and only if a certificate is to be issued."""

    def __init__(self) -> None:
        self._key: SigningKey | None = None

    def get(self) -> SigningKey:
        if self._key is None:
            try:
                self._key = keys.signing_store().active_signing_key()
            except KeyStoreError as exc:  # no keys, or a wrong passphrase: the change would leave a pass bare
                raise Conflict(_("This change makes a result a pass, but no certificate can be issued: %(why)s",
                                 why=str(exc))) from exc
        return self._key


def follow_results(sess: Session, sitting: Sitting, actor: User | None, why: dict[str, Any],
                   turned: Collection[int]) -> Followed:
    """Revoke, issue or re-issue the sitting's certificates so that they follow its released results.

    Runs in the caller's transaction, after the results and level passes are stored. Every
    certificate whose result is not a pass is revoked (that needs no key); a certificate is issued
    to the holders whose result this change `turned` (result ids) into a pass. A pass the release
    could not certify (no keys then, a name the font cannot print) stays for `certexam certs issue`,
    so an unrelated correction is not refused for it. `why` names the change (e.g.
    {"key_correction": 3}); it goes into every audit entry and revocation reason.
    """
    done = Followed()
    if sitting.results_released_at is None:
        return done  # nothing is certified before release
    current = _current(sess, sitting)
    token = _TokenKey()
    cause = ", ".join(f"{k} {v}" for k, v in sorted(why.items()))
    for row in sess.scalars(select(Result).where(Result.sitting_id == sitting.id, Result.released)
                            .order_by(Result.id)):
        cert = current.get(row.user_id)
        if row.status == PASS and row.id in turned and (cert is None or revoked_for_result(cert)):
            _issue(sess, actor, sitting, row, cert, token, done, why)
        elif row.status != PASS and cert is not None and cert.status == CertStatus.VALID:
            _revoke(sess, actor, sitting, row, cert, f"{RESULT_CHANGED} {row.status} ({cause})", done, why)
        elif row.status != PASS and cert is not None and cert.status == CertStatus.SUSPENDED:
            # Not re-issued by a later pass: its suspension is a recorded reason of its own.
            _revoke(sess, actor, sitting, row, cert, f"while suspended ({cert.status_reason}), the result changed: "
                    f"{row.status} ({cause})", done, why)
    return done


def _revoke(sess: Session, actor: User | None, sitting: Sitting, row: Result, cert: Certificate, reason: str,
            done: Followed, why: dict[str, Any]) -> None:
    before = {"status": cert.status, "status_changed_at": cert.status_changed_at.isoformat()
              if cert.status_changed_at else None}
    cert.status, cert.status_changed_at, cert.status_reason = CertStatus.REVOKED, clock.now(), reason
    audit.record(sess, "certificate.revoke", "certificate", cert.id, actor_id=actor.id if actor else None,
                 before=before, after={"number": cert.number, "status": cert.status, "reason": reason,
                                       "result": row.status, **why})
    events.certificate_changed(sess, events.CertificateChange("revoke", cert))
    done.revoked.append(cert.number)
    _tell(sess, row.user_id, lambda: (
        _("Your certificate has been revoked"),
        _("Your result in %(sitting)s has changed, and certificate %(number)s is no longer valid. "
          "Your result page explains the change.", sitting=sitting.name, number=cert.number)))


def _issue(sess: Session, actor: User | None, sitting: Sitting, row: Result, old: Certificate | None,
           token: _TokenKey, done: Followed, why: dict[str, Any]) -> None:
    holder = sess.get(User, row.user_id)
    passed = sess.scalar(select(LevelPass).where(LevelPass.user_id == row.user_id, LevelPass.level == sitting.level,
                                                 LevelPass.sitting_id == sitting.id))
    if holder is None or passed is None:  # sync_level_passes runs first; a pass from elsewhere is not ours
        return
    direction = sess.scalar(select(Registration.direction).where(Registration.id == row.registration_id)) \
        if sitting.level == DIRECTION_LEVEL else None
    try:
        check_names(holder.name_zh, holder.name_en)
    except UserError as exc:  # as at release: this holder is reported, the others go on
        done.problems.append(f"user {holder.id}: {exc.message}")
        return
    today = clock.today()
    lock_for_issue(sess, holder.id, sitting.level, today.year)
    req = IssueRequest(holder.id, sitting.level, direction, sitting.id, passed.passed_on, max(today, passed.passed_on))
    new = new_certificate(sess, actor, req, token.get(), holder.name_zh.strip(), holder.name_en.strip(),
                          holder.photo_path, holder.name_family)
    audit.record(sess, "certificate.follow_result", "certificate", new.id, actor_id=actor.id if actor else None,
                 after={"number": new.number, "result": row.status, **why})
    if old is not None:
        link_replacement(sess, actor, old, new)
    done.issued.append(new.number)
    _tell(sess, holder.id, lambda: (
        _("Your certificate is ready"),
        _("Your result in %(sitting)s is now a pass. Certificate %(number)s is in your account, "
          "ready to download.", sitting=sitting.name, number=new.number)))


def _tell(sess: Session, user_id: int, message: Callable[[], tuple[str, str]]) -> None:
    """Mail the holder (subject, body) in their own language."""
    user = sess.get(User, user_id)
    if user is None:
        return
    with force_locale(user.locale or "zh_Hans"):
        subject, body = message()
    mail.send(user.email, subject, body)
