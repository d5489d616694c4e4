"""`certexam keys ...` and `certexam certs ...` through Click's runner (and once as a real process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from certexam import db
from certexam.cli.certs import (
    EXIT_INVALID,
    EXIT_REVOKED,
    EXIT_UNUSABLE,
    certs_issue_command,
    certs_list_command,
    certs_pdf_command,
    certs_verify_command,
    keys_compromise_command,
    keys_init_command,
    keys_list_command,
    keys_retire_command,
    keys_rotate_command,
)
from certexam.crypto.cose import decode_base32, encode_base32
from certexam.crypto.keystore import PASSPHRASE_ENV
from certexam.models import AuditEntry, Certificate
from certexam.services.certificates import admin as cert_admin
from certexam.services.certificates import keys
from tests.conftest import make_app
from tests.integration.test_certificates_service import (
    PASSPHRASE,
    issue,
    keyed_app,
    make_holder,
    make_sitting,
    record_pass,
)


def invoke(app: Flask, command: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(command, list(args))


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    app = make_app(tmp_path)
    yield app
    app.extensions["certexam.engine"].dispose()


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, list[Certificate]]]:
    """A sitting whose two passing candidates got their certificates through `certs issue`."""
    with pytest.MonkeyPatch.context() as patch:
        app = keyed_app(tmp_path_factory.mktemp("cli"), patch)
        sitting = make_sitting(app, level=1)
        holders = [make_holder(app, name_zh="李明", name_en="Li Ming"), make_holder(app, name_zh="王芳", name_en="Wang Fang")]
        for holder in holders:
            record_pass(app, holder.id, sitting)
        result = invoke(app, certs_issue_command, "--sitting", str(sitting))
        assert result.exit_code == 0, result.output
        assert "2 certificate(s) for sitting" in result.output
        again = invoke(app, certs_issue_command, "--sitting", str(sitting))
        assert again.exit_code == 0 and "2 certificate(s)" in again.output
        with app.app_context():
            certs = list(db.session().scalars(select(Certificate).order_by(Certificate.serial)))
        yield app, certs
    app.extensions["certexam.engine"].dispose()


def test_keys_init_rotate_retire_compromise_and_list(fresh: Flask) -> None:
    first = invoke(fresh, keys_init_command)
    assert first.exit_code == 0, first.output
    assert "encrypted with the passphrase from CERTEXAM_KEY_PASSPHRASE" in first.output
    assert invoke(fresh, keys_init_command).exit_code != 0  # never clobbers keys
    with fresh.app_context():
        old = keys.signing_store().active_signing_key().kid
    assert invoke(fresh, keys_rotate_command).exit_code == 0
    with fresh.app_context():
        new = keys.signing_store().active_signing_key().kid
    listing = invoke(fresh, keys_list_command).output
    assert f"{old}  retired" in listing and f"{new}  active" in listing
    assert invoke(fresh, keys_retire_command, "nope").exit_code != 0
    assert invoke(fresh, keys_compromise_command, old).exit_code != 0  # asks first; no answer, no change
    done = invoke(fresh, keys_compromise_command, old, "--yes")
    assert done.exit_code == 0 and "compromised; 0 certificate(s)" in done.output
    assert f"{old}  compromised" in invoke(fresh, keys_list_command).output
    with fresh.app_context():
        actions = db.session().scalars(select(AuditEntry.action).where(AuditEntry.object_type == "signing_key"))
        assert list(actions) == ["keys.init", "keys.rotate", "keys.compromise"]


def test_key_commands_need_the_right_passphrase(fresh: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    assert invoke(fresh, keys_init_command).exit_code == 0
    monkeypatch.setenv(PASSPHRASE_ENV, "a different passphrase")
    for command, args in ((keys_rotate_command, ()), (keys_retire_command, ("x",))):
        result = invoke(fresh, command, *args)
        assert result.exit_code != 0 and "cannot decrypt" in result.output


def test_keys_init_without_the_variable_uses_a_development_file(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    app = make_app(tmp_path)
    result = app.test_cli_runner().invoke(keys_init_command)
    assert result.exit_code == 0 and "production must set CERTEXAM_KEY_PASSPHRASE" in result.output
    assert (Path(app.instance_path) / keys.PASSPHRASE_FILE).is_file()
    app.extensions["certexam.engine"].dispose()


def test_issue_reports_candidates_it_cannot_issue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = keyed_app(tmp_path, monkeypatch)
    sitting = make_sitting(app, level=2)
    record_pass(app, make_holder(app).id, sitting, level=2, direction=None)
    result = invoke(app, certs_issue_command, "--sitting", str(sitting), "--no-pdf")
    assert result.exit_code == EXIT_INVALID and "0 certificate(s)" in result.output
    assert "not issued: user" in result.output
    assert invoke(app, certs_issue_command, "--sitting", "999").exit_code != 0
    app.extensions["certexam.engine"].dispose()


def test_list_and_pdf(issued: tuple[Flask, list[Certificate]], tmp_path: Path) -> None:
    app, certs = issued
    lines = invoke(app, certs_list_command).output.splitlines()
    assert lines == [f"{certs[0].number}  valid      李明 / Li Ming", f"{certs[1].number}  valid      王芳 / Wang Fang"]
    assert invoke(app, certs_list_command, "--status", "revoked").output == ""
    out = tmp_path / "c.pdf"
    result = invoke(app, certs_pdf_command, certs[0].number.lower(), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == (Path(app.instance_path) / (certs[0].pdf_path or "")).read_bytes()
    assert invoke(app, certs_pdf_command, "SHMFTPP-L1-2026-000099-0", "-o", str(out)).exit_code != 0


def test_verify_token_exit_status(issued: tuple[Flask, list[Certificate]]) -> None:
    app, certs = issued
    token = certs[0].token
    valid = invoke(app, certs_verify_command, token)
    assert valid.exit_code == 0 and "verdict:     VALID" in valid.output and "register:    valid" in valid.output
    url = f"HTTPS://{app.config['VERIFY_HOST'].upper()}/V/{token}"
    assert invoke(app, certs_verify_command, url).exit_code == 0  # what zbarimg prints
    raw = bytearray(decode_base32(token))
    raw[30] ^= 0x01
    tampered = invoke(app, certs_verify_command, encode_base32(bytes(raw)))
    assert tampered.exit_code == EXIT_INVALID and "REJECTED" in tampered.output
    assert invoke(app, certs_verify_command).exit_code != 0  # nothing to check


def test_verify_pdf_exit_status(issued: tuple[Flask, list[Certificate]], tmp_path: Path) -> None:
    app, certs = issued
    pdf = Path(app.instance_path) / (certs[1].pdf_path or "")
    good = invoke(app, certs_verify_command, "--pdf", str(pdf))
    assert good.exit_code == 0, good.output
    assert "signature valid, whole file, trusted" in good.output and "verdict:     VALID" in good.output
    data = pdf.read_bytes()
    middle = len(data) // 3
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(data[:middle] + bytes([data[middle] ^ 0x20]) + data[middle + 1:])
    changed = invoke(app, certs_verify_command, "--pdf", str(bad))
    assert changed.exit_code == EXIT_INVALID and "signature NOT valid" in changed.output


def status_files(app: Flask, folder: Path) -> list[str]:
    """The published status lists saved to files, as --status-file arguments (issue 20.3)."""
    args = []
    for purpose in ("revocation", "suspension"):
        path = folder / f"{purpose}.jwt"
        path.write_bytes(app.test_client().get(f"/.well-known/certexam/status/{purpose}").data)
        args += ["--status-file", str(path)]
    return args


def test_offline_with_the_published_jwks_and_root(issued: tuple[Flask, list[Certificate]], tmp_path: Path) -> None:
    app, certs = issued
    client = app.test_client()
    jwks = tmp_path / "jwks.json"
    jwks.write_bytes(client.get("/.well-known/jwks.json").data)
    root = tmp_path / "root.pem"
    root.write_bytes(client.get("/.well-known/certexam-root.pem").data)
    lists = status_files(app, tmp_path)
    pdf = Path(app.instance_path) / (certs[0].pdf_path or "")
    offline = invoke(app, certs_verify_command, "--pdf", str(pdf), "--jwks", str(jwks), "--root", str(root), *lists)
    assert offline.exit_code == 0, offline.output
    assert "not consulted" in offline.output
    # A third party with only the published files and the console script: no database at all.
    env = {**os.environ, "CERTEXAM_INSTANCE_PATH": str(tmp_path / "empty-instance"), "LANG": "C.UTF-8"}
    env.pop(PASSPHRASE_ENV, None)
    proc = subprocess.run([str(Path(sys.executable).parent / "certexam"), "certs", "verify", certs[1].token,
                           "--jwks", str(jwks), *lists], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "verdict:     VALID" in proc.stdout and not (tmp_path / "empty-instance" / "keys").exists()


def test_revoked_and_compromised_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = keyed_app(tmp_path, monkeypatch)
    revoked, kept = issue(app, make_holder(app)), issue(app, make_holder(app))
    with app.app_context():
        cert_admin.change_status(None, revoked.number, cert_admin.REVOKE, "test")
    result = invoke(app, certs_verify_command, revoked.token)
    assert result.exit_code == EXIT_REVOKED and "REVOKED since" in result.output
    jwks = tmp_path / "jwks.json"
    assert invoke(app, keys_compromise_command, kept.key_id, "--yes").exit_code == 0
    jwks.write_text(json.dumps(app.test_client().get("/.well-known/jwks.json").get_json()), "utf-8")
    for args in ((kept.token,), (kept.token, "--jwks", str(jwks))):
        result = invoke(app, certs_verify_command, *args)
        assert result.exit_code == EXIT_INVALID and "key_compromised" in result.output, args
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Certificate)) == 2
    app.extensions["certexam.engine"].dispose()


def test_verify_without_keys_cannot_check(fresh: Flask) -> None:
    result = invoke(fresh, certs_verify_command, "ABCDEF")
    assert result.exit_code == EXIT_UNUSABLE and "keys init" in result.output


@pytest.mark.parametrize("kid", ["-DDN4x", "-y", "--no-such"])
def test_a_key_id_that_begins_with_a_dash_is_taken_as_the_key_id(fresh: Flask, kid: str) -> None:
    """Key ids are base64url thumbprints: one in 64 begins with "-" and must still be accepted."""
    assert invoke(fresh, keys_init_command).exit_code == 0
    for args in ((keys_compromise_command, kid, "--yes"), (keys_retire_command, kid)):
        result = invoke(fresh, *args)
        assert "No such option" not in result.output and kid in result.output, result.output  # "no key <kid>"
        assert result.exit_code == 1


def test_offline_name_check_against_the_commitment(issued: tuple[Flask, list[Certificate]], tmp_path: Path) -> None:
    """Issue 20.2: the token carries no names; `--name` checks the name a verifier types, or reads on the
    printed certificate, against its salted commitment, with the published key set alone."""
    app, certs = issued
    jwks = tmp_path / "jwks.json"
    jwks.write_bytes(app.test_client().get("/.well-known/jwks.json").data)
    token = certs[0].token  # Li Ming, 李明
    lists = status_files(app, tmp_path)
    plain = invoke(app, certs_verify_command, token, "--jwks", str(jwks), *lists)
    assert plain.exit_code == 0 and "not in the token" in plain.output and "Li Ming" not in plain.output
    for names in (["ming li"], ["李明"], ["李明", "LI MING"]):
        args = [a for name in names for a in ("--name", name)]
        ok = invoke(app, certs_verify_command, token, "--jwks", str(jwks), *lists, *args)
        assert ok.exit_code == 0 and ok.output.count("matches the certificate") == len(names), ok.output
    wrong = invoke(app, certs_verify_command, token, "--jwks", str(jwks), "--name", "Wang Fang")
    assert wrong.exit_code == EXIT_INVALID and "does NOT match" in wrong.output and "NAME MISMATCH" in wrong.output
    pdf = Path(app.instance_path) / (certs[0].pdf_path or "")
    printed = invoke(app, certs_verify_command, "--pdf", str(pdf), "--name", "李明", "--name", "Li Ming")
    assert printed.exit_code == 0, printed.output
