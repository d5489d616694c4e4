"""The body's keys on disk: token keys with rotation, and the PDF-signing PKI.

Layout of the key folder (normally <instance>/keys):

    keys.json                  state: every key, its status and dates, public halves
    token-<kid>.key.pem        token signing keys (ES256), one per generation
    ca-root.key.pem / .crt.pem the root CA
    signer-<n>.key.pem / .crt.pem  document-signing keys and certificates

Private keys are PKCS#8 PEM encrypted with the passphrase
(BestAvailableEncryption) and written 0600; the public halves sit in keys.json
so serving the JWK set and verifying tokens never needs the passphrase.

rotate() starts a new generation: a new token key (the previous active one is
retired and keeps verifying what it signed) and a new document-signing
certificate from the same root (the previous one is kept for the record).
The root is never rotated here.  Compromise applies to token keys; a
document signer is revoked instead, and the root's CRL lists it
(certexam.crypto.signer_revocation, issue 20.6).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from certexam.crypto import x509ca
from certexam.crypto.jwks import (
    KeyStatus,
    SigningKey,
    VerificationKey,
    build_jwks,
    make_kid,
    public_jwk,
    public_key_from_jwk,
)
from certexam.crypto.signer_revocation import SignerRevocation

PASSPHRASE_ENV = "CERTEXAM_KEY_PASSPHRASE"  # noqa: S105 - the variable name, not a secret
MIN_PASSPHRASE_BYTES = 12  # security policy, not a programme rule: PBKDF2 cannot save a short secret
METADATA_FILE = "keys.json"
FORMAT = "certexam-keys/1"
_LOCK_FILE = ".lock"
_ROOT_KEY, _ROOT_CERT = "ca-root.key.pem", "ca-root.crt.pem"
_KID_ATTEMPTS = 32  # new keys tried before giving up on a free kid (a clash is ~1 in 16 million)


class KeyStoreError(Exception):
    """A key store problem an operator can act on; the message says what to do."""


class KeyStoreExistsError(KeyStoreError):
    """init() found keys already there."""


class WrongPassphraseError(KeyStoreError):
    """The passphrase does not decrypt a private key."""


class NoActiveKeyError(KeyStoreError):
    """No token key may sign (none yet, or the last one was retired or compromised)."""


class UnknownKeyError(KeyStoreError):
    """No token key has this kid."""


def passphrase_from_env(environ: Mapping[str, str]) -> bytes:
    """Read the key passphrase from CERTEXAM_KEY_PASSPHRASE."""
    value = environ.get(PASSPHRASE_ENV, "")
    if not value:
        raise KeyStoreError(f"set {PASSPHRASE_ENV} to the passphrase that protects the body's private keys")
    return value.encode("utf-8")


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("times must be timezone-aware")
    return now


def _when(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


class KeyStore(SignerRevocation):
    """Keys of one certification body in one folder."""

    def __init__(self, directory: Path, passphrase: bytes, organisation: str = x509ca.DEFAULT_ORGANISATION,
                 crl_url: str | None = None):
        if len(passphrase) < MIN_PASSPHRASE_BYTES:
            raise KeyStoreError(f"the key passphrase must be at least {MIN_PASSPHRASE_BYTES} bytes")
        self.directory = Path(directory)
        self._passphrase = passphrase
        self._organisation = organisation
        self._crl_url = crl_url  # named in each new signer's CRL Distribution Points
        self._signing_cache: SigningKey | None = None

    def exists(self) -> bool:
        """True when the folder already holds keys."""
        return (self.directory / METADATA_FILE).exists() or any(self.directory.glob("*.pem"))

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        # One writer at a time across processes (CLI and app servers may share the folder).
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(self.directory / _LOCK_FILE, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read_meta(self) -> dict[str, Any]:
        path = self.directory / METADATA_FILE
        try:
            meta: dict[str, Any] = json.loads(path.read_text("utf-8"))
        except FileNotFoundError as exc:
            raise KeyStoreError(f"no keys in {self.directory}: run `certexam keys init`") from exc
        if meta.get("format") != FORMAT:
            raise KeyStoreError(f"{path} is not a {FORMAT} key file")
        return meta

    def _write_meta(self, meta: dict[str, Any]) -> None:
        path = self.directory / METADATA_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", "utf-8")
        os.replace(tmp, path)  # readers see the old state or the new one, never half

    def _write_private(self, name: str, key: ec.EllipticCurvePrivateKey) -> None:
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._passphrase),
        )
        fd = os.open(self.directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)

    def _read_private(self, name: str) -> ec.EllipticCurvePrivateKey:
        path = self.directory / name
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=self._passphrase)
        except FileNotFoundError as exc:
            raise KeyStoreError(f"private key file {path} is missing") from exc
        except (ValueError, TypeError) as exc:
            raise WrongPassphraseError(
                f"cannot decrypt {path}: wrong passphrase in {PASSPHRASE_ENV}, or a damaged file"
            ) from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise KeyStoreError(f"{path} does not hold an EC key")
        return key

    def _write_cert(self, name: str, cert: x509.Certificate) -> None:
        (self.directory / name).write_bytes(x509ca.cert_pem(cert))

    def _read_cert(self, name: str) -> x509.Certificate:
        return x509ca.load_cert((self.directory / name).read_bytes())

    def _new_token_key(self, meta: dict[str, Any], now: datetime) -> str:
        taken = {entry["kid"] for entry in meta["token_keys"]}
        for _ in range(_KID_ATTEMPTS):
            key = x509ca.new_key()
            kid = make_kid(key.public_key())
            if kid not in taken:
                break
        else:  # pragma: no cover - needs dozens of 24-bit clashes in a row
            raise KeyStoreError("could not find a free key id")
        name = f"token-{kid}.key.pem"
        self._write_private(name, key)
        meta["token_keys"].append(
            {
                "kid": kid,
                "file": name,
                "status": str(KeyStatus.ACTIVE),
                "created_at": now.isoformat(),
                "retired_at": None,
                "compromised_at": None,
                "jwk": public_jwk(key.public_key()),
            }
        )
        return kid

    def _new_signer(self, meta: dict[str, Any], root_key: ec.EllipticCurvePrivateKey, now: datetime) -> None:
        for entry in meta["signers"]:
            if entry["status"] == KeyStatus.ACTIVE:  # a revoked one stays revoked
                entry["status"] = str(KeyStatus.RETIRED)
        number = len(meta["signers"]) + 1
        key = x509ca.new_key()
        cert = x509ca.issue_document_signer(
            root_key, self._read_cert(_ROOT_CERT), key.public_key(), now, self._organisation, self._crl_url
        )
        key_name, cert_name = f"signer-{number}.key.pem", f"signer-{number}.crt.pem"
        self._write_private(key_name, key)
        self._write_cert(cert_name, cert)
        meta["signers"].append(
            {
                "key_file": key_name,
                "cert_file": cert_name,
                "status": str(KeyStatus.ACTIVE),
                "created_at": now.isoformat(),
                "serial": format(cert.serial_number, "x"),
            }
        )

    def init(self, now: datetime | None = None) -> str:
        """Create the body's first keys; refuse if any key is already there.  Returns the kid."""
        now = _aware(now or datetime.now(UTC))
        with self._locked():
            if self.exists():
                raise KeyStoreExistsError(f"{self.directory} already holds keys; use `certexam keys rotate`")
            meta: dict[str, Any] = {
                "format": FORMAT,
                "organisation": self._organisation,
                "token_keys": [],
                "signers": [],
                "root": {"key_file": _ROOT_KEY, "cert_file": _ROOT_CERT},
            }
            root_key = x509ca.new_key()
            self._write_private(_ROOT_KEY, root_key)
            self._write_cert(_ROOT_CERT, x509ca.create_root(root_key, now, self._organisation))
            self._new_signer(meta, root_key, now)
            kid = self._new_token_key(meta, now)
            self._publish(meta, root_key, now)  # an empty CRL, so validators find one from the start
            self._write_meta(meta)
        return kid

    def rotate(self, now: datetime) -> str:
        """Start a new token key and signing certificate; the old token key retires.  Returns the kid."""
        now = _aware(now)
        with self._locked():
            meta = self._read_meta()
            root_key = self._read_private(_ROOT_KEY)  # proves the passphrase before anything changes
            for entry in meta["token_keys"]:
                if entry["status"] == KeyStatus.ACTIVE:
                    entry["status"], entry["retired_at"] = str(KeyStatus.RETIRED), now.isoformat()
            self._new_signer(meta, root_key, now)
            kid = self._new_token_key(meta, now)
            self._write_meta(meta)
        self._signing_cache = None
        return kid

    def _change(self, kid: str, status: KeyStatus, now: datetime) -> None:
        now = _aware(now)
        with self._locked():
            meta = self._read_meta()
            entry = next((e for e in meta["token_keys"] if e["kid"] == kid), None)
            if entry is None:
                raise UnknownKeyError(f"no token key has kid {kid!r}")
            current = KeyStatus(entry["status"])
            if current is status:
                return  # already so; keep the first date
            if current is KeyStatus.COMPROMISED:
                raise KeyStoreError(f"key {kid} is compromised; that cannot be undone")
            entry["status"] = str(status)
            if entry["retired_at"] is None:  # either way it signs no more
                entry["retired_at"] = now.isoformat()
            if status is KeyStatus.COMPROMISED:
                entry["compromised_at"] = now.isoformat()
            self._write_meta(meta)
        self._signing_cache = None

    def _unknown_signer(self, message: str) -> KeyStoreError:
        return UnknownKeyError(message)

    def retire(self, kid: str, now: datetime) -> None:
        """Stop signing with ``kid``; what it signed keeps verifying.  Retiring the active key
        leaves no signing key until the next rotate."""
        self._change(kid, KeyStatus.RETIRED, now)

    def mark_compromised(self, kid: str, now: datetime) -> None:
        """Declare ``kid`` compromised: every token it signed is rejected from now on."""
        self._change(kid, KeyStatus.COMPROMISED, now)

    def public_keys(self) -> list[VerificationKey]:
        """Every token key with its status, oldest first (no passphrase needed)."""
        return [
            VerificationKey(
                kid=e["kid"],
                public_key=public_key_from_jwk(e["jwk"]),
                status=KeyStatus(e["status"]),
                created_at=datetime.fromisoformat(e["created_at"]),
                retired_at=_when(e["retired_at"]),
                compromised_at=_when(e["compromised_at"]),
            )
            for e in self._read_meta()["token_keys"]
        ]

    def jwks(self) -> dict[str, Any]:
        """The JWK set to serve at /.well-known/jwks.json (see certexam.crypto.jwks)."""
        return build_jwks(self.public_keys())

    def active_signing_key(self) -> SigningKey:
        """The token key that signs new certificates."""
        meta = self._read_meta()
        entry = next((e for e in meta["token_keys"] if e["status"] == KeyStatus.ACTIVE), None)
        if entry is None:
            raise NoActiveKeyError("no active token key: run `certexam keys rotate`")
        if self._signing_cache is not None and self._signing_cache.kid == entry["kid"]:
            return self._signing_cache
        key = self._read_private(entry["file"])
        if public_jwk(key.public_key()) != entry["jwk"]:
            raise KeyStoreError(f"{entry['file']} does not match the public key recorded for {entry['kid']}")
        self._signing_cache = SigningKey(entry["kid"], key)
        return self._signing_cache

    def root_certificate(self) -> x509.Certificate:
        """The root CA certificate verifiers are asked to trust."""
        return self._read_cert(self._read_meta()["root"]["cert_file"])

    def document_signer(self) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate, list[x509.Certificate]]:
        """(signing key, signing certificate, chain [root]) for signing certificate PDFs."""
        meta = self._read_meta()
        entry = next((e for e in meta["signers"] if e["status"] == KeyStatus.ACTIVE), None)
        if entry is None:
            raise NoActiveKeyError("no active document-signing certificate: run `certexam keys rotate`")
        return (
            self._read_private(entry["key_file"]),
            self._read_cert(entry["cert_file"]),
            [self.root_certificate()],
        )
