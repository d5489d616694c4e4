"""Token keys as the public sees them: key ids and the JWK set.

Served at /.well-known/jwks.json.  Each key is an RFC 7517/7518 EC JWK
(kty "EC", crv "P-256", x, y) with "kid", "alg": "ES256" and "use": "sig",
plus three members of our own, which RFC 7517 s.4 lets consumers ignore:

* "status": "active" (signs new certificates) or "retired" (signs no more;
  what it signed stays valid);
* "nbf": when the key was created (NumericDate, seconds since the epoch);
  no genuine token was signed by it earlier;
* "retired": when it stopped signing (NumericDate), on retired keys only.

There is no "exp": a retired key must keep verifying the certificates it
signed for as long as they exist.  Compromised keys are left out of "keys",
so that any JOSE/COSE library reading the set rejects their tokens, and are
listed in a top-level "compromised" array of {"kid", "compromised"} so a
verifier can say why.

The key id is the first KID_CHARS characters of the key's RFC 7638 thumbprint:
derived from the key, so two stores never give different keys one id by
accident, and short, because it rides in every QR token.  The COSE "kid"
header holds the same text as ASCII bytes.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

KID_CHARS = 4  # 24 bits of thumbprint: the store refuses a new key whose kid is taken
JWS_ALG = "ES256"  # RFC 7518 s.3.1, the same algorithm as COSE ES256 (-7)
CURVE = "P-256"
_COORDINATE_BYTES = 32


class KeyStatus(StrEnum):
    """Life of a token key.  Retired keys keep verifying; compromised keys verify nothing."""

    ACTIVE = "active"  # signs new tokens (one at a time) and verifies
    RETIRED = "retired"  # no longer signs; tokens it signed stay valid
    COMPROMISED = "compromised"  # every token it signed is rejected


@dataclass(frozen=True)
class VerificationKey:
    """A public token key and what the body says about it."""

    kid: str
    public_key: ec.EllipticCurvePublicKey
    status: KeyStatus
    created_at: datetime
    retired_at: datetime | None = None
    compromised_at: datetime | None = None


@dataclass(frozen=True)
class SigningKey:
    """The private half of the active token key."""

    kid: str
    private_key: ec.EllipticCurvePrivateKey


class JwkError(ValueError):
    """A JWK or JWK set we cannot use."""


def b64url(data: bytes) -> str:
    """base64url without padding (RFC 7515 s.2)."""
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def b64url_decode(text: str) -> bytes:
    """Inverse of b64url."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_jwk(public_key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    """The required members of a P-256 public JWK."""
    if not isinstance(public_key.curve, ec.SECP256R1):
        raise JwkError("token keys are P-256")
    numbers = public_key.public_numbers()
    return {
        "kty": "EC",
        "crv": CURVE,
        "x": b64url(numbers.x.to_bytes(_COORDINATE_BYTES, "big")),
        "y": b64url(numbers.y.to_bytes(_COORDINATE_BYTES, "big")),
    }


def thumbprint(public_key: ec.EllipticCurvePublicKey) -> str:
    """RFC 7638 SHA-256 thumbprint, base64url."""
    canonical = json.dumps(public_jwk(public_key), sort_keys=True, separators=(",", ":"))
    return b64url(hashlib.sha256(canonical.encode("ascii")).digest())


def make_kid(public_key: ec.EllipticCurvePublicKey) -> str:
    """The key id of a token key."""
    return thumbprint(public_key)[:KID_CHARS]


def _numeric_date(moment: datetime) -> int:
    return int(moment.timestamp())


def key_to_jwk(key: VerificationKey) -> dict[str, Any]:
    """One published key."""
    jwk: dict[str, Any] = public_jwk(key.public_key)
    jwk.update(kid=key.kid, alg=JWS_ALG, use="sig", status=str(key.status), nbf=_numeric_date(key.created_at))
    if key.retired_at is not None:
        jwk["retired"] = _numeric_date(key.retired_at)
    return jwk


def build_jwks(keys: Iterable[VerificationKey]) -> dict[str, Any]:
    """The JWK set document (a dict ready for json.dumps)."""
    ordered = sorted(keys, key=lambda k: (k.created_at, k.kid))
    published = [key_to_jwk(k) for k in ordered if k.status is not KeyStatus.COMPROMISED]
    compromised = [
        {"kid": k.kid, "compromised": _numeric_date(k.compromised_at or k.created_at)}
        for k in ordered
        if k.status is KeyStatus.COMPROMISED
    ]
    return {"keys": published, "compromised": compromised}


def jwks_json(keys: Iterable[VerificationKey]) -> str:
    """The JWK set as the JSON text to serve."""
    return json.dumps(build_jwks(keys), sort_keys=True, separators=(",", ":"))


def public_key_from_jwk(jwk: Mapping[str, Any]) -> ec.EllipticCurvePublicKey:
    """Load the P-256 public key of a JWK, checking that the point is on the curve."""
    if jwk.get("kty") != "EC" or jwk.get("crv") != CURVE or jwk.get("alg", JWS_ALG) != JWS_ALG:
        raise JwkError("not an ES256 P-256 key")
    try:
        x, y = (b64url_decode(str(jwk[name])) for name in ("x", "y"))
        if len(x) != _COORDINATE_BYTES or len(y) != _COORDINATE_BYTES:
            raise JwkError("bad coordinate length")
        numbers = ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
        )
        return numbers.public_key()
    except (KeyError, ValueError) as exc:
        raise JwkError(f"bad EC key: {exc}") from exc


def _moment(value: object) -> datetime:
    if type(value) is not int:
        raise JwkError("dates are NumericDate integers")
    return datetime.fromtimestamp(value, UTC)


def keys_from_jwks(document: Mapping[str, Any]) -> list[VerificationKey]:
    """Read a JWK set back into verification keys (for offline verifiers and tests).

    Keys without our "status" member count as retired: they verify, they never sign.
    """
    result: list[VerificationKey] = []
    for jwk in document.get("keys", []):
        if jwk.get("use", "sig") != "sig" or not isinstance(jwk.get("kid"), str):
            raise JwkError("each key needs a kid and use 'sig'")
        try:
            status = KeyStatus(jwk.get("status", KeyStatus.RETIRED))
        except ValueError as exc:
            raise JwkError(f"unknown key status {jwk.get('status')!r}") from exc
        if status is KeyStatus.COMPROMISED:
            continue
        retired = jwk.get("retired")
        result.append(
            VerificationKey(
                kid=jwk["kid"],
                public_key=public_key_from_jwk(jwk),
                status=status,
                created_at=_moment(jwk.get("nbf", 0)),
                retired_at=None if retired is None else _moment(retired),
            )
        )
    return result
