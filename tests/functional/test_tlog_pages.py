"""The transparency log's public pages (issue 20.5): the verify page's line, the checkpoint and its key,
the proof JSON (checked by the independent tools/verify_inclusion.py), consistency, the receipt."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from certexam.crypto.note import open_note
from certexam.domain import merkle
from certexam.domain import tlog as T
from certexam.models import Certificate
from certexam.services.platform import clock
from tests.conftest import csrf_from
from tests.functional.test_verify_pages import EN, HIGH_LIMITS, run, text_of, tool
from tests.integration.test_certificates_service import issue, keyed_app, make_holder

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "verify_inclusion.py"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, Certificate]]:
    with pytest.MonkeyPatch.context() as patch:
        app = keyed_app(tmp_path_factory.mktemp("tlog"), patch, **HIGH_LIMITS)
        with app.app_context():
            today = clock.today()
        cert = issue(app, make_holder(app, name_zh="李明", name_en="Li Ming"), issued_on=today)
        yield app, cert
    app.extensions["certexam.engine"].dispose()


def _vkey(app: Flask) -> tuple[str, bytes]:
    resp = app.test_client().get("/log/key")
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    name, _id, blob = resp.get_data(as_text=True).strip().split("+", 2)
    return name, base64.b64decode(blob)[1:]


def test_the_verify_page_says_which_entry_and_links_the_proof(site: tuple[Flask, Certificate]) -> None:
    app, cert = site
    text = text_of(app.test_client().get("/v/" + cert.token, headers=EN).get_data(as_text=True))
    assert "Valid certificate" in text
    assert "Recorded in the public log as entry 2 of 2." in text  # keys init is entry 1
    html = app.test_client().get("/v/" + cert.token, headers=EN).get_data(as_text=True)
    assert f'href="/log/proof/{cert.number}.json"' in html and 'href="/log/checkpoint"' in html


def test_checkpoint_is_signed_and_cacheable(site: tuple[Flask, Certificate]) -> None:
    app, _cert = site
    resp = app.test_client().get("/log/checkpoint")
    assert resp.status_code == 200 and resp.headers["Cache-Control"].startswith("public, max-age=")
    name, public = _vkey(app)
    body = T.parse_checkpoint(open_note(resp.get_data(as_text=True), name, public))
    assert body.origin == name and body.size >= 2


def test_proof_json_checks_with_the_independent_script(site: tuple[Flask, Certificate], tmp_path: Path) -> None:
    app, cert = site
    client = app.test_client()
    by_token = client.get(f"/v/{cert.token}/proof.json")
    by_number = client.get(f"/log/proof/{cert.number.lower()}.json")
    assert by_token.status_code == by_number.status_code == 200
    assert by_token.json == by_number.json
    (tmp_path / "p.json").write_bytes(by_token.data)
    vkey = client.get("/log/key").get_data(as_text=True).strip()
    done = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "p.json"), "--key", vkey],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "ALL OK" in done.stdout, done.stdout + done.stderr
    # the date printed on the certificate against its first log entry: in time, and a backdated claim
    for issued, ok in ((cert.issued_on, True), (cert.issued_on - timedelta(days=T.ISSUE_TOLERANCE.days + 1), False)):
        dated = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "p.json"), "--key", vkey,
                                "--issued-on", issued.isoformat()], capture_output=True, text=True, timeout=60)
        assert (dated.returncode == 0) is ok, dated.stdout + dated.stderr
    assert client.get("/log/proof/NOT-A-NUMBER.json").status_code == 404
    assert client.get("/v/AAAA/proof.json").status_code == 404


def test_consistency_json(site: tuple[Flask, Certificate]) -> None:
    app, _cert = site
    client = app.test_client()
    assert client.get("/log/consistency.json?old=x").status_code == 400
    assert client.get("/log/consistency.json?old=999999").status_code == 404
    doc = client.get("/log/consistency.json?old=1").json
    name, public = _vkey(app)
    new = T.parse_checkpoint(open_note(doc["checkpoint"], name, public))
    old = T.parse_checkpoint(open_note(doc["old_checkpoint"], name, public)) if doc["old_checkpoint"] else None
    path = [base64.b64decode(p) for p in doc["consistency_path"]]
    if old is not None:
        assert merkle.verify_consistency(old.size, new.size, path, old.root, new.root)
    assert len(path) >= 1


def test_receipt_carries_the_inclusion_proof(site: tuple[Flask, Certificate], tmp_path: Path) -> None:
    app, cert = site
    client = app.test_client()
    page = client.get("/v/" + cert.token).get_data(as_text=True)
    resp = client.post("/verify/receipt", data={"csrf_token": csrf_from(page), "token": cert.token})
    assert resp.status_code == 200
    (tmp_path / "r.pdf").write_bytes(resp.data)
    text = " ".join(run(tool("pdftotext"), tmp_path / "r.pdf", "-").stdout.split())
    doc = json.loads(client.get(f"/log/proof/{cert.number}.json").data)
    assert "Public log" in text and "Entry 2 of" in text
    assert doc["root_hash"] in text.replace(" ", "") or doc["root_hash"][:20] in text


def test_a_monitor_rebuilds_the_signed_root_from_the_entries(site: tuple[Flask, Certificate]) -> None:
    app, _cert = site
    client = app.test_client()
    name, public = _vkey(app)
    head = T.parse_checkpoint(open_note(client.get("/log/checkpoint").get_data(as_text=True), name, public))
    leaves = client.get("/log/entries.json?start=0").json["entries"]
    assert [e["leaf_index"] for e in leaves][:head.size] == list(range(head.size))
    rebuilt = merkle.root_of([merkle.leaf_hash(e["leaf"].encode()) for e in leaves[:head.size]])
    assert rebuilt == head.root
    assert client.get("/log/entries.json?start=-1").status_code == 400
    assert client.get(f"/log/entries.json?start={head.size + 5}").json["entries"] == []
