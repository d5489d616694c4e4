"""Signed QR tokens: round trip, tampering, keys, rotation, an independent verifier, QR size."""

import base64
import json
import random
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import cbor2
import pytest
import qrcode
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st
from qrcode.constants import ERROR_CORRECT_Q

from certexam.crypto.cose import (
    P256_ORDER,
    CertificateClaims,
    ClaimsError,
    Reason,
    decode_base32,
    encode_base32,
    sign_token,
    verification_url,
    verify_token,
)
from certexam.crypto.jwks import KeyStatus, SigningKey, VerificationKey, keys_from_jwks, make_kid
from certexam.crypto.keystore import KeyStore
from certexam.domain.certno import format_number
from certexam.domain.verdict import CertificateRecord, CertStatus, VerdictCode, decide

BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LONG_EN = "Christopher Alexander Montgome"  # 30 characters
assert len(LONG_EN) == 30

CLAIMS = CertificateClaims.for_holder(
    number=format_number(2, 2026, 123),
    name_zh="欧阳明华",
    name_en=LONG_EN,
    issued_on=date(2026, 3, 15),
    direction="CLD",
    salt=bytes(range(8)),  # fixed: parametrised test ids are built from it, and xdist workers must agree
)


def new_signing_key() -> SigningKey:
    key = ec.generate_private_key(ec.SECP256R1())
    return SigningKey(make_kid(key.public_key()), key)


def public(key: SigningKey, status: KeyStatus = KeyStatus.ACTIVE) -> VerificationKey:
    return VerificationKey(key.kid, key.private_key.public_key(), status, T0)


@pytest.fixture(scope="module")
def signer() -> SigningKey:
    return new_signing_key()


@pytest.fixture(scope="module")
def token(signer: SigningKey) -> str:
    return sign_token(CLAIMS, signer)


def sign1(
    key: SigningKey, protected: dict[int, Any], payload: bytes, unprotected: Any = None, tag: int = 18
) -> str:
    """Build a COSE_Sign1 by hand (RFC 9052 s.4.4), independently of the module under test."""
    protected_bytes = cbor2.dumps(protected)
    to_sign = cbor2.dumps(["Signature1", protected_bytes, b"", payload])
    r, s = decode_dss_signature(key.private_key.sign(to_sign, ec.ECDSA(hashes.SHA256())))
    s = min(s, P256_ORDER - s)
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    body = [protected_bytes, {} if unprotected is None else unprotected, payload, signature]
    return encode_base32(cbor2.dumps(cbor2.CBORTag(tag, body)))


def test_round_trip(signer: SigningKey, token: str) -> None:
    result = verify_token(token, [public(signer)])
    assert result.reason is Reason.OK and result.valid
    assert result.kid == signer.kid
    assert result.claims == CLAIMS
    assert result.claims.level == 2
    assert set(token) <= set(BASE32)


def test_claims_survive_expiry_and_level_one() -> None:
    key = new_signing_key()
    claims = CertificateClaims.for_holder(
        format_number(1, 2025, 9), "李明", "Li Ming", date(2025, 9, 30), None, date(2030, 9, 30)
    )
    result = verify_token(sign_token(claims, key), [public(key)])
    assert result.claims == claims and result.claims.expires_on == date(2030, 9, 30)


@pytest.mark.parametrize(
    "changes",
    [
        {"direction": None},  # level 2 must name a direction
        {"number": format_number(1, 2026, 123), "direction": "AI"},  # level 1 must not
        {"direction": "QUANTUM"},
        {"number": "SHMFTPP-L2-2026-000123-3"},  # bad check character
        {"number": "shmftpp-l2-2026-000123-2"},  # not canonical
        {"name_zh": "", "name_en": "  "},
        {"expires_on": date(2026, 3, 14)},
    ],
)
def test_bad_claims_are_refused(changes: dict[str, Any]) -> None:
    fields = {**CLAIMS.__dict__, **changes}
    with pytest.raises(ClaimsError):
        CertificateClaims(**fields)


def test_every_changed_character_is_detected(signer: SigningKey, token: str) -> None:
    keys = [public(signer)]
    accepted = [
        (i, char)
        for i, original in enumerate(token)
        for char in BASE32
        if char != original and verify_token(token[:i] + char + token[i + 1 :], keys).valid
    ]
    assert accepted == []


def test_every_changed_byte_is_detected(signer: SigningKey, token: str) -> None:
    raw = decode_base32(token)
    keys = [public(signer)]
    for i in range(len(raw)):
        for mask in (0x01, 0x80, 0xFF):
            changed = raw[:i] + bytes([raw[i] ^ mask]) + raw[i + 1 :]
            assert not verify_token(encode_base32(changed), keys).valid, (i, mask)


def test_every_truncation_is_rejected(signer: SigningKey, token: str) -> None:
    keys = [public(signer)]
    assert all(not verify_token(token[:n], keys).valid for n in range(len(token)))
    raw = decode_base32(token)
    assert all(verify_token(encode_base32(raw[:n]), keys).reason is Reason.MALFORMED for n in range(len(raw)))


@pytest.mark.parametrize(
    "garbage",
    ["", "====", "A", "AAAAAAAA", "!!!", "https://example.org/v/ABC", "é" * 50, "A" * 5000, "\x00" * 10],
)
def test_garbage_is_rejected_cleanly(signer: SigningKey, garbage: str) -> None:
    assert verify_token(garbage, [public(signer)]).reason is Reason.MALFORMED


@pytest.mark.parametrize("not_text", [None, 123, b"BYTES", ["A"]])
def test_non_text_is_rejected_cleanly(signer: SigningKey, not_text: Any) -> None:
    assert verify_token(not_text, [public(signer)]).reason is Reason.MALFORMED


def test_variants_of_a_real_token_are_rejected(signer: SigningKey, token: str) -> None:
    keys = [public(signer)]
    for variant in (
        token.lower(),
        token + "A",
        token + "AA",
        token + "=" * (-len(token) % 8) + "=",
        " " + token,
    ):
        assert verify_token(variant, keys).reason is Reason.MALFORMED, variant


def test_high_s_twin_of_a_signature_is_rejected(signer: SigningKey, token: str) -> None:
    # ECDSA accepts (r, n - s) as well as (r, s); the verifier allows only the low-S form.
    message = cbor2.loads(decode_base32(token))
    sig = message.value[3]
    s = int.from_bytes(sig[32:], "big")
    message.value[3] = sig[:32] + (P256_ORDER - s).to_bytes(32, "big")
    assert verify_token(encode_base32(cbor2.dumps(message)), [public(signer)]).reason is Reason.BAD_SIGNATURE


@pytest.mark.parametrize(
    ("protected", "payload", "unprotected", "tag", "reason"),
    [
        ({1: -7, 4: b"KID"}, cbor2.dumps(CLAIMS.to_cbor()), None, 18, Reason.OK),
        ({1: -8, 4: b"KID"}, cbor2.dumps(CLAIMS.to_cbor()), None, 18, Reason.UNSUPPORTED_ALG),
        ({1: -7}, cbor2.dumps(CLAIMS.to_cbor()), None, 18, Reason.MALFORMED),  # no kid
        ({1: -7, 4: "KID"}, cbor2.dumps(CLAIMS.to_cbor()), None, 18, Reason.MALFORMED),  # kid not bytes
        ({1: -7, 4: b"KID", 3: 0}, cbor2.dumps(CLAIMS.to_cbor()), None, 18, Reason.MALFORMED),
        ({1: -7, 4: b"KID"}, cbor2.dumps(CLAIMS.to_cbor()), {4: b"KID"}, 18, Reason.MALFORMED),
        ({1: -7, 4: b"KID"}, cbor2.dumps(CLAIMS.to_cbor()), None, 98, Reason.MALFORMED),
        ({1: -7, 4: b"KID"}, cbor2.dumps({"number": CLAIMS.number}), None, 18, Reason.BAD_PAYLOAD),
        ({1: -7, 4: b"KID"}, b"\xff\xff", None, 18, Reason.BAD_PAYLOAD),
        ({1: -7, 4: b"KID"}, cbor2.dumps({**CLAIMS.to_cbor(), 5: True}), None, 18, Reason.BAD_PAYLOAD),
        ({1: -7, 4: b"KID"}, cbor2.dumps({**CLAIMS.to_cbor(), 99: 1}), None, 18, Reason.BAD_PAYLOAD),
        ({1: -7, 4: b"KID"}, cbor2.dumps({**CLAIMS.to_cbor(), 4: "XX"}), None, 18, Reason.BAD_PAYLOAD),
    ],
)
def test_hand_built_messages(
    protected: dict[int, Any], payload: bytes, unprotected: Any, tag: int, reason: Reason
) -> None:
    key = new_signing_key()
    key = SigningKey("KID", key.private_key)
    assert verify_token(sign1(key, protected, payload, unprotected, tag), [public(key)]).reason is reason


def test_unknown_kid_is_rejected(token: str) -> None:
    other = new_signing_key()
    result = verify_token(token, [public(other)])
    assert result.reason is Reason.UNKNOWN_KID
    assert not result.valid


def test_foreign_key_claiming_our_kid_fails_the_signature(signer: SigningKey) -> None:
    impostor = SigningKey(signer.kid, ec.generate_private_key(ec.SECP256R1()))
    assert verify_token(sign_token(CLAIMS, impostor), [public(signer)]).reason is Reason.BAD_SIGNATURE


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (KeyStatus.ACTIVE, Reason.OK),
        (KeyStatus.RETIRED, Reason.OK),
        (KeyStatus.COMPROMISED, Reason.KEY_COMPROMISED),
    ],
)
def test_key_status(signer: SigningKey, token: str, status: KeyStatus, reason: Reason) -> None:
    result = verify_token(token, {signer.kid: public(signer, status)})
    assert result.reason is reason
    assert result.kid == signer.kid


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=400), st.text(alphabet=BASE32, max_size=400)))
def test_fuzz_never_raises_never_valid(signer: SigningKey, text: str) -> None:
    assert not verify_token(text, [public(signer)]).valid


def test_random_cbor_blobs_are_rejected(signer: SigningKey) -> None:
    rng = random.Random(7)
    for _ in range(500):
        blob = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
        assert not verify_token(encode_base32(b"\xd2\x84" + blob), [public(signer)]).valid


# --- with the key store: rotation and compromise ----------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    keystore = KeyStore(tmp_path / "keys", b"test passphrase 0123")
    keystore.init(T0)
    return keystore


def test_after_rotation_old_tokens_verify_and_new_ones_use_the_new_kid(store: KeyStore) -> None:
    old_key = store.active_signing_key()
    old_token = sign_token(CLAIMS, old_key)
    new_kid = store.rotate(datetime(2027, 3, 1, tzinfo=UTC))
    new_key = store.active_signing_key()
    assert new_key.kid == new_kid != old_key.kid
    new_token = sign_token(CLAIMS, new_key)
    keys = store.public_keys()
    assert verify_token(old_token, keys).kid == old_key.kid
    assert verify_token(old_token, keys).valid
    assert verify_token(new_token, keys).kid == new_kid
    assert verify_token(new_token, keys).valid
    # Compromise of the old key: its tokens fail, the new key's still pass.
    store.mark_compromised(old_key.kid, datetime(2027, 4, 1, tzinfo=UTC))
    keys = store.public_keys()
    assert verify_token(old_token, keys).reason is Reason.KEY_COMPROMISED
    assert verify_token(new_token, keys).valid


def test_retired_key_keeps_verifying(store: KeyStore) -> None:
    key = store.active_signing_key()
    signed = sign_token(CLAIMS, key)
    store.retire(key.kid, datetime(2026, 12, 1, tzinfo=UTC))
    assert verify_token(signed, store.public_keys()).valid


def test_offline_verification_from_the_served_jwks(store: KeyStore) -> None:
    signed = sign_token(CLAIMS, store.active_signing_key())
    served = json.loads(json.dumps(store.jwks()))
    assert verify_token(signed, keys_from_jwks(served)).valid
    store.mark_compromised(store.active_signing_key().kid, datetime(2026, 4, 1, tzinfo=UTC))
    assert not verify_token(signed, keys_from_jwks(json.loads(json.dumps(store.jwks())))).valid


def test_signature_check_feeds_the_verdict(signer: SigningKey, token: str) -> None:
    check = verify_token(token, [public(signer)]).signature_check()
    revoked = CertificateRecord(
        CLAIMS.number, CertStatus.REVOKED, CLAIMS.issued_on, status_since=date(2026, 5, 1)
    )
    valid = CertificateRecord(CLAIMS.number, CertStatus.VALID, CLAIMS.issued_on)
    assert decide(check, revoked, date(2026, 6, 1)).code is VerdictCode.REVOKED
    assert decide(check, valid, date(2026, 6, 1)).code is VerdictCode.VALID
    compromised = verify_token(token, [public(signer, KeyStatus.COMPROMISED)]).signature_check()
    assert decide(compromised, valid, date(2026, 6, 1)).code is VerdictCode.KEY_COMPROMISED


# --- an independent verifier: pycose, with a key built from the served JWK set ----------------


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def pycose_verifies(token: str, jwks_json: str) -> bool:
    from pycose.headers import KID
    from pycose.keys.curves import P256
    from pycose.keys.ec2 import EC2Key
    from pycose.messages.sign1message import Sign1Message

    message = Sign1Message.decode(decode_base32(token))
    kid = message.phdr[KID].decode("ascii")
    matching = [jwk for jwk in json.loads(jwks_json)["keys"] if jwk["kid"] == kid]
    if not matching:
        return False
    (jwk,) = matching
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("EC", "P-256", "ES256", "sig")
    message.key = EC2Key(crv=P256, x=_b64url(jwk["x"]), y=_b64url(jwk["y"]))
    return bool(message.verify_signature())


def test_pycose_verifies_against_the_served_jwks(store: KeyStore) -> None:
    signed = sign_token(CLAIMS, store.active_signing_key())
    served = json.dumps(store.jwks())
    assert pycose_verifies(signed, served)
    assert cbor2.loads(cbor2.loads(decode_base32(signed)).value[2])[2] == CLAIMS.number  # CWT sub
    # Negative controls: a changed signature byte, and a compromised key (left out of the set).
    raw = bytearray(decode_base32(signed))
    raw[-1] ^= 0x01
    assert not pycose_verifies(encode_base32(bytes(raw)), served)
    store.mark_compromised(store.active_signing_key().kid, datetime(2026, 4, 1, tzinfo=UTC))
    assert not pycose_verifies(signed, json.dumps(store.jwks()))


# --- size: the URL must fit QR version 12 at error correction Q -------------------------------


@pytest.mark.parametrize("direction", ["AI", "BD", "CLD"])
@pytest.mark.parametrize("host", ["verify.shmftpp.org", "cert.example.org", "verify.shmftpp.org.cn"])
def test_long_name_url_fits_qr_version_12_at_q(signer: SigningKey, direction: str, host: str) -> None:
    claims = CertificateClaims.for_holder(
        format_number(2, 2026, 999999), "欧阳明华", LONG_EN * 7, date(2026, 12, 31), direction
    )
    url = verification_url(host, sign_token(claims, signer))
    qr = qrcode.QRCode(version=None, error_correction=ERROR_CORRECT_Q)
    qr.add_data(url)
    qr.make(fit=True)
    assert qr.version <= 12


# --- issue 20.2: a bounded, private token ------------------------------------------------------
PORTUGUESE_200 = ("Maria Fernanda dos Santos Oliveira Pereira da Costa Albuquerque Magalhães Vasconcelos "
                  "Sampaio Figueiredo Mascarenhas Bettencourt Cerqueira Quaresma Valadares Brandão Lencastre "
                  "de Sá Menezes")[:200]


@pytest.mark.parametrize("name_zh,name_en", [("李", "Li"), ("欧阳明华", LONG_EN), ("玛" * 50, PORTUGUESE_200)])
def test_token_size_does_not_depend_on_the_names_and_carries_none(signer: SigningKey, name_zh: str,
                                                                  name_en: str) -> None:
    claims = CertificateClaims.for_holder(format_number(2, 2026, 999999), name_zh, name_en, date(2026, 12, 31), "CLD")
    token = sign_token(claims, signer)
    assert len(token) == len(sign_token(CertificateClaims.for_holder(
        format_number(2, 2026, 1), "王", "Wang", date(2026, 1, 1), "CLD"), signer)) == 240
    raw = decode_base32(token)
    payload = cbor2.loads(cbor2.loads(raw).value[2])
    for part in (name_zh, name_en, *name_en.split(" ")):
        assert part.encode("utf-8") not in raw and part.casefold().encode("utf-8") not in raw
    assert payload[2] == claims.number and claims.level == 2
    # sub iat cti, then private text keys; iss, "v" and "l" repeat the number and are left out since issue 20.3
    assert set(payload) == {2, 6, 7, "d", "n"}
    checked = verify_token(token, [public(signer)]).claims
    assert checked is not None and checked.names_match(name_en.upper()) and checked.names_match(name_zh)
    assert not checked.names_match(name_en[:-1]) and not checked.names_match("Someone Else")


def test_every_token_has_its_own_salt(signer: SigningKey) -> None:
    """The same names under two tokens give unrelated commitments: no table of names serves for all."""
    one, two = (CertificateClaims.for_holder(CLAIMS.number, "欧阳明华", LONG_EN, CLAIMS.issued_on, "CLD")
                for _ in range(2))
    assert one.commitment and two.commitment and one.commitment.salt != two.commitment.salt
    assert one.commitment.digests != two.commitment.digests


def test_version_1_tokens_issued_before_still_verify(signer: SigningKey) -> None:
    from certexam.crypto.claims import v1_payload

    old = sign1(signer, {1: -7, 4: signer.kid.encode()},
                cbor2.dumps(v1_payload(CLAIMS.number, "欧阳明华", LONG_EN, CLAIMS.issued_on, "CLD")))
    result = verify_token(old, [public(signer)])
    assert result.valid and result.claims is not None and result.claims.version == 1
    assert (result.claims.name_zh, result.claims.name_en, result.claims.direction) == ("欧阳明华", LONG_EN, "CLD")
    assert result.claims.names_match(LONG_EN.lower()) and not result.claims.names_match("Li Ming")
    with pytest.raises(ClaimsError):  # read, never signed again
        sign_token(result.claims, signer)


@pytest.mark.parametrize("change", [{"l": 1}, {"v": 3}, {1: "OTHER"}, {6: 1773504001}, {5: 1773475200},
                                    {"n": b"short"}, {7: b"salt"}, {"d": None}, {"x": 1}])
def test_bad_version_2_payloads_are_refused(change: dict[Any, Any]) -> None:
    key = SigningKey("KID", new_signing_key().private_key)
    payload = {k: v for k, v in {**CLAIMS.to_cbor(), **change}.items() if v is not None}
    assert verify_token(sign1(key, {1: -7, 4: b"KID"}, cbor2.dumps(payload)), [public(key)]).reason \
        is Reason.BAD_PAYLOAD


def test_python_cwt_and_pycose_verify_against_the_served_jwks(store: KeyStore) -> None:
    """Issue 20.2: the payload's integer keys 1-5 collided with CWT claims, so python-cwt misread level-1
    tokens and refused level-2 ones ("exp should be int"). Now both libraries take the token as it is."""
    import cwt
    from cwt import COSEKey

    served = json.dumps(store.jwks())
    for claims in (CLAIMS, CertificateClaims.for_holder(format_number(1, 2026, 7), "李明", "Li Ming",
                                                        date(2026, 3, 15))):
        signed = sign_token(claims, store.active_signing_key())
        assert pycose_verifies(signed, served)
        keys = [COSEKey.from_jwk(jwk) for jwk in json.loads(served)["keys"]]
        decoded = cwt.decode(decode_base32(signed), keys=keys)
        issued = datetime.fromtimestamp(decoded[6], UTC).astimezone(ZoneInfo("Asia/Shanghai"))
        assert (decoded[2], issued.date(), issued.hour) == (claims.number, date(2026, 3, 15), 0)
        assert decoded.get("d") == claims.direction and 4 not in decoded
        raw = bytearray(decode_base32(signed))
        raw[-1] ^= 0x01
        with pytest.raises(cwt.VerifyError):
            cwt.decode(bytes(raw), keys=keys)
