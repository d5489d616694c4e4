"""The verdict the public verification page shows.

It combines three facts: what the signed token says (checked by
certexam.crypto.cose.verify_token), what the certificate register says now,
and today's date.  The register wins over the token: a signature proves the
body once issued the certificate, not that it still stands, so a revoked or
suspended certificate never shows as valid however good its signature
(what-users-expect.md: "A revoked credential must never show as valid").

Worst first: a bad token, then a backdated one (dated before its signing key
existed, domain/backdating.py), then a register mismatch or missing entry, then
revoked, suspended, expired, not yet issued, and only then valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from certexam.domain.backdating import BACKDATED_REASON, is_backdated


class CertStatus(StrEnum):
    """Status of a certificate in the register."""

    VALID = "valid"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class VerdictCode(StrEnum):
    """What the public page tells the verifier."""

    VALID = "valid"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    UNKNOWN = "unknown"  # no such certificate in the register
    MISMATCH = "mismatch"  # good signature, but the register holds a different certificate
    KEY_COMPROMISED = "key_compromised"  # signed with a key the body has declared compromised
    BACKDATED = "backdated"  # good signature, but dated before its signing key existed (issue 20.4)
    INVALID_TOKEN = "invalid_token"  # noqa: S105 - forged, altered, truncated or unreadable


KEY_COMPROMISED_REASON = "key_compromised"
"""The reason code certexam.crypto.cose gives for a key marked compromised."""


@dataclass(frozen=True)
class SignatureCheck:
    """The outcome of checking a token, in plain values."""

    valid: bool
    reason: str  # the verifier's reason code; "ok" when valid
    number: str | None = None  # certificate number in the signed payload
    expires_on: date | None = None  # expiry in the signed payload, if any
    signed_on: date | None = None  # the day the token says it was signed (issue date, or re-signing date)
    key_created_on: date | None = None  # the day its key was created (JWK "nbf"), Asia/Shanghai


@dataclass(frozen=True)
class CertificateRecord:
    """A certificate as the register holds it now."""

    number: str
    status: CertStatus
    issued_on: date
    expires_on: date | None = None
    status_since: date | None = None  # when it was revoked, suspended or expired


@dataclass(frozen=True)
class Verdict:
    """The verdict; ``valid`` is True only for VerdictCode.VALID."""

    code: VerdictCode
    number: str | None = None
    since: date | None = None  # date of the revocation, suspension or expiry shown
    detail: str = ""  # reason code behind an invalid token, for logs and support

    @property
    def valid(self) -> bool:
        return self.code is VerdictCode.VALID


def _earliest(*dates: date | None) -> date | None:
    present = [d for d in dates if d is not None]
    return min(present) if present else None


def decide(signature: SignatureCheck | None, record: CertificateRecord | None, today: date) -> Verdict:
    """Return the verdict for one verification.

    ``signature`` is None when the verifier looked a number up without a token;
    ``record`` is None when the register has no such number.
    """
    if signature is not None and not signature.valid:
        if signature.reason == KEY_COMPROMISED_REASON:
            return Verdict(VerdictCode.KEY_COMPROMISED, detail=signature.reason)
        return Verdict(VerdictCode.INVALID_TOKEN, detail=signature.reason)
    if signature is not None and signature.signed_on is not None and signature.key_created_on is not None \
            and is_backdated(signature.signed_on, signature.key_created_on):
        return Verdict(VerdictCode.BACKDATED, number=signature.number, since=signature.signed_on,
                       detail=BACKDATED_REASON)
    signed_number = signature.number if signature is not None else None
    if record is None or record.status is CertStatus.UNKNOWN:
        return Verdict(VerdictCode.UNKNOWN, number=signed_number)
    if signature is not None and signature.number != record.number:
        return Verdict(VerdictCode.MISMATCH, number=record.number, detail="number differs from register")
    if record.status is CertStatus.REVOKED:
        return Verdict(VerdictCode.REVOKED, number=record.number, since=record.status_since)
    if record.status is CertStatus.SUSPENDED:
        return Verdict(VerdictCode.SUSPENDED, number=record.number, since=record.status_since)
    signed_expiry = signature.expires_on if signature is not None else None
    expires_on = _earliest(record.expires_on, signed_expiry)
    if record.status is CertStatus.EXPIRED:
        return Verdict(VerdictCode.EXPIRED, number=record.number, since=record.status_since or expires_on)
    if expires_on is not None and today > expires_on:  # valid through the expiry date itself
        return Verdict(VerdictCode.EXPIRED, number=record.number, since=expires_on)
    if today < record.issued_on:
        return Verdict(VerdictCode.NOT_YET_VALID, number=record.number, since=record.issued_on)
    return Verdict(VerdictCode.VALID, number=record.number)
