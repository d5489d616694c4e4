"""The Open Badges 3.0 credential through the site (issue 20.7): the holder's downloads and page links.

joserfc verifies the downloaded JWT against the JWK set the site serves (fetched from
/.well-known/jwks.json with the same client), and the JSON is checked against the OB 3.0 rules
written out in tests/unit/test_ob3_credential.py (no package ships the schema itself).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from certexam.models import Certificate, User
from certexam.services.certificates import admin as cert_admin
from certexam.services.certificates import keys
from certexam.services.platform import clock
from tests.factories import sign_in
from tests.integration.test_certificates_service import issue, keyed_app, make_holder
from tests.unit.test_ob3_credential import VALIDATOR

EN = {"Accept-Language": "en"}
HOST = "verify.example.org"
TODAY = datetime.now(UTC).astimezone(clock.PROGRAMME_TZ).date()  # dated before its key, it would be backdated


class Site:
    def __init__(self, app: Flask, holder: User, cert: Certificate, level2: Certificate) -> None:
        self.app, self.holder, self.cert, self.level2 = app, holder, cert, level2

    def client(self, who: User | None = None) -> FlaskClient:
        client = self.app.test_client()
        if who is not None:
            sign_in(client, who.email)
        return client


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with pytest.MonkeyPatch.context() as patch:
        app = keyed_app(tmp_path_factory.mktemp("ob3"), patch, VERIFY_HOST=HOST)
        holder = make_holder(app, name_zh="李明", name_en="Li Ming")
        yield Site(app, holder, issue(app, holder, issued_on=TODAY),
                   issue(app, holder, level=2, direction="AI", issued_on=TODAY))
    app.extensions["certexam.engine"].dispose()


def _jwt(client: FlaskClient, number: str) -> Any:
    return client.get(f"/certificates/{number}/credential.jwt")


def test_the_jwt_verifies_against_the_served_key_set(site: Site) -> None:
    from joserfc import jws
    from joserfc.jwk import KeySet

    client = site.client(site.holder)
    resp = _jwt(client, site.level2.number)
    assert resp.status_code == 200 and resp.mimetype == "application/vc+jwt"
    assert resp.headers["Content-Disposition"] == f'attachment; filename="{site.level2.number}.jwt"'
    served = site.client().get("/.well-known/jwks.json").get_json()
    verified = jws.deserialize_compact(resp.get_data(as_text=True), KeySet.import_key_set(served), algorithms=["ES256"])
    header = verified.headers()
    assert (header["typ"], header["cty"]) == ("vc+jwt", "vc") and header["kid"] in {k["kid"] for k in served["keys"]}
    credential = json.loads(verified.payload)
    claims = {name: credential.pop(name) for name in ("iss", "jti", "nbf") if name in credential}
    assert claims == {"iss": credential["issuer"]["id"], "jti": credential["id"],
                      "nbf": int(datetime.fromisoformat(credential["validFrom"]).timestamp())}
    unsigned = client.get(f"/certificates/{site.level2.number}/credential.json")
    assert unsigned.mimetype == "application/vc" and unsigned.get_json(force=True) == credential
    assert [f"{e.instance_path}: {e.message}" for e in VALIDATOR.iter_errors(credential)] == []
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["specialization"] == "Artificial intelligence" and achievement["humanCode"] == "SHMFTPP-L2-AI"
    assert credential["credentialSubject"]["licenseNumber"] == site.level2.number
    assert credential["validFrom"] == f"{site.level2.issued_on.isoformat()}T00:00:00+08:00"


def test_an_independent_ob3_verifier_accepts_the_download(site: Site) -> None:
    from jwcrypto import jwk
    from openbadgeslib.ob3 import OB3Verifier

    token = _jwt(site.client(site.holder), site.cert.number).get_data(as_text=True)
    served = site.client().get("/.well-known/jwks.json").get_data(as_text=True)
    kid = json.loads(served)["keys"][0]["kid"]
    badge = OB3Verifier(jwk.JWKSet.from_json(served).get_key(kid).export_to_pem()).verify(token)
    assert badge.achievement.name == "SHMFTPP FinTech Professional, Level 1"
    assert badge.issuer.id == f"https://{HOST}/credentials/issuer.json"


def test_the_credential_names_no_one_and_links_to_its_pages(site: Site) -> None:
    client = site.client(site.holder)
    credential = client.get(f"/certificates/{site.cert.number}/credential.json").get_json(force=True)
    text = json.dumps(credential, ensure_ascii=False)
    assert "Li Ming" not in text and "李明" not in text and site.holder.email not in text
    (identity,) = credential["credentialSubject"]["identifier"]
    expected = hashlib.sha256((site.holder.email + identity["salt"]).encode()).hexdigest()
    assert identity["identityHash"] == f"sha256${expected}"
    again = client.get(f"/certificates/{site.cert.number}/credential.json").get_json(force=True)
    assert again["credentialSubject"]["identifier"] == [identity]  # one salt per certificate, not per download
    assert credential["id"] == f"https://{HOST}/v/{site.cert.token}"
    public = site.client()
    assert public.get(urlsplit(credential["id"]).path, headers=EN).status_code == 200
    issuer = public.get(urlsplit(credential["issuer"]["id"]).path)
    assert issuer.status_code == 200 and issuer.headers["Access-Control-Allow-Origin"] == "*"
    assert issuer.get_json() == credential["issuer"]
    achievement = public.get(urlsplit(credential["credentialSubject"]["achievement"]["id"]).path).get_json()
    assert achievement == credential["credentialSubject"]["achievement"]
    assert public.get("/credentials/achievements/L3.json").status_code == 404


def test_status_entries_carry_the_certificate_index(site: Site) -> None:
    index = site.cert.status_index
    assert index is not None
    credential = site.client(site.holder).get(f"/certificates/{site.cert.number}/credential.json").get_json(force=True)
    assert [(e["statusPurpose"], e["statusListIndex"]) for e in credential["credentialStatus"]] == [
        ("revocation", str(index)), ("suspension", str(index))]
    assert all(e["statusListCredential"].startswith(f"https://{HOST}/.well-known/") for e in credential["credentialStatus"])


def test_only_the_holder_gets_it(site: Site) -> None:
    other = make_holder(site.app, name_zh="王芳", name_en="Wang Fang")
    assert _jwt(site.client(other), site.cert.number).status_code == 404
    assert site.client(other).get(f"/certificates/{site.cert.number}/credential.json").status_code == 404
    assert _jwt(site.client(), site.cert.number).status_code in (302, 401)
    assert _jwt(site.client(site.holder), "SHMFTPP-L1-2026-999999-0").status_code == 404


def test_holder_page_links_to_the_download_and_to_linkedin(site: Site) -> None:
    page = site.client(site.holder).get("/certificates", headers=EN).get_data(as_text=True)
    assert f'href="/certificates/{site.cert.number}/credential.jwt"' in page
    links = [html.unescape(u) for u in re.findall(r'href="(https://www\.linkedin\.com/profile/add\?[^"]+)"', page)]
    by_id = {parse_qs(urlsplit(u).query)["certId"][0]: parse_qs(urlsplit(u).query) for u in links}
    assert set(by_id) == {site.cert.number, site.level2.number}
    fields = by_id[site.level2.number]
    issued: date = site.level2.issued_on
    assert fields["startTask"] == ["CERTIFICATION_NAME"]
    assert fields["name"] == ["SHMFTPP FinTech Professional, Level 2 (Artificial intelligence)"]
    assert fields["organizationName"] == ["SHMFTPP Certification Body"]
    assert (fields["issueYear"], fields["issueMonth"]) == ([str(issued.year)], [str(issued.month)])
    assert fields["certUrl"] == [f"https://{HOST}/v/{site.level2.token}"]
    if site.level2.expires_on is None:
        assert "expirationYear" not in fields


def test_a_revoked_certificate_has_no_credential(site: Site) -> None:
    holder = make_holder(site.app, name_zh="陈大文", name_en="Chan Tai Man")
    cert = issue(site.app, holder, issued_on=TODAY)
    client = site.client(holder)
    assert _jwt(client, cert.number).status_code == 200
    with site.app.app_context():
        cert_admin.change_status(None, cert.number, cert_admin.REVOKE, "test")
    assert _jwt(client, cert.number).status_code == 404
    page = client.get("/certificates", headers=EN).get_data(as_text=True)
    assert "credential.jwt" not in page and "linkedin.com" not in page


def test_no_credential_restates_a_token_under_a_compromised_key(tmp_path: Path) -> None:
    """The credential would be signed by the current key, so it must not outlive the token it restates."""
    with pytest.MonkeyPatch.context() as patch:
        app = keyed_app(tmp_path, patch, VERIFY_HOST=HOST)
        holder = make_holder(app, name_zh="黄小玲", name_en="Wong Siu Ling")
        cert = issue(app, holder, issued_on=TODAY)
        client = app.test_client()
        sign_in(client, holder.email)
        assert _jwt(client, cert.number).status_code == 200
        with app.app_context():
            keys.rotate_keys(None, datetime.now(UTC))
            keys.compromise_key(None, cert.key_id, datetime.now(UTC))
        resp = client.get(f"/certificates/{cert.number}/credential.jwt", headers=EN)
        assert resp.status_code == 409 and "until it is re-issued" in resp.get_data(as_text=True)
    app.extensions["certexam.engine"].dispose()


def test_an_independent_verifier_reads_its_status_from_the_lists(site: Site) -> None:
    """openbadgeslib follows credentialStatus to the served status lists: good standing, then revoked."""
    from jwcrypto import jwk
    from openbadgeslib.ob3 import OB3VerificationError, OB3Verifier
    from openbadgeslib.ob3.status import check_credential_status

    holder = make_holder(site.app, name_zh="何家明", name_en="Ho Ka Ming")
    cert = issue(site.app, holder, issued_on=TODAY)
    public = site.client()
    served = public.get("/.well-known/jwks.json").get_data(as_text=True)
    pem = jwk.JWKSet.from_json(served).get_key(json.loads(served)["keys"][0]["kid"]).export_to_pem()
    badge = OB3Verifier(pem).verify(_jwt(site.client(holder), cert.number).get_data(as_text=True))
    fetched: list[str] = []

    def download(url: str) -> bytes:
        fetched.append(url)
        resp = public.get(urlsplit(url).path)
        assert resp.status_code == 200, url
        return resp.get_data()

    check_credential_status(badge, download=download)  # in good standing: no error
    # and with the lists' own signatures checked, under the badge's key and bound to the badge's issuer
    OB3Verifier(pem).check_status(badge, verify_list=True, download=download)
    assert fetched[:2] == [f"https://{HOST}/.well-known/certexam/status/revocation",
                           f"https://{HOST}/.well-known/certexam/status/suspension"]
    with site.app.app_context():
        cert_admin.change_status(None, cert.number, cert_admin.REVOKE, "test")
    with pytest.raises(OB3VerificationError, match="status 'revocation' is set at index"):
        check_credential_status(badge, download=download)
