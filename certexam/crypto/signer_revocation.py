"""Revoking a document-signing certificate, and the root's CRL that says so (issue 20.6).

Part of the key store (certexam.crypto.keystore.KeyStore mixes it in): the same folder, lock and
keys.json. A revoked signer's entry gets status "revoked" with its date; if it was the active one,
a new signer is issued at once so that certificates can still be signed. The CRL (DER) is written
next to the root as ca-root.crl at `keys init`, at every revocation and by `certexam keys crl`
(run daily: it is valid for x509ca.CRL_VALIDITY). The web app serves that file as it is, so serving
it never needs the passphrase.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from certexam.crypto import x509ca

CRL_FILE = "ca-root.crl"  # DER
SIGNER_REVOKED = "revoked"  # a signer entry's status besides jwks.KeyStatus' active and retired


@dataclass(frozen=True)
class SignerInfo:
    """A document-signing certificate as `keys list` shows it."""

    serial: str  # hex, as in keys.json and in `openssl x509 -serial`
    status: str
    created_at: datetime
    revoked_at: datetime | None


class SignerRevocation:
    """KeyStore methods for listing and revoking document signers and publishing the CRL."""

    directory: Path
    if TYPE_CHECKING:  # provided by KeyStore
        def _locked(self) -> Any: ...
        def _read_meta(self) -> dict[str, Any]: ...
        def _write_meta(self, meta: dict[str, Any]) -> None: ...
        def _read_private(self, name: str) -> ec.EllipticCurvePrivateKey: ...
        def _read_cert(self, name: str) -> x509.Certificate: ...
        def _new_signer(self, meta: dict[str, Any], root_key: ec.EllipticCurvePrivateKey, now: datetime) -> None: ...
        def _unknown_signer(self, message: str) -> Exception: ...

    def signers(self) -> list[SignerInfo]:
        """Every document-signing certificate, oldest first (no passphrase needed)."""
        return [SignerInfo(e["serial"], e["status"], datetime.fromisoformat(e["created_at"]),
                           datetime.fromisoformat(e["revoked_at"]) if e.get("revoked_at") else None)
                for e in self._read_meta()["signers"]]

    def revoke_signer(self, serial: str | None, now: datetime) -> str:
        """Revoke the signer with this serial (hex; None: the active one) and publish the CRL; a new signer
        takes over if it was the active one. Returns the serial revoked."""
        with self._locked():
            meta = self._read_meta()
            root_key = self._read_private(meta["root"]["key_file"])  # proves the passphrase first
            wanted = None if serial is None else serial.lower().removeprefix("0x").lstrip("0")
            entry = next((e for e in meta["signers"] if (e["status"] == "active" if wanted is None
                                                         else e["serial"].lstrip("0") == wanted)), None)
            if entry is None:
                raise self._unknown_signer(f"no document-signing certificate has serial {serial}"
                                           if serial else "no active document-signing certificate")
            if entry["status"] == SIGNER_REVOKED:
                raise self._unknown_signer(f"signer {entry['serial']} is revoked already")
            was_active = entry["status"] == "active"
            entry["status"], entry["revoked_at"] = SIGNER_REVOKED, now.isoformat()
            if was_active:
                self._new_signer(meta, root_key, now)
            self._publish(meta, root_key, now)
            self._write_meta(meta)
        return str(entry["serial"])

    def publish_crl(self, now: datetime) -> bytes:
        """Sign a fresh CRL (next number, new validity) and write it; returns its DER bytes."""
        with self._locked():
            meta = self._read_meta()
            der = self._publish(meta, self._read_private(meta["root"]["key_file"]), now)
            self._write_meta(meta)
        return der

    def crl(self) -> bytes | None:
        """The last CRL written (DER), or None before one was (no passphrase needed)."""
        try:
            return (self.directory / CRL_FILE).read_bytes()
        except FileNotFoundError:
            return None

    def _publish(self, meta: dict[str, Any], root_key: ec.EllipticCurvePrivateKey, now: datetime) -> bytes:
        meta["crl_number"] = int(meta.get("crl_number", 0)) + 1
        crl = x509ca.build_crl(root_key, self._read_cert(meta["root"]["cert_file"]), _revoked(meta),
                               meta["crl_number"], now)
        der = x509ca.crl_der(crl)
        tmp = self.directory / f"{CRL_FILE}.tmp"
        tmp.write_bytes(der)
        tmp.replace(self.directory / CRL_FILE)  # a web server reading it sees the old CRL or the new one
        return der


def _revoked(meta: dict[str, Any]) -> Iterator[tuple[int, datetime]]:
    for entry in meta["signers"]:
        if entry["status"] == SIGNER_REVOKED:
            yield int(entry["serial"], 16), datetime.fromisoformat(entry["revoked_at"])
