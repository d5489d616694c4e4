"""Public verification: a scanned token or a typed number, checked against the register.

Only public keys are used here (certexam.services.certificates.keys.verification_keys): the
verification path cannot sign and never decrypts a private key.  The signature
proves the body issued the certificate; the register says whether it still
stands; certexam.domain.verdict.decide combines the two.  Holder names leave
this module masked unless the verifier typed a name that matches.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime

from certexam import db
from certexam.crypto.cose import TokenCheck, verify_token
from certexam.domain.certno import is_valid_number
from certexam.domain.masking import mask_name, matching_key, name_matches
from certexam.domain.verdict import CertificateRecord, CertStatus, Verdict, VerdictCode, decide
from certexam.models import Certificate
from certexam.services.certificates import keys
from certexam.services.certificates.issue import find_by_number
from certexam.services.platform import clock
from certexam.services.tlog import proofs as tlog_proofs


@dataclass(frozen=True)
class VerifyOutcome:
    """What a verification found, ready for the page, the receipt and the CLI."""

    verdict: Verdict
    checked_at: datetime  # UTC
    signature_ok: bool = False
    signature_reason: str = "malformed"
    key_id: str | None = None
    number: str | None = None
    level: int | None = None
    direction: str | None = None
    issued_on: date | None = None
    masked_zh: str = ""
    masked_en: str = ""
    name_zh: str | None = None  # in clear only after a matching name was typed
    name_en: str | None = None
    name_check: bool | None = None  # None: no name typed
    replaced_by: str | None = None  # number of the certificate that replaced this one

    @property
    def code(self) -> VerdictCode:
        return self.verdict.code

    @property
    def valid(self) -> bool:
        return self.verdict.valid


def register_record(cert: Certificate) -> CertificateRecord:
    """The register entry as the pure verdict rules take it."""
    since = clock.local_date(cert.status_changed_at) if cert.status_changed_at else None
    return CertificateRecord(cert.number, CertStatus(cert.status), cert.issued_on, cert.expires_on, since)


def _claims_match(check: TokenCheck, cert: Certificate) -> bool:
    claims = check.claims
    return claims is not None and claims.names_are(cert.holder_name_zh, cert.holder_name_en) and (
        claims.direction, claims.issued_on, claims.expires_on) == (cert.direction, cert.issued_on, cert.expires_on)


def _name_check(check: TokenCheck, cert: Certificate, typed: str | None) -> bool | None:
    """None when no name was typed; else whether it is the holder's name. The token's salted commitment
    answers (issue 20.2); it agrees with the register (_claims_match), which answers for a version-1
    token that carries the names themselves."""
    if not typed:
        return None
    if check.claims is not None and check.claims.commitment is not None:
        return check.claims.names_match(typed)
    return name_matches(typed, cert.holder_name_zh, cert.holder_name_en)


def outcome_for(check: TokenCheck, cert: Certificate | None, now: datetime,
                typed_name: str | None = None) -> VerifyOutcome:
    """Combine a token check with the register entry (None: not in the register)."""
    today = clock.local_date(now)
    verdict = decide(check.signature_check(), register_record(cert) if cert else None, today)
    if cert is not None and check.valid and not _claims_match(check, cert):
        verdict = Verdict(VerdictCode.MISMATCH, number=cert.number, detail="claims differ from register")
    verdict = tlog_proofs.logged_in_time(verdict, cert)  # issue 20.5: dated long before it was logged
    base = VerifyOutcome(verdict, now, check.valid, str(check.reason), check.kid,
                         number=verdict.number)
    if cert is None or verdict.code in (VerdictCode.INVALID_TOKEN, VerdictCode.KEY_COMPROMISED,
                                        VerdictCode.BACKDATED, VerdictCode.MISMATCH, VerdictCode.UNKNOWN):
        return base
    matched = _name_check(check, cert, typed_name)
    replaced = None
    if cert.replaced_by_id is not None:
        successor = db.session().get(Certificate, cert.replaced_by_id)
        replaced = successor.number if successor else None
    return VerifyOutcome(
        verdict, now, check.valid, str(check.reason), check.kid, cert.number, cert.level, cert.direction,
        cert.issued_on, mask_name(cert.holder_name_zh), mask_name(cert.holder_name_en),
        cert.holder_name_zh if matched else None, cert.holder_name_en if matched else None, matched, replaced)


def check_token(token: str, typed_name: str | None = None, now: datetime | None = None) -> VerifyOutcome:
    """Verify a QR token with the public keys, then consult the register."""
    now = now or clock.now()
    check = verify_token(token, keys.verification_keys())
    cert = find_by_number(check.claims.number) if check.valid and check.claims else None
    return outcome_for(check, cert, now, typed_name)


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def surname_matches(typed: str, family: str) -> bool:
    """True when ``typed`` is the holder's family name, compared in constant time.

    Issue 19.11: only the family-name field recorded on the certificate counts (NFKC, case-folded,
    white space collapsed: domain/masking.matching_key). Any word of the English name did before, so
    "Tai" and "Man" found "Chan Tai Man", and a number's holder was cheap to probe.
    """
    key, wanted = matching_key(typed), matching_key(family)
    same = hmac.compare_digest(_digest(key), _digest(wanted))
    return same and bool(key) and bool(wanted)


def lookup(number: str, surname: str, typed_name: str | None = None,
           now: datetime | None = None) -> VerifyOutcome | None:
    """Look a certificate up by number and holder family name; None when they do not match.

    An unknown number and a wrong surname give the same None, so the form
    cannot be used to find out which numbers exist.
    """
    now = now or clock.now()
    cert = find_by_number(number) if is_valid_number(number) else None
    if cert is None:
        surname_matches(surname, "")  # about the same work as a real check
        return None
    if not surname_matches(surname, cert.holder_name_family):
        return None
    return outcome_for(verify_token(cert.token, keys.verification_keys()), cert, now, typed_name)
