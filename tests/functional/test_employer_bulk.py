"""Bulk verification of a staff list through the test client (issue 23): each line's public result,
the reports (CSV with formula cells neutralised, PDF checked by pdfsig), odd files refused with nothing
recorded, and who may see what: employers only, each organisation its own history, and never more than
the public verification shows."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from certexam import db
from certexam.domain.certno import format_number
from certexam.models import BulkVerification, BulkVerificationLine, Certificate, Role, User
from certexam.services.certificates import admin as cert_admin
from certexam.services.platform import clock
from tests.conftest import csrf_from
from tests.factories import prc_id, sign_in, staff
from tests.integration.test_bonus_services import fast_passwords, fresh_app, sqlite_template  # noqa: F401
from tests.integration.test_certificates_service import issue, keyed_app, make_holder

LIMITS = {"EMPLOYER_BULK_RATE_LIMIT": "1000/minute", "EMPLOYER_REPORT_RATE_LIMIT": "1000/minute"}
EN = {"Accept-Language": "en"}
UNKNOWN_NUMBER = format_number(1, 2026, 999_999)
ID_NUMBER = prc_id(4242)


@dataclass
class Site:
    app: Flask
    valid: Certificate  # 陈大文 / CHAN Tai Man
    revoked: Certificate  # 李明 / LI Ming
    suspended: Certificate  # 王芳 / WONG Fong
    replaced: Certificate  # 张三 / CHEUNG San, re-issued
    successor: Certificate
    employer: User

    def client(self, who: User | None = None) -> FlaskClient:
        client = self.app.test_client()
        if who is not None:
            sign_in(client, who.email)
        return client


def today(app: Flask) -> date:
    """Issue today: a token dated before its key was made (the keys are made now) is not valid."""
    with app.app_context():
        return clock.today()


def build_site(app: Flask) -> Site:
    certs = []
    for zh, en, family in (("陈大文", "CHAN Tai Man", "CHAN"), ("李明", "LI Ming", "LI"),
                           ("王芳", "WONG Fong", "WONG"), ("张三", "CHEUNG San", "CHEUNG")):
        certs.append(issue(app, make_holder(app, zh, en, name_family=family), issued_on=today(app)))
    successor = issue(app, make_holder(app, "张珊", "CHEUNG Shan", name_family="CHEUNG"), issued_on=today(app))
    with app.app_context():
        @db.use_case
        def change() -> None:
            sess = db.session()
            sess.execute(update(User).where(User.id == certs[0].user_id).values(id_type="prc_id", id_number=ID_NUMBER))
            # what admin.reissue leaves, without its PDF (~0.5 s)
            sess.execute(update(Certificate).where(Certificate.id == certs[3].id).values(
                status="revoked", status_changed_at=db.utcnow(), replaced_by_id=successor.id))
        change()
        cert_admin.change_status(None, certs[1].number, "revoke", "misconduct found")
        cert_admin.change_status(None, certs[2].number, "suspend", "under review")
    return Site(app, certs[0], certs[1], certs[2], certs[3], successor, staff(app, Role.EMPLOYER))


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    app = keyed_app(tmp_path, monkeypatch, None, **LIMITS)
    yield build_site(app)
    app.extensions["certexam.engine"].dispose()


@pytest.fixture
def any_site(any_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """The site on SQLite and on PostgreSQL."""
    app = keyed_app(tmp_path, monkeypatch, any_db_url, **LIMITS)
    yield build_site(app)
    app.extensions["certexam.engine"].dispose()


def upload(client: FlaskClient, data: bytes, filename: str = "staff.csv") -> Any:
    page = client.get("/employer/verifications/new", headers=EN).get_data(as_text=True)
    return client.post("/employer/verifications/new", headers=EN, content_type="multipart/form-data",
                       data={"csrf_token": csrf_from(page), "file": (io.BytesIO(data), filename)})


def outcomes(html: str) -> dict[int, str]:
    return {int(n): o for n, o in re.findall(r'id="line-(\d+)" data-outcome="([a-z_]+)"', html)}


def runs(app: Flask) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(BulkVerification)) or 0


def staff_list(site: Site) -> str:
    return "\n".join([
        "姓名,证书编号",
        f"陈大文,{site.valid.number}",  # 2: the whole Chinese name
        f"CHAN Siu Ming,{site.valid.number.lower()}",  # 3: the family name, not the whole name
        f"Nobody,{site.valid.number}",  # 4: neither
        f"LI Ming,{site.revoked.number}",  # 5
        f"Ming Li,{site.suspended.number}",  # 6: no word is WONG
        f"WONG Fong,{site.suspended.number}",  # 7
        f"张三,{site.replaced.number}",  # 8: the old name of a re-issued certificate
        f"Some One,{UNKNOWN_NUMBER}",  # 9
        "Broken Line,SHMFTPP-L1-2026-12",  # 10
        f"=HYPERLINK(\"http://evil.example\"),{site.valid.number}",  # 11: a formula as a name
    ]) + "\n"


def test_each_line_gets_its_public_result_and_the_csv_report(any_site: Site) -> None:
    site = any_site
    client = site.client(site.employer)
    resp = upload(client, staff_list(site).encode("utf-8"))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    page = client.get(resp.headers["Location"], headers=EN).get_data(as_text=True)
    assert outcomes(page) == {2: "valid", 3: "name_mismatch", 4: "unknown", 5: "revoked", 6: "unknown",
                              7: "suspended", 8: "revoked", 9: "unknown", 10: "malformed", 11: "unknown"}
    line8 = page.split('id="line-8"', 1)[1].split("</tr>", 1)[0]
    assert site.successor.number in line8  # the revoked certificate names its replacement
    assert "陈大文 CHAN Tai Man" in page  # confirmed by the whole name, as the public page confirms it
    assert "C*** S*** M***" not in page and "陈*文 C*** T*** M***" in page  # line 3 shows the mask
    (run_id,) = re.findall(r"/employer/verifications/(\d+)$", resp.headers["Location"])
    history = client.get("/employer/verifications", headers=EN).get_data(as_text=True)
    assert f"/employer/verifications/{run_id}/report.pdf" in history and "staff.csv" in history
    csv_resp = client.get(f"/employer/verifications/{run_id}/report.csv", headers=EN)
    assert csv_resp.status_code == 200 and csv_resp.mimetype == "text/csv"
    assert csv_resp.data.startswith(b"\xef\xbb\xbfLine,Name given,Certificate number,Verification result,")
    text = csv_resp.data.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert len(table) == 11 and table[10][:2] == ["11", "'=HYPERLINK(\"http://evil.example\")"]  # shown as text
    assert not [cell for line in table for cell in line if cell.startswith(("=", "+", "-", "@"))]
    assert table[4][:6] == ["5", "LI Ming", site.revoked.number, "Revoked", "李明 LI Ming", "Revoked"]
    assert table[7][3] == "Revoked" and table[7][9] == site.successor.number


def test_the_employer_sees_no_more_than_the_public_lookup(site: Site, tmp_path: Path) -> None:
    """Names and id numbers: the full name appears only where the whole name was given (line 2), never
    for a line that gave only the family name or nothing; no id number or email in any output."""
    client = site.client(site.employer)
    lines = ["name,certificate number", f"CHAN Siu Ming,{site.valid.number}", f"Nobody,{site.valid.number}",
             f"LI Xiaolong,{site.revoked.number}"]
    resp = upload(client, "\n".join(lines).encode())
    run_id = resp.headers["Location"].rsplit("/", 1)[1]
    outputs = [client.get(f"/employer/verifications/{run_id}", headers=EN).get_data(as_text=True),
               client.get(f"/employer/verifications/{run_id}/report.csv").data.decode("utf-8-sig")]
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(client.get(f"/employer/verifications/{run_id}/report.pdf").data)
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        outputs.append(subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True,
                                      check=True, timeout=60).stdout)
    holder = site.app.test_client()
    for out in outputs:
        for secret in ("陈大文", "Tai Man", "李明", "LI Ming", ID_NUMBER, "holder", "@example.com"):
            assert secret not in out, secret
        assert "C*** T*** M***" in out and "李* L*** M***" in out  # the masks the lookup shows
    # what the public lookup shows for line 2's number and the family name CHAN: the same mask
    public = holder.post("/verify", headers=EN, data={
        "csrf_token": csrf_from(holder.get("/verify").get_data(as_text=True)),
        "number": site.valid.number, "surname": "CHAN", "name": "CHAN Siu Ming"}).get_data(as_text=True)
    assert "C*** T*** M***" in public


def test_the_signed_pdf_report_passes_pdfsig(site: Site, tmp_path: Path) -> None:
    pdfsig = shutil.which("pdfsig")
    if pdfsig is None:
        pytest.skip("pdfsig is not installed (Debian: poppler-utils)")
    client = site.client(site.employer)
    run_id = upload(client, staff_list(site).encode("gbk", errors="strict")).headers["Location"].rsplit("/", 1)[1]
    resp = client.get(f"/employer/verifications/{run_id}/report.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    (tmp_path / "report.pdf").write_bytes(resp.data)
    out = subprocess.run([pdfsig, str(tmp_path / "report.pdf")], capture_output=True, text=True, timeout=60).stdout
    assert "Signature Validation: Signature is Valid." in out and "Total document signed" in out


def _xlsx(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_list_with_formulas(site: Site) -> None:
    """Formulas are never run: a workbook saved without computed values gives empty cells (malformed)."""
    data = _xlsx([["Name", "Certificate number"], ["陈大文", site.valid.number], ["=1+1", site.valid.number],
                  ["王芳", '=CONCAT("SHMFTPP","-L1")'], [None, None], [12345, 67890]])
    client = site.client(site.employer)
    resp = upload(client, data, "staff.xlsx")
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"], headers=EN).get_data(as_text=True)
    assert outcomes(page) == {2: "valid", 3: "malformed", 4: "malformed", 6: "malformed"}


ODD_FILES = {
    "empty": (b"", "staff.csv", "The file is empty."),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "photo.csv", "cannot be read"),
    "not gbk either": (b"name,number\n\xff\xfe\xfa\xfb", "staff.csv", "neither UTF-8 nor GBK"),
    "wrong columns": (b"email,phone\na@example.com,123\n", "staff.csv", "no column for: name, certificate number"),
    "header only": (b"name,certificate number\n", "staff.csv", "no staff lines"),
    "10k lines": (b"name,number\n" + b"A,SHMFTPP-L1-2026-000001-0\n" * 10_000, "staff.csv", "more than 2000 lines"),
    "fake xlsx": (b"PK\x03\x04" + b"\x00" * 200, "staff.xlsx", "cannot be read"),
    "xlsx of 2,001 lines": (None, "staff.xlsx", "more than 2000 lines"),
}


@pytest.fixture
def employer_app(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[Flask, User]]:  # noqa: F811
    """No certificates: for files refused before any line is checked."""
    app = fresh_app(tmp_path, sqlite_template, **LIMITS)
    yield app, staff(app, Role.EMPLOYER)
    app.extensions["certexam.engine"].dispose()


def test_odd_files_are_refused_whole_and_record_nothing(employer_app: tuple[Flask, User]) -> None:
    app, employer = employer_app
    client = app.test_client()
    sign_in(client, employer.email)
    for kind, (data, name, message) in ODD_FILES.items():
        resp = upload(client, data if data is not None else _xlsx([["name", "number"]] + [["A", "B"]] * 2_001), name)
        assert resp.status_code == 400, kind
        assert message in resp.get_data(as_text=True).replace("&#34;", '"'), kind
    big = upload(client, b"name,number\n" + b"x" * (1024 * 1024 + 100_000))
    assert big.status_code == 413
    assert runs(app) == 0


def test_only_employers_use_it_and_each_organisation_sees_its_own(site: Site) -> None:
    client = site.client(site.employer)
    run_id = upload(client, staff_list(site).encode()).headers["Location"].rsplit("/", 1)[1]
    paths = ["/employer/verifications", "/employer/verifications/new", f"/employer/verifications/{run_id}",
             f"/employer/verifications/{run_id}/report.csv", f"/employer/verifications/{run_id}/report.pdf"]
    for who in (make_holder(site.app), staff(site.app, Role.ADMIN)):
        other = site.client(who)
        assert [other.get(p).status_code for p in paths] == [403] * len(paths)
    anonymous = site.app.test_client().get(paths[0])
    assert anonymous.status_code == 302 and "/auth/sign-in" in anonymous.headers["Location"]
    rival = site.client(staff(site.app, Role.EMPLOYER))  # another organisation
    assert [rival.get(p).status_code for p in paths[2:]] == [404, 404, 404]
    assert f"/employer/verifications/{run_id}" not in rival.get("/employer/verifications").get_data(as_text=True)
    with site.app.app_context():
        colleague = staff(site.app, Role.EMPLOYER)  # same organisation, another account
        org_id = site.employer.organisation_id

        @db.use_case
        def move() -> None:
            db.session().execute(update(User).where(User.id == colleague.id).values(organisation_id=org_id))
        move()
    assert site.client(colleague).get(paths[2]).status_code == 200
    with site.app.app_context():
        kept = db.session().scalar(select(func.count()).select_from(BulkVerificationLine))
    assert kept == 10
