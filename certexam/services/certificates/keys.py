"""The body's key store in the instance folder, and where its passphrase comes from.

Production sets CERTEXAM_KEY_PASSPHRASE (every app server and the CLI need the
same value, and it must not sit next to the keys it protects).  On a
development machine, when it is unset, a random passphrase is generated once
into instance/key_passphrase (mode 0600) so that `make run` works on a fresh
checkout; PRODUCTION=1 refuses that fallback.

Verification never needs the passphrase: public_store() opens the same folder
with a throwaway passphrase, so reading the public halves works and any attempt
to decrypt a private key on that path fails loudly instead of silently working.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import cast

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app, has_request_context, request

from certexam import db
from certexam.config import verify_origin
from certexam.crypto.jwks import KeyStatus, SigningKey, VerificationKey, build_jwks
from certexam.crypto.keystore import METADATA_FILE, PASSPHRASE_ENV, KeyStore, KeyStoreError
from certexam.models import User
from certexam.services.certificates import events
from certexam.services.platform import audit

KEYS_FOLDER = "keys"  # <instance>/keys
PASSPHRASE_FILE = "key_passphrase"  # noqa: S105 - a file name; development fallback only
_GENERATED_PASSPHRASE_BYTES = 32  # 256 bits of randomness, URL-safe text
_PUBLIC_ONLY_PASSPHRASE_BYTES = 24  # never decrypts anything: it is not the real passphrase


def keys_dir() -> Path:
    """The key folder of this app's instance."""
    return Path(current_app.instance_path) / KEYS_FOLDER


def passphrase(environ: Mapping[str, str] | None = None) -> tuple[bytes, str]:
    """Return (passphrase, where it came from) for the private keys.

    The environment wins; otherwise, outside production, the instance file
    (created on first use).  In production a missing variable is an error.
    """
    env = os.environ if environ is None else environ
    value = env.get(PASSPHRASE_ENV, "")
    if value:
        return value.encode("utf-8"), PASSPHRASE_ENV
    if current_app.config.get("PRODUCTION"):
        raise KeyStoreError(
            f"{PASSPHRASE_ENV} is not set: production keeps the key passphrase in the environment "
            "(or a secret manager), never in the instance folder")
    path = Path(current_app.instance_path) / PASSPHRASE_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(_GENERATED_PASSPHRASE_BYTES))
    return path.read_text("utf-8").strip().encode("utf-8"), str(path)


CRL_PATH = "/.well-known/certexam-root.crl"  # certificates/views.py serves the root's CRL here


def crl_url() -> str | None:
    """Where verifiers fetch the root's CRL: the public verification host (VERIFY_HOST), as in QR codes.
    None where production has no VERIFY_HOST yet: key commands still work, and issuing says what is missing."""
    try:
        scheme, host = verify_origin(current_app.config, request.host if has_request_context() else None)
    except RuntimeError:
        return None
    return f"{scheme}://{host}{CRL_PATH}"


def signing_store() -> KeyStore:
    """The key store with the passphrase: it can sign, rotate and change key status."""
    return KeyStore(keys_dir(), passphrase()[0], crl_url=crl_url())


def public_store() -> KeyStore:
    """The key store for verifiers: public keys and the root certificate only."""
    return KeyStore(keys_dir(), secrets.token_bytes(_PUBLIC_ONLY_PASSPHRASE_BYTES))


# keys.json path -> (its identity when read, the keys): every verification needs the keys,
# and re-reading the file only when it changed keeps a rotation in another process visible.
_public_cache: dict[Path, tuple[tuple[int, int, int], list[VerificationKey]]] = {}


def verification_keys() -> list[VerificationKey]:
    """Every token key with its status; empty before `certexam keys init`."""
    path = keys_dir() / METADATA_FILE
    try:
        info = path.stat()
    except FileNotFoundError:
        return []
    stamp = (info.st_ino, info.st_mtime_ns, info.st_size)  # the store replaces the file on each change
    cached = _public_cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    found = public_store().public_keys()
    _public_cache[path] = (stamp, found)
    return found


def compromised_kids() -> frozenset[str]:
    """Key ids of every token key declared compromised (public data: no passphrase needed)."""
    return frozenset(k.kid for k in verification_keys() if k.status is KeyStatus.COMPROMISED)


def withdrawn(key_id: str, compromised: frozenset[str] | None = None) -> bool:
    """Whether a token signed by ``key_id`` is withdrawn (issue 20.6): its key is compromised, so every
    page says "signed with a withdrawn key" instead of "Valid" until the certificate is signed again."""
    return key_id in (compromised_kids() if compromised is None else compromised)


def published_jwks() -> dict[str, object]:
    """The JWK set served at /.well-known/jwks.json."""
    return build_jwks(verification_keys())


def root_certificate() -> x509.Certificate | None:
    """The root CA certificate that PDF verifiers trust; None before `keys init`."""
    store = public_store()
    return store.root_certificate() if store.exists() else None


@dataclass(frozen=True)
class IssuingKeys:
    """What issuing needs, loaded once per batch: the token key and the PDF signer."""

    token_key: SigningKey
    pdf_key: ec.EllipticCurvePrivateKey
    pdf_cert: x509.Certificate
    pdf_chain: list[x509.Certificate]


def issuing_keys(store: KeyStore | None = None) -> IssuingKeys:
    """Decrypt the active token key and document signer (raises KeyStoreError with advice)."""
    store = store or signing_store()
    key, cert, chain = store.document_signer()
    return IssuingKeys(store.active_signing_key(), key, cert, chain)


def ensure_keys(now: datetime) -> KeyStore:
    """Open the key store, creating the body's first keys if there are none (demo, first run)."""
    store = signing_store()
    if not store.exists():
        init_keys(None, now, store)
    return store


@db.use_case
def _audited(action: str, kid: str, actor: User | None, kind: str = "signing_key") -> None:
    # The key files change outside the database; the log says who changed them and when.
    audit.record(db.session(), action, kind, kid, actor_id=actor.id if actor else None,
                 after={"serial" if kind == "document_signer" else "kid": kid})
    events.key_changed(db.session(), cast(events.KeyAction, action.removeprefix("keys.")), kid)


def init_keys(actor: User | None, now: datetime, store: KeyStore | None = None) -> str:
    """`keys init`: the root CA, a document signer and the first token key.  Returns the kid."""
    store = store or signing_store()
    kid = store.init(now)
    _audited("keys.init", kid, actor)
    return kid


def rotate_keys(actor: User | None, now: datetime) -> str:
    """`keys rotate`: a new token key and PDF signer; the old token key keeps verifying."""
    kid = signing_store().rotate(now)
    _audited("keys.rotate", kid, actor)
    return kid


def _checked_store() -> KeyStore:
    # Status changes decrypt nothing, but they are the key holder's decision:
    # proving the passphrase first keeps them with whoever may rotate.
    store = signing_store()
    store.document_signer()
    return store


def retire_key(actor: User | None, kid: str, now: datetime) -> None:
    """Stop signing with ``kid``; what it signed stays valid."""
    _checked_store().retire(kid, now)
    _audited("keys.retire", kid, actor)


def compromise_key(actor: User | None, kid: str, now: datetime) -> None:
    """Declare ``kid`` compromised: every token it signed fails verification from now on."""
    _checked_store().mark_compromised(kid, now)
    _audited("keys.compromise", kid, actor)


def revoke_signer(actor: User | None, serial: str | None, now: datetime) -> str:
    """Revoke a PDF-signing certificate (None: the active one) and publish the root's CRL with it; a new
    signer takes over if it was active. Returns the revoked serial (hex)."""
    revoked = signing_store().revoke_signer(serial, now)
    _audited("keys.revoke_signer", revoked, actor, kind="document_signer")
    return revoked


def publish_crl(now: datetime) -> bytes:
    """`keys crl`: sign a fresh CRL (run daily, before the last one's nextUpdate)."""
    return signing_store().publish_crl(now)


def published_crl() -> bytes | None:
    """The CRL as last written, for the public URL; None before `keys init`."""
    return public_store().crl()
