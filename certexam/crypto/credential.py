"""A certificate as an Open Badges 3.0 credential, secured as VC-JOSE-COSE (issue 20.7).

The credential is an ``OpenBadgeCredential`` in the W3C Verifiable Credentials Data Model 2.0 with the
Open Badges 3.0 context (1EdTech OB 3.0, context 3.0.3, the one written for VCDM 2.0):

* ``issuer`` is the body's Profile (id, type, name, url);
* ``credentialSubject`` is an AchievementSubject whose ``achievement`` is the level (and, on level 2,
  the direction) with the programme's criteria; the certificate number is its ``licenseNumber``;
* the holder is named by an IdentityObject only: the salted SHA-256 of the account's e-mail address
  (OB 3.0 IdentityHash, "sha256$" and lower-case hex of identifier + salt).  No name travels: the
  verification page (the credential's ``id``) checks a typed name at its rate limit, whereas a name
  hash could be guessed offline from a list of common names;
* ``validFrom`` / ``validUntil`` are 00:00 Beijing time on the issue date and after the last valid day,
  as in the QR token (crypto/claims.py);
* ``credentialStatus`` holds two BitstringStatusListEntry entries (revocation and suspension) at the
  certificate's status-list index (crypto/status_list.py).

Secured as VC-JOSE-COSE s.3.1 (W3C Recommendation, May 2025): the credential JSON is itself the JWT
claims set (no "vc" claim), in a compact JWS with the protected header {"alg": "ES256", "kid": ...,
"typ": "vc+jwt", "cty": "vc"}, signed with the body's active token key, which the JWK set at
/.well-known/jwks.json publishes under the same kid.  Served as ``application/vc+jwt``.  The payload
also carries the registered claims OB 3.0 s.8.2 asks for (iss, jti, nbf, exp: jwt_claims()).  Where
OB 3.0 and VC-JOSE-COSE differ, VC-JOSE-COSE wins: typ is "vc+jwt" (OB 3.0: "JWT" if present), and
kid is the key's id in the published JWK set (OB 3.0 would like a URI that resolves to the JWK).

Pure: no Flask, no database, no clock; the caller passes URLs, dates and the key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Final
from urllib.parse import urlencode

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from certexam.crypto.cose import _raw_signature
from certexam.crypto.jwks import JWS_ALG, SigningKey, b64url

VC_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"  # VCDM 2.0 s.4.3: always first
OB_CONTEXT: Final = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
# Defines 1EdTechJsonSchemaValidator2019, the credentialSchema type; OB 3.0 pins only the first two contexts.
OB_EXTENSIONS_CONTEXT: Final = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
OB_SCHEMA: Final = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
OB_SCHEMA_TYPE: Final = "1EdTechJsonSchemaValidator2019"
CREDENTIAL_TYPES: Final = ("VerifiableCredential", "OpenBadgeCredential")
JWT_TYP: Final = "vc+jwt"  # VC-JOSE-COSE s.3.1.1: typ SHOULD be vc+jwt, cty SHOULD be vc
JWT_CTY: Final = "vc"
JWT_MEDIA_TYPE: Final = "application/vc+jwt"
VC_MEDIA_TYPE: Final = "application/vc"  # VCDM 2.0 s.C.1: an unsecured credential
IDENTITY_TYPE: Final = "emailAddress"  # OB 3.0 IdentifierTypeEnum
IDENTITY_ALGORITHM: Final = "sha256"  # OB 3.0 IdentityHash: "md5" or "sha256", "$", hex
STATUS_ENTRY_TYPE: Final = "BitstringStatusListEntry"  # W3C Bitstring Status List v1.0 s.2.1
PROGRAMME_EN: Final = "Shenzhen-Hong Kong-Macau FinTech Professional Programme"
PROGRAMME_ZH: Final = "深港澳金融科技师专才计划"
PROGRAMME_SHORT: Final = "SHMFTPP"
BEIJING: Final = timezone(timedelta(hours=8), "Asia/Shanghai")  # UTC+8 all year: dates are Beijing dates
LINKEDIN_ADD_URL: Final = "https://www.linkedin.com/profile/add"

# rules s.2, "the level-2 certificate names the direction"; the English names of catalogue.DIRECTIONS
_LEVEL_DESCRIPTIONS: Final = {
    1: ("Level 1 of the {programme} ({zh}): general knowledge of finance, financial technology and "
        "computing, with financial ethics scored on its own."),
    2: ("Level 2 of the {programme} ({zh}) in the {direction} direction: applied financial technology, "
        "including short-answer, skill and proposal questions marked by people."),
}
_CRITERIA: Final = {
    1: ("Passed the level-1 exam (programme rules s.2): 240 single-choice questions in three closed-book "
        "papers of 45, 92 and 103 questions over about 13 courses, among them financial ethics, "
        "standardisation, economics and finance, and computing. The ethics module is scored separately "
        "and has a minimum correct rate with a one-vote veto: below it the candidate fails whatever the "
        "rest of the score (rules s.1). The certification committee rules on any misconduct before "
        "results are released (rules s.2)."),
    2: ("Holds level 1 and passed the level-2 exam in the {direction} direction (programme rules s.2): "
        "60 single-choice, 3 short-answer, 2 skill and 2 proposal questions over 6 hours, as standard "
        "scores with equal weight per question. The candidate's ethics questions must first reach a pass "
        "line, the one-vote veto of rules s.1; of the candidates past it, the top 40% within each "
        "direction pass. The certification committee rules on any misconduct before results are "
        "released (rules s.2)."),
}


@dataclass(frozen=True)
class IssuerProfile:
    """The body as OB 3.0 Profile: ``id`` should resolve to this profile's JSON."""

    id: str
    name: str
    url: str


@dataclass(frozen=True)
class StatusEntry:
    """One Bitstring Status List entry: the list's URL, its purpose and the certificate's bit."""

    purpose: str
    index: int
    list_url: str


@dataclass(frozen=True)
class AchievementFacts:
    """What the achievement says: the level and, on level 2, the direction (code and English name)."""

    id: str
    level: int
    direction: str | None = None
    direction_en: str | None = None

    @property
    def key(self) -> str:
        return achievement_key(self.level, self.direction)


@dataclass(frozen=True)
class CredentialFacts:
    """Everything one certificate's credential says."""

    id: str  # the certificate's verification URL (the QR's URL)
    number: str
    issued_on: date
    expires_on: date | None
    issuer: IssuerProfile
    achievement: AchievementFacts
    identity_hash: str | None  # see identity_hash(); None: the holder is not identified
    identity_salt: str
    status: Sequence[StatusEntry] = ()


def achievement_key(level: int, direction: str | None) -> str:
    """The achievement's short key (its humanCode after the programme prefix): L1, L2-AI, ..."""
    return f"L{level}" + (f"-{direction}" if direction else "")


def beijing_midnight(day: date) -> datetime:
    """00:00 Beijing time on ``day``, the instant a certificate dated that day starts."""
    return datetime.combine(day, time(0), BEIJING)


def timestamp(moment: datetime) -> str:
    """XML Schema dateTimeStamp (VCDM 2.0 s.4.9): seconds and an explicit offset."""
    return moment.isoformat(timespec="seconds")


def identity_hash(identifier: str, salt: str) -> str:
    """OB 3.0 IdentityHash of an identifier: "sha256$" + hex(SHA-256(UTF-8(identifier + salt)))."""
    return f"{IDENTITY_ALGORITHM}$" + hashlib.sha256((identifier + salt).encode("utf-8")).hexdigest()


def email_identifier(email: str) -> str:
    """The e-mail address as hashed: trimmed and lower-cased, so a verifier can recompute it."""
    return email.strip().lower()


def issuer_profile(issuer: IssuerProfile) -> dict[str, Any]:
    """The OB 3.0 Profile of the body."""
    return {"id": issuer.id, "type": ["Profile"], "name": issuer.name, "url": issuer.url}


def achievement_name(level: int, direction_en: str | None) -> str:
    """The certification's name, as wallets and LinkedIn show it."""
    name = f"{PROGRAMME_SHORT} FinTech Professional, Level {level}"
    return f"{name} ({direction_en})" if direction_en else name


def achievement(facts: AchievementFacts, issuer: IssuerProfile | None = None) -> dict[str, Any]:
    """The OB 3.0 Achievement of a level (and direction); with ``issuer``, its creator too."""
    fields = {"programme": PROGRAMME_EN, "zh": PROGRAMME_ZH, "direction": facts.direction_en or ""}
    tags = [PROGRAMME_SHORT, "FinTech", f"Level {facts.level}"] + ([facts.direction_en] if facts.direction_en else [])
    body: dict[str, Any] = {
        "id": facts.id,
        "type": ["Achievement"],
        "achievementType": "Certification",
        "name": achievement_name(facts.level, facts.direction_en),
        "description": _LEVEL_DESCRIPTIONS[facts.level].format(**fields),
        "criteria": {"narrative": _CRITERIA[facts.level].format(**fields)},
        "humanCode": f"{PROGRAMME_SHORT}-{facts.key}",
        "fieldOfStudy": "Financial technology",
        "tag": tags,
        "inLanguage": "en",
    }
    if facts.direction_en:
        body["specialization"] = facts.direction_en
    if issuer is not None:
        body["creator"] = issuer_profile(issuer)
    return body


def status_entries(entries: Sequence[StatusEntry]) -> list[dict[str, str]]:
    """credentialStatus: statusListIndex is a string of the integer (Bitstring Status List s.2.1)."""
    return [{
        "id": f"{e.list_url}#{e.index}",
        "type": STATUS_ENTRY_TYPE,
        "statusPurpose": e.purpose,
        "statusListIndex": str(e.index),
        "statusListCredential": e.list_url,
    } for e in entries]


def build_credential(facts: CredentialFacts) -> dict[str, Any]:
    """The OpenBadgeCredential of one certificate (a dict ready for json.dumps)."""
    valid_from = timestamp(beijing_midnight(facts.issued_on))
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "achievement": achievement(facts.achievement, facts.issuer),
        "licenseNumber": facts.number,
    }
    if facts.identity_hash is not None:
        subject["identifier"] = [{
            "type": "IdentityObject", "identityType": IDENTITY_TYPE, "hashed": True,
            "identityHash": facts.identity_hash, "salt": facts.identity_salt,
        }]
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT, OB_EXTENSIONS_CONTEXT],
        "id": facts.id,
        "type": list(CREDENTIAL_TYPES),
        "name": f"{achievement_name(facts.achievement.level, facts.achievement.direction_en)}: {facts.number}",
        "issuer": issuer_profile(facts.issuer),
        "validFrom": valid_from,
        "awardedDate": valid_from,
        "credentialSubject": subject,
        "credentialSchema": [{"id": OB_SCHEMA, "type": OB_SCHEMA_TYPE}],
    }
    if facts.expires_on is not None:  # valid through the last day: until 00:00 Beijing the day after
        credential["validUntil"] = timestamp(beijing_midnight(facts.expires_on + timedelta(days=1)))
    if facts.status:
        credential["credentialStatus"] = status_entries(facts.status)
    return credential


def credential_json(credential: dict[str, Any]) -> str:
    """The credential as the exact text the JWS signs (and the .json download serves)."""
    return json.dumps(credential, ensure_ascii=False, separators=(",", ":"))


def jwt_claims(credential: dict[str, Any]) -> dict[str, Any]:
    """The registered JWT claims OB 3.0 s.8.2 (JWT Payload Format) asks next to the credential's members.

    iss = issuer.id, jti = id, nbf = validFrom, exp = validUntil (when it has one).  "sub" would be
    credentialSubject.id, which this credential does not have (the holder is an IdentityObject), so it
    is left out rather than invented; VC-JOSE-COSE allows these claims and forbids only "vc" and "vp".
    """
    claims: dict[str, Any] = {
        "iss": credential["issuer"]["id"],
        "jti": credential["id"],
        "nbf": int(datetime.fromisoformat(credential["validFrom"]).timestamp()),
    }
    if "validUntil" in credential:
        claims["exp"] = int(datetime.fromisoformat(credential["validUntil"]).timestamp())
    return claims


def sign_credential(credential: dict[str, Any], key: SigningKey) -> str:
    """The VC-JOSE-COSE compact JWS of the credential, signed ES256 with the body's token key.

    The payload is the credential itself with the JWT claims of jwt_claims() added at the top level.
    """
    header = {"alg": JWS_ALG, "kid": key.kid, "typ": JWT_TYP, "cty": JWT_CTY}
    payload = {**credential, **jwt_claims(credential)}
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode("ascii")) + "."
                     + b64url(credential_json(payload).encode("utf-8")))
    der = key.private_key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
    return signing_input + "." + b64url(_raw_signature(der))  # RFC 7518 s.3.4: R || S, 32 bytes each


def linkedin_add_url(*, name: str, organization: str, issued_on: date, expires_on: date | None,
                     cert_url: str, cert_id: str, organization_id: str | None = None) -> str:
    """LinkedIn's "Add to profile" link for a certification, its fields filled in.

    Parameters of LinkedIn's Add to Profile for certifications: startTask=CERTIFICATION_NAME, name,
    organizationId (the body's LinkedIn page, when it has one: the profile then links to it) or else
    organizationName, issueYear, issueMonth, expirationYear and expirationMonth (left out when it does
    not expire), certUrl, certId.
    """
    issuer = ("organizationId", organization_id) if organization_id else ("organizationName", organization)
    params: list[tuple[str, str | int]] = [
        ("startTask", "CERTIFICATION_NAME"), ("name", name), issuer,
        ("issueYear", issued_on.year), ("issueMonth", issued_on.month),
    ]
    if expires_on is not None:
        params += [("expirationYear", expires_on.year), ("expirationMonth", expires_on.month)]
    params += [("certUrl", cert_url), ("certId", cert_id)]
    return f"{LINKEDIN_ADD_URL}?{urlencode(params)}"
