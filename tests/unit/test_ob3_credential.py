"""The Open Badges 3.0 credential (crypto/credential.py, issue 20.7) against the rules of its standards.

No package on PyPI ships the 1EdTech OB 3.0 JSON schema (openbadgeslib 4.6.3 and openvc-core ship the
JSON-LD contexts only), and tests never use the network or copy a schema file into the repository.
So OB_RULES below writes out, as a JSON Schema of our own, the rules of the OB 3.0
AchievementCredential schema (ob_v3p0_achievementcredential_schema.json) that this credential relies
on, each with the spec's words; jsonschema_rs checks the credential against them, formats included.
The VC-JOSE-COSE envelope is checked with joserfc and jwcrypto, which certexam does not sign with,
and the whole credential with openbadgeslib's OB 3.0 verifier, an independent implementation.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema_rs
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from certexam.crypto import credential as ob3
from certexam.crypto.jwks import KeyStatus, SigningKey, VerificationKey, build_jwks, make_kid
from certexam.crypto.status_list import PURPOSES, status_list_url

BASE = "https://verify.example.org"
URI = {"type": "string", "format": "uri"}
DATE_TIME = {"type": "string", "format": "date-time"}


def _contains(*values: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}, "contains": {"enum": list(values)}}


PROFILE = {"type": "object", "required": ["id", "type"],  # OB 3.0 Profile: id [1], type [1..*] incl. Profile
           "properties": {"id": URI, "type": _contains("Profile"), "name": {"type": "string"}, "url": URI}}
IDENTITY_OBJECT = {  # OB 3.0 IdentityObject: type "IdentityObject", hashed, identityHash, identityType [1]
    "type": "object", "required": ["type", "hashed", "identityHash", "identityType"],
    "properties": {"type": {"const": "IdentityObject"}, "hashed": {"type": "boolean"},
                   "identityHash": {"type": "string", "pattern": "^(md5|sha256)\\$[0-9a-fA-F]+$"},
                   "identityType": {"anyOf": [{"enum": ["name", "sourcedId", "systemId", "productId", "userName",
                                                        "accountId", "emailAddress", "nationalIdentityNumber",
                                                        "isbn", "issuerId", "lisSourcedId", "oneRosterSourcedId",
                                                        "sisSourcedId", "ltiContextId", "ltiDeploymentId",
                                                        "ltiToolId", "ltiPlatformId", "ltiUserId", "identifier"]},
                                              {"pattern": "(ext:)[a-z|A-Z|0-9|.|-|_]+"}]},
                   "salt": {"type": "string"}}}
ACHIEVEMENT = {  # OB 3.0 Achievement: id, type incl. Achievement, criteria, description, name [1]
    "type": "object", "required": ["id", "type", "criteria", "description", "name"],
    "properties": {
        "id": URI, "type": _contains("Achievement"), "name": {"type": "string", "minLength": 1},
        "description": {"type": "string", "minLength": 1},
        "criteria": {"type": "object", "anyOf": [{"required": ["id"]}, {"required": ["narrative"]}],
                     "properties": {"id": URI, "narrative": {"type": "string"}}},
        "achievementType": {"anyOf": [{"enum": ["Achievement", "Award", "Badge", "Certificate", "Certification",
                                                "Competency", "Course", "License", "MicroCredential"]},
                                      {"pattern": "(ext:)[a-z|A-Z|0-9|.|-|_]+"}]},
        "humanCode": {"type": "string"}, "fieldOfStudy": {"type": "string"}, "specialization": {"type": "string"},
        "tag": {"type": "array", "items": {"type": "string"}}, "creator": PROFILE, "inLanguage": {"type": "string"}}}
OB_RULES: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    # AchievementCredential: @context, id, type, name, issuer, validFrom, credentialSubject [1]
    "required": ["@context", "id", "type", "name", "issuer", "validFrom", "credentialSubject"],
    "properties": {
        "@context": {"type": "array", "minItems": 2, "prefixItems": [{"const": ob3.VC_CONTEXT}],
                     "contains": {"pattern": "^https://purl\\.imsglobal\\.org/spec/ob/v3p0/context(-3\\.\\d\\.\\d)*\\.json$"}},
        "id": URI,
        "type": {"allOf": [_contains("VerifiableCredential"), _contains("AchievementCredential", "OpenBadgeCredential")]},
        "name": {"type": "string"},
        "issuer": PROFILE,
        "validFrom": DATE_TIME, "validUntil": DATE_TIME, "awardedDate": DATE_TIME,
        "credentialSubject": {"type": "object", "required": ["type", "achievement"],
                              "properties": {"type": _contains("AchievementSubject"), "achievement": ACHIEVEMENT,
                                             "identifier": {"type": "array", "items": IDENTITY_OBJECT},
                                             "licenseNumber": {"type": "string"}}},
        "credentialStatus": {"type": "array", "items": {  # Bitstring Status List v1.0 s.2.1
            "type": "object", "required": ["id", "type", "statusPurpose", "statusListIndex", "statusListCredential"],
            "properties": {"id": URI, "type": {"const": "BitstringStatusListEntry"},
                           "statusPurpose": {"enum": ["revocation", "suspension"]},
                           "statusListIndex": {"type": "string", "pattern": "^(0|[1-9][0-9]*)$"},
                           "statusListCredential": URI}}},
        "credentialSchema": {"type": "array", "items": {"type": "object", "required": ["id", "type"],
                                                        "properties": {"id": URI, "type": {"type": "string"}}}},
    },
}
VALIDATOR = jsonschema_rs.validator_for(OB_RULES, validate_formats=True)
ISSUER = ob3.IssuerProfile(BASE + "/credentials/issuer.json", "SHMFTPP Certification Body", BASE + "/")


def facts(level: int = 2, direction: str | None = "BD", expires: date | None = date(2029, 3, 14),
          status_index: int | None = 41) -> ob3.CredentialFacts:
    direction_en = {"BD": "Big data", "AI": "Artificial intelligence"}.get(direction or "")
    key = ob3.achievement_key(level, direction)
    status = [] if status_index is None else [ob3.StatusEntry(p, status_index, status_list_url(BASE, p))
                                              for p in PURPOSES]
    return ob3.CredentialFacts(
        id=BASE + "/v/TOKEN", number="SHMFTPP-L2-2026-000123-2", issued_on=date(2026, 3, 15), expires_on=expires,
        issuer=ISSUER, achievement=ob3.AchievementFacts(f"{BASE}/credentials/achievements/{key}.json", level,
                                                        direction, direction_en),
        identity_hash=ob3.identity_hash("holder@example.com", "abc"), identity_salt="abc", status=status)


@pytest.mark.parametrize("case", [facts(), facts(1, None, None, None), facts(2, "AI", None, 0)])
def test_credential_follows_the_ob3_rules(case: ob3.CredentialFacts) -> None:
    credential = ob3.build_credential(case)
    errors = [f"{e.instance_path}: {e.message}" for e in VALIDATOR.iter_errors(credential)]
    assert errors == []


@pytest.mark.parametrize(("mutate", "where"), [
    (lambda c: c.pop("validFrom"), "validFrom"),
    (lambda c: c["@context"].reverse(), "@context"),
    (lambda c: c.update(type=["VerifiableCredential"]), "type"),
    (lambda c: c["credentialSubject"]["achievement"].pop("criteria"), "criteria"),
    (lambda c: c["credentialSubject"]["identifier"][0].update(identityHash="holder@example.com"), "identityHash"),
    (lambda c: c["credentialStatus"][0].update(statusListIndex=41), "statusListIndex"),
    (lambda c: c.update(validFrom="15 March 2026"), "validFrom"),
])
def test_the_rules_catch_what_they_state(mutate: Any, where: str) -> None:
    """The written-out rules are not vacuous: breaking each one is reported."""
    credential = ob3.build_credential(facts())
    mutate(credential)
    assert not VALIDATOR.is_valid(credential), where


def test_level_direction_and_criteria() -> None:
    credential = ob3.build_credential(facts())
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["name"] == "SHMFTPP FinTech Professional, Level 2 (Big data)"
    assert achievement["specialization"] == "Big data" and achievement["humanCode"] == "SHMFTPP-L2-BD"
    assert achievement["achievementType"] == "Certification"
    assert "top 40% within each direction" in achievement["criteria"]["narrative"]
    assert "rules s.1" in achievement["criteria"]["narrative"] and "Big data direction" in achievement["description"]
    level1 = ob3.build_credential(facts(1, None))["credentialSubject"]["achievement"]
    assert "specialization" not in level1 and "240 single-choice" in level1["criteria"]["narrative"]
    assert credential["credentialSubject"]["licenseNumber"] == "SHMFTPP-L2-2026-000123-2"
    assert credential["issuer"] == {"id": ISSUER.id, "type": ["Profile"], "name": ISSUER.name, "url": ISSUER.url}


def test_validity_is_beijing_midnight() -> None:
    credential = ob3.build_credential(facts())
    assert credential["validFrom"] == "2026-03-15T00:00:00+08:00"
    assert credential["validUntil"] == "2029-03-15T00:00:00+08:00"  # valid through 14 March 2029
    assert datetime.fromisoformat(credential["validFrom"]).timestamp() == 1773504000  # 2026-03-14T16:00Z
    assert "validUntil" not in ob3.build_credential(facts(expires=None))


def test_status_entries_point_at_both_lists() -> None:
    entries = ob3.build_credential(facts())["credentialStatus"]
    assert [e["statusPurpose"] for e in entries] == ["revocation", "suspension"]
    for entry in entries:
        assert entry["statusListIndex"] == "41"
        assert entry["statusListCredential"] == f"{BASE}/.well-known/certexam/status/{entry['statusPurpose']}"
        assert entry["id"] == entry["statusListCredential"] + "#41"
    assert "credentialStatus" not in ob3.build_credential(facts(status_index=None))


def test_the_holder_is_a_salted_hash_and_no_name() -> None:
    credential = ob3.build_credential(facts())
    (identity,) = credential["credentialSubject"]["identifier"]
    assert identity["identityHash"] == "sha256$" + hashlib.sha256(b"holder@example.comabc").hexdigest()
    assert identity["identityType"] == "emailAddress" and identity["hashed"] is True
    assert ob3.email_identifier("  Holder@Example.COM ") == "holder@example.com"
    text = ob3.credential_json(credential)
    assert "holder@example.com" not in text and "Zhang" not in text


def _context_terms() -> set[str]:
    """Every term the pinned contexts define (type-scoped ones included), as openbadgeslib ships them."""
    from importlib.resources import files

    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("@context"), dict):
                found.update(k for k in node["@context"] if not k.startswith("@"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    folder = files("openbadgeslib.ob3") / "contexts"
    for name in ("credentials-v2.json", "ob-v3p0-context-3.0.3.json", "ob-v3p0-extensions.json"):
        walk(json.loads((folder / name).read_text("utf-8")))
    return found


def _undefined(credential: dict[str, Any]) -> set[str]:
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            names.update(k for k in node if k != "@context")
            kinds = node.get("type", [])
            names.update([kinds] if isinstance(kinds, str) else kinds)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(credential)
    return names - _context_terms()


def test_every_member_and_type_is_a_term_of_its_contexts() -> None:
    """Nothing falls back to the VC 2.0 context's issuer-dependent @vocab: a misspelt member would."""
    credential = ob3.build_credential(facts())
    assert credential["@context"][2] == "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
    assert _undefined(credential) == set()
    credential["credentialSubject"]["achievement"]["specialisation"] = "Big data"
    credential["credentialSubject"]["type"] = ["AchievementSubjekt"]
    assert _undefined(credential) == {"specialisation", "AchievementSubjekt"}


def _signed() -> tuple[dict[str, Any], str, dict[str, Any]]:
    private = ec.generate_private_key(ec.SECP256R1())
    key = SigningKey(make_kid(private.public_key()), private)
    credential = ob3.build_credential(facts())
    token = ob3.sign_credential(credential, key)
    jwks = build_jwks([VerificationKey(key.kid, private.public_key(), KeyStatus.ACTIVE, datetime(2026, 1, 1))])
    return credential, token, jwks


def test_joserfc_and_jwcrypto_verify_the_jwt() -> None:
    from joserfc import jws
    from joserfc.jwk import KeySet
    from jwcrypto import jwk as jc_jwk
    from jwcrypto import jws as jc_jws

    credential, token, jwks = _signed()  # the JWK set as served, with its own members (status, nbf)
    verified = jws.deserialize_compact(token, KeySet.import_key_set(jwks), algorithms=["ES256"])
    assert verified.headers() == {"alg": "ES256", "kid": jwks["keys"][0]["kid"], "typ": "vc+jwt", "cty": "vc"}
    payload = json.loads(verified.payload)  # VC-JOSE-COSE: the credential is the claims set, no "vc" claim
    claims = {name: payload.pop(name) for name in ("iss", "jti", "nbf", "exp")}
    assert payload == credential and "vc" not in payload
    assert claims == {"iss": credential["issuer"]["id"], "jti": credential["id"],  # OB 3.0 s.8.2
                      "nbf": 1773504000, "exp": 1868198400}  # 2026-03-15 and 2029-03-15, 00:00 Beijing
    checker = jc_jws.JWS()
    checker.deserialize(token)
    checker.verify(jc_jwk.JWKSet.from_json(json.dumps(jwks)).get_key(verified.headers()["kid"]), alg="ES256")
    assert json.loads(checker.payload) == {**credential, **claims}


def test_an_independent_ob3_verifier_accepts_it() -> None:
    """openbadgeslib's OB 3.0 verifier (its own JWT checks: context pair, types, iss/jti/nbf, validity)."""
    from jwcrypto import jwk as jc_jwk
    from openbadgeslib.ob3 import OB3Verifier

    credential, token, jwks = _signed()
    pem = jc_jwk.JWKSet.from_json(json.dumps(jwks)).get_key(jwks["keys"][0]["kid"]).export_to_pem()
    badge = OB3Verifier(pem).verify(token)
    assert badge.id == credential["id"] and badge.issuer.id == credential["issuer"]["id"]
    assert badge.achievement.name == "SHMFTPP FinTech Professional, Level 2 (Big data)"
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    with pytest.raises(Exception, match="(?i)signature"):
        OB3Verifier(jc_jwk.JWK.from_pyca(other).export_to_pem()).verify(token)


def test_a_changed_credential_fails_verification() -> None:
    from joserfc import jws
    from joserfc.errors import BadSignatureError
    from joserfc.jwk import KeySet

    _, token, jwks = _signed()
    header, payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["credentialSubject"]["achievement"]["name"] = "Level 3"
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
    keyset = KeySet.import_key_set(jwks)
    with pytest.raises(BadSignatureError):
        jws.deserialize_compact(f"{header}.{forged}.{signature}", keyset, algorithms=["ES256"])


def test_linkedin_link_carries_the_certification() -> None:
    url = ob3.linkedin_add_url(name="SHMFTPP FinTech Professional, Level 1", organization="SHMFTPP Certification Body",
                               issued_on=date(2026, 3, 15), expires_on=date(2029, 3, 14),
                               cert_url=BASE + "/v/TOKEN", cert_id="SHMFTPP-L1-2026-000001-2")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.linkedin.com", "/profile/add")
    assert parse_qs(parts.query) == {
        "startTask": ["CERTIFICATION_NAME"], "name": ["SHMFTPP FinTech Professional, Level 1"],
        "organizationName": ["SHMFTPP Certification Body"], "issueYear": ["2026"], "issueMonth": ["3"],
        "expirationYear": ["2029"], "expirationMonth": ["3"], "certUrl": [BASE + "/v/TOKEN"],
        "certId": ["SHMFTPP-L1-2026-000001-2"]}
    never = ob3.linkedin_add_url(name="n", organization="o", issued_on=date(2026, 3, 15), expires_on=None,
                                 cert_url="u", cert_id="c")
    assert "expirationYear" not in never
    page = parse_qs(urlsplit(ob3.linkedin_add_url(name="n", organization="o", issued_on=date(2026, 3, 15),
                                                  expires_on=None, cert_url="u", cert_id="c",
                                                  organization_id="12345")).query)
    assert page["organizationId"] == ["12345"] and "organizationName" not in page
