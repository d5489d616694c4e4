"""The rule "a certificate tells the truth about its result" (issue 18), written as a check for tests.

At every moment a level's certificate is valid exactly when the holder's current result for
that sitting is PASS, unless it was revoked (or suspended) for another recorded reason.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from certexam.domain.verdict import CertStatus
from certexam.models import Certificate, Result, Sitting
from certexam.services.certificates.issue import RESULT_CHANGED


def certificate_violations(sess: Session, sitting_id: int) -> list[str]:
    """Every way the sitting's certificates disagree with its results (empty when the rule holds)."""
    sitting = sess.get(Sitting, sitting_id)
    assert sitting is not None
    certs: dict[int, list[Certificate]] = {}
    for cert in sess.scalars(select(Certificate).where(Certificate.sitting_id == sitting_id).order_by(Certificate.id)):
        certs.setdefault(cert.user_id, []).append(cert)
    out = []
    for row in sess.scalars(select(Result).where(Result.sitting_id == sitting_id)):
        mine = certs.pop(row.user_id, [])
        valid = [c.number for c in mine if c.status == CertStatus.VALID]
        current = [c for c in mine if c.replaced_by_id is None]
        if not row.released or row.status != "PASS":
            if any(c.status != CertStatus.REVOKED for c in mine):
                out.append(f"user {row.user_id} ({row.status}, released {row.released}) holds "
                           f"{[(c.number, c.status) for c in mine if c.status != CertStatus.REVOKED]}")
            continue
        if len(current) != 1:
            out.append(f"user {row.user_id} (PASS) has {len(current)} current certificates")
            continue
        cert = current[0]
        other_reason = cert.status != CertStatus.VALID and not (cert.status_reason or "").startswith(RESULT_CHANGED)
        if cert.status != CertStatus.VALID and not other_reason:
            out.append(f"user {row.user_id} (PASS): {cert.number} is {cert.status} for its result")
        if len(valid) > 1:
            out.append(f"user {row.user_id} (PASS) has {len(valid)} valid certificates")
        for c in mine:
            if c.replaced_by_id is not None and c.status == CertStatus.VALID:
                out.append(f"user {row.user_id}: replaced {c.number} is still valid")
    for user_id, left in certs.items():
        if any(c.status == CertStatus.VALID for c in left):
            out.append(f"user {user_id} holds a valid certificate of the sitting without a result")
    return out
