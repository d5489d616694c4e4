"""Signed status lists and backdating (issue 20.3, 20.4): the token's "s" claim, the signed list read back
by certexam and by joserfc, and `certexam certs verify` offline with fresh, stale and missing lists."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cbor2
import pytest
import qrcode
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from qrcode.constants import ERROR_CORRECT_Q

from certexam import db
from certexam.cli.certs import (
    EXIT_INVALID,
    EXIT_REVOKED,
    EXIT_STATUS_UNKNOWN,
    EXIT_SUSPENDED,
    certs_verify_command,
)
from certexam.crypto.cose import CertificateClaims, decode_base32, sign_token, verification_url, verify_token
from certexam.crypto.jwks import KeyStatus, SigningKey, VerificationKey, build_jwks, make_kid
from certexam.crypto.status_list import (
    LIST_VALIDITY,
    REVOCATION,
    SUSPENSION,
    list_credential,
    read_list,
    sign_list,
)
from certexam.domain.backdating import BACKDATING_TOLERANCE
from certexam.domain.certno import format_number
from certexam.domain.status_bits import LIST_BITS, StatusListError, bit_is_set, bitstring
from certexam.domain.verdict import VerdictCode
from certexam.models import Certificate
from certexam.services.certificates import admin as cert_admin
from certexam.services.certificates import keys
from certexam.services.certificates import verify as cert_verify
from tests.integration.test_certificates_service import issue, keyed_app, make_holder

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
SITE = "https://verify.certexam.local"


def _key(created: datetime = T0, status: KeyStatus = KeyStatus.ACTIVE) -> tuple[SigningKey, VerificationKey]:
    private = ec.generate_private_key(ec.SECP256R1())
    kid = make_kid(private.public_key())
    return SigningKey(kid, private), VerificationKey(kid, private.public_key(), status, created)


def _signed(purpose: str, indices: list[int], key: SigningKey, at: datetime = T0) -> str:
    url = f"{SITE}/.well-known/certexam/status/{purpose}"
    return sign_list(list_credential(url, SITE, purpose, bitstring(indices), at), key)


# -- the token's claims ------------------------------------------------------------------------------
def test_status_index_and_resigning_date_ride_in_the_token() -> None:
    signer, public = _key()
    claims = CertificateClaims.for_holder(format_number(2, 2026, 5), "李明", "Li Ming", date(2026, 7, 15), "AI",
                                          status_index=LIST_BITS - 1, resigned_on=date(2026, 12, 7))
    token = sign_token(claims, signer)
    payload = cbor2.loads(cbor2.loads(decode_base32(token)).value[2])
    assert payload["s"] == LIST_BITS - 1 and payload["r"] == 145  # days from 2026-07-15 to 2026-12-07
    assert set(payload) == {2, 6, 7, "d", "n", "s", "r"}  # iss, "v" and "l" repeat the number: left out
    checked = verify_token(token, [public]).claims
    assert checked is not None and checked.status_index == LIST_BITS - 1
    assert checked.resigned_on == date(2026, 12, 7) and checked.signed_on == date(2026, 12, 7)


@pytest.mark.parametrize("host", ["verify.certexam.local", "verify.shmftpp.org.cn"])
def test_a_resigned_level_2_token_with_the_largest_index_still_fits_qr_version_12(host: str) -> None:
    signer, _ = _key()
    claims = CertificateClaims.for_holder(format_number(2, 2026, 999999), "玛" * 50, "Maria " * 33, date(2026, 1, 1),
                                          "CLD", status_index=LIST_BITS - 1, resigned_on=date(2036, 1, 1))
    qr = qrcode.QRCode(version=None, error_correction=ERROR_CORRECT_Q)
    qr.add_data(verification_url(host, sign_token(claims, signer)))
    qr.make(fit=True)
    assert qr.version <= 12


def test_python_cwt_reads_the_status_index() -> None:
    import cwt
    from cwt import COSEKey

    signer, public = _key()
    claims = CertificateClaims.for_holder(format_number(1, 2026, 7), "李明", "Li Ming", date(2026, 12, 7),
                                          status_index=70_001)
    served = build_jwks([public])
    decoded = cwt.decode(decode_base32(sign_token(claims, signer)), keys=[COSEKey.from_jwk(served["keys"][0])])
    assert decoded["s"] == 70_001


@pytest.mark.parametrize("bad", [{"s": -1}, {"s": "12"}, {"s": True}, {"s": 2**40}, {"r": -1},
                                 {"r": "1"}, {"l": 2}, {"v": 3}, {1: "OTHER"}])
def test_bad_status_claims_are_refused(bad: dict[str, object]) -> None:
    from certexam.crypto.claims import ClaimsError

    good = CertificateClaims.for_holder(format_number(1, 2026, 7), "李明", "Li Ming", date(2026, 12, 7)).to_cbor()
    with pytest.raises(ClaimsError):
        CertificateClaims.from_cbor({**good, **bad})


# -- the signed list -------------------------------------------------------------------------------------
def test_a_signed_list_reads_back_and_joserfc_verifies_it_against_the_jwks() -> None:
    from joserfc import jwt
    from joserfc.jwk import KeySet

    signer, public = _key()
    jws = _signed(REVOCATION, [9, 70_000], signer)
    found = read_list(jws, [public], T0)
    assert found.purpose == REVOCATION and found.expires_at == T0 + LIST_VALIDITY and found.kid == signer.kid
    assert bit_is_set(found.bits, 70_000) and not bit_is_set(found.bits, 70_001)
    token = jwt.decode(jws, KeySet.import_key_set(build_jwks([public])), algorithms=["ES256"])
    assert token.header == {"alg": "ES256", "kid": signer.kid, "typ": "vc+jwt", "cty": "vc"}
    assert token.claims["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert token.claims["credentialSubject"]["statusPurpose"] == REVOCATION
    assert token.claims["exp"] - token.claims["iat"] == LIST_VALIDITY.total_seconds()


def test_a_list_not_signed_by_a_published_key_is_refused() -> None:
    signer, public = _key()
    other, _ = _key()
    jws = _signed(SUSPENSION, [1], signer)
    head, body, sig = jws.split(".")
    forged = _signed(SUSPENSION, [], other)
    compromised = VerificationKey(public.kid, public.public_key, KeyStatus.COMPROMISED, T0)
    for text, known in ((forged, [public]), (f"{head}.{forged.split('.')[1]}.{sig}", [public]), (jws, [compromised]),
                        ("not.a.jws", [public]), (jws, [])):
        with pytest.raises(StatusListError):
            read_list(text, known, T0)
    with pytest.raises(StatusListError):  # dated a day ahead of the verifier's clock
        read_list(_signed(REVOCATION, [], signer, T0 + timedelta(days=1)), [public], T0)


# -- the whole path: issue, change status, verify offline --------------------------------------------------
@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    app = keyed_app(tmp_path, monkeypatch)
    yield app
    app.extensions["certexam.engine"].dispose()


def _published(app: Flask, folder: Path) -> tuple[Path, list[Path]]:
    client = app.test_client()
    jwks = folder / "jwks.json"
    jwks.write_bytes(client.get("/.well-known/jwks.json").data)
    lists = []
    for purpose in (REVOCATION, SUSPENSION):
        path = folder / f"{purpose}.jwt"
        path.write_bytes(client.get(f"/.well-known/certexam/status/{purpose}").data)
        lists.append(path)
    return jwks, lists


def _verify(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(certs_verify_command, list(args))
    return result.exit_code, result.output


def test_offline_verify_reads_the_fresh_lists(site: Flask, tmp_path: Path) -> None:
    revoked, suspended, good = (issue(site, make_holder(site)) for _ in range(3))
    assert len({revoked.status_index, suspended.status_index, good.status_index}) == 3
    with site.app_context():
        cert_admin.change_status(None, revoked.number, cert_admin.REVOKE, "test")
        cert_admin.change_status(None, suspended.number, cert_admin.SUSPEND, "test")
    jwks, lists = _published(site, tmp_path)
    files = [a for path in lists for a in ("--status-file", str(path))]
    code, out = _verify(site, revoked.token, "--jwks", str(jwks), *files)
    assert code == EXIT_REVOKED and "verdict:     REVOKED (signed status list)" in out, out
    code, out = _verify(site, suspended.token, "--jwks", str(jwks), *files)
    assert code == EXIT_SUSPENDED and "SUSPENDED" in out, out
    code, out = _verify(site, good.token, "--jwks", str(jwks), *files)
    assert code == 0 and "verdict:     VALID" in out and "(fresh;" in out, out
    code, out = _verify(site, good.token, "--jwks", str(jwks))  # no list at all
    assert code == EXIT_STATUS_UNKNOWN and "signature valid, status unknown (no status list given" in out, out
    code, out = _verify(site, good.token, "--jwks", str(jwks), "--status-file", str(lists[0]))
    assert code == EXIT_STATUS_UNKNOWN and "(no suspension list)" in out, out
    # The register path (no --jwks) gives the same exit statuses.
    assert _verify(site, revoked.token)[0] == EXIT_REVOKED and _verify(site, suspended.token)[0] == EXIT_SUSPENDED


def test_a_stale_list_leaves_the_status_unknown(site: Flask, tmp_path: Path) -> None:
    good, revoked = issue(site, make_holder(site)), issue(site, make_holder(site))
    with site.app_context():
        key = keys.signing_store().active_signing_key()
        cert_admin.change_status(None, revoked.number, cert_admin.REVOKE, "test")
    jwks, _ = _published(site, tmp_path)
    old = datetime.now(UTC) - LIST_VALIDITY - timedelta(hours=1)
    stale = []
    for purpose, indices in ((REVOCATION, [revoked.status_index or 0]), (SUSPENSION, [])):
        path = tmp_path / f"old-{purpose}.jwt"
        path.write_text(_signed(purpose, indices, key, old), "ascii")
        stale += ["--status-file", str(path)]
    code, out = _verify(site, good.token, "--jwks", str(jwks), *stale)
    assert code == EXIT_STATUS_UNKNOWN, out
    assert "signature valid, status unknown (list older than 24 hours" in out and "EXPIRED" in out
    code, out = _verify(site, revoked.token, "--jwks", str(jwks), *stale)  # revocation is final
    assert code == EXIT_REVOKED, out


def test_fetch_status_from_the_host_in_the_qr_url(site: Flask, tmp_path: Path) -> None:
    good = issue(site, make_holder(site))
    served = tmp_path / "served"
    served.mkdir()
    jwks, lists = _published(site, served)
    status_dir = served / ".well-known" / "certexam" / "status"
    status_dir.mkdir(parents=True)
    for path in lists:
        path.rename(status_dir / path.stem)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"HTTP://127.0.0.1:{server.server_address[1]}/V/{good.token}"
        code, out = _verify(site, url, "--jwks", str(jwks), "--fetch-status")
        assert code == 0 and "verdict:     VALID" in out, out
        code, out = _verify(site, good.token, "--jwks", str(jwks), "--fetch-status")  # a bare token: no host
        assert code == EXIT_STATUS_UNKNOWN and "give --status-url" in out, out
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# -- backdating -----------------------------------------------------------------------------------------
def test_a_backdated_certificate_is_rejected_everywhere(site: Flask, tmp_path: Path) -> None:
    """Issue 20.4: a certificate dated 2022 signed by a key created in 2026. Made here as someone holding the
    key could: a register row dated 2022 and a token for it signed with the active key."""
    issued = issue(site, make_holder(site))
    backdated_on, number = date(2022, 5, 3), format_number(1, 2022, 1)
    with site.app_context():
        key = keys.signing_store().active_signing_key()
        created = next(k.created_at for k in keys.verification_keys() if k.kid == key.kid)
        assert created.date() - backdated_on > BACKDATING_TOLERANCE
        sess = db.session()
        row = sess.get(Certificate, issued.id)
        assert row is not None
        claims = CertificateClaims.for_holder(number, row.holder_name_zh, row.holder_name_en, backdated_on,
                                              status_index=row.status_index)
        row.number, row.year, row.issued_on, row.token = number, 2022, backdated_on, sign_token(claims, key)
        sess.commit()
        cert = sess.get(Certificate, issued.id)
        assert cert is not None
        sess.expunge(cert)
        outcome = cert_verify.check_token(cert.token)
    assert outcome.code is VerdictCode.BACKDATED and not outcome.valid and outcome.masked_zh == ""
    jwks, lists = _published(site, tmp_path)
    files = [a for path in lists for a in ("--status-file", str(path))]
    code, out = _verify(site, cert.token, "--jwks", str(jwks), *files)
    assert code == EXIT_INVALID and "BACKDATED (issue date precedes the signing key)" in out, out
    assert _verify(site, cert.token)[0] == EXIT_INVALID
    page = site.test_client().get("/V/" + cert.token, headers={"Accept-Language": "en"})
    assert "issue date precedes the signing key" in page.get_data(as_text=True)


def test_every_issued_certificate_has_a_distinct_index(site: Flask) -> None:
    certs = [issue(site, make_holder(site)) for _ in range(4)]
    with site.app_context():
        for cert in certs:
            claims = verify_token(cert.token, keys.verification_keys()).claims
            assert claims is not None and claims.status_index == cert.status_index is not None
    assert len({c.status_index for c in certs}) == 4
    assert Certificate.__table__.c.status_index.unique


def test_jwks_and_lists_are_plain_json_and_jwt(site: Flask) -> None:
    client = site.test_client()
    assert json.loads(client.get("/.well-known/jwks.json").data)["keys"]
    assert client.get("/.well-known/certexam/status/revocation").data.count(b".") == 2


def test_tokens_with_the_claims_left_out_since_still_verify() -> None:
    """Before issue 20.3 a version-2 token also carried iss, "v" and "l"; it still reads, and they are checked."""
    from tests.integration.test_tokens import sign1

    signer, public = _key()
    claims = CertificateClaims.for_holder(format_number(2, 2026, 5), "李明", "Li Ming", date(2026, 7, 15), "AI")
    before = {**claims.to_cbor(), 1: "SHMFTPP", "v": 2, "l": 2}
    checked = verify_token(sign1(signer, {1: -7, 4: signer.kid.encode()}, cbor2.dumps(before)), [public])
    assert checked.valid and checked.claims is not None and checked.claims.status_index is None
    assert checked.claims.names_match("Li Ming") and checked.claims.direction == "AI"
