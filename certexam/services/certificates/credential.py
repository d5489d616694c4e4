"""A holder's certificate as an Open Badges 3.0 credential, and the LinkedIn link (issue 20.7).

The credential is built from the register row (crypto/credential.py says what it holds) and signed
when it is downloaded, with the body's active token key: the JWK set publishes that key, and a
credential signed by a key compromised later is refused by every verifier reading the set, like the
QR tokens.  Only a certificate whose own token still verifies and that is not revoked gets one;
a suspended one does, since its credentialStatus says so to whoever checks the status list.

URLs (the credential's id, the issuer profile, the achievements and the status lists) start from the
public verification origin (VERIFY_HOST), the host the QR codes carry.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import current_app, has_request_context, request
from flask_babel import gettext as _

from certexam.config import verify_origin
from certexam.crypto import credential as ob3
from certexam.crypto import status_list
from certexam.domain.catalogue import DIRECTIONS
from certexam.domain.verdict import CertStatus, VerdictCode
from certexam.errors import Conflict, NotFound
from certexam.models import Certificate, User
from certexam.services.certificates import keys
from certexam.services.certificates import verify as cert_verify
from certexam.services.certificates.issue import find_by_number
from certexam.services.certificates.pdf import ISSUER_NAME_EN

ISSUER_PATH = "/credentials/issuer.json"
ACHIEVEMENT_PATH = "/credentials/achievements/{key}.json"
_SALT_CONTEXT = b"certexam-ob3-identity-salt:"
_SALT_HEX = 32  # 128 bits: one salt per certificate, so two credentials' hashes cannot be linked
# Verdicts under which the certificate still stands, so a credential may restate it (a suspension or
# the end of validity is for the status list and validUntil to say).  Any other (a compromised key,
# an altered or unknown token, a backdated one) gives none.
_GIVEN = frozenset({VerdictCode.VALID, VerdictCode.SUSPENDED, VerdictCode.EXPIRED, VerdictCode.NOT_YET_VALID})


def base_url() -> str:
    """The public origin, e.g. https://verify.example.org (the verification host of the QR codes)."""
    scheme, host = verify_origin(current_app.config, request.host if has_request_context() else None)
    return f"{scheme}://{host}"  # the origin the status lists build their own URLs from


def issuer() -> ob3.IssuerProfile:
    """The body's OB 3.0 profile; its id is the URL that serves it."""
    base = base_url()
    name = current_app.config.get("CERT_ISSUER_NAME_EN", ISSUER_NAME_EN)
    return ob3.IssuerProfile(id=base + ISSUER_PATH, name=name, url=base + "/")


def issuer_document() -> dict[str, Any]:
    """The public Profile document of the body."""
    return ob3.issuer_profile(issuer())


def achievement_facts(level: int, direction: str | None) -> ob3.AchievementFacts:
    """The achievement of a level and direction, with its public URL as id."""
    key = ob3.achievement_key(level, direction)
    direction_en = DIRECTIONS[direction][1] if direction else None
    return ob3.AchievementFacts(base_url() + ACHIEVEMENT_PATH.format(key=key), level, direction, direction_en)


def achievement_document(key: str) -> dict[str, Any]:
    """The public Achievement for a key such as L1 or L2-AI; NotFound for any other."""
    known: dict[str, tuple[int, str | None]] = {ob3.achievement_key(1, None): (1, None)}
    known.update({ob3.achievement_key(2, code): (2, code) for code in DIRECTIONS})
    if key not in known:
        raise NotFound(_("No such achievement."))
    return ob3.achievement(achievement_facts(*known[key]), issuer())


def identity_salt(number: str) -> str:
    """A salt per certificate that stays the same across downloads (keyed: not derivable from the number)."""
    secret = current_app.config["SECRET_KEY"]
    key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    return hmac.new(key, _SALT_CONTEXT + number.encode("ascii"), hashlib.sha256).hexdigest()[:_SALT_HEX]


def _status(cert: Certificate) -> list[ob3.StatusEntry]:
    index = cert.status_index  # every certificate has one since migration 0022; nullable in the schema only
    if index is None:
        return []
    base = base_url()
    return [ob3.StatusEntry(purpose, index, status_list.status_list_url(base, purpose))
            for purpose in status_list.PURPOSES]


def verification_link(cert: Certificate) -> str:
    """The certificate's public verification page: the credential's id and LinkedIn's certUrl."""
    return f"{base_url()}/v/{cert.token}"


def credential_for(cert: Certificate, holder: User) -> dict[str, Any]:
    """The OpenBadgeCredential of a certificate, the holder identified by their e-mail's salted hash."""
    salt = identity_salt(cert.number)
    facts = ob3.CredentialFacts(
        id=verification_link(cert), number=cert.number, issued_on=cert.issued_on, expires_on=cert.expires_on,
        issuer=issuer(), achievement=achievement_facts(cert.level, cert.direction),
        identity_hash=ob3.identity_hash(ob3.email_identifier(holder.email), salt) if holder.email else None,
        identity_salt=salt, status=_status(cert))
    return ob3.build_credential(facts)


def holder_certificate(holder: User, number: str) -> Certificate:
    """The holder's own certificate that may be given as a credential (NotFound / Conflict otherwise)."""
    cert = find_by_number(number)
    if cert is None or cert.user_id != holder.id:
        raise NotFound(_("You have no certificate with this number."))
    outcome = cert_verify.check_token(cert.token)
    if cert.status == CertStatus.REVOKED or outcome.code is VerdictCode.REVOKED:
        raise NotFound(_("A revoked certificate cannot be downloaded."))
    if outcome.code not in _GIVEN:
        raise Conflict(_("This certificate cannot be given as a credential until it is re-issued."))
    return cert


def holder_credential(holder: User, number: str) -> dict[str, Any]:
    """The unsigned credential JSON of the holder's certificate."""
    return credential_for(holder_certificate(holder, number), holder)


def holder_credential_jwt(holder: User, number: str) -> str:
    """The credential secured as VC-JOSE-COSE (raises KeyStoreError when the keys cannot sign)."""
    cert = holder_certificate(holder, number)
    return ob3.sign_credential(credential_for(cert, holder), keys.signing_store().active_signing_key())


def linkedin_url(cert: Certificate) -> str:
    """LinkedIn's "add to profile" link for a certificate, its fields filled in."""
    direction_en = DIRECTIONS[cert.direction][1] if cert.direction else None
    return ob3.linkedin_add_url(
        name=ob3.achievement_name(cert.level, direction_en),
        organization=current_app.config.get("CERT_ISSUER_NAME_EN", ISSUER_NAME_EN),
        issued_on=cert.issued_on, expires_on=cert.expires_on, cert_url=verification_link(cert),
        cert_id=cert.number, organization_id=current_app.config.get("LINKEDIN_ORGANIZATION_ID") or None)
