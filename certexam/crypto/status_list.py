"""The signed status lists: W3C Bitstring Status List v1.0, one list per status purpose (issue 20.3).

Each certificate has a status-list index (certificate.status_index, the token's "s" claim). The body
publishes two lists at well-known URLs, one bit per certificate in each:

    /.well-known/certexam/status/revocation   statusPurpose "revocation"  (bit set: revoked)
    /.well-known/certexam/status/suspension   statusPurpose "suspension"  (bit set: suspended)

The Open Badges credential (issue 20.7) points its credentialStatus entries at these URLs with
status_list_url(); the offline CLI fetches them (certexam certs verify --status-url).

Each list is a BitstringStatusListCredential (VC Data Model 2.0) secured as VC-JOSE-COSE: a compact
JWS (RFC 7515) with ES256, signed by the active token key (its kid is in /.well-known/jwks.json), with
header typ "vc+jwt" and cty "vc", and the credential as the payload plus the JWT claims iat and exp.
exp (= validUntil) is short (LIST_VALIDITY): a verifier acts only on a list whose exp has not passed,
so a list cannot be replayed for long after a revocation. Any JOSE library checks it (docs/verify.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from certexam.crypto.jwks import JWS_ALG, KeyStatus, SigningKey, VerificationKey, b64url, b64url_decode
from certexam.domain.status_bits import StatusListError, decode_list, encode_list

REVOCATION: Final = "revocation"  # W3C Bitstring Status List v1.0 s.2.1 statusPurpose values
SUSPENSION: Final = "suspension"
PURPOSES: Final = (REVOCATION, SUSPENSION)
STATUS_PATH_PREFIX: Final = "/.well-known/certexam/status/"
STATUS_LIST_PATHS: Final = {purpose: STATUS_PATH_PREFIX + purpose for purpose in PURPOSES}
MEDIA_TYPE: Final = "application/vc+jwt"  # VC-JOSE-COSE s.3.1.1: a credential secured as a JWT
LIST_VALIDITY: Final = timedelta(days=1)  # exp - iat: how long an offline verifier may rely on a list
CACHE_MAX_AGE: Final = 300  # seconds a cache may serve a list before asking again (a change shows in 5 min)
CLOCK_SKEW: Final = timedelta(minutes=5)  # an iat this far in the verifier's future is still accepted
VC_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"  # includes the Bitstring Status List terms
_COORDINATE = 32
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_MAX_JWS_CHARS = 1 << 20


def status_list_url(base_url: str, purpose: str) -> str:
    """The absolute URL of one status list, from the site's base URL (scheme and host)."""
    return base_url.rstrip("/") + STATUS_LIST_PATHS[purpose]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def list_credential(url: str, issuer: str, purpose: str, bits: bytes, now: datetime) -> dict[str, Any]:
    """The BitstringStatusListCredential (v1.0 s.2.2) of one purpose, valid from ``now`` for LIST_VALIDITY."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown status purpose {purpose!r}")
    now = now.replace(microsecond=0)
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": _iso(now),
        "validUntil": _iso(now + LIST_VALIDITY),
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList", "statusPurpose": purpose,
                              "ttl": CACHE_MAX_AGE * 1000, "encodedList": encode_list(bits)},
        "iat": int(now.timestamp()),
        "exp": int((now + LIST_VALIDITY).timestamp()),
    }


def sign_list(credential: Mapping[str, Any], key: SigningKey) -> str:
    """The compact JWS (VC-JOSE-COSE "vc+jwt") of a status-list credential."""
    header = {"alg": JWS_ALG, "kid": key.kid, "typ": "vc+jwt", "cty": "vc"}
    signing_input = ".".join(b64url(json.dumps(part, separators=(",", ":"), sort_keys=True).encode("utf-8"))
                             for part in (header, credential))
    r, s = decode_dss_signature(key.private_key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256())))
    signature = r.to_bytes(_COORDINATE, "big") + s.to_bytes(_COORDINATE, "big")  # RFC 7518 s.3.4: R || S
    return f"{signing_input}.{b64url(signature)}"


@dataclass(frozen=True)
class StatusList:
    """A status list whose signature checked: what a verifier acts on."""

    purpose: str
    bits: bytes
    issued_at: datetime
    expires_at: datetime
    kid: str
    url: str


def _json_part(text: str) -> dict[str, Any]:
    value = json.loads(b64url_decode(text))
    if not isinstance(value, dict):
        raise StatusListError("a JWS part is not a JSON object")
    return value


def read_list(jws: str, keys: Iterable[VerificationKey], now: datetime) -> StatusList:
    """Check a served list's signature against the body's keys and read it; StatusListError if it is not
    a list the body signed (bad signature, unknown or compromised key, malformed, signed in the future).

    Freshness is left to the caller (domain/status_bits.is_fresh on expires_at): an expired list still
    says how old it is, which the verifier prints.
    """
    try:
        text = jws.strip()
        if len(text) > _MAX_JWS_CHARS or text.count(".") != 2:
            raise StatusListError("not a compact JWS")
        head, body, sig = text.split(".")
        header, claims, signature = _json_part(head), _json_part(body), b64url_decode(sig)
    except (ValueError, UnicodeDecodeError) as exc:
        raise StatusListError(f"not a compact JWS: {exc}") from exc
    if header.get("alg") != JWS_ALG or header.get("typ") != "vc+jwt" or not isinstance(header.get("kid"), str):
        raise StatusListError("not an ES256 vc+jwt with a key id")
    key = {k.kid: k for k in keys}.get(header["kid"])
    if key is None or key.status is KeyStatus.COMPROMISED:
        raise StatusListError(f"signed by a key the body does not publish ({header['kid']})")
    if len(signature) != 2 * _COORDINATE or not _signature_ok(key.public_key, f"{head}.{body}", signature):
        raise StatusListError("the status list's signature does not check")
    return _parse(claims, key.kid, now)


def _signature_ok(public_key: ec.EllipticCurvePublicKey, signing_input: str, signature: bytes) -> bool:
    r, s = int.from_bytes(signature[:_COORDINATE], "big"), int.from_bytes(signature[_COORDINATE:], "big")
    if not (0 < r < _P256_ORDER and 0 < s < _P256_ORDER):
        return False
    try:
        public_key.verify(encode_dss_signature(r, s), signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def _parse(claims: Mapping[str, Any], kid: str, now: datetime) -> StatusList:
    subject = claims.get("credentialSubject")
    types = claims.get("type")
    if not isinstance(subject, dict) or not isinstance(types, list) or "BitstringStatusListCredential" not in types \
            or subject.get("type") != "BitstringStatusList":
        raise StatusListError("not a BitstringStatusListCredential")
    purpose, iat, exp = subject.get("statusPurpose"), claims.get("iat"), claims.get("exp")
    if purpose not in PURPOSES:
        raise StatusListError(f"unknown statusPurpose {purpose!r}")
    if type(iat) is not int or type(exp) is not int or exp <= iat:
        raise StatusListError("the list needs integer iat and exp, exp after iat")
    issued, expires = datetime.fromtimestamp(iat, UTC), datetime.fromtimestamp(exp, UTC)
    if issued > now + CLOCK_SKEW:
        raise StatusListError("the list is dated in the future")
    return StatusList(purpose, decode_list(subject.get("encodedList", "")), issued, expires, kid,
                      str(claims.get("id", "")))
