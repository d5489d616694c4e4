"""The key store on disk: encryption at rest, init, rotation, status changes, JWK set, PKI."""

import json
import shutil
import stat
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from certexam.crypto.jwks import KeyStatus, thumbprint
from certexam.crypto.keystore import (
    PASSPHRASE_ENV,
    KeyStore,
    KeyStoreError,
    KeyStoreExistsError,
    NoActiveKeyError,
    UnknownKeyError,
    WrongPassphraseError,
    passphrase_from_env,
)
from certexam.crypto.x509ca import EKU_DOCUMENT_SIGNING, issued_by

PASSPHRASE = b"test passphrase 0123"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=365)
T2 = T1 + timedelta(days=30)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "instance" / "keys"


@pytest.fixture
def store(folder: Path) -> KeyStore:
    keystore = KeyStore(folder, PASSPHRASE)
    keystore.init(T0)
    return keystore


def private_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.key.pem"))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.name != ".lock"}


def test_init_creates_encrypted_private_keys(store: KeyStore, folder: Path) -> None:
    names = {p.name for p in private_files(folder)}
    assert names == {"ca-root.key.pem", "signer-1.key.pem", f"token-{store.active_signing_key().kid}.key.pem"}
    for path in private_files(folder):
        pem = path.read_bytes()
        assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        with pytest.raises(TypeError):  # loading without the passphrase fails
            serialization.load_pem_private_key(pem, password=None)
        with pytest.raises(ValueError):
            serialization.load_pem_private_key(pem, password=b"not the passphrase")
        assert isinstance(
            serialization.load_pem_private_key(pem, password=PASSPHRASE), ec.EllipticCurvePrivateKey
        )
    assert PASSPHRASE not in b"".join(p.read_bytes() for p in folder.iterdir())


def test_wrong_passphrase_gives_a_clear_error(store: KeyStore, folder: Path) -> None:
    wrong = KeyStore(folder, b"wrong passphrase 0123")
    with pytest.raises(WrongPassphraseError, match=PASSPHRASE_ENV):
        wrong.active_signing_key()
    with pytest.raises(WrongPassphraseError, match="cannot decrypt"):
        wrong.document_signer()
    before = snapshot(folder)
    with pytest.raises(WrongPassphraseError):
        wrong.rotate(T1)
    assert snapshot(folder) == before  # nothing changed
    # Public data needs no passphrase at all.
    assert [k.kid for k in wrong.public_keys()] == [store.active_signing_key().kid]


def test_init_refuses_to_clobber(store: KeyStore, folder: Path) -> None:
    before = snapshot(folder)
    for passphrase in (PASSPHRASE, b"another passphrase 99"):
        with pytest.raises(KeyStoreExistsError, match="already holds keys"):
            KeyStore(folder, passphrase).init(T1)
    assert snapshot(folder) == before


def test_init_refuses_a_folder_with_stray_keys(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "old.key.pem").write_bytes(b"something precious")
    with pytest.raises(KeyStoreExistsError):
        KeyStore(folder, PASSPHRASE).init(T0)
    assert (folder / "old.key.pem").read_bytes() == b"something precious"


@pytest.mark.parametrize("passphrase", [b"", b"short"])
def test_short_passphrases_are_refused(folder: Path, passphrase: bytes) -> None:
    with pytest.raises(KeyStoreError, match="at least"):
        KeyStore(folder, passphrase)


def test_passphrase_from_env() -> None:
    assert passphrase_from_env({PASSPHRASE_ENV: "pässphrase 12"}) == "pässphrase 12".encode()
    for environ in ({}, {PASSPHRASE_ENV: ""}):
        with pytest.raises(KeyStoreError, match=PASSPHRASE_ENV):
            passphrase_from_env(environ)


def test_times_must_be_aware(folder: Path) -> None:
    with pytest.raises(ValueError, match="timezone"):
        KeyStore(folder, PASSPHRASE).init(datetime(2026, 3, 1))  # noqa: DTZ001 - the point of the test


def test_missing_store_says_what_to_do(folder: Path) -> None:
    with pytest.raises(KeyStoreError, match="keys init"):
        KeyStore(folder, PASSPHRASE).public_keys()


def test_kid_is_derived_from_the_key(store: KeyStore) -> None:
    key = store.active_signing_key()
    assert thumbprint(key.private_key.public_key()).startswith(key.kid)


def test_rotation_retires_the_old_key_and_keeps_it(store: KeyStore) -> None:
    old = store.active_signing_key().kid
    new = store.rotate(T1)
    assert new != old
    assert store.active_signing_key().kid == new
    by_kid = {k.kid: k for k in store.public_keys()}
    assert by_kid[old].status is KeyStatus.RETIRED and by_kid[old].retired_at == T1
    assert by_kid[new].status is KeyStatus.ACTIVE and by_kid[new].created_at == T1
    # A fresh process (new KeyStore object) sees the same state.
    assert KeyStore(store.directory, PASSPHRASE).active_signing_key().kid == new


def test_status_changes(store: KeyStore) -> None:
    first = store.active_signing_key().kid
    store.retire(first, T1)
    with pytest.raises(NoActiveKeyError, match="rotate"):
        store.active_signing_key()
    second = store.rotate(T1)
    store.retire(first, T2)  # already retired: no change, the first date stays
    assert {k.kid: k.retired_at for k in store.public_keys()}[first] == T1
    store.mark_compromised(first, T2)
    store.mark_compromised(first, T2 + timedelta(days=1))  # idempotent
    with pytest.raises(KeyStoreError, match="cannot be undone"):
        store.retire(first, T2)
    store.mark_compromised(second, T2)  # the active key: nothing may sign until the next rotation
    with pytest.raises(NoActiveKeyError):
        store.active_signing_key()
    statuses = {k.kid: (k.status, k.compromised_at) for k in store.public_keys()}
    assert statuses == {first: (KeyStatus.COMPROMISED, T2), second: (KeyStatus.COMPROMISED, T2)}
    with pytest.raises(UnknownKeyError):
        store.retire("nope", T2)


def test_jwks_document(store: KeyStore) -> None:
    first = store.active_signing_key().kid
    second = store.rotate(T1)
    third = store.rotate(T2)
    store.mark_compromised(second, T2)
    document = json.loads(json.dumps(store.jwks()))
    keys = {k["kid"]: k for k in document["keys"]}
    assert set(keys) == {first, third}
    for jwk in keys.values():
        assert {"kty", "crv", "x", "y", "kid", "alg", "use", "status", "nbf"} <= set(jwk)
        assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("EC", "P-256", "ES256", "sig")
        assert "d" not in jwk
    assert keys[first]["status"] == "retired" and keys[first]["retired"] == int(T1.timestamp())
    assert keys[first]["nbf"] == int(T0.timestamp())
    assert keys[third]["status"] == "active" and "retired" not in keys[third]
    assert document["compromised"] == [{"kid": second, "compromised": int(T2.timestamp())}]


def test_jwks_is_readable_by_jwcrypto(store: KeyStore) -> None:
    from jwcrypto.jwk import JWKSet

    store.rotate(T1)
    parsed = JWKSet.from_json(json.dumps(store.jwks()))
    assert {k["kid"] for k in parsed["keys"]} == {k.kid for k in store.public_keys()}


# --- the PKI for PDF signing -----------------------------------------------------------------


def test_document_signer_chain(store: KeyStore) -> None:
    key, cert, chain = store.document_signer()
    (root,) = chain
    public = cert.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    assert key.public_key().public_numbers() == public.public_numbers()
    assert isinstance(key.curve, ec.SECP256R1)
    assert issued_by(cert, root) and issued_by(root, root)
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    ekus = set(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    assert {EKU_DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION} <= ekus
    assert cert.not_valid_before_utc <= T0 < cert.not_valid_after_utc <= root.not_valid_after_utc
    signature = key.sign(b"pdf bytes", ec.ECDSA(hashes.SHA256()))
    public.verify(signature, b"pdf bytes", ec.ECDSA(hashes.SHA256()))


def test_rotation_rolls_the_signing_certificate_under_the_same_root(store: KeyStore) -> None:
    _, before, (root_before,) = store.document_signer()
    store.rotate(T1)
    _, after, (root_after,) = store.document_signer()
    assert after.serial_number != before.serial_number
    assert root_after == root_before == store.root_certificate()
    assert issued_by(after, root_after)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_openssl_accepts_the_chain_for_signing(store: KeyStore, tmp_path: Path) -> None:
    _, cert, (root,) = store.document_signer()
    (tmp_path / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    at = str(int((T0 + timedelta(days=1)).timestamp()))
    run = subprocess.run(  # noqa: S603 - fixed arguments, local files
        [
            "openssl",
            "verify",
            "-attime",
            at,
            "-purpose",
            "smimesign",
            "-CAfile",
            tmp_path / "root.pem",
            tmp_path / "cert.pem",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
