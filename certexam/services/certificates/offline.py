"""`certexam certs verify`: check a token or a certificate PDF without the network.

The token carries no names (issue 20.2), only a salted commitment to them: `--name` checks a name the
verifier types, or reads on the printed certificate, against it.

The keys are the public ones in the instance folder, or a saved JWK set
(--jwks); the PDF signature is checked against the body's root certificate.
With the instance keys the local register is consulted too (revoked,
suspended). With a JWK set alone the status comes from the body's signed status
lists (offline_status.py, issue 20.3): VALID only with fresh lists that show the
certificate in good standing, else "signature valid, status unknown". A token
dated before its signing key existed is rejected either way (domain/backdating.py).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader

from certexam.certpdf.render import VERIFY_URL_INFO_KEY
from certexam.certpdf.sign import verify_pdf
from certexam.crypto.cose import CertificateClaims, Reason, verify_token
from certexam.crypto.jwks import JwkError, VerificationKey, keys_from_jwks
from certexam.crypto.x509ca import load_cert
from certexam.domain.backdating import BACKDATED_REASON
from certexam.domain.verdict import CertificateRecord, CertStatus, Verdict, VerdictCode, decide
from certexam.services.certificates import keys
from certexam.services.certificates.issue import find_by_number
from certexam.services.certificates.offline_status import Standing, StatusSources, standing
from certexam.services.certificates.verify import outcome_for
from certexam.services.platform import clock


class Outcome(StrEnum):
    """What `certs verify` concludes; cli/certs.py gives each its exit code."""

    VALID = "valid"
    INVALID = "invalid"  # forged, altered, backdated, compromised key, expired, mismatch, wrong name
    UNUSABLE = "unusable"  # nothing to check against
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    STATUS_UNKNOWN = "status_unknown"  # signature valid, but no fresh status list says it stands


Result = tuple[list[str], Outcome]  # lines to print, and the conclusion
NO_SOURCES = StatusSources()
_BY_VERDICT = {VerdictCode.VALID: Outcome.VALID, VerdictCode.REVOKED: Outcome.REVOKED,
               VerdictCode.SUSPENDED: Outcome.SUSPENDED}


def token_from(text: str) -> str:
    """The token alone, from a token or the whole QR URL (HTTPS://HOST/V/<token>)."""
    stripped = text.strip().rstrip("/")
    return stripped.rsplit("/", 1)[-1] if "/" in stripped else stripped


def url_in_pdf(data: bytes) -> str | None:
    """The verification URL the renderer stored in the document information."""
    try:
        info = PdfFileReader(io.BytesIO(data), strict=False).trailer_view["/Info"]
        value = info.get(VERIFY_URL_INFO_KEY)
    except Exception:  # an unreadable file has no URL; the signature check says why
        return None
    return None if value is None else str(value)


def _keys(jwks: Mapping[str, Any] | None) -> tuple[list[VerificationKey], set[str]]:
    if jwks is None:
        return keys.verification_keys(), set()
    compromised = {str(entry.get("kid")) for entry in jwks.get("compromised", [])}
    return keys_from_jwks(jwks), compromised


def _holder_lines(claims: CertificateClaims, names: Sequence[str]) -> tuple[list[str], bool]:
    """What the token says about the holder, and whether every name given is the holder's."""
    if claims.commitment is None:  # a version-1 token, issued before issue 20.2: the names in clear
        lines = [f"holder:      {claims.name_zh} / {claims.name_en}"]
    else:
        lines = ["holder:      not in the token (a salted commitment to the names)"
                 + ("" if names else "; give --name to check a name")]
    ok = True
    for name in names:
        matched = claims.names_match(name)
        ok &= matched
        lines.append(f"name:        {name!r} " + ("matches the certificate" if matched
                                                   else "does NOT match the certificate"))
    return lines, ok


def _token_lines(text: str, jwks: Mapping[str, Any] | None, names: Sequence[str] = (),
                 sources: StatusSources = NO_SOURCES) -> Result:
    token = token_from(text)
    try:
        found, compromised = _keys(jwks)
    except JwkError as exc:
        return [f"cannot read the JWK set: {exc}"], Outcome.UNUSABLE
    if not found and not compromised:
        return ["no public keys: run `certexam keys init`, or pass --jwks FILE"], Outcome.UNUSABLE
    check = verify_token(token, found)
    if check.reason is Reason.UNKNOWN_KID and check.kid in compromised:
        check = replace(check, reason=Reason.KEY_COMPROMISED)  # left out of "keys", listed as compromised
    now = clock.now()
    signature = f"signature ok (key {check.kid})" if check.valid else f"REJECTED: {check.reason}"
    lines = [f"token:       {signature}"]
    names_ok = True
    if check.claims is not None:
        claims = check.claims
        holder, names_ok = _holder_lines(claims, names)
        lines += [f"certificate: {claims.number}", *holder,
                  f"level:       {claims.level}" + (f", direction {claims.direction}" if claims.direction else ""),
                  f"issued on:   {claims.issued_on.isoformat()}"]
        if claims.resigned_on is not None:
            lines.append(f"signed again: {claims.resigned_on.isoformat()} (under a new key)")
    verdict: Verdict
    status, unknown_why = Standing.GOOD, ""
    if jwks is None:
        cert = find_by_number(check.claims.number) if check.valid and check.claims else None
        verdict = outcome_for(check, cert, now).verdict
        if check.valid:
            lines.append(f"register:    {cert.status if cert else 'no such certificate'}")
    else:
        record = None
        if check.valid and check.claims:  # no register offline: take the signed facts as they stand
            record = CertificateRecord(check.claims.number, CertStatus.VALID, check.claims.issued_on,
                                       check.claims.expires_on)
        verdict = decide(check.signature_check(), record, clock.local_date(now))
        lines.append("register:    not consulted (--jwks: the status comes from the signed status lists)")
        if verdict.valid and check.claims is not None:
            status_lines, status, unknown_why = standing(check.claims.status_index, sources, text, found, now)
            lines += status_lines
    return _conclude(lines, verdict, status, unknown_why, names_ok)


def _conclude(lines: list[str], verdict: Verdict, status: Standing, unknown_why: str, names_ok: bool) -> Result:
    if status in (Standing.REVOKED, Standing.SUSPENDED):
        lines.append(f"verdict:     {status.value.upper()} (signed status list)")
        return lines, Outcome(status.value)
    if verdict.valid and not names_ok:
        lines.append("verdict:     NAME MISMATCH (the certificate is valid, but not in the name given)")
        return lines, Outcome.INVALID
    if verdict.valid and status is Standing.UNKNOWN:
        lines.append(f"verdict:     signature valid, status unknown ({unknown_why})")
        return lines, Outcome.STATUS_UNKNOWN
    since = f" since {verdict.since.isoformat()}" if verdict.since else ""
    if verdict.code is VerdictCode.BACKDATED:
        since = " (issue date precedes the signing key)" if verdict.detail == BACKDATED_REASON else (
            f" ({verdict.detail})")
    lines.append(f"verdict:     {verdict.code.value.upper()}{since}")
    return lines, _BY_VERDICT.get(verdict.code, Outcome.INVALID)


def _pdf_lines(path: Path, jwks: Mapping[str, Any] | None, root_file: Path | None,
               names: Sequence[str] = (), sources: StatusSources = NO_SOURCES) -> Result:
    root: x509.Certificate | None
    try:
        root = load_cert(root_file.read_bytes()) if root_file else keys.root_certificate()
    except ValueError as exc:
        return [f"cannot read the root certificate: {exc}"], Outcome.UNUSABLE
    if root is None:
        return ["no root certificate: run `certexam keys init`, or pass --root FILE"], Outcome.UNUSABLE
    data = path.read_bytes()
    result = verify_pdf(data, [root])
    if result.ok:
        when = result.signing_time.isoformat() if result.signing_time else "unknown time"
        lines = [f"pdf:         signature valid, whole file, trusted ({result.signer_subject}, {when})"]
    else:
        lines = [f"pdf:         signature NOT valid: {'; '.join(result.reasons)}"]
    url = url_in_pdf(data)
    if url is None:
        return [*lines, "token:       the PDF carries no verification URL"], Outcome.INVALID
    token_lines, outcome = _token_lines(url, jwks, names, sources)
    if not result.ok and outcome is not Outcome.UNUSABLE:
        outcome = Outcome.INVALID
    return [*lines, *token_lines], outcome


def run(token: str | None, pdf: Path | None, jwks: Mapping[str, Any] | None, root_file: Path | None,
        names: Sequence[str] = (), sources: StatusSources = NO_SOURCES) -> Result:
    """Verify a token (or QR URL) or a PDF; returns the lines to print and the outcome. `names`: names the
    verifier typed (or read on the printed certificate), each checked against the token's commitment;
    `sources`: where the signed status lists come from (used with a JWK set, without the register)."""
    if pdf is not None:
        return _pdf_lines(pdf, jwks, root_file, names, sources)
    return _token_lines(token or "", jwks, names, sources)
