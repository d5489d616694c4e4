"""`certexam certs verify`: check a token or a certificate PDF without the network.

The token carries no names (issue 20.2), only a salted commitment to them: `--name` checks a name the
verifier types, or reads on the printed certificate, against it.

The keys are the public ones in the instance folder, or a saved JWK set
(--jwks); the PDF signature is checked against the body's root certificate.
With the instance keys the local register is consulted too (revoked,
suspended); with a JWK set alone only the signature and the signed dates can
be checked, and the output says so.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader

from certexam.certpdf.render import VERIFY_URL_INFO_KEY
from certexam.certpdf.sign import verify_pdf
from certexam.crypto.cose import CertificateClaims, Reason, verify_token
from certexam.crypto.jwks import JwkError, VerificationKey, keys_from_jwks
from certexam.crypto.x509ca import load_cert
from certexam.domain.verdict import CertificateRecord, CertStatus, Verdict, decide
from certexam.services.certificates import keys
from certexam.services.certificates.issue import find_by_number
from certexam.services.certificates.verify import outcome_for
from certexam.services.platform import clock

Result = tuple[list[str], bool | None]  # lines to print; True valid, False invalid, None could not check


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


def _token_lines(token: str, jwks: Mapping[str, Any] | None, names: Sequence[str] = ()) -> Result:
    try:
        found, compromised = _keys(jwks)
    except JwkError as exc:
        return [f"cannot read the JWK set: {exc}"], None
    if not found and not compromised:
        return ["no public keys: run `certexam keys init`, or pass --jwks FILE"], None
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
    verdict: Verdict
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
        lines.append("register:    not consulted (--jwks: revocation cannot be checked offline)")
    since = f" since {verdict.since.isoformat()}" if verdict.since else ""
    if verdict.valid and not names_ok:
        lines.append("verdict:     NAME MISMATCH (the certificate is valid, but not in the name given)")
        return lines, False
    lines.append(f"verdict:     {verdict.code.value.upper()}{since}")
    return lines, verdict.valid


def _pdf_lines(path: Path, jwks: Mapping[str, Any] | None, root_file: Path | None,
               names: Sequence[str] = ()) -> Result:
    root: x509.Certificate | None
    try:
        root = load_cert(root_file.read_bytes()) if root_file else keys.root_certificate()
    except ValueError as exc:
        return [f"cannot read the root certificate: {exc}"], None
    if root is None:
        return ["no root certificate: run `certexam keys init`, or pass --root FILE"], None
    data = path.read_bytes()
    result = verify_pdf(data, [root])
    if result.ok:
        when = result.signing_time.isoformat() if result.signing_time else "unknown time"
        lines = [f"pdf:         signature valid, whole file, trusted ({result.signer_subject}, {when})"]
    else:
        lines = [f"pdf:         signature NOT valid: {'; '.join(result.reasons)}"]
    url = url_in_pdf(data)
    if url is None:
        return [*lines, "token:       the PDF carries no verification URL"], False
    token_lines, token_ok = _token_lines(token_from(url), jwks, names)
    ok = None if token_ok is None else bool(result.ok and token_ok)
    return [*lines, *token_lines], ok


def run(token: str | None, pdf: Path | None, jwks: Mapping[str, Any] | None, root_file: Path | None,
        names: Sequence[str] = ()) -> Result:
    """Verify a token or a PDF; returns the lines to print and the outcome. `names`: names the verifier
    typed (or read on the printed certificate), each checked against the token's commitment."""
    if pdf is not None:
        return _pdf_lines(pdf, jwks, root_file, names)
    return _token_lines(token_from(token or ""), jwks, names)
