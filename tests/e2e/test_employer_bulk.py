"""An employer verifies a 40-line staff list in real Chromium (issue 23, "Done when"): one revoked and one
unknown certificate among them, the right result on each line, and a signed PDF report that pdfsig
validates."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

from certexam.domain.certno import format_number
from certexam.models import Role
from certexam.services.certificates import admin as cert_admin
from tests.factories import PASSWORD, staff
from tests.functional.test_employer_bulk import LIMITS, today
from tests.integration.test_certificates_service import issue, keyed_app, make_holder

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("SCREENSHOTS_DIR")  # a folder: save the results page there
LINES = 40
REVOKED_LINE, UNKNOWN_LINE = 12, 31  # file lines (the header is line 1)


@pytest.fixture
def live_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    yield keyed_app(tmp_path, monkeypatch, None, **LIMITS)


def test_an_employer_verifies_a_forty_line_staff_list(live_server: Any, page: Any, tmp_path: Path) -> None:
    app, base = live_server.app, live_server.url
    on = today(app)
    rows = ["姓名,证书编号"]
    revoked_number = ""
    for line in range(2, LINES + 2):
        if line == UNKNOWN_LINE:
            rows.append(f"无名氏,{format_number(2, 2026, 999_999)}")
            continue
        zh, en = f"员工{line:02d}", f"STAFF Member {line:02d}"
        # tokens and register rows only: with_pdf is off in issue(), so no certificate PDF is made
        number = issue(app, make_holder(app, zh, en, name_family="STAFF"), issued_on=on).number
        rows.append(f"{zh},{number}")
        if line == REVOKED_LINE:
            revoked_number = number
    with app.app_context():
        cert_admin.change_status(None, revoked_number, "revoke", "misconduct found")
    staff_list = tmp_path / "员工名单.csv"
    staff_list.write_bytes("\r\n".join(rows).encode("gbk"))  # as Excel saves it on Chinese Windows
    employer = staff(app, Role.EMPLOYER)

    page.goto(base + "/auth/sign-in")
    page.locator("#email").fill(employer.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#submit").click()
    page.wait_for_url(base + "/")
    page.locator("nav.account-menu a[href='/employer/verifications']").click()
    page.locator("a[href='/employer/verifications/new']").first.click()
    page.locator("#file").set_input_files(str(staff_list))
    page.locator("#submit").click()
    page.wait_for_url(re.compile(r".*/employer/verifications/\d+$"))

    lines = page.locator("#bulk-lines tbody tr")
    expect(lines).to_have_count(LINES)
    expect(page.locator("#bulk-lines tbody tr[data-outcome='valid']")).to_have_count(LINES - 2)
    expect(page.locator(f"#line-{REVOKED_LINE}")).to_have_attribute("data-outcome", "revoked")
    expect(page.locator(f"#line-{UNKNOWN_LINE}")).to_have_attribute("data-outcome", "unknown")
    expect(page.locator(f"#line-{REVOKED_LINE}")).to_contain_text(revoked_number)
    expect(page.locator("#line-2")).to_contain_text("员工02 STAFF Member 02")  # the whole name confirms it
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "employer-bulk-results.png"), full_page=False)

    with page.expect_download() as download:
        page.locator("#report-pdf").click()
    pdf = tmp_path / "report.pdf"
    download.value.save_as(str(pdf))
    pdfsig = shutil.which("pdfsig")
    if pdfsig is None:
        pytest.skip("pdfsig is not installed (Debian: poppler-utils)")
    out = subprocess.run([pdfsig, str(pdf)], capture_output=True, text=True, timeout=60).stdout
    assert "Signature Validation: Signature is Valid." in out and "Total document signed" in out
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True,
                              timeout=60).stdout
        assert revoked_number in text and "已撤销" in text and "无此编号与姓名的证书" in text

    # the run is in the organisation's history, its report downloadable again
    page.locator("a[href='/employer/verifications']").last.click()
    expect(page.locator("#bulk-runs tbody tr")).to_have_count(1)
    expect(page.locator("#bulk-runs tbody tr td").nth(1)).to_have_text("员工名单.csv")
