"""The status lists at their well-known URLs (issue 20.3): headers, the bits following revoke, suspend and
reinstate, and docs/verify.md's independent check (stdlib gzip + base64, joserfc) run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from certexam.crypto.status_list import CACHE_MAX_AGE, LIST_VALIDITY, read_list
from certexam.domain.status_bits import bit_is_set
from certexam.services.certificates import admin as cert_admin
from certexam.services.certificates import keys
from certexam.services.platform import clock
from tests.integration.test_certificates_service import issue, keyed_app, make_holder

DOCS = Path(__file__).resolve().parents[2] / "docs" / "verify.md"
URL = "/.well-known/certexam/status/"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with pytest.MonkeyPatch.context() as patch:
        made = keyed_app(tmp_path_factory.mktemp("status"), patch)
        yield made
    made.extensions["certexam.engine"].dispose()


def _bit(app: Flask, purpose: str, index: int | None) -> bool:
    assert index is not None
    resp = app.test_client().get(URL + purpose)
    assert resp.status_code == 200
    with app.app_context():
        found = read_list(resp.get_data(as_text=True), keys.verification_keys(), clock.now())
    assert found.purpose == purpose and found.url == f"https://verify.certexam.local{URL}{purpose}"
    return bit_is_set(found.bits, index)


def test_the_lists_are_public_cacheable_signed_jwts(app: Flask) -> None:
    client = app.test_client()
    for purpose in ("revocation", "suspension"):
        resp = client.get(URL + purpose)
        assert resp.status_code == 200 and resp.mimetype == "application/vc+jwt"
        assert resp.headers["Cache-Control"] == f"public, max-age={CACHE_MAX_AGE}"
        assert resp.headers["Access-Control-Allow-Origin"] == "*" and resp.headers.get("Set-Cookie") is None
        etag = resp.headers["ETag"]
        again = client.get(URL + purpose, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""  # the same list: nothing to send
        with app.app_context():
            found = read_list(resp.get_data(as_text=True), keys.verification_keys(), clock.now())
        assert found.expires_at - found.issued_at == LIST_VALIDITY
    assert client.get(URL + "refresh").status_code == 404
    assert client.get(URL + "..%2Fjwks.json").status_code == 404


def test_the_bits_follow_revoke_suspend_and_reinstate(app: Flask) -> None:
    cert, other = issue(app, make_holder(app)), issue(app, make_holder(app))
    assert not _bit(app, "revocation", cert.status_index) and not _bit(app, "suspension", cert.status_index)
    etag = app.test_client().get(URL + "suspension").headers["ETag"]
    with app.app_context():
        cert_admin.change_status(None, cert.number, cert_admin.SUSPEND, "test")
    assert _bit(app, "suspension", cert.status_index) and not _bit(app, "revocation", cert.status_index)
    assert app.test_client().get(URL + "suspension", headers={"If-None-Match": etag}).status_code == 200  # changed
    with app.app_context():
        cert_admin.change_status(None, cert.number, cert_admin.REINSTATE, "test")
    assert not _bit(app, "suspension", cert.status_index)
    with app.app_context():
        cert_admin.change_status(None, cert.number, cert_admin.REVOKE, "test")
    assert _bit(app, "revocation", cert.status_index) and not _bit(app, "suspension", cert.status_index)
    assert not _bit(app, "revocation", other.status_index)


def _snippet(name: str) -> str:
    """The python block of docs/verify.md that starts with `# <name>`."""
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text("utf-8"), re.S)
    found = [b for b in blocks if b.startswith(f"# {name}")]
    assert len(found) == 1, f"docs/verify.md has no single {name} block"
    return found[0]


def test_the_documented_independent_check_reads_the_served_lists(app: Flask, tmp_path: Path) -> None:
    revoked, suspended, good = (issue(app, make_holder(app)) for _ in range(3))
    with app.app_context():
        cert_admin.change_status(None, revoked.number, cert_admin.REVOKE, "test")
        cert_admin.change_status(None, suspended.number, cert_admin.SUSPEND, "test")
    client = app.test_client()
    (tmp_path / "jwks.json").write_bytes(client.get("/.well-known/jwks.json").data)
    for purpose in ("revocation", "suspension"):
        (tmp_path / f"{purpose}.jwt").write_bytes(client.get(URL + purpose).data)
    script = tmp_path / "check_status.py"
    script.write_text(_snippet("check_status.py"), "utf-8")

    def run(index: int | None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(script), "jwks.json", str(index), "revocation.jwt",
                               "suspension.jwt"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)

    ok, rev, sus = run(good.status_index), run(revoked.status_index), run(suspended.status_index)
    assert ok.returncode == 0 and "in good standing" in ok.stdout, ok.stderr
    assert rev.returncode == 1 and "REVOKED" in rev.stderr
    assert sus.returncode == 1 and "SUSPENDED" in sus.stderr
    text = (tmp_path / "revocation.jwt").read_text("ascii")
    (tmp_path / "revocation.jwt").write_text(text[:-3] + ("AAA" if text[-3:] != "AAA" else "BBB"), "ascii")
    forged = run(good.status_index)
    assert forged.returncode != 0 and "in good standing" not in forged.stdout
