"""The signed QR token: a COSE_Sign1 (RFC 9052) with ES256, in base32.

Why COSE and ES256: the token has to fit a QR code that a phone reads off a
printed page (version <= 12 at ECC Q, what-users-expect.md), and a compact JWS
needs about version 16.  CBOR keeps the payload small, and COSE_Sign1 is what
mainstream libraries verify (pycose, COSE-JAVA, go-cose).  ES256 rather than
EdDSA: both give 64-byte signatures, but ES256 is the older, more widely
implemented COSE algorithm and the body already runs P-256 for PDF signing
(poppler does not accept Ed25519 there); the token key is still a separate key.

Layout (165 bytes and 264 characters for a level-2 certificate, whatever the holder's names; see
tests/integration/test_tokens.py for the QR size check):
    tag 18 [ protected = bstr {1: -7 (ES256), 4: kid},  unprotected = {},
             payload = bstr {claims}, signature = r || s (64 bytes, low S) ]
The payload is a CWT claims set (certexam.crypto.claims): registered claims under their RFC 8392
keys, private ones under text keys, and the holder's names only as a salted commitment (issue 20.2:
the URL carried both names in clear, and a long name needed QR version 15). Tokens issued before
have a version-1 payload and still verify.

The text form is RFC 4648 base32, upper case, without padding: QR alphanumeric
mode carries it at 5.5 bits a character.  Decoding is strict and canonical
(bytes must re-encode to exactly the text received), so changing any
character, even into one that decodes to the same bytes, is rejected.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from certexam.crypto.claims import CertificateClaims, ClaimsError, NameCommitment
from certexam.crypto.jwks import KeyStatus, SigningKey, VerificationKey
from certexam.domain.verdict import SignatureCheck

__all__ = ["CertificateClaims", "ClaimsError", "NameCommitment", "Reason", "TokenCheck", "sign_token",
           "verify_token", "verification_url", "encode_base32", "decode_base32"]

COSE_SIGN1_TAG = 18  # RFC 9052 s.2, table 1
HEADER_ALG = 1  # RFC 9052 s.3.1
HEADER_KID = 4  # RFC 9052 s.3.1
ALG_ES256 = -7  # RFC 9053 s.2.1: ECDSA w/ SHA-256 on P-256
SIGNATURE1_CONTEXT = "Signature1"  # RFC 9052 s.4.4
COORDINATE_BYTES = 32  # P-256: r and s are 32 bytes each (RFC 9053 s.2.1)
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # SEC 2, secp256r1 n
MAX_TOKEN_CHARS = 1024  # far above any real token; bounds the work an attacker can ask for
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")  # no daylight saving since 1991: dates are Beijing dates
_BASE32 = re.compile(r"[A-Z2-7]+")
_BITS_PER_CHAR, _BITS_PER_BYTE = 5, 8
# RFC 4648 base32 digits A-Z 2-7 spelt as Python's base-32 int digits 0-9 a-v.
_TO_INT_DIGITS = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789abcdefghijklmnopqrstuv")

class Reason(StrEnum):
    """Why a token was accepted or rejected."""

    OK = "ok"
    MALFORMED = "malformed"  # not base32, not a canonical COSE_Sign1, truncated, garbage
    UNSUPPORTED_ALG = "unsupported_alg"
    UNKNOWN_KID = "unknown_kid"
    KEY_COMPROMISED = "key_compromised"
    BAD_SIGNATURE = "bad_signature"
    BAD_PAYLOAD = "bad_payload"  # signed by us, but not a certificate payload we understand


@dataclass(frozen=True)
class TokenCheck:
    """The result of verify_token; never an exception."""

    reason: Reason
    kid: str | None = None
    claims: CertificateClaims | None = None
    key_created_at: datetime | None = None  # the signing key's creation (JWK "nbf"), for the backdating rule

    @property
    def valid(self) -> bool:
        return self.reason is Reason.OK

    def signature_check(self) -> SignatureCheck:
        """The plain-value form certexam.domain.verdict.decide takes."""
        return SignatureCheck(
            valid=self.valid,
            reason=str(self.reason),
            number=self.claims.number if self.claims else None,
            expires_on=self.claims.expires_on if self.claims else None,
            signed_on=self.claims.signed_on if self.claims else None,
            key_created_on=self.key_created_at.astimezone(BEIJING).date() if self.key_created_at else None,
        )


def encode_base32(data: bytes) -> str:
    """RFC 4648 base32, upper case, padding removed."""
    return base64.b32encode(data).decode("ascii").rstrip("=")


def decode_base32(text: str) -> bytes:
    """Strict inverse of encode_base32; raises ValueError on anything else.

    Decodes through int(..., 32) (C speed; base64.b32decode is pure Python before 3.13)
    and insists that the bits the last character carries beyond the data are zero.
    """
    if not _BASE32.fullmatch(text):
        raise ValueError("not upper-case base32")
    bits = _BITS_PER_CHAR * len(text)
    spare = bits % _BITS_PER_BYTE
    if spare >= _BITS_PER_CHAR:  # a whole character beyond the data: a length base32 never makes
        raise ValueError("bad base32 length")
    value = int(text.translate(_TO_INT_DIGITS), 32)
    if value & ((1 << spare) - 1):  # unused low bits set: the same bytes have a canonical spelling
        raise ValueError("non-canonical base32")
    return (value >> spare).to_bytes(bits // _BITS_PER_BYTE, "big")


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    # RFC 9052 s.4.4: Sig_structure = [context, body_protected, external_aad, payload]
    return cbor2.dumps([SIGNATURE1_CONTEXT, protected, b"", payload])


def _raw_signature(der: bytes) -> bytes:
    r, s = decode_dss_signature(der)
    if s > P256_ORDER // 2:  # low-S form, so a token has exactly one valid signature
        s = P256_ORDER - s
    return r.to_bytes(COORDINATE_BYTES, "big") + s.to_bytes(COORDINATE_BYTES, "big")


def sign_token(claims: CertificateClaims, key: SigningKey) -> str:
    """Sign the claims and return the token text for the QR URL."""
    protected = cbor2.dumps({HEADER_ALG: ALG_ES256, HEADER_KID: key.kid.encode("ascii")})
    payload = cbor2.dumps(claims.to_cbor())
    der = key.private_key.sign(_sig_structure(protected, payload), ec.ECDSA(hashes.SHA256()))
    message = cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, _raw_signature(der)])
    return encode_base32(cbor2.dumps(message))


def _split(token: str) -> tuple[bytes, dict[Any, Any], bytes, bytes]:
    """Decode and check the COSE_Sign1 envelope; ValueError if it is not exactly ours."""
    raw = decode_base32(token)
    message = cbor2.loads(raw)
    if not isinstance(message, cbor2.CBORTag) or message.tag != COSE_SIGN1_TAG:
        raise ValueError("not a tagged COSE_Sign1")
    parts = message.value
    if not isinstance(parts, list) or len(parts) != 4:
        raise ValueError("COSE_Sign1 must have four parts")
    protected, unprotected, payload, signature = parts
    if not (isinstance(protected, bytes) and isinstance(payload, bytes) and isinstance(signature, bytes)):
        raise ValueError("wrong part types")
    if unprotected != {} or len(signature) != 2 * COORDINATE_BYTES:
        raise ValueError("unexpected unprotected header or signature size")
    if cbor2.dumps(message) != raw:  # trailing bytes or non-minimal encodings
        raise ValueError("non-canonical encoding")
    header = cbor2.loads(protected)
    if not isinstance(header, dict) or cbor2.dumps(header) != protected:
        raise ValueError("bad protected header")
    return protected, header, payload, signature


def _signature_ok(public_key: ec.EllipticCurvePublicKey, data: bytes, signature: bytes) -> bool:
    r = int.from_bytes(signature[:COORDINATE_BYTES], "big")
    s = int.from_bytes(signature[COORDINATE_BYTES:], "big")
    if not (0 < r < P256_ORDER and 0 < s <= P256_ORDER // 2):
        return False
    try:
        public_key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def _index(keys: Iterable[VerificationKey] | Mapping[str, VerificationKey]) -> Mapping[str, VerificationKey]:
    if isinstance(keys, Mapping):
        return keys
    return {key.kid: key for key in keys}


def _verify(token: object, keys: Mapping[str, VerificationKey]) -> TokenCheck:
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        return TokenCheck(Reason.MALFORMED)
    try:
        protected, header, payload, signature = _split(token)
    except Exception:  # cbor2 raises several types on garbage; all mean the same here
        return TokenCheck(Reason.MALFORMED)
    if set(header) != {HEADER_ALG, HEADER_KID} or not isinstance(header[HEADER_KID], bytes):
        return TokenCheck(Reason.MALFORMED)
    try:
        kid = header[HEADER_KID].decode("ascii")
    except UnicodeDecodeError:
        return TokenCheck(Reason.MALFORMED)
    if header[HEADER_ALG] != ALG_ES256:
        return TokenCheck(Reason.UNSUPPORTED_ALG, kid=kid)
    key = keys.get(kid)
    if key is None:
        return TokenCheck(Reason.UNKNOWN_KID, kid=kid)
    if key.status is KeyStatus.COMPROMISED:
        return TokenCheck(Reason.KEY_COMPROMISED, kid=kid)
    if not isinstance(key.public_key.curve, ec.SECP256R1):
        return TokenCheck(Reason.UNSUPPORTED_ALG, kid=kid)
    if not _signature_ok(key.public_key, _sig_structure(protected, payload), signature):
        return TokenCheck(Reason.BAD_SIGNATURE, kid=kid)
    try:
        claims = CertificateClaims.from_cbor(cbor2.loads(payload))
    except (ClaimsError, ValueError, cbor2.CBORDecodeError):
        return TokenCheck(Reason.BAD_PAYLOAD, kid=kid)
    return TokenCheck(Reason.OK, kid=kid, claims=claims, key_created_at=key.created_at)


def verify_token(token: str, keys: Iterable[VerificationKey] | Mapping[str, VerificationKey]) -> TokenCheck:
    """Check a token against the body's public keys; always returns, never raises."""
    try:
        return _verify(token, _index(keys))
    except Exception:  # last line of defence: the public page must get a clean answer
        return TokenCheck(Reason.MALFORMED)


def verification_url(host: str, token: str, scheme: str = "https") -> str:
    """The URL for the QR code, all upper case so the whole of it stays in QR alphanumeric mode.

    Scheme and host are case-insensitive; the app must route ``/V/<token>`` as well as
    ``/v/<token>``.  In lower case the long-name token needs QR version 13 instead of 12.
    ``scheme`` is http only for a development server on a local address.
    """
    return f"{scheme.upper()}://{host.upper()}/V/{token}"
